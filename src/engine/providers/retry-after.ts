/** Reading the delay a server asked for, from headers or from the text of its message. */

/**
 * Maximum wait that a server's request is read as, in milliseconds (one day). A longer value,
 * such as a Retry-After of 400 digits that Number() turns into Infinity, is clamped to it, so
 * every parsed wait is a finite number that messages and timers can use.
 */
export const MAX_REQUESTED_WAIT_MS = 86_400_000;

/** Rounds a parsed wait to whole milliseconds and clamps it to 0 … MAX_REQUESTED_WAIT_MS. */
export function clampWait(ms: number): number {
  if (Number.isNaN(ms)) return MAX_REQUESTED_WAIT_MS;
  return Math.min(MAX_REQUESTED_WAIT_MS, Math.max(0, Math.round(ms)));
}

/** Formats a wait for messages: "1.5 s", or "a day or more" for a clamped wait. */
export function describeWait(ms: number): string {
  if (!(ms < MAX_REQUESTED_WAIT_MS)) return 'a day or more';
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Reads `retry-after-ms` (Azure and OpenAI) and `Retry-After` (seconds or an HTTP date), in
 * that order, as milliseconds clamped to MAX_REQUESTED_WAIT_MS.
 */
export function parseRetryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return clampWait(Number(milliseconds));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return clampWait(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : clampWait(date - now);
}

/**
 * Reads "try again in 3.89s", "try again in 174ms", "try again in 7m12s" (OpenAI's per-day
 * limits) or "retry after 33 seconds" (Azure) from a message, in milliseconds clamped to
 * MAX_REQUESTED_WAIT_MS.
 */
export function parseRetryHint(message: string): number | undefined {
  const match = /(?:try again|retry) (?:in|after) ((?:\d+(?:\.\d+)?\s*(?:milliseconds?|ms|hours?|h|minutes?|min|m|seconds?|sec|s)(?![a-z])\s*)+)/i.exec(message);
  if (!match) return undefined;
  let total = 0;
  for (const part of match[1]!.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) total += Number(part[1]) * UNIT_MS[unitOf(part[2]!)];
  return clampWait(total);
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function unitOf(unit: string): keyof typeof UNIT_MS {
  const lower = unit.toLowerCase();
  if (lower === 'ms' || lower.startsWith('milli')) return 'ms';
  if (lower === 'h' || lower.startsWith('hour')) return 'h';
  if (lower === 'm' || lower.startsWith('min')) return 'm';
  return 's';
}

/** Parses a protobuf duration string such as "26s" or "2.463586755s" into milliseconds, clamped to MAX_REQUESTED_WAIT_MS. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? clampWait(Number(match[1]) * 1000) : undefined;
}
