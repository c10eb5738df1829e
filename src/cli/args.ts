/** Command-line arguments of `switchboard`, checked into one typed object. */

import { parseArgs } from 'node:util';

import { DEFAULT_DETECT_PORTS } from '../engine/detect/detect-local-servers';
import { SwitchboardError } from '../engine/errors';
import { PRESETS } from '../engine/profiles';
import { PROVIDER_KINDS } from '../engine/types';

export const USAGE = `Usage:
  switchboard chat [--profile NAME | --provider KIND --base-url URL --model ID [--api-version V]]
                   [--system TEXT] [--max-tokens N] [--temperature T] [--no-stream] [--json] PROMPT|-
  switchboard models [--profile NAME | --provider KIND --base-url URL] [--json]
  switchboard detect [--json]
  switchboard diagnose [--profile NAME | --provider KIND --base-url URL --model ID] [--skip-completion] [--json]
  switchboard serve --stdio [--profiles FILE]
  switchboard --help | --version

KIND is one of ${PROVIDER_KINDS.join(', ')}, or a preset: ${Object.keys(PRESETS).join(', ')}.
Profiles come from the JSON file named by --profiles FILE or SWITCHBOARD_PROFILES
(an array of profiles such as [{"name": "local", "preset": "ollama", "model": "llama3.2"}]).
Keys come from OPENAI_API_KEY, GEMINI_API_KEY, AZURE_OPENAI_API_KEY or SWITCHBOARD_API_KEY.
A PROMPT of "-" is read from standard input.
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
  /** diagnose: skip the one-token and streaming requests. */
  skipCompletion?: boolean;
  prompt?: string;
}

export function parseCliArguments(argv: string[]): CliArguments {
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
    throw usageError(`${(error as Error).message}.`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { command: 'help', stream: true, json: false, stdio: false };
  if (values.version) return { command: 'version', stream: true, json: false, stdio: false };
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
    maxTokens: parseNumber(values['max-tokens'], '--max-tokens', true, 1, 1_000_000),
    temperature: parseNumber(values.temperature, '--temperature', false, 0, 2),
    stream: !values['no-stream'],
    json: values.json,
    stdio: values.stdio,
    skipCompletion: values['skip-completion'],
    prompt: rest[0],
  };
}

function parseNumber(value: string | undefined, name: string, integer: boolean, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || (integer && !Number.isInteger(number)) || number < min || number > max) {
    throw usageError(`${name} is "${value}"; it must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
  }
  return number;
}

export function usageError(message: string, fix = 'Run switchboard --help for the usage.'): SwitchboardError {
  return new SwitchboardError('config.invalid', message, { fix: [fix] });
}
