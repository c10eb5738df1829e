/** What each OpenAI-style server and model accepts, where it differs. */

import type { Profile } from '../../profiles';
import type { AdapterRequest } from '../adapter';

/** OpenAI's reasoning models: the o1, o3 and o4 families and gpt-5. */
const REASONING_MODEL = /^(o\d|gpt-5)/i;

/**
 * Returns the field name of the output limit. OpenAI's reasoning models reject `max_tokens`
 * and require `max_completion_tokens`; OpenAI-compatible servers mostly know only `max_tokens`.
 * A name learned from a server's rejection wins over both guesses.
 */
export function maxTokensField(profile: Profile, request: AdapterRequest): 'max_tokens' | 'max_completion_tokens' {
  const learned = request.capabilities?.maxTokensField;
  if (learned) return learned;
  if (profile.kind === 'openai-compatible') return 'max_tokens';
  return REASONING_MODEL.test(request.model) ? 'max_completion_tokens' : 'max_tokens';
}

/** Checks whether a temperature may be sent: OpenAI's reasoning models accept only the default. */
export function acceptsTemperature(profile: Profile, request: AdapterRequest): boolean {
  if (request.capabilities?.omitTemperature) return false;
  return profile.kind === 'openai-compatible' || !REASONING_MODEL.test(request.model);
}

/** Checks whether system messages may be sent as such, or must go into the first user message. */
export function acceptsSystemMessages(request: AdapterRequest): boolean {
  return !request.capabilities?.foldSystemMessages;
}
