/**
 * The Markdown of an answer document: a header with profile, model and timing, the
 * reasoning in a collapsed section of its own, the answer text, and a footer that says how
 * the request ended. Pure, so it is tested without VS Code.
 */

import type { ErrorData } from '../engine/errors';
import type { ChatEvent, FinishReason, Usage } from '../engine/types';
import { l10n } from './l10n';
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
        state.retry = l10n.t('Retrying after {0} in {1} (attempt {2}).', event.code, formatDuration(event.delayMs), event.attempt);
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
  const parts = [
    l10n.t('Profile: **{0}**', inline(state.profile)),
    l10n.t('Model: `{0}`', state.model.replace(/`/g, '')),
    l10n.t('Started: {0}', new Date(state.startedAt).toLocaleTimeString()),
  ];
  if (state.firstEventMs !== undefined) parts.push(l10n.t('First token: {0}', formatMilliseconds(state.firstEventMs)));
  if (state.totalMs !== undefined) parts.push(l10n.t('Total: {0}', formatMilliseconds(state.totalMs)));
  return `_${parts.join(' · ')}_`;
}

/** Reasoning goes in an HTML details block, which the Markdown preview shows collapsed. */
function renderReasoning(reasoning: string, inProgress: boolean): string {
  const summary = inProgress ? l10n.t('Reasoning (in progress)') : l10n.t('Reasoning');
  return `<details>\n<summary>${summary}</summary>\n\n${reasoning.trim()}\n\n</details>`;
}

function renderFooter(state: AnswerState): string {
  const outcome = state.outcome;
  switch (outcome.kind) {
    case 'streaming':
      return `_${state.retry ?? l10n.t('Receiving the answer…')}_`;
    case 'finished':
      return `_${finishedSentence(outcome)}_`;
    case 'cancelled':
      return `_${state.text ? l10n.t('Cancelled. The text above is what arrived before the request was cancelled.') : l10n.t('Cancelled before any text arrived.')}_`;
    case 'failed':
      return failedSection(outcome.error, state.text !== '');
    case 'lost':
      return l10n.t('**The request did not finish:** {0}', inline(outcome.message));
  }
}

/** Whole sentences, each translated on its own, rather than words joined into one. */
function finishedSentence(outcome: Extract<AnswerOutcome, { kind: 'finished' }>): string {
  const sentences = [outcome.cached ? l10n.t('Finished, from the cache.') : l10n.t('Finished.')];
  if (outcome.finishReason === 'length') sentences.push(l10n.t('The answer was cut off at the output token limit.'));
  if (outcome.finishReason === 'content_filter') sentences.push(l10n.t('The provider\'s content filter stopped the answer.'));
  const tokens = outcome.usage?.outputTokens;
  if (tokens !== undefined) sentences.push(l10n.t('Output tokens: {0}.', tokens));
  return sentences.join(' ');
}

function failedSection(error: ErrorData, hasText: boolean): string {
  const lines = [l10n.t('**Failed ({0}):** {1}', error.code, inline(error.message))];
  if (error.fix.length > 0) lines.push(l10n.t('Fix: {0}', error.fix.map(inline).join(' ')));
  if (hasText) lines.push(l10n.t('The text above is what arrived before the failure.'));
  if (error.requestId && error.providerRequestId) lines.push(l10n.t('Request id: `{0}`, provider request id: `{1}`', error.requestId, error.providerRequestId));
  else if (error.requestId) lines.push(l10n.t('Request id: `{0}`', error.requestId));
  return lines.join('\n\n');
}

/** Formats milliseconds as "850 ms" below a second and "2.4 s" above. */
export function formatMilliseconds(ms: number): string {
  return ms < 1000 ? l10n.t('{0} ms', Math.round(ms)) : l10n.t('{0} s', (ms / 1000).toFixed(1));
}

/** Keeps one-line text from settings or errors from being read as Markdown structure. */
function inline(text: string): string {
  // Underscores stay as they are: inside words they start no emphasis, and the raw text stays readable.
  return text.replace(/[\\`*[\]<>]/g, '\\$&').replace(/\r?\n/g, ' ');
}
