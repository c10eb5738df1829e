/**
 * The one retry that this window waits for after an error that asked for a wait, such as a 429
 * with a Retry-After longer than the engine waits out by itself. The status bar counts down to
 * it, and "Retry now" or "Cancel" end the wait early. Free of `vscode`, so unit tests run it
 * with a fake clock.
 */

export interface ScheduledRetry {
  /** Epoch milliseconds when the retry runs. */
  readonly retryAt: number;
  /** The error code that asked for the wait, such as `rate_limited`. */
  readonly code: string;
}

export interface CountdownClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RetryCountdownOptions {
  /** Called with the new retry time, or undefined once no retry is scheduled. */
  onChange(retryAt: number | undefined): void;
  /** Called when a retry throws or rejects. */
  onError(error: unknown): void;
  clock?: CountdownClock;
}

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const SYSTEM_CLOCK: CountdownClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class RetryCountdown {
  private pending: (ScheduledRetry & { run: () => unknown; timer: unknown }) | undefined;
  private readonly clock: CountdownClock;

  constructor(private readonly options: RetryCountdownOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  get scheduled(): ScheduledRetry | undefined {
    return this.pending && { retryAt: this.pending.retryAt, code: this.pending.code };
  }

  /** Runs `run` at `retryAt`. A retry already scheduled is dropped without running, because the newer error replaces it. */
  schedule(retryAt: number, code: string, run: () => unknown): void {
    this.clear();
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, retryAt - this.clock.now()));
    const timer = this.clock.setTimeout(() => this.runPending(), delayMs);
    this.pending = { retryAt, code, run, timer };
    this.options.onChange(retryAt);
  }

  /** Runs the scheduled retry at once; returns false when none was scheduled. */
  retryNow(): boolean {
    return this.runPending();
  }

  /** Drops the scheduled retry without running it; returns false when none was scheduled. */
  cancel(): boolean {
    const had = this.pending !== undefined;
    this.clear();
    if (had) this.options.onChange(undefined);
    return had;
  }

  dispose(): void {
    this.clear();
  }

  private runPending(): boolean {
    const pending = this.pending;
    if (!pending) return false;
    this.clear();
    this.options.onChange(undefined);
    Promise.resolve()
      .then(pending.run)
      .catch((error: unknown) => this.options.onError(error));
    return true;
  }

  private clear(): void {
    if (this.pending) this.clock.clearTimeout(this.pending.timer);
    this.pending = undefined;
  }
}
