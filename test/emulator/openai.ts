/**
 * OpenAI Chat Completions wire format (also served by Ollama, LM Studio, vLLM and other
 * OpenAI-compatible servers under /v1): chat completions, streamed as SSE or whole, and the
 * models list. The completion builders are shared with the Azure OpenAI routes.
 */

import { countWords, findModel, planAnswer, randomHex, randomId, readTokenLimit, unixSeconds, type AnswerPlan } from './answer';
import {
  headerValue,
  isRecord,
  jsonReply,
  sseEvent,
  SSE_CONTENT_TYPE,
  type BodyPiece,
  type Reply,
  type Route,
  type RouteContext,
} from './reply';

/** A fixed creation time for listed models, so lists compare equal across runs. */
const MODEL_CREATED = 1_715_367_049;

export interface ChatRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens?: number;
  promptTokens: number;
}

/** What Azure OpenAI adds to the OpenAI bodies. */
export interface ChatDialect {
  /** Chunks streamed before the first choice chunk. */
  leadingChunks: object[];
  /** Fields added to the completion object. */
  completionFields: Record<string, unknown>;
  /** Fields added to each choice of the completion object. */
  choiceFields: Record<string, unknown>;
}

const OPENAI_DIALECT: ChatDialect = { leadingChunks: [], completionFields: {}, choiceFields: {} };

/** Builds OpenAI's error body: `{"error":{"message","type","param","code"}}`. */
export function openAiError(
  status: number,
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): Reply {
  return jsonReply(status, { error: { message, type, param, code } });
}

