/**
 * The adapter for OpenAI, Azure OpenAI and OpenAI-compatible servers, built on the `openai`
 * SDK. The SDK builds and sends each request (URLs, auth headers, Azure deployments); the
 * adapter reads the raw response itself, so it can tolerate the stream quirks of local servers
 * and read every error shape they send.
 */

import OpenAI, { AzureOpenAI } from 'openai';

import { SwitchboardError } from '../../errors';
import { setKeyFix } from '../../fix-text';
import type { Profile } from '../../profiles';
import type { ChatEvent, ModelInfo } from '../../types';
import type { Adapter, AdapterContext, AdapterRequest } from '../adapter';
import { mapFailure, mapThrown, type RawFailure } from './errors';
import { listOllamaModels } from './ollama';
import { toChatCompletionBody } from './request';
import { convertCompletion, convertStream, InStreamError } from './stream';
import { limitResponseBody, MAX_COMPLETE_BODY_BYTES, MAX_ERROR_BODY_BYTES, readTextUpTo, tooLarge } from '../../streams/limits';

/** Sent as the key to servers that need none, because the SDK requires one. */
const PLACEHOLDER_KEY = 'no-key-needed';

/** Holds the body of the last error response, which the SDK would otherwise drop for some shapes. */
interface FailureCapture {
  failure?: RawFailure;
}

export class OpenAiAdapter implements Adapter {
  constructor(private readonly profile: Profile) {}

  async *chat(request: AdapterRequest, context: AdapterContext): AsyncGenerator<ChatEvent> {
    const capture: FailureCapture = {};
    const client = this.createClient(context, capture);
    const body = toChatCompletionBody(request, this.profile);
    let response: Response;
    try {
      response = await client.chat.completions.create(body as never, { signal: context.signal }).asResponse();
    } catch (thrown) {
      throw this.mapCaught(thrown, capture, request.model, context);
    }
    yield* this.readResponse(response, request, context);
  }

  async listModels(context: AdapterContext): Promise<ModelInfo[]> {
    if (this.profile.server === 'ollama') {
      const models = await listOllamaModels(this.profile, context).catch(() => undefined);
      if (models) return models;
    }
    const capture: FailureCapture = {};
    const client = this.createClient(context, capture);
    try {
      const models: ModelInfo[] = [];
      for await (const model of client.models.list({ signal: context.signal })) models.push({ id: model.id });
      return models.sort((a, b) => a.id.localeCompare(b.id));
    } catch (thrown) {
      throw this.mapCaught(thrown, capture, 'models', context);
    }
  }

  mapError(error: unknown, context: AdapterContext): SwitchboardError {
    return mapThrown(error, this.profile, this.profile.model, this.profile.baseUrl, context.signal);
  }

  private async *readResponse(response: Response, request: AdapterRequest, context: AdapterContext): AsyncGenerator<ChatEvent> {
    const contentType = response.headers.get('content-type') ?? '';
    const streamed = request.stream && contentType.includes('text/event-stream');
    try {
      if (streamed && response.body) {
        yield* convertStream(response.body as unknown as AsyncIterable<Uint8Array>, context.logger, context.requestId);
      } else {
        // Some servers answer a streaming request with one JSON body, which may be an error
        // despite status 200 (LM Studio does this for an unknown path).
        const body = await readTextUpTo(response, MAX_COMPLETE_BODY_BYTES);
        if (body.truncated) throw tooLarge('a JSON answer', MAX_COMPLETE_BODY_BYTES, 'bytes');
        yield* convertCompletion(body.text);
      }
    } catch (thrown) {
      throw this.mapBodyError(thrown, response, request.model, context);
    }
  }

  private mapBodyError(thrown: unknown, response: Response, model: string, context: AdapterContext): SwitchboardError {
    if (thrown instanceof InStreamError) {
      return mapFailure({ status: response.status, text: thrown.body, headers: response.headers, inStream: true }, this.profile, model);
    }
    if (thrown instanceof SwitchboardError) return thrown;
    const mapped = mapThrown(thrown, this.profile, model, this.profile.baseUrl, context.signal);
    if (mapped.code === 'network.reset' || mapped.code === 'internal') {
      return new SwitchboardError('stream.interrupted', `The connection to ${new URL(this.profile.baseUrl).host} closed in the middle of the answer (${mapped.message}).`, {
        fix: ['Retry the request.'],
        cause: thrown,
      });
    }
    return mapped;
  }

  private mapCaught(thrown: unknown, capture: FailureCapture, model: string, context: AdapterContext): SwitchboardError {
    const mapped = capture.failure && !context.signal.aborted ? mapFailure(capture.failure, this.profile, model) : mapThrown(thrown, this.profile, model, this.profile.baseUrl, context.signal);
    return context.apiKey === undefined ? asMissingKey(mapped, this.profile) : mapped;
  }

  private createClient(context: AdapterContext, capture: FailureCapture): OpenAI {
    const fetch = captureFailures(context.fetch, capture);
    const common = {
      apiKey: context.apiKey ?? PLACEHOLDER_KEY,
      fetch: fetch as never,
      maxRetries: 0,
      // The engine's deadline and the network layer's timers bound every request.
      timeout: 24 * 60 * 60 * 1000,
      defaultHeaders: this.profile.headers,
      organization: null,
      project: null,
    };
    if (this.profile.kind === 'azure-openai') {
      return new AzureOpenAI({ ...common, endpoint: this.profile.baseUrl, apiVersion: this.profile.apiVersion });
    }
    return new OpenAI({ ...common, baseURL: this.profile.baseUrl });
  }
}

/**
 * Reports a rejected key as a missing one when the profile has no key: local-server profiles
 * send a placeholder, so a server that does require a key rejects that placeholder.
 */
function asMissingKey(error: SwitchboardError, profile: Profile): SwitchboardError {
  if (error.code !== 'auth.invalid_key') return error;
  return new SwitchboardError('auth.missing_key', `${new URL(profile.baseUrl).host} requires an API key, but profile "${profile.name}" has none (HTTP ${error.status ?? 401}).`, {
    status: error.status,
    providerRequestId: error.providerRequestId,
    providerCode: error.providerCode,
    fix: [setKeyFix(profile)],
  });
}

/**
 * Wraps fetch so that an error response's body and headers are kept for mapping, and a
 * successful body that is not an event stream (a model list, which the SDK reads itself) fails
 * with `stream.malformed` past the size limit of a complete answer.
 */
function captureFailures(fetch: typeof globalThis.fetch, capture: FailureCapture): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.ok) {
      const streamed = (response.headers.get('content-type') ?? '').includes('text/event-stream');
      return streamed ? response : limitResponseBody(response, { maxBodyBytes: MAX_COMPLETE_BODY_BYTES });
    }
    // Only the start of a long error body is kept; it is enough to map the error.
    const { text } = await readTextUpTo(response, MAX_ERROR_BODY_BYTES);
    capture.failure = { status: response.status, text, headers: response.headers };
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
