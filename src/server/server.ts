/**
 * The language server: hosts the engine in its own process and serves the messages declared
 * in src/protocol. Started over IPC by the extension, or over stdio by other editors.
 */

import { createConnection, ProposedFeatures, ResponseError, type Connection, type InitializeParams } from 'vscode-languageserver/node';

import { detectLocalServers } from '../engine/detect/detect-local-servers';
import { Engine } from '../engine/engine';
import { isSwitchboardError, SwitchboardError } from '../engine/errors';
import { ProcessMonitor } from '../engine/metrics';
import type { ChatEvent, Logger } from '../engine/types';
import { profileInputOf, runDoctor } from '../engine/doctor/doctor';
import {
  chatProgress,
  chatRequest,
  configureRequest,
  diagnoseRequest,
  detectServersRequest,
  listModelsRequest,
  listProfilesRequest,
  metricsRequest,
  resetCircuitRequest,
  resourcesRequest,
  setKeyRequest,
  statusNotification,
  warmUpRequest,
  type ChatParams,
  type ChatResult,
  type ConfigureParams,
  type DiagnoseParams,
} from '../protocol/protocol';
import { CapabilityFile } from './capability-file';
import { InitializationGate } from './initialization-gate';
import { readResources } from './resources';
import { createConnectionLogger } from './logger';
import { loadStandaloneConfiguration } from '../engine/standalone-config';

export interface ServerOptions {
  /** True when started by another editor over stdio: keys come from environment variables. */
  standalone: boolean;
}

export function startServer(options: ServerOptions): Connection {
  const gate = new InitializationGate();
  const connection = createConnection(ProposedFeatures.all, { messageStrategy: gate.messageStrategy });
  gate.attach(connection);
  const logger = createConnectionLogger(connection);
  routeConsoleToLogger(logger);
  const capabilityFile = new CapabilityFile(logger);
  const engine = new Engine({ logger, capabilityStore: capabilityFile });
  const monitor = new ProcessMonitor();
  monitor.start();

  connection.onInitialize(async (params: InitializeParams) => {
    if (options.standalone) await applyStandaloneConfiguration(engine, params.initializationOptions, logger);
    await restoreCapabilities(engine, capabilityFile, params.initializationOptions, logger);
    gate.open();
    return { capabilities: {}, serverInfo: { name: 'switchboard', version: SERVER_VERSION } };
  });

  registerHandlers(connection, engine, logger);
  registerPerformanceHandlers(connection, engine, monitor);
  registerDetectionHandler(connection, logger);
  engine.onStatus(() => {
    const profiles = engine.listProfiles().map((profile) => engine.statusOf(profile.name));
    const inFlight = profiles.reduce((sum, status) => sum + status.inFlight, 0);
    void connection.sendNotification(statusNotification, { profiles, inFlight });
  });
  let shutDown = false;
  connection.onShutdown(async () => {
    shutDown = true;
    monitor.stop();
    await capabilityFile.flush();
    return engine.close();
  });
  // LSP: the exit code is 0 after a `shutdown` request and 1 otherwise.
  connection.onExit(() => process.exit(shutDown ? 0 : 1));
  connection.listen();
  return connection;
}

/**
 * Sends console output of dependencies (the Gemini SDK warns through console.warn) to the
 * client's log, because over stdio any stray write to stdout would corrupt the JSON-RPC stream.
 */
function routeConsoleToLogger(logger: Logger): void {
  /* eslint-disable no-console -- this replaces the console methods, it does not write to them. */
  console.log = (...values: unknown[]) => logger.info(values.map(String).join(' '));
  console.info = console.log;
  console.debug = (...values: unknown[]) => logger.debug(values.map(String).join(' '));
  console.warn = (...values: unknown[]) => logger.warn(values.map(String).join(' '));
  console.error = (...values: unknown[]) => logger.error(values.map(String).join(' '));
  /* eslint-enable no-console */
}

declare const __SWITCHBOARD_VERSION__: string | undefined;
const SERVER_VERSION = typeof __SWITCHBOARD_VERSION__ === 'string' ? __SWITCHBOARD_VERSION__ : 'development';

