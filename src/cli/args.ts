/** Command-line arguments of `switchboard`, checked into one typed object. */

import { parseArgs } from 'node:util';

import { DEFAULT_DETECT_PORTS } from '../engine/detect/detect-local-servers';
import { SwitchboardError } from '../engine/errors';
import { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from '../engine/network/options';
import { findPreset, isProviderKind, presetNames, type ProfileInput } from '../engine/profiles';
import { PROVIDER_KINDS } from '../engine/types';

export const USAGE = `Usage:
  switchboard chat [--profile NAME | --provider KIND --base-url URL --model ID [--api-version V]]
                   [--system TEXT] [--max-tokens N] [--temperature T] [TIMEOUTS] [--no-stream] [--json] PROMPT|-
  switchboard models [--profile NAME | --provider KIND --base-url URL] [TIMEOUTS] [--json]
  switchboard detect [--json]
  switchboard diagnose [--profile NAME | --provider KIND --base-url URL --model ID] [TIMEOUTS] [--skip-completion] [--json]
  switchboard serve --stdio [--profiles FILE]
  switchboard --help | --version

KIND is one of ${PROVIDER_KINDS.join(', ')}, or a preset: ${presetNames().join(', ')}.
Profiles come from the JSON file named by --profiles FILE or SWITCHBOARD_PROFILES
(an array of profiles such as [{"name": "local", "preset": "ollama", "model": "llama3.2"}]).
Keys come from OPENAI_API_KEY, GEMINI_API_KEY, AZURE_OPENAI_API_KEY or SWITCHBOARD_API_KEY.
A PROMPT of "-" is read from standard input.
TIMEOUTS, each a whole number of milliseconds from 100 to 86400000:
  --connect-timeout-ms MS     to open the connection (default ${DEFAULT_NETWORK_OPTIONS.connectTimeoutMs})
  --first-byte-timeout-ms MS  from sending the request to the first response byte (default
                              ${DEFAULT_NETWORK_OPTIONS.firstByteTimeoutMs}, or ${DEFAULT_NETWORK_OPTIONS.localFirstByteTimeoutMs} for servers on this machine, which may load a model first)
  --idle-timeout-ms MS        between two chunks of the response (default ${DEFAULT_NETWORK_OPTIONS.idleTimeoutMs})
  --deadline-ms MS            for the whole request, retries included (default ${DEFAULT_NETWORK_OPTIONS.deadlineMs})
detect looks for Ollama, LM Studio, llama.cpp server and vLLM on 127.0.0.1, on ports
${Object.values(DEFAULT_DETECT_PORTS).join(', ')}. For a server on another port, or for tests, SWITCHBOARD_DETECT_PORTS
replaces ports with a JSON object such as {"ollama": 11435}.
diagnose checks the connection step by step (configuration, DNS, TCP, proxy, TLS, key, model,
a one-token request, streaming) and exits with 1 when a step fails. --skip-completion leaves out
the two requests that cost tokens. HTTPS_PROXY, HTTP_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS apply.`;

export interface CliArguments {
  command: 'chat' | 'models' | 'detect' | 'diagnose' | 'serve' | 'help' | 'version';
  profile?: string;
  profilesFile?: string;
  provider?: string;
  baseUrl?: string;
  model?: string;
  apiVersion?: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
  stream: boolean;
  json: boolean;
  stdio: boolean;
  /** Timeouts from the TIMEOUTS flags, in the engine's names; fields without a flag are left out. */
  network: Partial<NetworkOptions>;
  /** diagnose: skip the one-token and streaming requests. */
  skipCompletion?: boolean;
  prompt?: string;
}

/** The range of every timeout, as resolveNetworkOptions checks it. */
const TIMEOUT_RANGE = { integer: true, min: 100, max: 86_400_000, example: '600000' } as const;

/** Numeric options with their range and an example value, as parseNumberOption checks them. */
const NUMBER_OPTIONS = {
  '--max-tokens': { integer: true, min: 1, max: 1_000_000, example: '1024' },
  '--temperature': { integer: false, min: 0, max: 2, example: '0.7' },
  '--connect-timeout-ms': TIMEOUT_RANGE,
  '--first-byte-timeout-ms': TIMEOUT_RANGE,
  '--idle-timeout-ms': TIMEOUT_RANGE,
  '--deadline-ms': TIMEOUT_RANGE,
} as const;

export function parseCliArguments(argv: string[]): CliArguments {
  rejectNegativeNumbers(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        profile: { type: 'string' },
        profiles: { type: 'string' },
        provider: { type: 'string' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        'api-version': { type: 'string' },
        system: { type: 'string' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        'connect-timeout-ms': { type: 'string' },
        'first-byte-timeout-ms': { type: 'string' },
        'idle-timeout-ms': { type: 'string' },
        'deadline-ms': { type: 'string' },
        'no-stream': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'skip-completion': { type: 'boolean', default: false },
        stdio: { type: 'boolean', default: false },
        'node-ipc': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw usageError(asSentence((error as Error).message));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { command: 'help', stream: true, json: false, stdio: false, network: {} };
  if (values.version) return { command: 'version', stream: true, json: false, stdio: false, network: {} };
  if (command !== 'chat' && command !== 'models' && command !== 'detect' && command !== 'diagnose' && command !== 'serve') {
    throw usageError(command === undefined ? 'Missing command.' : `Unknown command "${command}".`, 'Use chat, models or serve, detect to find local model servers, or diagnose to check a connection.');
  }
  if (command !== 'chat' && rest.length > 0) throw usageError(`Unexpected argument "${rest[0]}" for ${command}.`);
  if (command === 'chat' && rest.length > 1) throw usageError(`Expected one PROMPT but got ${rest.length} arguments.`, 'Quote the prompt: switchboard chat "Explain this error".');
  if (values.profile && (values.provider || values['base-url'])) {
    throw usageError('--profile cannot be combined with --provider or --base-url.', 'Use either a named profile or an ad-hoc provider.');
  }
  return {
    command,
    profile: values.profile,
    profilesFile: values.profiles,
    provider: values.provider,
    baseUrl: values['base-url'],
    model: values.model,
    apiVersion: values['api-version'],
    system: values.system,
    maxTokens: parseNumberOption(values['max-tokens'], '--max-tokens'),
    temperature: parseNumberOption(values.temperature, '--temperature'),
    network: parseTimeouts(values),
    stream: !values['no-stream'],
    json: values.json,
    stdio: values.stdio,
    skipCompletion: values['skip-completion'],
    prompt: rest[0],
  };
}

/** Decimal digits only: parseInt and Number would also take "0x10", "1e3", "12abc" or " 7". */
const DECIMAL_INTEGER = /^[0-9]+$/;
/** A decimal number such as 0.7 or 1, without exponent, sign or hexadecimal prefix. */
const DECIMAL_NUMBER = /^[0-9]+(\.[0-9]+)?$/;

function parseNumberOption(value: string | undefined, name: keyof typeof NUMBER_OPTIONS): number | undefined {
  if (value === undefined) return undefined;
  const { integer, min, max, example } = NUMBER_OPTIONS[name];
  const pattern = integer ? DECIMAL_INTEGER : DECIMAL_NUMBER;
  const number = Number(value);
  if (!pattern.test(value) || number < min || number > max) {
    const displayedValue = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    const expected = integer ? `a whole number in decimal digits from ${min} to ${max}` : `a decimal number from ${min} to ${max}`;
    throw usageError(`${name} is "${displayedValue}"; it must be ${expected}.`, `Write it as in ${name} ${example}.`);
  }
  return number;
}

/**
 * Reads the TIMEOUTS flags into network options. --first-byte-timeout-ms sets the timeout for
 * remote and local servers alike, because one command talks to one server.
 */
function parseTimeouts(values: Record<string, string | boolean | undefined>): Partial<NetworkOptions> {
  const read = (name: 'connect-timeout-ms' | 'first-byte-timeout-ms' | 'idle-timeout-ms' | 'deadline-ms') => parseNumberOption(values[name] as string | undefined, `--${name}`);
  const firstByte = read('first-byte-timeout-ms');
  const network: Partial<NetworkOptions> = {
    connectTimeoutMs: read('connect-timeout-ms'),
    firstByteTimeoutMs: firstByte,
    localFirstByteTimeoutMs: firstByte,
    idleTimeoutMs: read('idle-timeout-ms'),
    deadlineMs: read('deadline-ms'),
  };
  return Object.fromEntries(Object.entries(network).filter(([, value]) => value !== undefined));
}

/**
 * Rejects `--max-tokens -1` with the option's own message. parseArgs would take "-1" for an
 * option and raise a message about ambiguous arguments instead.
 */
function rejectNegativeNumbers(argv: readonly string[]): void {
  argv.forEach((argument, index) => {
    const next = argv[index + 1];
    if (Object.hasOwn(NUMBER_OPTIONS, argument) && next !== undefined && /^-[0-9.]/.test(next)) {
      parseNumberOption(next, argument as keyof typeof NUMBER_OPTIONS);
    }
  });
}

/** Ends a message from Node with one full stop: some of its messages already end with one, or span lines. */
function asSentence(message: string): string {
  const text = message.trim().replace(/\s*\n\s*/g, ' ');
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Builds the profile of `--provider KIND --base-url URL`. KIND is a provider kind or a preset,
 * looked up by own property, so "__proto__" or "toString" is an unknown kind like any other.
 */
export function adHocProfileInput(args: CliArguments, model: string | undefined): ProfileInput {
  const fixKinds = `Use --provider with one of: ${PROVIDER_KINDS.join(', ')}, or a preset: ${presetNames().join(', ')}.`;
  if (!args.provider) throw usageError('--base-url needs --provider.', 'Add --provider openai-compatible (or openai, gemini, azure-openai, or a preset such as ollama).');
  const preset = findPreset(args.provider);
  if (!preset && !isProviderKind(args.provider)) {
    const shown = args.provider.length > 40 ? `${args.provider.slice(0, 40)}…` : args.provider;
    throw usageError(`Unknown provider kind "${shown}" for --provider, expected one of: ${PROVIDER_KINDS.join(', ')}, or a preset: ${presetNames().join(', ')}.`, fixKinds);
  }
  return {
    name: 'cli',
    ...(preset ? { preset: args.provider } : { kind: args.provider }),
    baseUrl: args.baseUrl,
    model,
    apiVersion: args.apiVersion,
  };
}

export function usageError(message: string, fix = 'Run switchboard --help for the usage.'): SwitchboardError {
  return new SwitchboardError('config.invalid', message, { fix: [fix] });
}
