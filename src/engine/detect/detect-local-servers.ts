/**
 * Detection of the local model servers that Switchboard has presets for: Ollama, LM Studio,
 * llama.cpp server and vLLM. The usual port of each is probed on 127.0.0.1 in parallel, each
 * with a short deadline, and whatever answers is named by its identifying endpoints (see
 * identify-server.ts), so a vLLM on LM Studio's port is reported as vLLM.
 *
 * The result lists only servers that a profile can use. A port is left out without an error when
 * nothing listens there, when the server accepts the connection but sends no response in time, or
 * when the HTTP server there is not one of the four. The last two cases are logged at debug level.
 */

import { SwitchboardError } from '../errors';
import { Network } from '../network/network';
import { isLoopbackHost } from '../network/options';
import { PRESETS, type ProfileInput } from '../profiles';
import { silentLogger, type Logger, type ModelInfo } from '../types';
import { identifyServer, type Identified, type LocalServerKind } from './identify-server';
import { isRecord, Probe, type FetchFunction } from './probe';

export type { LocalServerKind } from './identify-server';
export type { FetchFunction } from './probe';

export const LOCAL_SERVER_KINDS: readonly LocalServerKind[] = ['ollama', 'lmstudio', 'llamacpp', 'vllm'];

/** The port each kind is probed on unless `ports` replaces it: the port of its preset's base URL. */
export const DEFAULT_DETECT_PORTS: Readonly<Record<LocalServerKind, number>> = {
  ollama: presetPort('ollama'),
  lmstudio: presetPort('lmstudio'),
  llamacpp: presetPort('llamacpp'),
  vllm: presetPort('vllm'),
};

/**
 * The no-proxy list of detection's own network: every loopback address, whatever HTTP_PROXY,
 * HTTPS_PROXY or NO_PROXY contain, because a proxy would reach its own loopback, not this machine's.
 */
const LOOPBACK_NO_PROXY = 'localhost,127.0.0.1,127.0.0.0/8,[::1]';

/** Milliseconds one port may take by default, every request to it included. */
export const DEFAULT_DETECT_TIMEOUT_MS = 400;

export interface DetectOptions {
  /**
   * Sends the requests. The default is a new engine `Network` that sends loopback requests
   * direct, without a proxy, and is closed when detection ends.
   */
  fetch?: FetchFunction;
  /** Replaces the port probed for a kind; kinds left out keep their default port. */
  ports?: Partial<Record<LocalServerKind, number>>;
  /**
   * Loopback address to probe. By default 127.0.0.1 is probed, then ::1 on the ports where
   * 127.0.0.1 refuses the connection. Any other host raises `config.invalid`.
   */
  host?: string;
  /** Milliseconds one port may take, every request to it included; default 400. */
  timeoutMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

/** A profile for a detected server, ready to add to the profiles. */
export interface SuggestedProfile extends ProfileInput {
  /** Such as "ollama-local", or "vllm-local-1234" when the server is not at its preset's URL. */
  name: string;
  preset: LocalServerKind;
  /** Set only when it differs from the preset's base URL. */
  baseUrl?: string;
  /** The first listed model; missing when the server lists none. */
  model?: string;
}

export interface DetectedServer {
  server: LocalServerKind;
  /** The preset's display name, such as "LM Studio". */
  label: string;
  /** The OpenAI-compatible base URL in the preset's form, such as http://127.0.0.1:11434/v1. */
  baseUrl: string;
  /** The server's version, where it reports one (LM Studio does not). */
  version?: string;
  /** Chat models first; the first one is the suggested profile's model. */
  models: ModelInfo[];
  suggestedProfile: SuggestedProfile;
  /** Advice to follow before the server is usable, such as downloading a first model. */
  note?: string;
}

/** Advice for a server that lists no model, which a profile cannot use yet. */
const NO_MODEL_NOTES: Record<LocalServerKind, string> = {
  ollama: 'Ollama has no models yet. Download one with "ollama pull llama3.2", then detect again.',
  lmstudio: 'LM Studio lists no chat models. Download one in LM Studio or with "lms get", then detect again.',
  llamacpp: 'The llama.cpp server lists no models. Start it with a model, such as "llama-server -m model.gguf".',
  vllm: 'vLLM lists no models. Start it with a model, such as "vllm serve MODEL".',
};

interface DetectSettings {
  /** Distinct ports, in the order of LOCAL_SERVER_KINDS. */
  ports: number[];
  /** Addresses to try on each port, in order, as long as the previous one refuses. */
  hosts: string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Probes the usual ports of local model servers and returns the servers that responded, in the
 * order Ollama, LM Studio, llama.cpp server, vLLM of the ports probed. Finding nothing is not an
 * error. Throws `config.invalid` for bad options, and `cancelled` when `signal` aborts.
 */
export async function detectLocalServers(options: DetectOptions = {}): Promise<DetectedServer[]> {
  const settings = resolveDetectOptions(options);
  const logger = options.logger ?? silentLogger;
  const network = options.fetch ? undefined : new Network({ noProxy: LOOPBACK_NO_PROXY }, logger);
  const fetch = options.fetch ?? network!.fetch;
  const started = performance.now();
  try {
    const results = await Promise.all(settings.ports.map((port) => detectOnPort(port, settings, fetch, logger)));
    if (options.signal?.aborted) throw new SwitchboardError('cancelled', 'Detection of local servers was cancelled.');
    const servers = results.filter((server): server is DetectedServer => server !== undefined);
    const found = servers.map((server) => `${server.label} at ${server.baseUrl}`).join(', ') || 'no server';
    logger.info(`Detected ${found} on ports ${settings.ports.join(', ')} in ${Math.round(performance.now() - started)} ms.`);
    return servers;
  } finally {
    await network?.close();
  }
}

/**
 * Checks detection ports that come from outside, such as a protocol message or an environment
 * variable. Throws `config.invalid` naming the wrong entry.
 */
export function checkDetectPorts(value: unknown): Partial<Record<LocalServerKind, number>> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    throw invalid(`The detection ports are ${JSON.stringify(value)}, not an object.`, 'Give the ports as an object such as {"ollama": 11434}.');
  }
  const ports: Partial<Record<LocalServerKind, number>> = {};
  for (const [kind, port] of Object.entries(value)) {
    if (!(LOCAL_SERVER_KINDS as readonly string[]).includes(kind)) {
      throw invalid(`Unknown server "${kind}" in the detection ports.`, `Use ${LOCAL_SERVER_KINDS.join(', ')}.`);
    }
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid(`The detection port of ${kind} is ${JSON.stringify(port)}; it must be a whole number from 1 to 65535.`, `Set it to the port the server listens on, such as ${DEFAULT_DETECT_PORTS[kind as LocalServerKind]}.`);
    }
    ports[kind as LocalServerKind] = port;
  }
  return ports;
}

