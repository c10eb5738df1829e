/**
 * The retry policy, configured in one place. Decisions follow the error code, not the HTTP
 * status alone, and a stream that already produced text is never retried silently.
 */

import type { SwitchboardError } from './errors';

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

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

export interface RetryEvent {
  requestId: string;
  attempt: number;
  delayMs: number;
  error: SwitchboardError;
}

export class RetryPolicy {
  readonly options: RetryOptions;
  private readonly listeners = new Set<(event: RetryEvent) => void>();
  private readonly random: () => number;

  constructor(options: Partial<RetryOptions> = {}, random: () => number = Math.random) {
    this.options = { ...DEFAULT_RETRY_OPTIONS, ...options };
    this.random = random;
  }

  /** Decides whether attempt number `attempt` (1-based), which failed with `error`, is retried. */
  decide(error: SwitchboardError, attempt: number, producedOutput: boolean): RetryDecision {
    if (producedOutput) return { retry: false, reason: 'the answer had already started' };
    if (!error.retryable) return { retry: false, reason: `${error.code} is not retryable` };
    if (attempt >= this.options.maxAttempts) return { retry: false, reason: `${attempt} attempts made` };
    if (error.retryAfterMs !== undefined) {
      if (error.retryAfterMs > this.options.maxRetryAfterMs) {
        return { retry: false, reason: `the server asked to wait ${Math.ceil(error.retryAfterMs / 1000)} s, more than the ${this.options.maxRetryAfterMs / 1000} s cap` };
      }
      return { retry: true, delayMs: error.retryAfterMs + Math.round(this.random() * 250) };
    }
    return { retry: true, delayMs: this.backoff(attempt) };
  }

  /** Exponential backoff with full jitter between half and all of the doubled delay. */
  backoff(attempt: number): number {
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.baseDelayMs * 2 ** (attempt - 1));
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
