/**
 * A circuit breaker per profile. After several failures in a row that show the provider or its
 * route is down (see `breakerVerdict`) the breaker opens, and requests fail at once with
 * `circuit.open` instead of waiting for a provider that keeps failing. After a cooldown one
 * request may test the provider (half-open): a response closes the breaker, and another such
 * failure opens it for twice as long.
 */

import { CODE_INFO, SwitchboardError, type ErrorCode } from './errors';
import { DIAGNOSE_FIX } from './fix-text';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** The breaker's state as the status bar shows it. */
export interface CircuitSnapshot {
  state: CircuitState;
  /** Epoch milliseconds at which an open breaker lets one request through. */
  retryAt?: number;
}

export interface CircuitBreakerOptions {
  /** Transient failures in a row that open the breaker. */
  failureThreshold: number;
  /** Milliseconds within which those failures must fall; older ones no longer count. */
  windowMs: number;
  /** Milliseconds the breaker stays open the first time. */
  cooldownMs: number;
  /** Upper bound of the cooldown, which doubles each time a test request fails, in milliseconds. */
  maxCooldownMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: CircuitBreakerOptions = {
  failureThreshold: 5,
  windowMs: 60_000,
  cooldownMs: 30_000,
  maxCooldownMs: 5 * 60_000,
};

/** Admission of one request. The first call of any method counts; later calls do nothing. */
export interface CircuitTicket {
  succeeded(): void;
  failed(error: SwitchboardError): void;
  /** Ends the request without a verdict, as when the reader stops early. */
  release(): void;
}

export class CircuitBreaker {
  private state: CircuitState = 'closed';
  /** Times of the transient failures in the current run, oldest first. */
  private failures: number[] = [];
  private cooldownMs: number;
  private openUntil = 0;
  private probeInFlight = false;
  private lastFailureCode?: string;

  constructor(
    private readonly name: string,
    private readonly options: CircuitBreakerOptions,
    private readonly now: () => number,
    private readonly onChange: (snapshot: CircuitSnapshot) => void = () => {},
  ) {
    this.cooldownMs = options.cooldownMs;
  }

  snapshot(): CircuitSnapshot {
    if (this.state === 'open') return { state: this.now() >= this.openUntil ? 'half_open' : 'open', retryAt: this.openUntil };
    return { state: this.state };
  }

  /**
   * Admits a request or throws `circuit.open`. An open breaker whose cooldown has passed turns
   * half-open and admits this one request as the test; others fail until it ends.
   */
  admit(): CircuitTicket {
    if (this.state === 'open' && this.now() >= this.openUntil) this.transition('half_open');
    if (this.state === 'open') throw this.openError(this.openUntil - this.now());
    if (this.state === 'half_open') {
      if (this.probeInFlight) throw this.openError(undefined);
      this.probeInFlight = true;
      return this.ticket(true);
    }
    return this.ticket(false);
  }

  /** Closes the breaker at once, as "Retry now" does. */
  reset(): void {
    this.failures = [];
    this.cooldownMs = this.options.cooldownMs;
    this.probeInFlight = false;
    this.transition('closed');
  }

  private ticket(probe: boolean): CircuitTicket {
    let done = false;
    const once = (action: () => void) => {
      if (done) return;
      done = true;
      if (probe) this.probeInFlight = false;
      action();
    };
    return {
      succeeded: () => once(() => this.onSuccess()),
      failed: (error) => once(() => this.onFailure(error, probe)),
      release: () => once(() => {}),
    };
  }

  private onSuccess(): void {
    this.failures = [];
    this.cooldownMs = this.options.cooldownMs;
    this.transition('closed');
  }

  private onFailure(error: SwitchboardError, probe: boolean): void {
    const verdict = breakerVerdict(error.code);
    if (verdict === 'none') return;
    if (verdict === 'reachable') {
      // The provider sent a response, so it is reachable even though it rejected the request.
      this.onSuccess();
      return;
    }
    this.lastFailureCode = error.code;
    if (probe || this.state === 'half_open') {
      this.cooldownMs = Math.min(this.options.maxCooldownMs, this.cooldownMs * 2);
      this.open();
      return;
    }
    const now = this.now();
    this.failures = [...this.failures.filter((time) => now - time < this.options.windowMs), now];
    if (this.state === 'closed' && this.failures.length >= this.options.failureThreshold) this.open();
  }

