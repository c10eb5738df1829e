/**
 * Stored feedback as JSON, as CSV (RFC 4180) and as a Markdown summary that counts it by
 * kind, rating and error code. Pure; the caller passes `vscode.l10n` as `l10n`.
 */

import { FEEDBACK_KINDS, MAX_RATING, MIN_RATING } from '../../webview/feedback-messages';
import type { FormFeedback } from './feedback-record';
import type { StoredFeedback } from './feedback-store';

/** The part of `vscode.l10n` that pure modules use, so unit tests can pass a plain formatter. */
export interface Localizer {
  /** Translates `message` and fills its `{0}`-style placeholders. */
  t(message: string, ...args: (string | number | boolean)[]): string;
}

export const CSV_COLUMNS = [
  'id',
  'type',
  'createdAt',
  'kind',
  'rating',
  'helpful',
  'message',
  'contact',
  'profileKind',
  'profileHost',
  'model',
  'answerId',
  'requestId',
  'errorCodes',
  'deliveryStatus',
  'deliveredAt',
] as const;

type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Serializes every record with its delivery event as pretty-printed JSON. */
export function feedbackToJson(entries: readonly StoredFeedback[]): string {
  return `${JSON.stringify(entries.map((entry) => ({ ...entry.record, delivery: entry.delivery })), null, 2)}\n`;
}

/** Writes one row per record with CRLF line ends, as RFC 4180 describes. */
export function feedbackToCsv(entries: readonly StoredFeedback[]): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const entry of entries) {
    const row = csvRow(entry);
    rows.push(CSV_COLUMNS.map((column) => csvField(row[column])).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

function csvRow(entry: StoredFeedback): Record<CsvColumn, string | number | boolean | undefined> {
  const { record, delivery } = entry;
  const common = { id: record.id, type: record.type, createdAt: record.createdAt, deliveryStatus: delivery?.status ?? 'pending', deliveredAt: delivery?.at };
  if (record.type === 'form') {
    return {
      ...common,
      kind: record.kind,
      rating: record.rating,
      helpful: undefined,
      message: record.message,
      contact: record.contact,
      profileKind: record.diagnostics?.profile?.kind,
      profileHost: record.diagnostics?.profile?.host,
      model: record.diagnostics?.profile?.model,
      answerId: undefined,
      requestId: undefined,
      errorCodes: errorCodesOf(record).join(' '),
    };
  }
  return {
    ...common,
    kind: undefined,
    rating: undefined,
    helpful: record.helpful,
    message: record.note,
    contact: undefined,
    profileKind: undefined,
    profileHost: undefined,
    model: record.model,
    answerId: record.answerId,
    requestId: record.requestId,
    errorCodes: undefined,
  };
}

/**
 * Quotes a field when it contains a comma, a double quote or a line break, doubling inner
 * quotes. A field that starts with =, +, -, @, tab or carriage return gets a leading
 * apostrophe, so a spreadsheet shows user text instead of running it as a formula.
 */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface FeedbackCounts {
  total: number;
  byKind: Map<string, number>;
  byRating: Map<number, number>;
  helpful: number;
  notHelpful: number;
  /** Submissions whose attached diagnostics name the code, among recent errors or the doctor's failed step, per code. */
  byErrorCode: Map<string, number>;
  pending: number;
}

export function countFeedback(entries: readonly StoredFeedback[]): FeedbackCounts {
  const counts: FeedbackCounts = { total: entries.length, byKind: new Map(), byRating: new Map(), helpful: 0, notHelpful: 0, byErrorCode: new Map(), pending: 0 };
  for (const { record, delivery } of entries) {
    if (!delivery) counts.pending += 1;
    if (record.type === 'answerRating') {
      if (record.helpful) counts.helpful += 1;
      else counts.notHelpful += 1;
      continue;
    }
    increment(counts.byKind, record.kind);
    increment(counts.byRating, record.rating);
    for (const code of errorCodesOf(record)) increment(counts.byErrorCode, code);
  }
  return counts;
}

/** Renders the counts as a Markdown document, error codes sorted by how many submissions name them. */
export function renderFeedbackSummary(entries: readonly StoredFeedback[], l10n: Localizer): string {
  const counts = countFeedback(entries);
  const forms = [...counts.byKind.values()].reduce((sum, count) => sum + count, 0);
  const sections = [
    `# ${l10n.t('Switchboard Feedback Summary')}`,
    l10n.t('{0} stored item(s): {1} form submission(s) and {2} answer rating(s). {3} not delivered yet.', counts.total, forms, counts.helpful + counts.notHelpful, counts.pending),
    `## ${l10n.t('By kind')}`,
    table([l10n.t('Kind'), l10n.t('Submissions')], FEEDBACK_KINDS.map((kind) => [kind, counts.byKind.get(kind) ?? 0])),
    `## ${l10n.t('By rating')}`,
    table([l10n.t('Rating'), l10n.t('Submissions')], ratingRows(counts)),
    `## ${l10n.t('Answer ratings')}`,
    table([l10n.t('Rating'), l10n.t('Answers')], [[l10n.t('Helpful'), counts.helpful], [l10n.t('Not helpful'), counts.notHelpful]]),
    `## ${l10n.t('By error code')}`,
  ];
  const codes = [...counts.byErrorCode.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  sections.push(codes.length > 0 ? table([l10n.t('Error code'), l10n.t('Submissions that attached it')], codes.map(([code, count]) => [`\`${code}\``, count])) : l10n.t('No submission attached diagnostics with an error code.'));
  return `${sections.join('\n\n')}\n`;
}

/** Returns the distinct error codes in a submission's diagnostics: recent errors and the doctor's failing steps. */
export function errorCodesOf(record: FormFeedback): string[] {
  const codes = new Set(record.diagnostics?.recentErrors.map((error) => error.code) ?? []);
  for (const step of record.diagnostics?.doctor?.steps ?? []) {
    if (step.error) codes.add(step.error.code);
  }
  return [...codes];
}

function ratingRows(counts: FeedbackCounts): [string, number][] {
  const rows: [string, number][] = [];
  for (let rating = MAX_RATING; rating >= MIN_RATING; rating--) rows.push([String(rating), counts.byRating.get(rating) ?? 0]);
  return rows;
}

function table(header: [string, string], rows: readonly (readonly [string, number])[]): string {
  const lines = [`| ${header[0]} | ${header[1]} |`, '|---|---:|', ...rows.map(([label, count]) => `| ${label} | ${count} |`)];
  return lines.join('\n');
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
