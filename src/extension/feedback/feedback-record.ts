/**
 * The stored forms of feedback: form submissions, answer ratings and delivery events, one
 * JSON line each, with the checks applied when the lines are read back. Pure, so unit
 * tests load it without VS Code.
 */

import { randomUUID } from 'node:crypto';

import type { DoctorReport } from '../../engine/doctor/report';
import { FEEDBACK_KINDS, MAX_RATING, MIN_RATING, type FeedbackKind } from '../../webview/feedback-messages';

/** Version of the stored line format; a line with another version is treated as damaged. */
export const RECORD_VERSION = 1;

/** An error code the extension saw recently, counted per code. */
export interface RecentError {
  code: string;
  count: number;
  /** ISO 8601 time it was last seen. */
  lastSeen: string;
}

/**
 * A redacted description of the connection that the user can attach to a submission.
 * It contains no API key and no profile headers, and credentials in URLs are masked.
 */
export interface ConnectionReport {
  extensionVersion: string;
  /** Application name and version, such as "Visual Studio Code 1.100.3". */
  editor: string;
  /** `process.platform` and `process.arch` of the extension host. */
  platform: string;
  /** VS Code's remote name (`ssh-remote`, `wsl`, …) when the window is remote. */
  remoteName?: string;
  profile?: { kind: string; host: string; model: string; server?: string };
  /** The status-bar state, such as `connected` or `authError`. */
  status: string;
  /** The language server's phase: notStarted, starting, running or stopped. */
  serverPhase: string;
  recentErrors: RecentError[];
  /** The connection doctor's steps for the active profile, run without the token-spending steps. */
  doctor?: DoctorReport;
  /** The reason the doctor did not run or did not finish, when it did not. */
  doctorProblem?: string;
}

interface RecordBase {
  v: typeof RECORD_VERSION;
  id: string;
  /** ISO 8601 time the user sent it. */
  createdAt: string;
  extensionVersion: string;
}

/** A submission of the Send Feedback form. */
export interface FormFeedback extends RecordBase {
  type: 'form';
  kind: FeedbackKind;
  rating: number;
  message: string;
  contact?: string;
  diagnostics?: ConnectionReport;
}

/** A helpful or not-helpful rating of one answer document. */
export interface AnswerRating extends RecordBase {
  type: 'answerRating';
  helpful: boolean;
  note?: string;
  /** The answer document's local id, created when the document opened. */
  answerId: string;
  /** The engine's request id, known only when the request failed. */
  requestId?: string;
  profile: string;
  model: string;
  /** The command that produced the answer, such as "Explain Selection". */
  command: string;
  /** The request's outcome: finished, failed, cancelled or lost. */
  outcome: string;
  /** The messages sent to the model; stored only when the user opted in. */
  prompt?: string;
  /** The answer's text; stored only when the user opted in. */
  answerText?: string;
}

export type FeedbackRecord = FormFeedback | AnswerRating;

/**
 * Terminal delivery states: sent to the endpoint, rejected by it for good (an HTTP 4xx
 * other than 408 and 429), or kept only on this computer because no endpoint was set.
 */
export type DeliveryStatus = 'delivered' | 'rejected' | 'keptLocally';

export interface DeliveryEvent {
  v: typeof RECORD_VERSION;
  id: string;
  status: DeliveryStatus;
  /** ISO 8601 time of the event. */
  at: string;
  /** HTTP status or reason, for the log and the export. */
  detail?: string;
  attempts?: number;
}

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['delivered', 'rejected', 'keptLocally'];

export function createFeedbackId(): string {
  return randomUUID();
}

/** Returns the value as a FeedbackRecord when it has the stored shape, else undefined. */
export function parseFeedbackRecord(value: unknown): FeedbackRecord | undefined {
  if (!hasBase(value)) return undefined;
  if (value.type === 'form') {
    const ok =
      FEEDBACK_KINDS.includes(value.kind as FeedbackKind) &&
      Number.isInteger(value.rating) &&
      (value.rating as number) >= MIN_RATING &&
      (value.rating as number) <= MAX_RATING &&
      typeof value.message === 'string' &&
      optionalString(value.contact);
    return ok ? (value as unknown as FormFeedback) : undefined;
  }
  if (value.type === 'answerRating') {
    const ok =
      typeof value.helpful === 'boolean' &&
      typeof value.answerId === 'string' &&
      typeof value.profile === 'string' &&
      typeof value.model === 'string' &&
      optionalString(value.note) &&
      optionalString(value.prompt);
    return ok ? (value as unknown as AnswerRating) : undefined;
  }
  return undefined;
}

export function parseDeliveryEvent(value: unknown): DeliveryEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  const ok = event.v === RECORD_VERSION && typeof event.id === 'string' && DELIVERY_STATUSES.includes(event.status as DeliveryStatus) && typeof event.at === 'string';
  return ok ? (event as unknown as DeliveryEvent) : undefined;
}

function hasBase(value: unknown): value is Record<string, unknown> & { type: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return record.v === RECORD_VERSION && typeof record.id === 'string' && record.id !== '' && typeof record.createdAt === 'string';
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}
