/** What each OpenAI-style server and model accepts, where it differs. */

import type { Profile } from '../../profiles';

/**
 * OpenAI's reasoning models (o1, o3, o4 and gpt-5 families) reject `max_tokens` and require
 * `max_completion_tokens`; OpenAI-compatible servers mostly know only `max_tokens`.
 */
export function maxTokensField(profile: Profile, model: string): 'max_tokens' | 'max_completion_tokens' {
  if (profile.kind === 'openai-compatible') return 'max_tokens';
  return /^(o\d|gpt-5)/i.test(model) ? 'max_completion_tokens' : 'max_tokens';
}

/** Reasoning models of OpenAI accept only the default temperature. */
export function acceptsTemperature(profile: Profile, model: string): boolean {
  return profile.kind === 'openai-compatible' || !/^(o\d|gpt-5)/i.test(model);
}
