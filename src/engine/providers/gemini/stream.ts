/**
 * Translation of Gemini response chunks into ChatEvents. A streamed response arrives as many
 * chunks and a complete one as a single chunk, and both go through the same table of handlers.
 */

import type {
  Candidate,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
  Part,
  SafetyRating,
} from '@google/genai' with { 'resolution-mode': 'import' };

import type { SwitchboardError } from '../../errors';
import type { ChatEvent, FinishReason, Usage } from '../../types';
import { answerBlockedError, emptyOutputError, missingFinishReasonError, promptBlockedError, type CallFacts } from './errors';

export interface TranslateOptions {
  /** False for the single chunk of `generateContent`. */
  streamed: boolean;
  /** The request's limit, quoted when the model used it all up before writing text. */
  maxOutputTokens?: number;
  facts: CallFacts;
}

/** Facts shown by the chunks read so far. */
interface AnswerState {
  chunks: number;
  textLength: number;
  finishReason?: string;
  usage?: GenerateContentResponseUsageMetadata;
  /** A failure found in a chunk, raised once that chunk's events are out. */
  failure?: SwitchboardError;
}

type ChunkHandler = (chunk: GenerateContentResponse, state: AnswerState, options: TranslateOptions) => ChatEvent[];

/** Finish reasons that mean Gemini stopped generating because of the content. */
const BLOCKING_FINISH_REASONS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

/** A Map, so a reason such as "constructor" from the server maps to 'other' like any unknown one. */
const FINISH_REASONS = new Map<string, FinishReason>([
  ['STOP', 'stop'],
  ['MAX_TOKENS', 'length'],
]);

/** Handlers of one chunk, in order: a blocked prompt first, the parts before the finish reason. */
const CHUNK_HANDLERS: ChunkHandler[] = [onPromptFeedback, onResponseId, onParts, onFinishReason, onUsage];

/**
 * Yields the text, reasoning, usage and end events of a response. Throws a SwitchboardError
 * for a blocked prompt or response, for MAX_TOKENS before any text, and for a stream that ends
 * without a finish reason.
 */
export async function* translateAnswer(chunks: AsyncIterable<GenerateContentResponse> | Iterable<GenerateContentResponse>, options: TranslateOptions): AsyncGenerator<ChatEvent> {
  const state: AnswerState = { chunks: 0, textLength: 0 };
  for await (const chunk of chunks) {
    state.chunks++;
    for (const handler of CHUNK_HANDLERS) yield* handler(chunk, state, options);
    if (state.failure) throw state.failure;
  }
  yield* finishAnswer(state, options);
}

function onPromptFeedback(chunk: GenerateContentResponse, state: AnswerState, options: TranslateOptions): ChatEvent[] {
  const feedback = chunk.promptFeedback;
  if (typeof feedback === 'object' && feedback !== null && feedback.blockReason) {
    const detail = typeof feedback.blockReasonMessage === 'string' ? feedback.blockReasonMessage : describeFlagged(feedback.safetyRatings);
    // A reason of another type than string, from a broken server, is reported as Gemini's catch-all OTHER.
    const reason = typeof feedback.blockReason === 'string' ? feedback.blockReason : 'OTHER';
    state.failure = promptBlockedError(reason, detail, options.facts);
  }
  return [];
}

function onResponseId(chunk: GenerateContentResponse, _state: AnswerState, options: TranslateOptions): ChatEvent[] {
  if (chunk.responseId) options.facts.responseId = chunk.responseId;
  return [];
}

/** Thought parts become reasoning and never text; parts without text (signatures, calls) are skipped. */
function onParts(chunk: GenerateContentResponse, state: AnswerState): ChatEvent[] {
  const events: ChatEvent[] = [];
  const parts: unknown = firstCandidate(chunk)?.content?.parts;
  if (!Array.isArray(parts)) return events;
  for (const part of parts as Part[]) {
    const event = toEvent(part);
    if (!event) continue;
    if (event.type === 'text') state.textLength += event.text.length;
    events.push(event);
  }
  return events;
}

function toEvent(part: Part): ChatEvent | undefined {
  if (typeof part !== 'object' || part === null || typeof part.text !== 'string' || part.text === '') return undefined;
  return part.thought === true ? { type: 'reasoning', text: part.text } : { type: 'text', text: part.text };
}

function onFinishReason(chunk: GenerateContentResponse, state: AnswerState, options: TranslateOptions): ChatEvent[] {
  const candidate = firstCandidate(chunk);
  const reason: unknown = candidate?.finishReason;
  if (typeof reason !== 'string' || reason === '') return [];

  state.finishReason = reason;
  if (BLOCKING_FINISH_REASONS.has(reason)) {
    state.failure = answerBlockedError(reason, flaggedCategories(candidate?.safetyRatings), options.facts);
  }
  return [];
}

/** Gemini repeats the running totals in every chunk, so the last one counts. */
function onUsage(chunk: GenerateContentResponse, state: AnswerState): ChatEvent[] {
  if (typeof chunk.usageMetadata === 'object' && chunk.usageMetadata !== null) state.usage = chunk.usageMetadata;
  return [];
}

function finishAnswer(state: AnswerState, options: TranslateOptions): ChatEvent[] {
  if (!state.finishReason) throw missingFinishReasonError(options.streamed, state.chunks, options.facts);
  if (state.finishReason === 'MAX_TOKENS' && state.textLength === 0) {
    throw emptyOutputError({ maxOutputTokens: options.maxOutputTokens, thoughtsTokenCount: state.usage?.thoughtsTokenCount }, options.facts);
  }

  const usage = state.usage ? toUsage(state.usage) : undefined;
  const end: ChatEvent = { type: 'end', finishReason: FINISH_REASONS.get(state.finishReason) ?? 'other', providerFinishReason: state.finishReason };
  if (!usage) return [end];
  return [{ type: 'usage', usage }, { ...end, usage }];
}

function toUsage(metadata: GenerateContentResponseUsageMetadata): Usage {
  // Counts of another type than number, from a broken server, are left out.
  const usage: Usage = {};
  if (isCount(metadata.promptTokenCount)) usage.inputTokens = metadata.promptTokenCount;
  if (isCount(metadata.candidatesTokenCount)) usage.outputTokens = metadata.candidatesTokenCount;
  if (isCount(metadata.thoughtsTokenCount)) usage.reasoningTokens = metadata.thoughtsTokenCount;
  return usage;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The adapter requests one candidate, so only the first is read; anything but an object counts as none. */
function firstCandidate(chunk: GenerateContentResponse): Candidate | undefined {
  const candidates: unknown = chunk.candidates;
  const first: unknown = Array.isArray(candidates) ? candidates[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Candidate) : undefined;
}

function flaggedCategories(ratings: SafetyRating[] | undefined): string[] {
  if (!Array.isArray(ratings)) return [];
  return ratings.filter((rating) => typeof rating === 'object' && rating !== null && rating.blocked === true && rating.category).map((rating) => String(rating.category));
}

function describeFlagged(ratings: SafetyRating[] | undefined): string | undefined {
  const categories = flaggedCategories(ratings);
  return categories.length > 0 ? `flagged ${categories.join(', ')}` : undefined;
}