function resolveDetectOptions(options: DetectOptions): DetectSettings {
  const ports = { ...DEFAULT_DETECT_PORTS, ...checkDetectPorts(options.ports) };
  const timeoutMs = options.timeoutMs ?? DEFAULT_DETECT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw invalid(`The detection timeout is ${JSON.stringify(timeoutMs)} ms; it must be from 1 to 60000 ms.`, `Leave it unset for the default of ${DEFAULT_DETECT_TIMEOUT_MS} ms.`);
  }
  return {
    ports: [...new Set(LOCAL_SERVER_KINDS.map((kind) => ports[kind]))],
    hosts: options.host === undefined ? ['127.0.0.1', '::1'] : [checkHost(options.host)],
    timeoutMs,
    signal: options.signal,
  };
}

function checkHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  if (!isLoopbackHost(bare)) {
    throw invalid(`Detection probes only this machine, and "${host}" is not a loopback address.`, 'Use 127.0.0.1 or ::1, or leave the host unset.');
  }
  return bare;
}

/** Probes one port, on each host in turn while nothing listens there, within one deadline. */
async function detectOnPort(port: number, settings: DetectSettings, fetch: FetchFunction, logger: Logger): Promise<DetectedServer | undefined> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const deadline = settings.signal ? AbortSignal.any([settings.signal, timeout]) : timeout;
  for (const host of settings.hosts) {
    const origin = `http://${hostInUrl(host)}:${port}`;
    const identification = await identifyServer(new Probe(origin, fetch, deadline));
    switch (identification.outcome) {
      case 'not_listening':
        continue;
      case 'identified':
        return describeServer(identification, host, port);
      case 'unrecognized':
        logger.debug(`${origin} responded to /v1/models with HTTP ${identification.status} but is none of Ollama, LM Studio, llama.cpp server or vLLM, so it is left out.`);
        return undefined;
      case 'no_response':
        logger.debug(`${origin} accepted the connection but sent no usable response within ${settings.timeoutMs} ms, so it is left out.`);
        return undefined;
    }
  }
  logger.debug(`Nothing listens on port ${port} of ${settings.hosts.join(' or ')}.`);
  return undefined;
}

function describeServer(found: Identified, host: string, port: number): DetectedServer {
  const preset = PRESETS[found.server]!;
  const baseUrl = `http://${hostInUrl(host)}:${port}/v1`;
  const atPresetUrl = baseUrl === preset.baseUrl;
  const model = found.models[0]?.id;
  const suggestedProfile: SuggestedProfile = {
    name: atPresetUrl ? `${found.server}-local` : `${found.server}-local-${port}`,
    preset: found.server,
    ...(atPresetUrl ? {} : { baseUrl }),
    ...(model === undefined ? {} : { model }),
  };
  return {
    server: found.server,
    label: preset.label,
    baseUrl,
    ...(found.version === undefined ? {} : { version: found.version }),
    models: found.models.map(withoutUndefined),
    suggestedProfile,
    ...(model === undefined ? { note: NO_MODEL_NOTES[found.server] } : {}),
  };
}

/** Drops fields that are undefined, so results compare and serialize cleanly. */
function withoutUndefined(model: ModelInfo): ModelInfo {
  return Object.fromEntries(Object.entries(model).filter(([, value]) => value !== undefined)) as unknown as ModelInfo;
}

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function presetPort(kind: LocalServerKind): number {
  return Number(new URL(PRESETS[kind]!.baseUrl).port);
}

function invalid(message: string, fix: string): SwitchboardError {
  return new SwitchboardError('config.invalid', message, { fix: [fix] });
}