  private open(): void {
    this.failures = [];
    this.openUntil = this.now() + this.cooldownMs;
    this.transition('open');
  }

  private transition(state: CircuitState): void {
    const changed = this.state !== state;
    this.state = state;
    if (changed || state === 'open') this.onChange(this.snapshot());
  }

  private openError(retryAfterMs: number | undefined): SwitchboardError {
    const cause = this.lastFailureCode ? ` (the last failure was ${this.lastFailureCode})` : '';
    if (retryAfterMs === undefined) {
      return new SwitchboardError(
        'circuit.open',
        `Profile "${this.name}" failed repeatedly${cause}, and one request is now testing whether it works again, so this request was not sent.`,
        { fix: ['Wait for the test request to finish, then retry.', DIAGNOSE_FIX] },
      );
    }
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return new SwitchboardError(
      'circuit.open',
      `Profile "${this.name}" kept failing${cause}, so Switchboard stopped sending requests to it for now; it will try again in ${seconds} s.`,
      {
        retryAfterMs,
        fix: ['Wait for the retry, or choose "Retry now" to send one request at once.', DIAGNOSE_FIX],
      },
    );
  }
}

/**
 * Codes that show the provider or the route to it is down, although CODE_INFO marks them not
 * retryable: no response came (DNS, timeouts), or the response stopped half-way (idle timeout).
 * Every code that CODE_INFO marks retryable counts as well.
 */
const DOWN_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['network.dns', 'timeout.first_byte', 'timeout.idle', 'timeout.deadline']);

/**
 * Codes that show nothing about the provider's health: a cancelled request, this breaker's own
 * `circuit.open`, Switchboard's own failures, and settings that block the route before any
 * answer (a certificate that is not trusted, proxy credentials). Fixing them is up to the user,
 * so they neither open nor close the breaker.
 */
const NEUTRAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'cancelled',
  'circuit.open',
  'internal',
  'tls.untrusted',
  'tls.expired',
  'tls.hostname',
  'proxy.auth_required',
  'config.base_url',
  'config.invalid',
  'config.profile_not_found',
]);

/**
 * Returns what a failed request shows the breaker: `down` counts as a failure, `reachable` as
 * a success (the provider sent a response, if only to reject the request), and `none` counts as neither.
 */
export function breakerVerdict(code: ErrorCode): 'down' | 'reachable' | 'none' {
  if (NEUTRAL_CODES.has(code)) return 'none';
  if (CODE_INFO[code].retryable || DOWN_CODES.has(code)) return 'down';
  return 'reachable';
}

/** The breakers of all profiles, made on first use with shared options and clock. */
export class CircuitBreakers {
  readonly options: CircuitBreakerOptions;
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    options: Partial<CircuitBreakerOptions> = {},
    private readonly now: () => number = Date.now,
    private readonly onChange: (profile: string, snapshot: CircuitSnapshot) => void = () => {},
  ) {
    this.options = checkOptions({ ...DEFAULT_CIRCUIT_BREAKER_OPTIONS, ...options });
  }

  /** Admits a request of a profile or throws `circuit.open`. */
  admit(profile: string): CircuitTicket {
    return this.breakerFor(profile).admit();
  }

  snapshot(profile: string): CircuitSnapshot {
    return this.breakers.get(profile)?.snapshot() ?? { state: 'closed' };
  }

  reset(profile: string): void {
    this.breakers.get(profile)?.reset();
  }

  private breakerFor(profile: string): CircuitBreaker {
    let breaker = this.breakers.get(profile);
    if (!breaker) {
      breaker = new CircuitBreaker(profile, this.options, this.now, (snapshot) => this.onChange(profile, snapshot));
      this.breakers.set(profile, breaker);
    }
    return breaker;
  }
}

function checkOptions(options: CircuitBreakerOptions): CircuitBreakerOptions {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value < 1) {
      throw new SwitchboardError('config.invalid', `Invalid circuit breaker option ${name}: ${value}.`, { fix: ['Use a positive number.'] });
    }
  }
  if (options.maxCooldownMs < options.cooldownMs) {
    throw new SwitchboardError('config.invalid', `The circuit breaker's maxCooldownMs (${options.maxCooldownMs}) is below its cooldownMs (${options.cooldownMs}).`, {
      fix: ['Set maxCooldownMs to at least cooldownMs.'],
    });
  }
  return options;
}