function registerHandlers(connection: Connection, engine: Engine, logger: Logger): void {
  connection.onRequest(configureRequest, async (params: ConfigureParams) => {
    try {
      await engine.configure(params);
      return { ok: true as const, profiles: engine.listProfiles() };
    } catch (error) {
      return { ok: false as const, error: toErrorData(error) };
    }
  });

  connection.onRequest(setKeyRequest, (params) => {
    const problem = checkSetKeyParams(params);
    if (problem) return { ok: false as const, error: problem.toData() };
    engine.setKey(params.profile, params.key ?? undefined);
    logger.info(`Key ${params.key ? 'set' : 'removed'} for profile "${params.profile}".`);
    return { ok: true as const };
  });

  connection.onRequest(listModelsRequest, async (params, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    try {
      return { ok: true as const, models: await engine.listModels(params.profile, controller.signal, { refresh: params.refresh }) };
    } catch (error) {
      return { ok: false as const, error: toErrorData(error) };
    }
  });

  connection.onRequest(resetCircuitRequest, (params) => {
    try {
      const profile = engine.getProfile(params.profile);
      engine.circuits.reset(profile.name);
      logger.info(`Circuit breaker of profile "${profile.name}" closed on request ("Retry now").`);
      return { ok: true as const };
    } catch (error) {
      const data = toErrorData(error);
      logger.warn(`Closing the circuit breaker of profile "${params.profile}" failed: ${data.code}: ${data.message}`);
      return { ok: false as const, error: data };
    }
  });

  connection.onRequest(listProfilesRequest, () => ({
    profiles: engine.listProfiles(),
    keys: engine.listProfiles().filter((profile) => engine.hasKey(profile.name)).map((profile) => profile.name),
  }));

  connection.onRequest(diagnoseRequest, async (params: DiagnoseParams, token) => {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      return { ok: true as const, report: await diagnose(engine, params, controller.signal, logger) };
    } catch (error) {
      return { ok: false as const, error: toErrorData(error) };
    } finally {
      cancel.dispose();
    }
  });

  connection.onRequest(chatRequest, async (params: ChatParams, token) => {
    if (!params || typeof params !== 'object' || !params.request) {
      throw new ResponseError(-32602, 'switchboard/chat needs params of the form {request: {profile, messages}}.');
    }
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      return await runChat(connection, engine, params, controller.signal);
    } finally {
      cancel.dispose();
    }
  });
}

function registerPerformanceHandlers(connection: Connection, engine: Engine, monitor: ProcessMonitor): void {
  connection.onRequest(metricsRequest, (params) => {
    if (params?.collectGarbage) (globalThis as { gc?: () => void }).gc?.();
    const snapshot = { ...engine.metrics(), process: monitor.snapshot() };
    if (params?.resetEventLoopDelay) monitor.reset();
    return snapshot;
  });

  connection.onRequest(resourcesRequest, (params) => readResources(params?.collectGarbage === true));

  connection.onRequest(warmUpRequest, async (params, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    try {
      return await engine.warmUp(params.profile, controller.signal);
    } catch (error) {
      return { ok: false, code: toErrorData(error).code, durationMs: 0 };
    }
  });
}

/** Detection sends its few loopback requests through a network of its own, closed when it ends. */
function registerDetectionHandler(connection: Connection, logger: Logger): void {
  connection.onRequest(detectServersRequest, async (params, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    try {
      return { ok: true as const, servers: await detectLocalServers({ ports: params?.ports, logger, signal: controller.signal }) };
    } catch (error) {
      return { ok: false as const, error: toErrorData(error) };
    }
  });
}

/** Runs the doctor on a configured profile with the key and network settings the engine holds. */
async function diagnose(engine: Engine, params: DiagnoseParams, signal: AbortSignal, logger: Logger) {
  const profile = engine.getProfile(params.profile);
  const { apiKey, network } = engine.diagnosisInputs(profile.name);
  const report = await runDoctor(profileInputOf(profile), { apiKey, network, skipCompletion: params.skipCompletion, remoteName: params.remoteName, signal, logger });
  logger.info(`Connection doctor for profile "${profile.name}": ${report.ok ? 'no step failed' : `the ${report.failedStep} step failed`} (${report.durationMs} ms).`);
  return report;
}

