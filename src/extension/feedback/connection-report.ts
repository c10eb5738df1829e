/**
 * The connection report that a user may attach to feedback. It is built from the extension's
 * state (the active profile, the status-bar state, the server's phase and recent error
 * codes) and the connection doctor's report, and passed through the engine's redaction.
 * Pure, so unit tests check that no key survives.
 */

import type { DoctorReport } from '../../engine/doctor/report';
import { forgetSecret, redactText, registerSecret } from '../../engine/redact';
import type { ConnectionReport, RecentError } from './feedback-record';

/** Distinct error codes kept; older codes are dropped first. */
const MAX_RECENT_ERRORS = 20;

/** Counts the error codes that the server's status notifications report, newest last. */
export class RecentErrors {
  private readonly errors = new Map<string, RecentError>();
  /** The last code seen per profile, so a repeated status notification counts once. */
  private readonly lastCodeByProfile = new Map<string, string | undefined>();

  /** Records a profile's current error code; a change from the previous one counts as a new occurrence. */
  observe(profile: string, code: string | undefined, now = Date.now()): void {
    const previous = this.lastCodeByProfile.get(profile);
    this.lastCodeByProfile.set(profile, code);
    if (code === undefined || code === previous) return;
    const existing = this.errors.get(code);
    this.errors.delete(code);
    this.errors.set(code, { code, count: (existing?.count ?? 0) + 1, lastSeen: new Date(now).toISOString() });
    if (this.errors.size > MAX_RECENT_ERRORS) this.errors.delete(this.errors.keys().next().value as string);
  }

  list(): RecentError[] {
    return [...this.errors.values()].reverse();
  }
}

export interface ConnectionFacts {
  extensionVersion: string;
  editor: string;
  platform: string;
  remoteName?: string;
  profile?: { kind: string; baseUrl: string; model: string; server?: string };
  status: string;
  serverPhase: string;
  recentErrors: RecentError[];
  doctor?: DoctorReport;
  doctorProblem?: string;
}

/**
 * Builds the report. The profile section keeps only the host of the base URL. Every string,
 * the doctor's included, passes through `redactText` with the given keys registered, so no
 * key or URL token reaches the report.
 */
export function buildConnectionReport(facts: ConnectionFacts, secrets: readonly string[]): ConnectionReport {
  const report: ConnectionReport = {
    extensionVersion: facts.extensionVersion,
    editor: facts.editor,
    platform: facts.platform,
    remoteName: facts.remoteName,
    profile: facts.profile && { kind: facts.profile.kind, host: hostOf(facts.profile.baseUrl), model: facts.profile.model, server: facts.profile.server },
    status: facts.status,
    serverPhase: facts.serverPhase,
    recentErrors: facts.recentErrors.map((error) => ({ ...error })),
    doctor: facts.doctor,
    doctorProblem: facts.doctorProblem,
  };
  const registered = secrets.filter((secret) => secret !== '');
  registered.forEach(registerSecret);
  try {
    return redactStrings(report);
  } finally {
    registered.forEach(forgetSecret);
  }
}

/** Renders the report as the form shows it: indented JSON without empty fields. */
export function renderConnectionReport(report: ConnectionReport): string {
  return JSON.stringify(report, null, 2);
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return '(not a valid URL)';
  }
}

/** Applies `redactText` to every string in a JSON-like value. */
function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map(redactStrings) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined).map(([key, field]) => [key, redactStrings(field)])) as T;
  }
  return value;
}
