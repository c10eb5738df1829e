/**
 * Sends one feedback record to the configured endpoint as an HTTPS POST of JSON, retrying
 * with exponential backoff and jitter. Pure Node (global fetch), so unit tests run it
 * against a local HTTP server.
 */

import { setTimeout as sleep } from 'node:timers/promises';

import { parseRetryAfter } from '../../engine/providers/retry-after';
import type { Logger } from '../../engine/types';

export interface DeliveryOptions {
  /** Attempts in one run, the first included; the queue is sent again on the next start. */
  maxAttempts: number;
  /** Milliseconds before the second attempt; each later wait doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Milliseconds one attempt may take, from sending to the end of the response. */
  timeoutMs: number;
  /** Returns a number in [0, 1) for the jitter; tests pass a fixed one. */
  random: () => number;
  /** Waits between attempts; tests pass one that records the waits. */
  wait: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Six attempts over about a minute (1 + 2 + 4 + 8 + 16 s of waits, each 50–100 % with jitter). */
export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  timeoutMs: 15_000,
  random: Math.random,
  wait: (ms, signal) => sleep(ms, undefined, { signal }),
};

export type DeliveryOutcome =
  | { kind: 'delivered'; attempts: number; status: number }
  /** The endpoint refused the record for good (4xx other than 408 and 429, or a redirect). */
  | { kind: 'rejected'; attempts: number; status: number }
  /** Every attempt of this run failed; the record stays in the queue. */
  | { kind: 'gaveUp'; attempts: number; reason: string };

export type EndpointCheck = { ok: true; url: URL } | { ok: false; reason: string };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Accepts an https URL, or an http URL whose host is this machine (localhost, 127.0.0.1
 * or ::1), so feedback never crosses a network unencrypted. Credentials in the URL are
 * rejected because they would be logged and sent in clear configuration.
 */
export function checkEndpoint(value: string): EndpointCheck {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, reason: 'it is not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'it contains a user name or password' };
  if (url.protocol === 'https:') return { ok: true, url };
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return { ok: true, url };
  if (url.protocol === 'http:') return { ok: false, reason: 'plain http is allowed only for localhost, 127.0.0.1 and ::1' };
  return { ok: false, reason: `the scheme ${url.protocol} is not https` };
}

type AttemptResult = { kind: 'done'; outcome: DeliveryOutcome } | { kind: 'retry'; reason: string; retryAfterMs?: number };

/** POSTs `body` to `url` until it is accepted, refused for good, or `maxAttempts` fail. */
export async function deliverFeedback(
  url: URL,
  id: string,
  body: unknown,
  log: Logger,
  options: DeliveryOptions = DEFAULT_DELIVERY_OPTIONS,
  signal?: AbortSignal,
): Promise<DeliveryOutcome> {
  const json = JSON.stringify(body);
  let reason = 'no attempt was made';
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    const result = await attemptDelivery(url, id, json, attempt, options, signal);
    if (result.kind === 'done') return result.outcome;

    reason = result.reason;
    if (attempt === options.maxAttempts || signal?.aborted) break;
    const delayMs = retryDelay(attempt, result.retryAfterMs, options);
    log.warn(`Feedback ${id}: attempt ${attempt} of ${options.maxAttempts} to ${url.host} failed (${reason}); retrying in ${delayMs} ms.`);
    try {
      await options.wait(delayMs, signal);
    } catch {
      break;
    }
  }
  return { kind: 'gaveUp', attempts: options.maxAttempts, reason };
}

async function attemptDelivery(url: URL, id: string, json: string, attempt: number, options: DeliveryOptions, signal?: AbortSignal): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      // The id lets an endpoint drop the copy that a crash between sending and recording may cause.
      headers: { 'content-type': 'application/json', 'idempotency-key': id },
      body: json,
      // A redirect could carry the record to a host that no setting names.
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await response.body?.cancel().catch(() => undefined);
    return classifyResponse(response, attempt);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError') return { kind: 'retry', reason: `no response within ${options.timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string } }).cause;
    return { kind: 'retry', reason: cause?.code ?? (error as Error).message };
  }
}

function classifyResponse(response: Response, attempt: number): AttemptResult {
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'done', outcome: { kind: 'delivered', attempts: attempt, status } };
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs: parseRetryAfter(response.headers) };
  }
  return { kind: 'done', outcome: { kind: 'rejected', attempts: attempt, status } };
}

/** Exponential backoff with jitter; a longer Retry-After from the server wins, up to `maxDelayMs`. */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, options: Pick<DeliveryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(exponential * (0.5 + options.random() / 2));
  return Math.min(options.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}
