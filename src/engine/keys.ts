/** Checks of API keys before they are used, so a pasted mistake is caught before any request. */

import { SwitchboardError } from './errors';
import type { Profile } from './profiles';

/**
 * Returns the key as it should be sent, or throws `config.invalid` naming what is wrong with it.
 * The key itself never appears in the message.
 */
export function checkApiKey(key: string, profile: Profile): string {
  const label = `The API key of profile "${profile.name}"`;
  if (/^\s|\s$/.test(key)) {
    throw keyError(`${label} starts or ends with white space.`, 'Set the key again without the spaces or line break around it.');
  }
  if (/\s/.test(key)) {
    throw keyError(`${label} contains white space.`, 'Paste only the key itself, one word with no spaces.');
  }
  // HTTP header values are byte strings, and fetch rejects control characters in them.
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw keyError(`${label} contains a control character.`, 'Copy the key again from the provider\'s console and paste only the key.');
  }
  if (/[^\u0000-\u00ff]/.test(key)) {
    throw keyError(`${label} contains a character outside Latin-1, which cannot be sent in an HTTP header.`, 'Copy the key again from the provider\'s console; keys use only ASCII letters, digits and symbols.');
  }
  if (/^["'`].*["'`]$/.test(key) || /^["'`]|["'`]$/.test(key)) {
    throw keyError(`${label} is wrapped in quotes.`, 'Set the key again without the quotes.');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(key) || key.includes('://')) {
    throw keyError(`${label} looks like a URL, not a key.`, 'Put the URL in the profile\'s base URL and the key from the provider\'s console here.');
  }
  if (/^bearer$/i.test(key) || /^bearer\b/i.test(key)) {
    throw keyError(`${label} starts with "Bearer".`, 'Set only the key; Switchboard adds the "Bearer" prefix itself.');
  }
  if (key.length < 8 && profile.kind !== 'openai-compatible') {
    throw keyError(`${label} is only ${key.length} characters long, too short to be a key.`, 'Copy the whole key from the provider\'s console.');
  }
  const host = safeHost(profile.baseUrl);
  if (key.startsWith('sk-or-') && host === 'api.openai.com') {
    throw keyError(`${label} is an OpenRouter key, but the profile sends it to api.openai.com.`, 'Set the base URL to https://openrouter.ai/api/v1, or use an OpenAI key.');
  }
  if (key.startsWith('AIza') && profile.kind !== 'gemini' && !host.endsWith('googleapis.com')) {
    throw keyError(`${label} looks like a Google API key, but the profile is of kind ${profile.kind}.`, 'Use this key in a Gemini profile, or set the key of this provider.');
  }
  if (/^sk-/.test(key) && profile.kind === 'gemini') {
    throw keyError(`${label} looks like an OpenAI-style key, but the profile is a Gemini profile.`, 'Create a Gemini key in Google AI Studio, or change the profile\'s kind.');
  }
  return key;
}

/** Whether a profile can send requests without any key, as local servers usually can. */
export function isKeyOptional(profile: Profile): boolean {
  if (profile.kind !== 'openai-compatible') return false;
  if (profile.server === 'openrouter') return false;
  return safeHost(profile.baseUrl) !== 'api.openai.com';
}

function keyError(message: string, fix: string): SwitchboardError {
  return new SwitchboardError('config.invalid', message, { fix: [fix], actions: ['setApiKey'] });
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
