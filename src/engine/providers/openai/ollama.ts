/** Ollama's native endpoints, used only where the OpenAI-compatible API lacks something. */

import type { Profile } from '../../profiles';
import { MAX_COMPLETE_BODY_BYTES, readTextUpTo, tooLarge } from '../../streams/limits';
import type { ModelInfo } from '../../types';
import type { AdapterContext } from '../adapter';

interface OllamaTags {
  models?: { name?: string; model?: string; size?: number }[];
}

/** Lists models with their sizes from `/api/tags`; returns undefined when the server is not Ollama. */
export async function listOllamaModels(profile: Profile, context: AdapterContext): Promise<ModelInfo[] | undefined> {
  const response = await context.fetch(`${nativeRoot(profile)}/api/tags`, { signal: context.signal });
  if (!response.ok) return undefined;
  const body = (await readJsonUpTo(response)) as OllamaTags;
  if (!Array.isArray(body.models)) return undefined;
  return body.models
    .map((model) => ({ id: model.name ?? model.model ?? '', sizeBytes: model.size }))
    .filter((model) => model.id !== '')
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Reads the server version from `/api/version`. */
export async function readOllamaVersion(profile: Profile, context: AdapterContext): Promise<string | undefined> {
  const response = await context.fetch(`${nativeRoot(profile)}/api/version`, { signal: context.signal });
  if (!response.ok) return undefined;
  const body = (await readJsonUpTo(response)) as { version?: unknown };
  return typeof body.version === 'string' ? body.version : undefined;
}

/** Reads a JSON body up to MAX_COMPLETE_BODY_BYTES; a longer one raises `stream.malformed`, like the OpenAI adapter's responses. */
async function readJsonUpTo(response: Response): Promise<unknown> {
  const { text, truncated } = await readTextUpTo(response, MAX_COMPLETE_BODY_BYTES);
  if (truncated) throw tooLarge('a model list', MAX_COMPLETE_BODY_BYTES, 'bytes');
  return JSON.parse(text) as unknown;
}

/** The native API lives at the server's root, beside the `/v1` compatible API. */
function nativeRoot(profile: Profile): string {
  return profile.baseUrl.replace(/\/v1$/, '');
}
