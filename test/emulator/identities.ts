/**
 * The endpoints that tell local model servers apart, for `EmulatorOptions.identity`. Each
 * identity keeps the OpenAI-compatible routes and adds the server's own identifying routes:
 *
 * - LM Studio: `GET /api/v0/models` (its REST API v0, LM Studio 0.3.6 and later), and
 *   `owned_by: "organization_owner"` in `GET /v1/models`.
 * - llama.cpp server: `GET /props`, `GET /health`, and `owned_by: "llamacpp"` with a `meta`
 *   object in `GET /v1/models`.
 * - vLLM: `GET /version`, `GET /health` (an empty 200), and `owned_by: "vllm"` with `root` and
 *   `max_model_len` in `GET /v1/models`.
 *
 * Ollama's native routes (ollama.ts) are served only without an identity or with 'ollama', so a
 * vLLM emulator does not also answer like Ollama.
 */

import { checkBearerKey } from './openai';
import { jsonReply, textReply, type Reply, type Route, type RouteContext } from './reply';

export type EmulatorIdentity = 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm';

export const LLAMACPP_BUILD_INFO = 'b6700-emulator';
export const VLLM_VERSION = '0.11.0';

/** Context length every identity reports for each model, in tokens. */
const CONTEXT_LENGTH = 8192;

/** A fixed creation time for listed models, so lists compare equal across runs. */
const MODEL_CREATED = 1_715_367_049;

/** Made-up but stable sizes, in bytes, so each model differs from the next. */
function modelSize(index: number): number {
  return 2_019_393_189 + index * 1_000_000;
}

function openAiModelList(context: RouteContext, entry: (id: string, index: number) => Record<string, unknown>): Reply {
  return checkBearerKey(context) ?? jsonReply(200, { object: 'list', data: context.settings.models.map(entry) });
}

/** LM Studio lists every downloaded model with its state; the first one is loaded here. */
function lmStudioNativeModels(context: RouteContext): Reply {
  const data = context.settings.models.map((id, index) => ({
    id,
    object: 'model',
    type: 'llm',
    publisher: 'lmstudio-community',
    arch: 'llama',
    compatibility_type: 'gguf',
    quantization: 'Q4_K_M',
    state: index === 0 ? 'loaded' : 'not-loaded',
    max_context_length: CONTEXT_LENGTH,
  }));
  return jsonReply(200, { object: 'list', data });
}

function llamaCppProps(context: RouteContext): Reply {
  const model = context.settings.models[0] ?? 'model';
  return jsonReply(200, {
    default_generation_settings: { n_ctx: CONTEXT_LENGTH, params: { temperature: 0.8, top_k: 40, top_p: 0.95 } },
    total_slots: 1,
    model_alias: model,
    model_path: `/models/${model}.gguf`,
    modalities: { vision: false, audio: false },
    build_info: LLAMACPP_BUILD_INFO,
  });
}

const LMSTUDIO_ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/api\/v0\/models$/, handle: lmStudioNativeModels },
  {
    method: 'GET',
    pattern: /^\/v1\/models$/,
    handle: (context) => openAiModelList(context, (id) => ({ id, object: 'model', owned_by: 'organization_owner' })),
  },
];

const LLAMACPP_ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/props$/, handle: llamaCppProps },
  { method: 'GET', pattern: /^\/health$/, handle: () => jsonReply(200, { status: 'ok' }) },
  {
    method: 'GET',
    pattern: /^\/v1\/models$/,
    handle: (context) =>
      openAiModelList(context, (id, index) => ({
        id,
        object: 'model',
        created: MODEL_CREATED,
        owned_by: 'llamacpp',
        meta: { vocab_type: 2, n_vocab: 128256, n_ctx_train: 131072, n_embd: 3072, n_params: 3_212_749_888, size: modelSize(index) },
      })),
  },
];

const VLLM_ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/version$/, handle: () => jsonReply(200, { version: VLLM_VERSION }) },
  { method: 'GET', pattern: /^\/health$/, handle: () => textReply(200, '') },
  {
    method: 'GET',
    pattern: /^\/v1\/models$/,
    handle: (context) =>
      openAiModelList(context, (id) => ({
        id,
        object: 'model',
        created: MODEL_CREATED,
        owned_by: 'vllm',
        root: id,
        parent: null,
        max_model_len: CONTEXT_LENGTH,
      })),
  },
];

/** The routes each identity puts in front of the OpenAI-compatible ones; Ollama's need none. */
export const IDENTITY_ROUTES: Readonly<Record<Exclude<EmulatorIdentity, 'ollama'>, readonly Route[]>> = {
  lmstudio: LMSTUDIO_ROUTES,
  llamacpp: LLAMACPP_ROUTES,
  vllm: VLLM_ROUTES,
};

export const EMULATOR_IDENTITIES: readonly EmulatorIdentity[] = ['ollama', 'lmstudio', 'llamacpp', 'vllm'];
