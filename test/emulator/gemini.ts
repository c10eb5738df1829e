/**
 * Gemini API wire format (generativelanguage.googleapis.com): `models/{model}:generateContent`,
 * `:streamGenerateContent` (SSE with `alt=sse`, otherwise a streamed JSON array), `:countTokens`,
 * and the models list, under both `/v1beta/` and `/v1/`.
 */

import { countWords, planAnswer, randomId, readTokenLimit, type AnswerPlan } from './answer';
import {
  headerValue,
  isRecord,
  jsonReply,
  sseEvent,
  JSON_CONTENT_TYPE,
  SSE_CONTENT_TYPE,
  type BodyPiece,
  type Reply,
  type Route,
  type RouteContext,
} from './reply';

/** Models per page of the models list when the request gives no pageSize (Gemini API reference). */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** Google's error body: `{"error":{"code","message","status","details"}}`. */
export function googleError(code: number, status: string, message: string, details?: object[]): Reply {
  return jsonReply(code, { error: { code, message, status, ...(details ? { details } : {}) } });
}

/** Returns Google's rejection when the configured key is missing (403) or another key is sent (400). */
function checkGoogleKey(context: RouteContext): Reply | undefined {
  const expected = context.settings.apiKey;
  if (!expected) {
    return undefined;
  }

  const key = headerValue(context.headers, 'x-goog-api-key') ?? context.url.searchParams.get('key') ?? '';
  if (key === '') {
    return googleError(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (key !== expected) {
    const message = 'API key not valid. Please pass a valid API key.';
    return googleError(400, 'INVALID_ARGUMENT', message, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
    ]);
  }
  return undefined;
}

function modelNotFound(model: string, version: string, method: string): Reply {
  return googleError(
    404,
    'NOT_FOUND',
    `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

/** Builds the 400 that the v1 API returns for fields only v1beta defines, such as systemInstruction. */
function unknownFieldError(field: string): Reply {
  const description = `Invalid JSON payload received. Unknown name "${field}": Cannot find field.`;
  return googleError(400, 'INVALID_ARGUMENT', description, [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ description }] },
  ]);
}

function partTexts(content: unknown): string[] {
  if (!isRecord(content) || !Array.isArray(content['parts'])) {
    return [];
  }
  return content['parts'].flatMap((part) => (isRecord(part) && typeof part['text'] === 'string' ? [part['text']] : []));
}

function promptTokenCount(body: Record<string, unknown>): number {
  const contents = Array.isArray(body['contents']) ? body['contents'] : [];
  const texts = [...partTexts(body['systemInstruction']), ...contents.flatMap(partTexts)];
  return countWords(texts);
}

interface GenerateRequest {
  version: string;
  model: string;
  promptTokens: number;
  maxTokens?: number;
  includeThoughts: boolean;
}

function readGenerationConfig(body: Record<string, unknown>): { maxTokens?: number; includeThoughts: boolean } {
  const config = isRecord(body['generationConfig']) ? body['generationConfig'] : {};
  const thinking = isRecord(config['thinkingConfig']) ? config['thinkingConfig'] : {};
  return { maxTokens: readTokenLimit(config['maxOutputTokens']), includeThoughts: thinking['includeThoughts'] === true };
}

/** Validates a generate or countTokens request and returns its fields, or Google's error reply. */
function parseGenerateRequest(context: RouteContext): GenerateRequest | Reply {
  const [version = 'v1beta', model = '', method = 'generateContent'] = context.params;
  const rejection = checkGoogleKey(context);
  if (rejection) {
    return rejection;
  }

  const body = context.json;
  if (!isRecord(body)) {
    return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.');
  }
  if (version === 'v1' && 'systemInstruction' in body) {
    return unknownFieldError('systemInstruction');
  }
  if (!context.settings.models.includes(model)) {
    return modelNotFound(model, version, method === 'countTokens' ? 'countTokens' : 'generateContent');
  }

  const source = method === 'countTokens' && isRecord(body['generateContentRequest']) ? body['generateContentRequest'] : body;
  if (!Array.isArray(source['contents']) || source['contents'].length === 0) {
    return googleError(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified\n');
  }
  return { version, model, promptTokens: promptTokenCount(source), ...readGenerationConfig(source) };
}

interface ResponseParts {
  request: GenerateRequest;
  plan: AnswerPlan;
  finishReason: string;
  responseId: string;
}

function usageMetadata(promptTokens: number, answerTokens: number, thoughtTokens: number): Record<string, unknown> {
  return {
    promptTokenCount: promptTokens,
    ...(answerTokens > 0 ? { candidatesTokenCount: answerTokens } : {}),
    totalTokenCount: promptTokens + answerTokens + thoughtTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
    ...(thoughtTokens > 0 ? { thoughtsTokenCount: thoughtTokens } : {}),
  };
}

/** Builds one GenerateContentResponse with the given parts. Its usage counts the tokens generated so far. */
function responseObject(
  parts: ResponseParts,
  content: object[],
  answerTokens: number,
  finishReason?: string,
): Record<string, unknown> {
  const { request, plan } = parts;
  return {
    candidates: [{ content: { parts: content, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    usageMetadata: usageMetadata(request.promptTokens, answerTokens, plan.reasoningTokens.length),
    modelVersion: request.model,
    responseId: parts.responseId,
  };
}

/** Thought parts are returned only when the request sets thinkingConfig.includeThoughts, as the real API does. */
function wholeResponse(parts: ResponseParts): Record<string, unknown> {
  const { request, plan } = parts;
  const content: object[] = [];
  if (request.includeThoughts && plan.reasoningTokens.length > 0) {
    content.push({ text: plan.reasoningTokens.join(''), thought: true });
  }
  if (plan.answerTokens.length > 0 || content.length === 0) {
    content.push({ text: plan.answerTokens.join('') });
  }
  return responseObject(parts, content, plan.answerTokens.length, parts.finishReason);
}

/** Builds one response per token. The last answer chunk carries finishReason and the final usage. */
function streamedResponses(parts: ResponseParts): object[] {
  const { request, plan } = parts;
  const responses: object[] = [];
  if (request.includeThoughts) {
    for (const token of plan.reasoningTokens) {
      responses.push(responseObject(parts, [{ text: token, thought: true }], 0));
    }
  }

  const answer = plan.answerTokens.length > 0 ? plan.answerTokens : [''];
  answer.forEach((token, index) => {
    const last = index === answer.length - 1;
    const emitted = Math.min(index + 1, plan.answerTokens.length);
    responses.push(responseObject(parts, [{ text: token }], emitted, last ? parts.finishReason : undefined));
  });
  return responses;
}

function streamReply(responses: object[], sse: boolean): Reply {
  // Without alt=sse the API streams one JSON array whose elements arrive one by one.
  const pieces: BodyPiece[] = responses.map((response, index) => {
    if (sse) {
      return { data: sseEvent(response), token: true };
    }
    const prefix = index === 0 ? '[' : '\n,\r\n';
    const suffix = index === responses.length - 1 ? ']' : '';
    return { data: `${prefix}${JSON.stringify(response)}${suffix}`, token: true };
  });
  return { status: 200, headers: { 'content-type': sse ? SSE_CONTENT_TYPE : JSON_CONTENT_TYPE }, pieces, stream: true };
}

function handleGenerate(context: RouteContext): Reply {
  const request = parseGenerateRequest(context);
  if ('status' in request) {
    return request;
  }

  const method = context.params[2];
  if (method === 'countTokens') {
    return jsonReply(200, { totalTokens: request.promptTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: request.promptTokens }] });
  }

  const settings = context.settings;
  const plan = planAnswer({ answer: settings.answer, reasoning: settings.reasoning, maxTokens: request.maxTokens });
  const parts: ResponseParts = {
    request,
    plan,
    finishReason: settings.finishReason ?? (plan.truncated ? 'MAX_TOKENS' : 'STOP'),
    responseId: randomId(22),
  };
  if (method === 'streamGenerateContent') {
    return streamReply(streamedResponses(parts), context.url.searchParams.get('alt') === 'sse');
  }

  const reply = jsonReply(200, wholeResponse(parts));
  reply.generatedTokens = plan.reasoningTokens.length + plan.answerTokens.length;
  return reply;
}

function displayName(model: string): string {
  return model
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function modelResource(model: string): Record<string, unknown> {
  return {
    name: `models/${model}`,
    version: '001',
    displayName: displayName(model),
    description: `${displayName(model)} served by the Switchboard emulator`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
    thinking: true,
  };
}

function handleListModels(context: RouteContext): Reply {
  const rejection = checkGoogleKey(context);
  if (rejection) {
    return rejection;
  }

  const requestedSize = Number(context.url.searchParams.get('pageSize') ?? DEFAULT_PAGE_SIZE);
  const pageSize = Number.isInteger(requestedSize) && requestedSize > 0 ? Math.min(requestedSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  const offset = Number(context.url.searchParams.get('pageToken') ?? 0) || 0;
  const models = context.settings.models.slice(offset, offset + pageSize).map(modelResource);
  const next = offset + pageSize < context.settings.models.length ? { nextPageToken: String(offset + pageSize) } : {};
  return jsonReply(200, { models, ...next });
}

function handleGetModel(context: RouteContext): Reply {
  const rejection = checkGoogleKey(context);
  if (rejection) {
    return rejection;
  }
  const [version = 'v1beta', model = ''] = context.params;
  return context.settings.models.includes(model) ? jsonReply(200, modelResource(model)) : modelNotFound(model, version, 'get');
}

/**
 * Tells a Gemini models request from an OpenAI one on the paths both use (`/v1/models`): Google
 * clients send their key in `x-goog-api-key` or `?key=`, and the Google SDKs send `x-goog-api-client`.
 */
function isGoogleRequest(context: RouteContext): boolean {
  return (
    context.params[0] === 'v1beta' ||
    headerValue(context.headers, 'x-goog-api-key') !== undefined ||
    headerValue(context.headers, 'x-goog-api-client') !== undefined ||
    context.url.searchParams.has('key')
  );
}

export const geminiRoutes: Route[] = [
  { method: 'POST', pattern: /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/, handle: handleGenerate },
  { method: 'GET', pattern: /^\/(v1beta|v1)\/models$/, accepts: isGoogleRequest, handle: handleListModels },
  { method: 'GET', pattern: /^\/(v1beta|v1)\/models\/([^/:]+)$/, accepts: isGoogleRequest, handle: handleGetModel },
];
