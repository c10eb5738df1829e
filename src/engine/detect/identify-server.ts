/**
 * Names the local model server behind an origin from its identifying endpoints and the shape of
 * their responses, never from the port alone. The endpoints and fields come from each server's
 * documentation and published example responses, and vLLM's `/version` from its API server source:
 *
 * - Ollama: `GET /api/version` returns `{"version"}` and `GET /api/tags` returns `{"models":[…]}`.
 * - LM Studio (0.3.6 and later): `GET /api/v0/models` returns `{"object":"list","data":[…]}`
 *   whose entries carry `state` ("loaded" or "not-loaded") and `type` ("llm", "vlm", "embeddings").
 * - llama.cpp server: `GET /props` returns `default_generation_settings`, `total_slots` and
 *   `build_info`; its `GET /v1/models` entries say `owned_by: "llamacpp"`.
 * - vLLM: its `GET /v1/models` entries say `owned_by: "vllm"` and carry `max_model_len`;
 *   `GET /version` returns `{"version"}`.
 */

import type { ModelInfo } from '../types';
import { bodyOf, isRecord, type Probe, type ProbeResult } from './probe';

export type LocalServerKind = 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm';

export interface Identified {
  server: LocalServerKind;
  version?: string;
  /** In the order the profile should prefer them: the first is the suggested model. */
  models: ModelInfo[];
}

export type Identification =
  | ({ outcome: 'identified' } & Identified)
  /** Nothing listens at the address: the connection was refused. */
  | { outcome: 'not_listening' }
  /** The connection opened but no response came before the deadline, or it broke. */
  | { outcome: 'no_response' }
  /** An HTTP server responded, but none of the identifying endpoints matched. */
  | { outcome: 'unrecognized'; status: number };

type Identifier = (probe: Probe, openAiModels: ProbeResult) => Promise<Identified | undefined>;

/**
 * Requests `/v1/models`, which all four servers serve, then checks the identifying endpoints.
 * An `owned_by` of llamacpp or vllm settles the kind at once. Otherwise LM Studio, llama.cpp
 * and Ollama are checked in parallel, and the first match in that order wins.
 */
export async function identifyServer(probe: Probe): Promise<Identification> {
  const openAiModels = await probe.get('/v1/models');
  if ('failure' in openAiModels) return { outcome: openAiModels.failure };

  const identifiers = identifiersFor(firstOwner(bodyOf(openAiModels)));
  const results = await Promise.all(identifiers.map((identify) => identify(probe, openAiModels)));
  const found = results.find((result) => result !== undefined);
  return found ? { outcome: 'identified', ...found } : { outcome: 'unrecognized', status: openAiModels.status };
}

function identifiersFor(owner: string | undefined): Identifier[] {
  if (owner === 'llamacpp') return [identifyLlamaCpp];
  if (owner === 'vllm') return [identifyVllm];
  return [identifyLmStudio, identifyLlamaCpp, identifyOllama];
}

async function identifyOllama(probe: Probe): Promise<Identified | undefined> {
  const [versionResult, tagsResult] = await Promise.all([probe.get('/api/version'), probe.get('/api/tags')]);
  const version = stringField(bodyOf(versionResult), 'version');
  const tags = bodyOf(tagsResult);
  if (version === undefined || !isRecord(tags) || !Array.isArray(tags.models)) return undefined;

  const models = tags.models.filter(isRecord).flatMap((entry) => {
    const id = stringField(entry, 'name') ?? stringField(entry, 'model');
    return id ? [{ model: { id, sizeBytes: numberField(entry, 'size') }, embedding: looksLikeOllamaEmbedding(id, entry) }] : [];
  });
  // Chat models first, so the suggested profile does not pick an embedding model.
  const ordered = [...models.filter((entry) => !entry.embedding), ...models.filter((entry) => entry.embedding)];
  return { server: 'ollama', version, models: ordered.map((entry) => entry.model) };
}

/**
 * NOTE: a guess. /api/tags does not say whether a model can chat, so models named "…embed…" or
 * of a BERT family (nomic-embed-text, mxbai-embed-large, all-minilm, bge-m3) count as embedding
 * models.
 */
function looksLikeOllamaEmbedding(id: string, entry: Record<string, unknown>): boolean {
  const details = isRecord(entry.details) ? entry.details : {};
  const families = [details.family, ...(Array.isArray(details.families) ? details.families : [])].filter((family): family is string => typeof family === 'string');
  return /embed/i.test(id) || families.some((family) => /bert/i.test(family));
}

async function identifyLmStudio(probe: Probe): Promise<Identified | undefined> {
  const body = bodyOf(await probe.get('/api/v0/models'));
  if (!isRecord(body) || body.object !== 'list' || !Array.isArray(body.data)) return undefined;
  const entries = body.data.filter(isRecord);
  if (entries.length !== body.data.length || !entries.every((entry) => typeof entry.id === 'string' && typeof entry.state === 'string')) return undefined;

  // Embedding models cannot chat. Loaded models come first, so the suggested profile does not
  // make LM Studio load another model on the first request.
  const chatModels = entries.filter((entry) => entry.type !== 'embeddings');
  const ordered = [...chatModels.filter((entry) => entry.state === 'loaded'), ...chatModels.filter((entry) => entry.state !== 'loaded')];
  const models = ordered.map((entry) => ({ id: entry.id as string, contextLength: numberField(entry, 'max_context_length') }));
  return { server: 'lmstudio', models };
}

async function identifyLlamaCpp(probe: Probe, openAiModels: ProbeResult): Promise<Identified | undefined> {
  const props = bodyOf(await probe.get('/props'));
  const propsMatch = isRecord(props) && (isRecord(props.default_generation_settings) || typeof props.total_slots === 'number');
  if (!propsMatch && firstOwner(bodyOf(openAiModels)) !== 'llamacpp') return undefined;

  const models = openAiModelEntries(bodyOf(openAiModels)).map((entry) => {
    const meta = isRecord(entry.meta) ? entry.meta : {};
    return { id: entry.id as string, sizeBytes: numberField(meta, 'size'), contextLength: numberField(meta, 'n_ctx') ?? numberField(meta, 'n_ctx_train') };
  });
  return { server: 'llamacpp', version: isRecord(props) ? stringField(props, 'build_info') : undefined, models };
}

/** NOTE: a vLLM started with --api-key responds to /v1/models with 401, so it is not detected. */
async function identifyVllm(probe: Probe, openAiModels: ProbeResult): Promise<Identified | undefined> {
  if (firstOwner(bodyOf(openAiModels)) !== 'vllm') return undefined;
  const version = stringField(bodyOf(await probe.get('/version')), 'version');
  const models = openAiModelEntries(bodyOf(openAiModels)).map((entry) => ({ id: entry.id as string, contextLength: numberField(entry, 'max_model_len') }));
  return { server: 'vllm', version, models };
}

/** Returns the entries of an OpenAI model list that have a string id. */
function openAiModelEntries(body: unknown): Record<string, unknown>[] {
  if (!isRecord(body) || !Array.isArray(body.data)) return [];
  return body.data.filter(isRecord).filter((entry) => typeof entry.id === 'string' && entry.id !== '');
}

function firstOwner(body: unknown): string | undefined {
  return stringField(openAiModelEntries(body)[0], 'owned_by');
}

function stringField(value: unknown, field: string): string | undefined {
  const text = isRecord(value) ? value[field] : undefined;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

function numberField(value: Record<string, unknown>, field: string): number | undefined {
  const number = value[field];
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}
