/**
 * Fix lines that name a VS Code command or setting, with the command line's flag or
 * environment variable beside it (see SurfaceFix in errors.ts).
 */

import type { SurfaceFix } from './errors';
import { KEY_VARIABLES } from './standalone-config';
import type { ProviderKind } from './types';

/**
 * Pages where keys are created, per provider kind, whatever the profile's base URL.
 * NOTE: a gateway in front of OpenAI or Gemini that issues keys of its own gets this page too.
 */
const API_KEY_PAGES: Partial<Record<ProviderKind, string>> = {
  openai: 'https://platform.openai.com/account/api-keys',
  gemini: 'https://aistudio.google.com/apikey',
};

/**
 * Returns the fix that stores a key for a profile. `purpose` ends the first sentence; by
 * default it is "a key", with the provider's key page where API_KEY_PAGES has one.
 * NOTE: the standalone server (`switchboard serve`) shows the editor wording too, so that
 * wording also names the variable the standalone server reads.
 */
export function setKeyFix(profile: { name: string; kind: ProviderKind }, purpose = withKeyPage('a key', profile.kind)): SurfaceFix {
  const variable = KEY_VARIABLES[profile.kind] ?? 'SWITCHBOARD_API_KEY';
  const specific = `SWITCHBOARD_API_KEY_${profile.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return {
    editor: `Run "Switchboard: Set API Key" for profile "${profile.name}" and paste ${purpose}. The standalone server reads ${variable} instead.`,
    cli: `Set ${variable} (or ${specific} for profile "${profile.name}" alone) to ${purpose}.`,
  };
}

/** Returns the fix for a rejected key: the provider's key page where there is one, else the host the key is for. */
export function replaceKeyFix(profile: { name: string; kind: ProviderKind; baseUrl: string }): SurfaceFix {
  const page = API_KEY_PAGES[profile.kind];
  return setKeyFix(profile, page ? `a valid key from ${page}` : `a valid key for ${new URL(profile.baseUrl).host}`);
}

function withKeyPage(key: string, kind: ProviderKind): string {
  const page = API_KEY_PAGES[kind];
  return page ? `${key} from ${page}` : key;
}

/** Returns the fix that chooses another model, with the Select Model command or with --model; `action` starts the sentence. */
export function selectModelFix(action: string): SurfaceFix {
  return { editor: `${action} with "Switchboard: Select Model".`, cli: `${action} with --model; switchboard models lists the models the server offers.` };
}

/** The fix that finds the cause of a connection failure step by step. */
export const DIAGNOSE_FIX: SurfaceFix = {
  editor: 'Run "Switchboard: Diagnose Connection" to find the cause.',
  cli: 'Run switchboard diagnose with the same profile to find the cause.',
};

/** The timeouts a user can raise, with the VS Code setting and the command-line flag that set each, in milliseconds. */
export const TIMEOUT_CONTROLS = {
  connect: { label: 'connect timeout', setting: 'switchboard.timeouts.connectMs', flag: '--connect-timeout-ms' },
  firstByte: { label: 'first-byte timeout', setting: 'switchboard.timeouts.firstByteMs', flag: '--first-byte-timeout-ms' },
  localFirstByte: { label: 'first-byte timeout for local servers', setting: 'switchboard.timeouts.localFirstByteMs', flag: '--first-byte-timeout-ms' },
  idle: { label: 'idle timeout', setting: 'switchboard.timeouts.idleMs', flag: '--idle-timeout-ms' },
  deadline: { label: 'deadline', setting: 'switchboard.timeouts.deadlineMs', flag: '--deadline-ms' },
} as const;

export type TimeoutControl = keyof typeof TIMEOUT_CONTROLS;

/**
 * Returns a fix line that names the setting or flag that raises a timeout. `lead` is an
 * optional first sentence, such as "Retry later.", and `reason` ends the second one, such as
 * "on slow networks".
 */
export function raiseTimeoutFix(timeout: TimeoutControl, lead = '', reason = ''): SurfaceFix {
  const { label, setting, flag } = TIMEOUT_CONTROLS[timeout];
  const first = lead ? `${lead} ` : '';
  const ending = reason ? ` ${reason}` : '';
  return {
    editor: `${first}Raise the ${label} in the ${setting} setting${ending}.`,
    cli: `${first}Raise the ${label} with ${flag}${ending}.`,
  };
}