/** Masks a key the way OpenAI's invalid_api_key message does: a few characters at each end. */
function maskKey(key: string): string {
  if (key.length < 8) {
    return '*'.repeat(key.length);
  }
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

/** Returns OpenAI's 401 body when the request lacks the configured key or sends another one. */
export function checkBearerKey(context: RouteContext): Reply | undefined {
  const expected = context.settings.apiKey;
  if (!expected) {
    return undefined;
  }

  const authorization = headerValue(context.headers, 'authorization') ?? '';
  const key = /^Bearer\s+(.*)$/i.exec(authorization)?.[1]?.trim() ?? '';
  if (key === '') {
    return openAiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
      'invalid_request_error',
    );
  }
  if (key !== expected) {
    return openAiError(
      401,
      `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      null,
      'invalid_api_key',
    );
  }
  return undefined;
}

/** Collects the text of chat messages whose content is a string or an array of text parts. */
export function messageTexts(messages: unknown[]): string[] {
  const texts: string[] = [];
  for (const message of messages) {
    if (!isRecord(message)) {
      continue;
    }
    const content = message['content'];
    if (typeof content === 'string') {
      texts.push(content);
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (isRecord(part) && typeof part['text'] === 'string') {
          texts.push(part['text']);
        }
      }
    }
  }
  return texts;
}

/**
 * Validates a chat request body the way OpenAI does and returns its relevant fields, or the
 * error reply. `model` is the deployment name on Azure, where the body's model is ignored.
 */
export function parseChatRequest(context: RouteContext, model?: string): ChatRequest | Reply {
  const body = context.json;
  if (!isRecord(body)) {
    return openAiError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      'invalid_request_error',
    );
  }

  const requestedModel = model ?? body['model'];
  if (typeof requestedModel !== 'string' || requestedModel === '') {
    return openAiError(400, 'you must provide a model parameter', 'invalid_request_error');
  }

  const messages = body['messages'];
  if (messages === undefined) {
    return openAiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter');
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    return openAiError(400, `${JSON.stringify(messages)} is too short - 'messages'`, 'invalid_request_error', 'messages');
  }

  const streamOptions = body['stream_options'];
  return {
    model: requestedModel,
    stream: body['stream'] === true,
    includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    maxTokens: readTokenLimit(body['max_completion_tokens'], body['max_tokens']),
    promptTokens: countWords(messageTexts(messages)),
  };
}

function usageOf(request: ChatRequest, plan: AnswerPlan): Record<string, unknown> {
  const reasoningTokens = plan.reasoningTokens.length;
  const completionTokens = reasoningTokens + plan.answerTokens.length;
  return {
    prompt_tokens: request.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: request.promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Builds the normal answer to a valid chat request, streamed or whole. */
export function chatCompletionReply(context: RouteContext, request: ChatRequest, dialect: ChatDialect = OPENAI_DIALECT): Reply {
  const settings = context.settings;
  const plan = planAnswer({ answer: settings.answer, reasoning: settings.reasoning, maxTokens: request.maxTokens });
  const finishReason = settings.finishReason ?? (plan.truncated ? 'length' : 'stop');
  const base = {
    id: `chatcmpl-${randomId(29)}`,
    created: unixSeconds(),
    model: request.model,
    system_fingerprint: `fp_${randomHex(5)}`,
  };

  if (request.stream) {
    return {
      status: 200,
      headers: { 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache' },
      pieces: streamPieces(base, request, plan, finishReason, dialect),
      stream: true,
    };
  }

  const message: Record<string, unknown> = { role: 'assistant', content: plan.answerTokens.join(''), refusal: null, annotations: [] };
  if (plan.reasoningTokens.length > 0) {
    message['reasoning_content'] = plan.reasoningTokens.join('');
  }
  const completion = {
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason, ...dialect.choiceFields }],
    usage: usageOf(request, plan),
    service_tier: 'default',
    ...dialect.completionFields,
  };
  const reply = jsonReply(200, completion);
  reply.generatedTokens = plan.reasoningTokens.length + plan.answerTokens.length;
  return reply;
}

function streamPieces(
  base: Record<string, unknown>,
  request: ChatRequest,
  plan: AnswerPlan,
  finishReason: string,
  dialect: ChatDialect,
): BodyPiece[] {
  // With include_usage, every chunk carries `usage: null` and one more chunk with empty
  // choices carries the totals before [DONE] (OpenAI API reference, stream_options).
  const usageField = request.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    sseEvent({
      ...base,
      object: 'chat.completion.chunk',
      service_tier: 'default',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...usageField,
    });

  const pieces: BodyPiece[] = dialect.leadingChunks.map((leading) => ({ data: sseEvent(leading) }));
  pieces.push({ data: chunk({ role: 'assistant', content: '', refusal: null }, null) });
  for (const token of plan.reasoningTokens) {
    pieces.push({ data: chunk({ reasoning_content: token }, null), token: true });
  }
  for (const token of plan.answerTokens) {
    pieces.push({ data: chunk({ content: token }, null), token: true });
  }
  pieces.push({ data: chunk({}, finishReason) });
  if (request.includeUsage) {
    pieces.push({
      data: sseEvent({ ...base, object: 'chat.completion.chunk', service_tier: 'default', choices: [], usage: usageOf(request, plan) }),
    });
  }
  pieces.push({ data: 'data: [DONE]\n\n' });
  return pieces;
}

function modelNotFound(model: string): Reply {
  return openAiError(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    'invalid_request_error',
    null,
    'model_not_found',
  );
}

function ownerOf(model: string): string {
  if (model.startsWith('gpt-') || /^o\d/.test(model)) {
    return 'system';
  }
  return model.startsWith('gemini') ? 'google' : 'library';
}

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: MODEL_CREATED, owned_by: ownerOf(id) };
}

function handleChatCompletions(context: RouteContext): Reply {
  const authError = checkBearerKey(context);
  if (authError) {
    return authError;
  }
  const request = parseChatRequest(context);
  if ('status' in request) {
    return request;
  }
  if (!findModel(request.model, context.settings.models)) {
    return modelNotFound(request.model);
  }
  return chatCompletionReply(context, request);
}

function handleListModels(context: RouteContext): Reply {
  return checkBearerKey(context) ?? jsonReply(200, { object: 'list', data: context.settings.models.map(modelObject) });
}

function handleRetrieveModel(context: RouteContext): Reply {
  const authError = checkBearerKey(context);
  if (authError) {
    return authError;
  }
  const model = decodeURIComponent(context.params[0] ?? '');
  return findModel(model, context.settings.models) ? jsonReply(200, modelObject(model)) : modelNotFound(model);
}

export const openAiRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/chat\/completions$/, handle: handleChatCompletions },
  { method: 'GET', pattern: /^\/v1\/models$/, handle: handleListModels },
  { method: 'GET', pattern: /^\/v1\/models\/([^/]+)$/, handle: handleRetrieveModel },
];
