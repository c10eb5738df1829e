/**
 * Suggestions for `model.not_found`: the engine lists the server's models once and names the
 * ones closest to the requested model, so the user can pick a model that exists.
 */

import { selectModelFix } from './fix-text';
import type { SwitchboardError } from './errors';
import type { Logger, ModelInfo } from './types';

/** Models named in the message, at most. */
export const MAX_SUGGESTIONS = 5;

/**
 * Milliseconds the model list may take. The request's deadline still applies, and the error
 * goes out without suggestions when the list takes longer, because the user waits for it.
 */
export const MODEL_LIST_TIMEOUT_MS = 5_000;

/**
 * Returns `error` with the closest available models in its message, fix and `suggestedModels`
 * when it is `model.not_found`. Returns `error` unchanged for other codes and whenever the
 * list call fails, so a failed suggestion never replaces the original error.
 */
export interface SuggestionSource {
  /** Lists the server's models; called at most once. */
  listModels: (signal: AbortSignal) => Promise<ModelInfo[]>;
  /** The model the request named. */
  requested: string;
  /** The request's signal, which carries its deadline. */
  signal: AbortSignal;
  logger: Logger;
  requestId: string;
}

export async function addModelSuggestions(error: SwitchboardError, source: SuggestionSource): Promise<SwitchboardError> {
  if (error.code !== 'model.not_found') return error;
  let available: string[];
  try {
    const models = await source.listModels(AbortSignal.any([source.signal, AbortSignal.timeout(MODEL_LIST_TIMEOUT_MS)]));
    available = models.map((model) => model.id);
  } catch (listError) {
    source.logger.debug(`[${source.requestId}] could not list models to suggest one: ${(listError as Error)?.message ?? String(listError)}`);
    return error;
  }

  const closest = rankModels(source.requested, available).slice(0, MAX_SUGGESTIONS);
  if (closest.length === 0) {
    return error.withChanges(`${error.message} The server lists no models.`, { suggestedModels: [] });
  }
  const more = available.length - closest.length;
  const list = `${closest.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
  return error.withChanges(`${error.message} Available: ${list}.`, {
    suggestedModels: closest,
    fix: [selectModelFix(`Set the model to one the server offers, such as "${closest[0]}",`), ...error.fixLines],
  });
}

/**
 * Orders model ids by closeness to `requested`: the longest shared prefix first, then the
 * smallest edit distance, then by name. The requested id itself and duplicates are left out.
 */
export function rankModels(requested: string, available: readonly string[]): string[] {
  const target = normalize(requested);
  const unique = [...new Set(available)].filter((id) => normalize(id) !== target);
  const scored = unique.map((id) => ({ id, prefix: sharedPrefix(target, normalize(id)), distance: editDistance(target, normalize(id)) }));
  scored.sort((a, b) => b.prefix - a.prefix || a.distance - b.distance || a.id.localeCompare(b.id));
  return scored.map((entry) => entry.id);
}

/** Ignores Gemini's `models/` prefix, Ollama's implicit `:latest` tag and letter case. */
function normalize(id: string): string {
  return id.replace(/^models\//, '').replace(/:latest$/, '').toLowerCase();
}

function sharedPrefix(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

/** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
