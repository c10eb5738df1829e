/**
 * The retry policy for transient failures, configured in one place. Decisions follow the error
 * code, not the HTTP status alone. Network failures before the first byte, server errors,
 * overload and rate limits are retried with exponential backoff and jitter. Everything else is
 * not, such as quota, keys, parameters, blocked content and daily quotas. A stream that already
 * produced text is never retried silently. Corrective retries, which change the request, are
 * separate (corrective-retry.ts).
 */

import { CODE_INFO, SwitchboardError, type ErrorCode } from './errors';
import { describeWait } from './providers/retry-after';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Milliseconds before the first retry; doubles each attempt. */
  baseDelayMs: number;
  /** Upper bound of a computed backoff delay, in milliseconds. */
  maxBackoffMs: number;
  /**
   * Longest wait a server may ask for (Retry-After, retry-after-ms, Gemini RetryInfo) that is
   * still waited out automatically, in milliseconds. A longer request is returned to the user.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxBackoffMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Attempts in all for codes that more attempts rarely fix. A refused connection means nothing
 * listens on the port, so one quick second attempt covers a server that was just restarting.
 */
const MAX_ATTEMPTS_PER_CODE: Partial<Record<ErrorCode, number>> = {
  'network.refused': 2,
};

/** Jitter added to a wait the server asked for, at most, in milliseconds. */
const MAX_REQUESTED_WAIT_JITTER_MS = 250;

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

export interface RetryEvent {
  requestId: string;
  attempt: number;
  delayMs: number;
  error: SwitchboardError;
}

/**
 * An overloaded model needs seconds, not fractions of a second, to recover: with the default
 * 500 ms base the waits are about 2 s and then 4 s.
 */
const OVERLOAD_DELAY_SCALE = 4;

export class RetryPolicy {
  readonly options: RetryOptions;
  private readonly listeners = new Set<(event: RetryEvent) => void>();
  private readonly random: () => number;

  constructor(options: Partial<RetryOptions> = {}, random: () => number = Math.random) {
    this.options = checkRetryOptions({ ...DEFAULT_RETRY_OPTIONS, ...options });
    this.random = random;
  }

  /**
   * Decides whether attempt number `attempt` (1-based), which failed with `error`, is retried.
   * The code must be transient (CODE_INFO marks it retryable), and the mapper must not have
   * marked this error otherwise, as it does for `x-should-retry: false`.
   */
  decide(error: SwitchboardError, attempt: number, producedOutput: boolean): RetryDecision {
    if (producedOutput) return { retry: false, reason: 'the answer had already started' };
    if (!CODE_INFO[error.code].retryable) return { retry: false, reason: `${error.code} is not a transient failure` };
    if (!error.retryable) return { retry: false, reason: `the provider marked this ${error.code} error as not retryable` };
    const maxAttempts = Math.min(this.options.maxAttempts, MAX_ATTEMPTS_PER_CODE[error.code] ?? Infinity);
    if (attempt >= maxAttempts) return { retry: false, reason: `${attempt} attempts made` };
    if (error.retryAfterMs !== undefined) {
      // `!(… <= …)` also rejects NaN and Infinity from a mapper that parsed the wait itself.
      if (!(error.retryAfterMs <= this.options.maxRetryAfterMs)) {
        return { retry: false, reason: `the server asked to wait ${describeWait(error.retryAfterMs)}, more than the ${describeWait(this.options.maxRetryAfterMs)} cap` };
      }
      return { retry: true, delayMs: error.retryAfterMs + Math.round(this.random() * MAX_REQUESTED_WAIT_JITTER_MS) };
    }
    const scale = error.code === 'server.overloaded' ? OVERLOAD_DELAY_SCALE : 1;
    return { retry: true, delayMs: this.backoff(attempt, scale) };
  }

  /**
   * Exponential backoff with full jitter between half and all of the doubled delay; `scale`
   * multiplies the base delay.
   */
  backoff(attempt: number, scale = 1): number {
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.baseDelayMs * scale * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  onRetry(listener: (event: RetryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(event: RetryEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Returns the options when every one is valid; otherwise raises `config.invalid` naming the first bad one. */
export function checkRetryOptions(options: RetryOptions): RetryOptions {
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new SwitchboardError('config.invalid', `The retry option maxAttempts is ${options.maxAttempts}; it must be a whole number of at least 1.`);
  }
  for (const name of ['baseDelayMs', 'maxBackoffMs', 'maxRetryAfterMs'] as const) {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new SwitchboardError('config.invalid', `The retry option ${name} is ${String(value)}; it must be a number of milliseconds, 0 or more.`);
    }
  }
  return options;
}

/** Resolves after `ms` milliseconds, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
