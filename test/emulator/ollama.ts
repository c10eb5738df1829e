/**
 * Ollama's native API: `GET /api/tags`, `GET /api/version`, and `POST /api/chat` and
 * `POST /api/generate`, which stream NDJSON unless the request sets `"stream": false`.
 * Ollama's OpenAI-compatible routes under /v1 are served by openai.ts.
 *
 * Ollama has no authentication of its own, so these routes ignore the emulator's apiKey.
 */

import { countWords, findModel, planAnswer, readTokenLimit, withTag, type AnswerPlan } from './answer';
import { messageTexts } from './openai';
import { isRecord, jsonReply, ndjsonLine, textReply, NDJSON_CONTENT_TYPE, type BodyPiece, type Reply, type Route, type RouteContext } from './reply';

export const OLLAMA_VERSION = '0.12.6';

/** Nominal time per generated token in the reported durations, in nanoseconds. */
const NANOSECONDS_PER_TOKEN = 20_000_000;

function ollamaError(status: number, message: string): Reply {
  return jsonReply(status, { error: message });
}

function modelFamily(model: string): string {
  return /^[a-z]+/i.exec(model)?.[0]?.toLowerCase() ?? 'unknown';
}

function handleTags(context: RouteContext): Reply {
  const models = context.settings.models.map((model, index) => ({
    name: withTag(model),
    model: withTag(model),
    modified_at: '2025-10-03T23:34:03.409490317-07:00',
    // Made-up but stable sizes, in bytes, so each model differs from the next.
    size: 2_019_393_189 + index * 1_000_000,
    digest: Buffer.from(withTag(model)).toString('hex').padEnd(64, '0').slice(0, 64),
    details: {
      parent_model: '',
      format: 'gguf',
      family: modelFamily(model),
      families: [modelFamily(model)],
      parameter_size: '3.2B',
      quantization_level: 'Q4_K_M',
    },
  }));
  return jsonReply(200, { models });
}

interface OllamaRequest {
  model: string;
  stream: boolean;
  think: boolean;
  promptTokens: number;
  maxTokens?: number;
}

/** Validates a chat or generate body; `texts` extracts the prompt text from it. */
function parseOllamaRequest(context: RouteContext, texts: (body: Record<string, unknown>) => string[]): OllamaRequest | Reply {
  const body = context.json;
  if (!isRecord(body)) {
    return ollamaError(400, 'invalid JSON in request body');
  }
  if (typeof body['model'] !== 'string' || body['model'] === '') {
    return ollamaError(400, 'model is required');
  }

  const model = findModel(body['model'], context.settings.models);
  if (!model) {
    return ollamaError(404, `model "${body['model']}" not found, try pulling it first`);
  }
  const options = isRecord(body['options']) ? body['options'] : {};
  return {
    model: body['model'],
    stream: body['stream'] !== false,
    think: body['think'] !== false,
    promptTokens: countWords(texts(body)),
    maxTokens: readTokenLimit(options['num_predict']),
  };
}

/** The statistics that the last object of an answer carries. Durations are in nanoseconds. */
function finalFields(request: OllamaRequest, plan: AnswerPlan, doneReason: string): Record<string, unknown> {
  const evalCount = plan.reasoningTokens.length + plan.answerTokens.length;
  const promptEvalDuration = request.promptTokens * 1_000_000;
  const evalDuration = evalCount * NANOSECONDS_PER_TOKEN;
  const loadDuration = 50_000_000;
  return {
    done: true,
    done_reason: doneReason,
    total_duration: loadDuration + promptEvalDuration + evalDuration,
    load_duration: loadDuration,
    prompt_eval_count: request.promptTokens,
    prompt_eval_duration: promptEvalDuration,
    eval_count: evalCount,
    eval_duration: evalDuration,
  };
}

/** How /api/chat and /api/generate differ: where the prompt is, and where the output goes. */
interface OllamaEndpoint {
  texts(body: Record<string, unknown>): string[];
  output(content: string, thinking?: string): Record<string, unknown>;
}

const CHAT_ENDPOINT: OllamaEndpoint = {
  texts: (body) => messageTexts(Array.isArray(body['messages']) ? body['messages'] : []),
  output: (content, thinking) => ({ message: { role: 'assistant', content, ...(thinking !== undefined ? { thinking } : {}) } }),
};

const GENERATE_ENDPOINT: OllamaEndpoint = {
  texts: (body) => [body['system'], body['prompt']].filter((text): text is string => typeof text === 'string'),
  output: (content, thinking) => ({ response: content, ...(thinking !== undefined ? { thinking } : {}) }),
};

function answerReply(context: RouteContext, endpoint: OllamaEndpoint): Reply {
  const request = parseOllamaRequest(context, endpoint.texts);
  if ('status' in request) {
    return request;
  }

  const settings = context.settings;
  const plan = planAnswer({ answer: settings.answer, reasoning: request.think ? settings.reasoning : undefined, maxTokens: request.maxTokens });
  const doneReason = settings.finishReason ?? (plan.truncated ? 'length' : 'stop');
  const head = () => ({ model: request.model, created_at: new Date().toISOString() });

  if (!request.stream) {
    const thinking = plan.reasoningTokens.length > 0 ? plan.reasoningTokens.join('') : undefined;
    const reply = jsonReply(200, { ...head(), ...endpoint.output(plan.answerTokens.join(''), thinking), ...finalFields(request, plan, doneReason) });
    reply.generatedTokens = plan.reasoningTokens.length + plan.answerTokens.length;
    return reply;
  }

  const pieces: BodyPiece[] = [];
  for (const token of plan.reasoningTokens) {
    pieces.push({ data: ndjsonLine({ ...head(), ...endpoint.output('', token), done: false }), token: true });
  }
  for (const token of plan.answerTokens) {
    pieces.push({ data: ndjsonLine({ ...head(), ...endpoint.output(token), done: false }), token: true });
  }
  pieces.push({ data: ndjsonLine({ ...head(), ...endpoint.output(''), ...finalFields(request, plan, doneReason) }) });
  return { status: 200, headers: { 'content-type': NDJSON_CONTENT_TYPE }, pieces, stream: true };
}

export const ollamaRoutes: Route[] = [
  // Ollama returns this text at its root path, and clients use it to detect a running server.
  { method: 'GET', pattern: /^\/$/, handle: () => textReply(200, 'Ollama is running') },
  { method: 'GET', pattern: /^\/api\/version$/, handle: () => jsonReply(200, { version: OLLAMA_VERSION }) },
  { method: 'GET', pattern: /^\/api\/tags$/, handle: handleTags },
  { method: 'POST', pattern: /^\/api\/chat$/, handle: (context) => answerReply(context, CHAT_ENDPOINT) },
  { method: 'POST', pattern: /^\/api\/generate$/, handle: (context) => answerReply(context, GENERATE_ENDPOINT) },
];
