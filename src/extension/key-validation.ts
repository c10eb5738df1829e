/** Checks an API key typed into the input box, before it is stored or sent anywhere. */

import { isSwitchboardError } from '../engine/errors';
import { checkApiKey } from '../engine/keys';
import type { Profile } from '../engine/profiles';
import { l10n } from './l10n';

/**
 * Returns a message saying what is wrong with the key and how to fix it, or undefined when
 * the key looks usable. The message never contains the key.
 */
export function validateApiKeyInput(value: string, profile: Profile): string | undefined {
  if (value === '') return l10n.t('Paste the API key, or press Escape to cancel.');
  try {
    checkApiKey(value, profile);
    return undefined;
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    return [error.message, ...error.fix].join(' ');
  }
}

/** Returns the SecretStorage key under which a profile's API key is stored. */
export function secretKeyFor(profile: string): string {
  return `switchboard.apiKey.${profile}`;
}
