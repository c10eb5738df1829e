/** Ranks model ids by how close they are to a requested id, to suggest what the user meant. */

import { rankModels } from '../model-suggestions';

/**
 * Returns up to `limit` ids closest to `requested`, ranked as the engine ranks the models it
 * suggests for `model.not_found`, so the doctor and the error name the same models.
 */
export function closestModelIds(requested: string, ids: readonly string[], limit = 3): string[] {
  return rankModels(requested, ids).slice(0, limit);
}

/** True when a listed id names the requested model, allowing Ollama's implicit `:latest` tag and a `models/` prefix. */
export function isSameModel(requested: string, id: string): boolean {
  return normalize(requested) === normalize(id);
}

function normalize(id: string): string {
  return id.toLowerCase().replace(/^models\//, '').replace(/:latest$/, '');
}
