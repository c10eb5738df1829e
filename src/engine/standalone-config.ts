/**
 * Profiles and keys for the command line and the standalone server, which have no VS Code
 * settings or SecretStorage: profiles come from a JSON file or the editor's
 * initializationOptions, keys from environment variables only.
 */

import { readFileSync } from 'node:fs';

import { SwitchboardError } from './errors';
import { findDuplicateName, findPreset, parseProfile, quoteValue, type ProfileInput } from './profiles';

export interface StandaloneConfiguration {
  profiles: ProfileInput[];
  /** Profile name → API key, read from the environment. */
  keys: Map<string, string>;
  /** Where the profiles came from, for log lines. */
  source: string;
}

/**
 * Environment variables holding keys, per provider kind; SWITCHBOARD_API_KEY applies to every
 * kind. Without a prototype, so a kind such as "constructor" from a profile file finds nothing.
 */
export const KEY_VARIABLES: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    openai: 'OPENAI_API_KEY',
    gemini: 'GEMINI_API_KEY',
    'azure-openai': 'AZURE_OPENAI_API_KEY',
    'openai-compatible': 'SWITCHBOARD_API_KEY',
  }),
);

/**
 * Reads profiles from, in order: `initializationOptions.profiles`, the file named by
 * `--profiles FILE` or SWITCHBOARD_PROFILES, or a default set built from the keys present.
 */
export function loadStandaloneConfiguration(initializationOptions: unknown, env: NodeJS.ProcessEnv, argv: string[]): StandaloneConfiguration {
  const fromOptions = (initializationOptions as { profiles?: unknown } | undefined)?.profiles;
  let profiles: ProfileInput[];
  let source: string;
  const file = profilesArgument(argv) ?? env.SWITCHBOARD_PROFILES;
  if (fromOptions !== undefined) {
    profiles = checkProfileList(fromOptions, 'initializationOptions.profiles');
    source = 'initializationOptions';
  } else if (file) {
    profiles = readProfilesFile(file);
    source = file;
  } else {
    profiles = defaultProfiles(env);
    source = 'the built-in defaults';
  }
  return { profiles, keys: keysFromEnvironment(profiles, env), source };
}

/**
 * Returns the file named by `--profiles FILE` or `--profiles=FILE`. A `--profiles` with no file
 * raises `config.invalid`, so the caller reports it instead of loading the defaults.
 */
function profilesArgument(argv: readonly string[]): string | undefined {
  for (const [index, argument] of argv.entries()) {
    let file: string | undefined;
    if (argument.startsWith('--profiles=')) file = argument.slice('--profiles='.length);
    else if (argument === '--profiles') file = argv[index + 1];
    else continue;
    if (!file) throw new SwitchboardError('config.invalid', 'The --profiles option has no file name.', { fix: ['Pass the path of a profiles file, as in --profiles FILE or --profiles=FILE.'] });
    return file;
  }
  return undefined;
}

/** Reads a profiles file: either an array of profiles or an object with a `profiles` array. */
export function readProfilesFile(file: string): ProfileInput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SwitchboardError('config.invalid', `The profiles file ${file} could not be read: ${(error as Error).message}`, {
      fix: ['Check the path given to --profiles or SWITCHBOARD_PROFILES.'],
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SwitchboardError('config.invalid', `The profiles file ${file} is not valid JSON: ${(error as Error).message}`, {
      fix: ['Fix the JSON syntax; the file holds an array of profiles such as [{"name": "local", "preset": "ollama", "model": "llama3.2"}].'],
    });
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { profiles?: unknown })?.profiles;
  return checkProfileList(list, file);
}

function checkProfileList(value: unknown, where: string): ProfileInput[] {
  const example = 'Write the profiles as [{"name": "local", "preset": "ollama", "model": "llama3.2"}].';
  if (!Array.isArray(value)) {
    throw new SwitchboardError('config.invalid', `${where} must be an array of profile objects, or an object with a "profiles" array, but it is ${quoteValue(value)}.`, { fix: [example] });
  }
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new SwitchboardError('config.invalid', `Profile ${index} in ${where} is ${quoteValue(item)}, not a profile object.`, { fix: [example] });
    }
    if (Object.hasOwn(item, 'apiKey') || Object.hasOwn(item, 'key')) {
      throw new SwitchboardError('config.invalid', `Profile ${index} in ${where} contains an API key; keys are read only from environment variables.`, {
        fix: ['Remove the key from the file and set OPENAI_API_KEY, GEMINI_API_KEY, AZURE_OPENAI_API_KEY or SWITCHBOARD_API_KEY instead.'],
      });
    }
  });
  return value as ProfileInput[];
}

/**
 * Checks every profile as the engine will, naming the source and the field, such as
 * `profiles.json[1].baseUrl`, and rejects two profiles with the same name. Throws `config.*`.
 */
export function checkStandaloneProfiles(configuration: StandaloneConfiguration): void {
  configuration.profiles.forEach((input, index) => parseProfile(input, `${configuration.source}[${index}]`));
  const duplicate = findDuplicateName(configuration.profiles);
  if (duplicate !== undefined) {
    throw new SwitchboardError('config.invalid', `Two profiles in ${configuration.source} are named ${quoteValue(duplicate)}.`, { fix: ['Give each profile its own name.'] });
  }
}

/** One profile per provider with a key in the environment, plus a local Ollama profile. */
function defaultProfiles(env: NodeJS.ProcessEnv): ProfileInput[] {
  const profiles: ProfileInput[] = [];
  if (env.OPENAI_API_KEY) profiles.push({ name: 'openai', kind: 'openai', model: 'gpt-4o-mini' });
  if (env.GEMINI_API_KEY) profiles.push({ name: 'gemini', kind: 'gemini', model: 'gemini-2.5-flash' });
  profiles.push({ name: 'ollama', preset: 'ollama', model: 'llama3.2' });
  return profiles;
}

/**
 * Picks each profile's key: SWITCHBOARD_API_KEY_<NAME> (name upper-cased, non-alphanumerics as
 * `_`) first, then the variable of its kind, then SWITCHBOARD_API_KEY.
 */
export function keysFromEnvironment(profiles: ProfileInput[], env: NodeJS.ProcessEnv): Map<string, string> {
  const keys = new Map<string, string>();
  for (const profile of profiles) {
    const name = String(profile.name ?? '').trim();
    const kind = String(profile.kind ?? findPreset(profile.preset)?.kind ?? 'openai-compatible');
    const specific = env[`SWITCHBOARD_API_KEY_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`];
    const key = specific || env[KEY_VARIABLES[kind] ?? ''] || env.SWITCHBOARD_API_KEY;
    if (key) keys.set(name, key);
  }
  return keys;
}
