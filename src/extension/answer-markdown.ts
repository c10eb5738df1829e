/**
 * The Markdown of an answer document: a header with profile, model and timing, the
 * reasoning in a collapsed section of its own, the answer text, and a footer that says how
 * the request ended. Pure, so it is tested without VS Code.
 */

import type { ErrorData } from '../engine/errors';
import type { ChatEvent, FinishReason, Usage } from '../engine/types';
import { formatDuration } from './status-view';

export type AnswerOutcome =
  | { kind: 'streaming' }
  | { kind: 'finished'; finishReason?: FinishReason; usage?: Usage; cached?: boolean }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: ErrorData }
  /** The request ended without an engine error, for example because the server stopped. */
  | { kind: 'lost'; message: string };

export interface AnswerState {
  title: string;
  profile: string;
  model: string;
  /** Epoch milliseconds when the request was sent. */
  startedAt: number;
  firstEventMs?: number;
  totalMs?: number;
  reasoning: string;
  text: string;
  /** The latest retry notice, shown while the engine waits. */
  retry?: string;
  outcome: AnswerOutcome;
}

export function createAnswerState(title: string, profile: string, model: string, startedAt: number): AnswerState {
  return { title, profile, model, startedAt, reasoning: '', text: '', outcome: { kind: 'streaming' } };
}

/** Applies streamed events to the state; an `error` event ends it as failed, or as cancelled for `cancelled`. */
export function applyEvents(state: AnswerState, events: readonly ChatEvent[], now: number): void {
  for (const event of events) {
    state.firstEventMs ??= now - state.startedAt;
    switch (event.type) {
      case 'text':
        state.text += event.text;
        state.retry = undefined;
        break;
      case 'reasoning':
        state.reasoning += event.text;
        break;
      case 'retry':
        state.retry = `Retrying after ${event.code} in ${formatDuration(event.delayMs)} (attempt ${event.attempt}).`;
        break;
      case 'error':
        state.outcome = event.error.code === 'cancelled' ? { kind: 'cancelled' } : { kind: 'failed', error: event.error };
        break;
      default:
        break;
    }
  }
}

export function renderAnswerMarkdown(state: AnswerState): string {
  const sections = [`# ${state.title}`, renderHeader(state)];
  if (state.reasoning) sections.push(renderReasoning(state.reasoning, state.outcome.kind === 'streaming' && state.text === ''));
  if (state.text) sections.push(state.text.trimEnd());
  sections.push(renderFooter(state));
  return `${sections.join('\n\n')}\n`;
}

function renderHeader(state: AnswerState): string {
  const parts = [`Profile: **${inline(state.profile)}**`, `Model: \`${state.model.replace(/`/g, '')}\``, `Started: ${new Date(state.startedAt).toLocaleTimeString()}`];
  if (state.firstEventMs !== undefined) parts.push(`First token: ${formatMilliseconds(state.firstEventMs)}`);
  if (state.totalMs !== undefined) parts.push(`Total: ${formatMilliseconds(state.totalMs)}`);
  return `_${parts.join(' · ')}_`;
}

/** Reasoning goes in an HTML details block, which the Markdown preview shows collapsed. */
function renderReasoning(reasoning: string, inProgress: boolean): string {
  const summary = inProgress ? 'Reasoning (in progress)' : 'Reasoning';
  return `<details>\n<summary>${summary}</summary>\n\n${reasoning.trim()}\n\n</details>`;
}

function renderFooter(state: AnswerState): string {
  const outcome = state.outcome;
  switch (outcome.kind) {
    case 'streaming':
      return state.retry ? `_${state.retry}_` : '_Receiving the answer…_';
    case 'finished':
      return `_${finishedSentence(outcome)}_`;
    case 'cancelled':
      return state.text ? '_Cancelled. The text above is what arrived before the request was cancelled._' : '_Cancelled before any text arrived._';
    case 'failed':
      return failedSection(outcome.error, state.text !== '');
    case 'lost':
      return `**The request did not finish:** ${inline(outcome.message)}`;
  }
}

function finishedSentence(outcome: Extract<AnswerOutcome, { kind: 'finished' }>): string {
  const words = ['Finished'];
  if (outcome.finishReason === 'length') words.push('(cut off at the output token limit)');
  if (outcome.finishReason === 'content_filter') words.push('(stopped by the provider\'s content filter)');
  if (outcome.cached) words.push('from the cache');
  const tokens = outcome.usage?.outputTokens;
  if (tokens !== undefined) words.push(`with ${tokens} output tokens`);
  return `${words.join(' ')}.`;
}

function failedSection(error: ErrorData, hasText: boolean): string {
  const lines = [`**Failed (${error.code}):** ${inline(error.message)}`];
  if (error.fix.length > 0) lines.push(`Fix: ${error.fix.map(inline).join(' ')}`);
  if (hasText) lines.push('The text above is what arrived before the failure.');
  if (error.requestId) lines.push(`Request id: \`${error.requestId}\`${error.providerRequestId ? `, provider request id: \`${error.providerRequestId}\`` : ''}`);
  return lines.join('\n\n');
}

/** Formats milliseconds as "850 ms" below a second and "2.4 s" above. */
export function formatMilliseconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Keeps one-line text from settings or errors from being read as Markdown structure. */
function inline(text: string): string {
  // Underscores stay as they are: inside words they start no emphasis, and the raw text stays readable.
  return text.replace(/[\\`*[\]<>]/g, '\\$&').replace(/\r?\n/g, ' ');
}
