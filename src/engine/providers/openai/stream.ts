/**
 * Converts OpenAI-style responses into ChatEvents: the SSE stream of `chat.completion.chunk`
 * objects, and the complete `chat.completion` object of a non-streaming request.
 */

import { SwitchboardError } from '../../errors';
import { parseSse } from '../../streams/sse';
import type { ChatEvent, FinishReason, Logger, Usage } from '../../types';

/** Raised for an error object found inside a 200 response; the adapter maps it by its body. */
export class InStreamError extends Error {
  constructor(readonly body: string) {
    super('error inside the response');
  }
}

interface StreamState {
  finishReason?: string;
  sawDone: boolean;
  events: number;
  textLength: number;
  usage?: Usage;
}

interface ChunkChoice {
  delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
  message?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
  finish_reason?: string | null;
}

interface Chunk {
  error?: unknown;
  choices?: ChunkChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; completion_tokens_details?: { reasoning_tokens?: number } } | null;
}

/** A Map, so a reason such as "constructor" from the server maps to 'other' like any unknown one. */
const FINISH_REASONS = new Map<string, FinishReason>([
  ['stop', 'stop'],
  ['eos', 'stop'],
  ['end_turn', 'stop'],
  ['length', 'length'],
  ['max_tokens', 'length'],
  ['content_filter', 'content_filter'],
  ['tool_calls', 'tool_calls'],
  ['function_call', 'tool_calls'],
]);

/** Yields the events of one streamed answer; throws InStreamError or SwitchboardError on failure. */
export async function* convertStream(body: AsyncIterable<Uint8Array>, logger: Logger, requestId: string): AsyncGenerator<ChatEvent> {
  const state: StreamState = { sawDone: false, events: 0, textLength: 0 };
  const onComment = (text: string) => logger.debug(`[${requestId}] keep-alive comment: ${text.slice(0, 60)}`);
  for await (const event of parseSse(body, onComment)) {
    state.events++;
    const data = event.data.trim();
    if (data === '[DONE]') {
      state.sawDone = true;
      break;
    }
    if (event.event === 'error') throw new InStreamError(data);
    const chunk = parseChunk(data, logger, requestId);
    if (!chunk) continue;
    yield* chunkEvents(chunk, state);
  }
  yield* finish(state);
}

/** Yields the events of a complete (non-streamed) `chat.completion` body. */
export function* convertCompletion(text: string): Generator<ChatEvent> {
  const chunk = parseJsonOrThrow(text);
  if (chunk.error !== undefined) throw new InStreamError(text);
  const state: StreamState = { sawDone: true, events: 1, textLength: 0 };
  const choice = chunk.choices?.[0];
  if (!choice) throw new SwitchboardError('stream.malformed', 'The server answered without any choice in the completion.', { fix: ['Check that the base URL points at an OpenAI-compatible chat completions API.'] });
  yield* messageEvents(choice.message, state);
  if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') state.finishReason = choice.finish_reason;
  if (chunk.usage && typeof chunk.usage === 'object') state.usage = toUsage(chunk.usage);
  yield* finish(state);
}

function* chunkEvents(chunk: Chunk, state: StreamState): Generator<ChatEvent> {
  if (chunk.error !== undefined && chunk.error !== null) throw new InStreamError(JSON.stringify({ error: chunk.error }));
  const choice = chunk.choices?.[0];
  if (choice) {
    yield* messageEvents(choice.delta, state);
    if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') state.finishReason = choice.finish_reason;
  }
  if (chunk.usage && typeof chunk.usage === 'object') state.usage = toUsage(chunk.usage);
}

/** Yields the reasoning and text of a delta or message. Fields of another type than string, from a broken server, are skipped. */
function* messageEvents(part: ChunkChoice['delta'], state: StreamState): Generator<ChatEvent> {
  if (!part || typeof part !== 'object') return;
  const reasoning = part.reasoning_content ?? part.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') yield { type: 'reasoning', text: reasoning };
  if (typeof part.content === 'string' && part.content !== '') {
    state.textLength += part.content.length;
    yield { type: 'text', text: part.content };
  }
}

function* finish(state: StreamState): Generator<ChatEvent> {
  if (!state.finishReason && !state.sawDone) {
    throw new SwitchboardError('stream.interrupted', `The stream ended after ${state.events} events without a finish reason or [DONE]; the answer is incomplete.`, {
      fix: ['Retry the request; the connection or the server cut the answer off.'],
    });
  }
  if (!state.finishReason && state.textLength === 0) {
    // [DONE] alone, with no text and no finish reason, is not an answer, so it must not be cached as one.
    throw new SwitchboardError('output.empty', 'The stream ended with [DONE] before any text or finish reason; the server sent no answer.', {
      fix: ['Retry the request, and check the model and the server logs if it keeps happening.'],
    });
  }
  if (state.finishReason === 'error') {
    throw new SwitchboardError('server.error', 'The server ended the answer with finish reason "error".', { fix: ['Retry the request.'] });
  }
  if (state.finishReason === 'length' && state.textLength === 0) {
    // Reasoning models spend max_completion_tokens on reasoning first; an empty answer at the
    // limit is a failure to report, not a successful empty answer.
    const reasoning = state.usage?.reasoningTokens === undefined ? '' : ` (${state.usage.reasoningTokens} tokens of it on reasoning)`;
    throw new SwitchboardError('output.empty', `The model reached its output limit${reasoning} before writing any text (finish reason "length").`, {
      providerCode: 'length',
      fix: ['Raise the max output tokens setting, or lower the reasoning effort, so that tokens are left for the answer.'],
    });
  }
  if (state.finishReason === 'content_filter' && state.textLength === 0) {
    throw new SwitchboardError('content.blocked', 'The provider\'s content filter blocked the answer; no text was produced.', {
      fix: ['Rephrase the request.'],
    });
  }
  if (state.usage) yield { type: 'usage', usage: state.usage };
  const providerFinishReason = state.finishReason ?? 'stop';
  yield { type: 'end', finishReason: FINISH_REASONS.get(providerFinishReason) ?? 'other', providerFinishReason, usage: state.usage };
}

/** Parses one event's JSON; skips known keep-alive payloads that broken gateways put in data lines. */
function parseChunk(data: string, logger: Logger, requestId: string): Chunk | undefined {
  if (data === '' || data.startsWith(':')) {
    logger.debug(`[${requestId}] skipped a keep-alive data line: ${data.slice(0, 60)}`);
    return undefined;
  }
  return parseJsonOrThrow(data);
}

function parseJsonOrThrow(data: string): Chunk {
  try {
    const value = JSON.parse(data) as unknown;
    if (value && typeof value === 'object') return value as Chunk;
  } catch {
    // Falls through to the error below.
  }
  throw new SwitchboardError('stream.malformed', `The server sent data that is not a JSON object: ${data.slice(0, 120)}`, {
    fix: ['Check that the base URL points at an OpenAI-compatible server.'],
  });
}

function toUsage(usage: NonNullable<Chunk['usage']>): Usage {
  return {
    inputTokens: countOrUndefined(usage.prompt_tokens),
    outputTokens: countOrUndefined(usage.completion_tokens),
    reasoningTokens: countOrUndefined(usage.completion_tokens_details?.reasoning_tokens),
  };
}

/** Returns a token count from the server, or undefined for anything that is not a finite number. */
function countOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
