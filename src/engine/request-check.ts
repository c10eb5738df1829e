/**
 * Checks a chat request's fields before anything is sent, so a malformed request from an
 * editor or a script fails with `request.invalid` naming the field instead of reaching the
 * provider or throwing inside the engine.
 */

import { SwitchboardError } from './errors';
import type { ChatRequest } from './types';

const ROLES = new Set(['system', 'user', 'assistant']);

/**
 * A sanity bound on stop sequences; each provider applies its own, lower limit (OpenAI accepts
 * up to 4, per the openai SDK 6.30 types), and its rejection is mapped like any other.
 */
const MAX_STOP_SEQUENCES = 16;

/** Returns what is wrong with the request, or undefined when every field is valid. */
export function describeRequestProblem(request: ChatRequest): string | undefined {
  if (typeof request !== 'object' || request === null) return 'The request must be an object with a profile and messages.';
  if (!Array.isArray(request.messages) || request.messages.length === 0) return 'The request has no messages.';
  for (const [index, message] of request.messages.entries()) {
    const problem = describeMessageProblem(message, index);
    if (problem) return problem;
  }
  if (request.model !== undefined && (typeof request.model !== 'string' || request.model.trim() === '')) return 'The field model must be a non-empty string.';
  if (request.temperature !== undefined && !(typeof request.temperature === 'number' && request.temperature >= 0 && request.temperature <= 2)) {
    return `The field temperature is ${JSON.stringify(request.temperature)}; it must be a number from 0 to 2.`;
  }
  if (request.maxOutputTokens !== undefined && !(Number.isInteger(request.maxOutputTokens) && request.maxOutputTokens >= 1)) {
    return `The field maxOutputTokens is ${JSON.stringify(request.maxOutputTokens)}; it must be a whole number of at least 1.`;
  }
  if (request.stop !== undefined && !(Array.isArray(request.stop) && request.stop.length <= MAX_STOP_SEQUENCES && request.stop.every((item) => typeof item === 'string' && item !== ''))) {
    return `The field stop must be a list of at most ${MAX_STOP_SEQUENCES} non-empty strings.`;
  }
  return undefined;
}

/** Throws `request.invalid` naming the first invalid field. */
export function checkChatRequest(request: ChatRequest): void {
  const problem = describeRequestProblem(request);
  if (problem) throw new SwitchboardError('request.invalid', problem, { fix: ['Correct the field and send the request again.'] });
}

function describeMessageProblem(message: unknown, index: number): string | undefined {
  if (typeof message !== 'object' || message === null) return `Message ${index} must be an object with a role and content.`;
  const { role, content } = message as { role?: unknown; content?: unknown };
  if (typeof role !== 'string' || !ROLES.has(role)) return `Message ${index} has the role ${JSON.stringify(role)}; use system, user or assistant.`;
  if (typeof content !== 'string') return `Message ${index} has content of type ${content === null ? 'null' : typeof content}; it must be a string.`;
  return undefined;
}
