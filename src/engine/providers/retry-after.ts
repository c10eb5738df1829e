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

/** Reads "try again in 3.89s", "try again in 174ms" or "retry after 33 seconds" from a message. */
export function parseRetryHint(message: string): number | undefined {
  const match = /(?:try again|retry) (?:in|after) (\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?)\b/i.exec(message);
  if (!match) return undefined;
  const amount = Number(match[1]);
  return Math.round(/^m/i.test(match[2]!) ? amount : amount * 1000);
}

/** Parses a protobuf duration string such as "26s" or "2.463586755s" into milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}
