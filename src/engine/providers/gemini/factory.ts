/** The Gemini adapter and the `@google/genai` client it sends requests with. */

import type {
  GenerateContentConfig,
  GenerateContentResponse,
  GoogleGenAI,
  Model,
} from '@google/genai' with { 'resolution-mode': 'import' };

import { SwitchboardError } from '../../errors';
import { setKeyFix } from '../../fix-text';
import { limitResponseBody, MAX_COMPLETE_BODY_BYTES, MAX_ERROR_BODY_BYTES, MAX_STREAM_LINE_CHARS, type BodyLimits } from '../../streams/limits';
import type { Profile } from '../../profiles';
import type { ChatEvent, ModelInfo } from '../../types';
import type { Adapter, AdapterContext, AdapterRequest } from '../adapter';
import { parseRetryAfter } from '../retry-after';
import { acceptsThoughtSummaries, apiVersionOf } from './capabilities';
import { mapGeminiError, type CallFacts } from './errors';
import { toGeminiRequest } from './request';
import { translateAnswer } from './stream';

/** Models per page of `models.list`, the maximum the API returns in one page (Gemini API reference). */
const MODELS_PAGE_SIZE = 1000;

/** Maximum pages of `models.list` read, so that a server repeating its page token cannot loop forever. */
const MAX_MODEL_PAGES = 20;

export function createGeminiAdapter(profile: Profile): Adapter {
  return new GeminiAdapter(profile);
}

class GeminiAdapter implements Adapter {
  private client?: { apiKey: string; sdk: GoogleGenAI };

  constructor(private readonly profile: Profile) {}

  async *chat(request: AdapterRequest, context: AdapterContext): AsyncGenerator<ChatEvent> {
    const facts = this.factsFor(request.model, context);
    facts.streamed = request.stream;
    // Also aborted when the consumer stops reading early, so that the SDK closes the connection.
    const local = new AbortController();
    const signal = AbortSignal.any([context.signal, local.signal]);
    let completed = false;
    try {
      const chunks = await this.open(request, context, facts, signal);
      yield* translateAnswer(chunks, { streamed: request.stream, maxOutputTokens: request.maxOutputTokens, facts });
      completed = true;
    } catch (error) {
      throw mapGeminiError(error, facts);
    } finally {
      if (!completed) local.abort(new SwitchboardError('cancelled', 'The reader stopped before the response ended.'));
    }
  }

  async listModels(context: AdapterContext): Promise<ModelInfo[]> {
    const facts = this.factsFor(this.profile.model, context);
    try {
      const sdk = await this.clientFor(context);
      const pager = await sdk.models.list({
        config: { pageSize: MODELS_PAGE_SIZE, abortSignal: context.signal, httpOptions: { fetch: trackingFetch(context.fetch, facts) } },
      });
      const models: ModelInfo[] = [];
      for (let page = 1; ; page++) {
        models.push(...pager.page.filter(supportsGenerateContent).map(toModelInfo));
        if (!pager.hasNextPage() || page >= MAX_MODEL_PAGES) break;
        await pager.nextPage();
      }
      return models;
    } catch (error) {
      throw mapGeminiError(error, facts);
    }
  }

  mapError(error: unknown, context: AdapterContext): SwitchboardError {
    return mapGeminiError(error, this.factsFor(this.profile.model, context));
  }

  /**
   * Sends the request, with thought summaries where the model accepts them. A model that
   * rejects them anyway gets `request.unsupported_parameter` with a correction, and the engine
   * sends the request once more without them and remembers that (corrective-retry.ts).
   */
  private async open(request: AdapterRequest, context: AdapterContext, facts: CallFacts, signal: AbortSignal): Promise<Iterable<GenerateContentResponse> | AsyncIterable<GenerateContentResponse>> {
    const thoughts = acceptsThoughtSummaries(request.model, facts.apiVersion) && !request.capabilities?.omitThoughtSummaries;
    facts.thoughtSummaries = thoughts;
    return await this.send(request, context, facts, signal, thoughts);
  }

  private async send(
    request: AdapterRequest,
    context: AdapterContext,
    facts: CallFacts,
    signal: AbortSignal,
    thoughtSummaries: boolean,
  ): Promise<Iterable<GenerateContentResponse> | AsyncIterable<GenerateContentResponse>> {
    const sdk = await this.clientFor(context);
    const parameters = toGeminiRequest(request, { apiVersion: facts.apiVersion, thoughtSummaries });
    parameters.config = { ...parameters.config, ...callOptions(context, facts, signal) };
    if (request.stream) return await sdk.models.generateContentStream(parameters);
    return [await sdk.models.generateContent(parameters)];
  }