async function runChat(connection: Connection, engine: Engine, params: ChatParams, signal: AbortSignal): Promise<ChatResult> {
  const started = performance.now();
  const result: ChatResult = { totalMs: 0 };
  const token = params.partialResultToken;
  const progress = token === undefined ? undefined : new ProgressBatcher((events) => void connection.sendProgress(chatProgress, token, events));
  for await (const event of engine.chat(params.request, signal)) {
    result.firstEventMs ??= performance.now() - started;
    progress?.add(event);
    if (event.type === 'end') {
      result.finishReason = event.finishReason;
      result.usage = event.usage;
      result.cached = event.cached;
    } else if (event.type === 'error') {
      result.error = event.error;
    }
  }
  progress?.flush();
  result.totalMs = performance.now() - started;
  return result;
}

/**
 * Sends the events that arrive within one turn of the event loop as one `$/progress` batch.
 * A network read often carries several tokens, and a cache hit carries all of them, so this
 * sends far fewer messages than one per event and delays none by more than that turn.
 */
class ProgressBatcher {
  private pending: ChatEvent[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly send: (events: ChatEvent[]) => void) {}

  add(event: ChatEvent): void {
    this.pending.push(event);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends what is pending now; runChat calls it before returning, so the batch precedes the result. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.send(batch);
  }
}

/**
 * Persists the learned capabilities in `initializationOptions.storagePath` (the extension's
 * global storage folder) and loads what earlier runs saved there. Without that option, as in
 * most standalone editors, they are kept in memory only.
 */
async function restoreCapabilities(engine: Engine, file: CapabilityFile, initializationOptions: unknown, logger: Logger): Promise<void> {
  const storagePath = (initializationOptions as { storagePath?: unknown } | null | undefined)?.storagePath;
  if (typeof storagePath !== 'string' || storagePath === '') {
    logger.debug('No storagePath in initializationOptions; learned model capabilities are kept in memory only.');
    return;
  }
  file.useFolder(storagePath);
  await engine.capabilities.restore();
  logger.info(`Learned model capabilities: ${engine.capabilities.snapshot().entries.length} loaded from ${file.path}.`);
}

async function applyStandaloneConfiguration(engine: Engine, initializationOptions: unknown, logger: Logger): Promise<void> {
  try {
    const configuration = loadStandaloneConfiguration(initializationOptions, process.env, process.argv);
    await engine.configure({ profiles: configuration.profiles });
    for (const [profile, key] of configuration.keys) engine.setKey(profile, key);
    logger.info(`Loaded ${configuration.profiles.length} profiles from ${configuration.source}.`);
  } catch (error) {
    logger.error(`Could not load the standalone configuration: ${toErrorData(error).message}`);
  }
}

function toErrorData(error: unknown) {
  if (isSwitchboardError(error)) return error.toData();
  return new SwitchboardError('internal', (error as Error)?.message ?? String(error), { cause: error }).toData();
}

/** Checks `switchboard/setKey` parameters, which arrive from the client unchecked. */
function checkSetKeyParams(params: unknown): SwitchboardError | undefined {
  const { profile, key } = (typeof params === 'object' && params !== null ? params : {}) as { profile?: unknown; key?: unknown };
  if (typeof profile !== 'string' || profile.trim() === '') {
    return new SwitchboardError('config.invalid', 'The setKey request has a missing or empty profile name.', {
      fix: ['Send the name of a configured profile as a non-empty string in "profile".'],
    });
  }
  if (key !== undefined && key !== null && typeof key !== 'string') {
    return new SwitchboardError('config.invalid', `The key for profile "${profile}" is of type ${Array.isArray(key) ? 'array' : typeof key}, not a string.`, {
      fix: ['Send the key as a string, or send no key (or null) to remove it.'],
    });
  }
  return undefined;
}
