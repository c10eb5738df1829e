/** Reading the delay a server asked for, from headers or from the text of its message. */

/**
 * Reads `retry-after-ms` (Azure and OpenAI) and `Retry-After` (seconds or an HTTP date), in
 * that order, as milliseconds.
 */
export function parseRetryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Math.round(Number(milliseconds));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Reads "try again in 3.89s", "try again in 174ms", "try again in 7m12s" (OpenAI's per-day
 * limits) or "retry after 33 seconds" (Azure) from a message, in milliseconds.
 */
export function parseRetryHint(message: string): number | undefined {
  const match = /(?:try again|retry) (?:in|after) ((?:\d+(?:\.\d+)?\s*(?:milliseconds?|ms|hours?|h|minutes?|min|m|seconds?|sec|s)(?![a-z])\s*)+)/i.exec(message);
  if (!match) return undefined;
  let total = 0;
  for (const part of match[1]!.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) total += Number(part[1]) * UNIT_MS[unitOf(part[2]!)];
  return Math.round(total);
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function unitOf(unit: string): keyof typeof UNIT_MS {
  const lower = unit.toLowerCase();
  if (lower === 'ms' || lower.startsWith('milli')) return 'ms';
  if (lower === 'h' || lower.startsWith('hour')) return 'h';
  if (lower === 'm' || lower.startsWith('min')) return 'm';
  return 's';
}

/** Parses a protobuf duration string such as "26s" or "2.463586755s" into milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}