  /** Returns the SDK client, made on first use and again only when the key changes. */
  private async clientFor(context: AdapterContext): Promise<GoogleGenAI> {
    const apiKey = context.apiKey;
    if (!apiKey) {
      throw new SwitchboardError('auth.missing_key', `No API key is set for profile "${this.profile.name}", so nothing was sent.`, {
        fix: [setKeyFix(this.profile)],
      });
    }
    if (this.client?.apiKey === apiKey) return this.client.sdk;

    // Loaded here rather than at the top, because the package's types are ECMAScript-module
    // only; the registry loads this adapter lazily anyway.
    const { GoogleGenAI } = await import('@google/genai');
    const sdk = new GoogleGenAI({
      vertexai: false,
      apiKey,
      httpOptions: {
        baseUrl: this.profile.baseUrl,
        apiVersion: apiVersionOf(this.profile),
        headers: this.profile.headers,
        fetch: context.fetch,
        // One attempt per call: the engine's retry policy decides about retries.
        retryOptions: { attempts: 1 },
      },
    });
    this.client = { apiKey, sdk };
    return sdk;
  }

  private factsFor(model: string, context: AdapterContext): CallFacts {
    return {
      profileName: this.profile.name,
      model,
      apiVersion: apiVersionOf(this.profile),
      baseUrl: this.profile.baseUrl,
      signal: context.signal,
    };
  }
}

/** Per-call SDK options: cancellation, the engine's fetch, and no SDK-side continuation. */
function callOptions(context: AdapterContext, facts: CallFacts, signal: AbortSignal): GenerateContentConfig {
  return {
    abortSignal: signal,
    // Set per call as well, so a client made before the engine replaced its network layer
    // still sends through the current one.
    httpOptions: { fetch: trackingFetch(context.fetch, facts) },
    // The SDK would otherwise send follow-up requests by itself, which can hide a cut stream.
    automaticContinuation: false,
  };
}

/** Wraps the engine's fetch to note the URL and the response headers that error messages quote. */
function trackingFetch(fetch: typeof globalThis.fetch, facts: CallFacts): typeof globalThis.fetch {
  return async (input, init) => {
    facts.url = urlOf(input);
    const response = await fetch(input, init);
    facts.requestId = response.headers.get('x-request-id') ?? undefined;
    facts.retryAfterMs = parseRetryAfter(response.headers);
    facts.bodyStarted = response.ok;
    const limited = limitResponseBody(response, bodyLimits(response, facts));
    return response.ok && !facts.streamed ? rejectErrorBody(limited) : limited;
  };
}

/**
 * Gives a complete 200 body that carries `{"error": …}` the error's status. The SDK would read
 * such a body as an answer without candidates and drop its `error` field, so the request would
 * fail with output.empty. With the status, the SDK raises its ApiError, which mapGeminiError
 * maps like any error response.
 */
async function rejectErrorBody(response: Response): Promise<Response> {
  const text = await response.text();
  const status = errorBodyStatus(text);
  if (status === undefined) return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  return new Response(text, { status, headers: response.headers });
}

/** Returns the HTTP status for a body whose `error` is an object: its `code` when that is 400 to 599, otherwise 500. */
function errorBodyStatus(text: string): number | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500;
}

/**
 * Returns the body limits for a response. The SDK reads bodies itself, without a limit, so the
 * body it gets fails with `stream.malformed` past the limits the OpenAI adapter applies.
 */
function bodyLimits(response: Response, facts: CallFacts): BodyLimits {
  if (!response.ok) return { maxBodyBytes: MAX_ERROR_BODY_BYTES };
  // NOTE: counts bytes between line feeds. A stream with CR-only line ends would count as one line, but Gemini uses LF.
  if (facts.streamed) return { maxLineBytes: MAX_STREAM_LINE_CHARS };
  return { maxBodyBytes: MAX_COMPLETE_BODY_BYTES };
}

function urlOf(input: string | URL | Request): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/** Keeps models that can chat; a model without the field is kept, since the field is optional. */
function supportsGenerateContent(model: Model): boolean {
  return Boolean(model.name) && (model.supportedActions === undefined || model.supportedActions.includes('generateContent'));
}

function toModelInfo(model: Model): ModelInfo {
  const info: ModelInfo = { id: model.name!.replace(/^models\//, '') };
  if (model.displayName !== undefined) info.displayName = model.displayName;
  if (model.inputTokenLimit !== undefined) info.contextLength = model.inputTokenLimit;
  return info;
}
