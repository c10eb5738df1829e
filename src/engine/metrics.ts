/**
 * Performance metrics per profile and of the process, in bounded memory: each series keeps
 * its last `windowSize` samples in a ring buffer, so percentiles describe recent requests and
 * memory stays the same however long the server runs.
 */

import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

import type { CacheOutcome } from './cache/response-cache';
import type { ChatEvent, ProviderKind } from './types';

/** Percentiles of a window of samples, undefined when the window is empty. */
export interface Summary {
  /** Samples in the window (at most the window size). */
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

/** One request as its caller saw it, for the report's chart. */
export interface RequestSample {
  /** Epoch milliseconds when the request started. */
  at: number;
  outcome: CacheOutcome;
  /** Milliseconds from the request to its first text or reasoning event. */
  firstTokenMs?: number;
  /** Milliseconds from the request to its last event. */
  totalMs: number;
  errorCode?: string;
}

export interface ProfileMetrics {
  profile: string;
  /** Requests callers made, whether served from the cache or upstream. */
  requests: number;
  /** Requests that ended with an answer (an `end` event). */
  completed: number;
  /** Failed requests by error code, `cancelled` included. */
  errors: Record<string, number>;
  /** Retries the engine made on upstream requests. */
  retries: number;
  cache: {
    hits: number;
    /** Requests that joined an identical request already in flight. */
    joined: number;
    misses: number;
    /** Requests sent upstream because the caller asked to regenerate. */
    bypassed: number;
    /** (hits + joined) / requests that looked in the cache, or 0 before the first. */
    hitRate: number;
  };
  /** Milliseconds from sending an upstream request to its response headers. */
  firstByteMs: Summary;
  /** Milliseconds from sending an upstream request to its first text or reasoning event. */
  firstTokenMs: Summary;
  /** Output tokens per second after the first token, per upstream request. */
  tokensPerSecond: Summary;
  /** The last requests, oldest first. */
  recent: RequestSample[];
}

export interface ProcessMetrics {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /**
   * Event-loop delay in milliseconds beyond the sampling interval, from
   * perf_hooks.monitorEventLoopDelay, since the monitor started or was last reset.
   */
  eventLoopDelayMs: Summary & { mean?: number };
}

export interface MetricsOptions {
  /** Samples kept per series and profile. */
  windowSize: number;
  /** Request samples kept per profile for the chart. */
  recentSize: number;
  /** Maximum number of profiles tracked. Beyond it, the profile updated longest ago is dropped. */
  maxProfiles: number;
  /** Monotonic clock in milliseconds. */
  now: () => number;
  /** Wall clock in epoch milliseconds, for sample timestamps. */
  wallClock: () => number;
}

export const DEFAULT_METRICS_OPTIONS: MetricsOptions = {
  windowSize: 512,
  recentSize: 60,
  maxProfiles: 64,
  now: () => performance.now(),
  wallClock: () => Date.now(),
};

/** A ring buffer of the last `capacity` numbers. */
export class SampleWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
  }

  summary(): Summary {
    const sorted = this.values.slice(0, this.filled).sort();
    return {
      count: this.filled,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: this.filled ? sorted[this.filled - 1] : undefined,
    };
  }
}

/** Returns the nearest-rank percentile of values sorted in ascending order, or undefined for no values. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

class ProfileSeries {
  requests = 0;
  completed = 0;
  retries = 0;
  readonly errors = new Map<string, number>();
  readonly outcomes: Record<CacheOutcome, number> = { hit: 0, joined: 0, miss: 0, bypass: 0 };
  readonly firstByteMs: SampleWindow;
  readonly firstTokenMs: SampleWindow;
  readonly tokensPerSecond: SampleWindow;
  private readonly recent: RequestSample[] = [];

  constructor(
    readonly profile: string,
    private readonly options: MetricsOptions,
  ) {
    this.firstByteMs = new SampleWindow(options.windowSize);
    this.firstTokenMs = new SampleWindow(options.windowSize);
    this.tokensPerSecond = new SampleWindow(options.windowSize);
  }

  addSample(sample: RequestSample): void {
    this.recent.push(sample);
    if (this.recent.length > this.options.recentSize) this.recent.shift();
  }

  toData(): ProfileMetrics {
    const { hit, joined, miss, bypass } = this.outcomes;
    const looked = hit + joined + miss;
    return {
      profile: this.profile,
      requests: this.requests,
      completed: this.completed,
      errors: Object.fromEntries(this.errors),
      retries: this.retries,
      cache: { hits: hit, joined, misses: miss, bypassed: bypass, hitRate: looked ? (hit + joined) / looked : 0 },
      firstByteMs: this.firstByteMs.summary(),
      firstTokenMs: this.firstTokenMs.summary(),
      tokensPerSecond: this.tokensPerSecond.summary(),
      recent: [...this.recent],
    };
  }
}

/** Receives what happens to one request, as its caller sees it. */
export interface RequestObserver {
  served(outcome: CacheOutcome): void;
  event(event: ChatEvent): void;
  /** Called once, after the caller's last event or when it stopped reading. */
  end(): void;
}

/** Receives what happens to one upstream request. */
export interface UpstreamObserver {
  /** Called when response headers arrive. Only the first call counts. */
  firstByte(): void;
  event(event: ChatEvent): void;
}

export class Metrics {
  readonly options: MetricsOptions;
  private readonly profiles = new Map<string, ProfileSeries>();

  constructor(options: Partial<MetricsOptions> = {}) {
    this.options = { ...DEFAULT_METRICS_OPTIONS, ...options };
  }

  /**
   * Starts observing one request as its caller sees it: how the cache served it, its first
   * token, and how it ended. The returned observer's methods are called by the response cache.
   */
  observeRequest(profile: string): RequestObserver {
    const series = this.series(profile);
    series.requests++;
    const started = this.options.now();
    const sample: RequestSample = { at: this.options.wallClock(), outcome: 'miss', totalMs: 0 };
    return {
      served: (outcome) => {
        sample.outcome = outcome;
        series.outcomes[outcome]++;
      },
      event: (event) => {
        if (sample.firstTokenMs === undefined && (event.type === 'text' || event.type === 'reasoning')) sample.firstTokenMs = this.options.now() - started;
        if (event.type === 'end') series.completed++;
        if (event.type === 'error') {
          sample.errorCode = event.error.code;
          series.errors.set(event.error.code, (series.errors.get(event.error.code) ?? 0) + 1);
        }
      },
      end: () => {
        sample.totalMs = this.options.now() - started;
        series.addSample(sample);
      },
    };
  }

  /**
   * Starts observing one upstream request: the time to its response headers (reported through
   * `firstByte`), to its first token, its token rate and its retries.
   */
  observeUpstream(profile: string): UpstreamObserver {
    const series = this.series(profile);
    const started = this.options.now();
    let firstByteMs: number | undefined;
    let firstTokenAt: number | undefined;
    let textEvents = 0;
    return {
      firstByte: () => {
        firstByteMs ??= this.options.now() - started;
      },
      event: (event) => {
        if (event.type === 'text' || event.type === 'reasoning') {
          textEvents++;
          firstTokenAt ??= this.options.now();
        } else if (event.type === 'retry') {
          series.retries++;
        } else if (event.type === 'end') {
          this.recordAnswer(series, started, firstByteMs, firstTokenAt, event.usage?.outputTokens ?? textEvents);
        }
      },
    };
  }

  /** Returns every tracked profile's figures, the profile used longest ago first. */
  snapshot(): ProfileMetrics[] {
    return [...this.profiles.values()].map((series) => series.toData());
  }

  reset(): void {
    this.profiles.clear();
  }

  private recordAnswer(series: ProfileSeries, started: number, firstByteMs: number | undefined, firstTokenAt: number | undefined, outputTokens: number): void {
    if (firstByteMs !== undefined) series.firstByteMs.add(firstByteMs);
    if (firstTokenAt === undefined) return;
    series.firstTokenMs.add(firstTokenAt - started);
    const seconds = (this.options.now() - firstTokenAt) / 1000;
    // A rate needs at least two tokens and a measurable interval between the first and the last.
    if (outputTokens > 1 && seconds > 0.001) series.tokensPerSecond.add((outputTokens - 1) / seconds);
  }

  private series(profile: string): ProfileSeries {
    let series = this.profiles.get(profile);
    if (series) {
      // Re-inserting keeps the Map in order of last use, so the first key is the one to drop.
      this.profiles.delete(profile);
    } else {
      series = new ProfileSeries(profile, this.options);
      if (this.profiles.size >= this.options.maxProfiles) this.profiles.delete(this.profiles.keys().next().value!);
    }
    this.profiles.set(profile, series);
    return series;
  }
}

/** Sampling interval of the event-loop delay monitor, in milliseconds (Node's default). */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** Memory and event-loop delay of the current process. */
export class ProcessMonitor {
  private histogram: IntervalHistogram | undefined;

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.histogram.enable();
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** Starts a new measurement period for the event-loop delay. */
  reset(): void {
    this.histogram?.reset();
  }

  snapshot(): ProcessMetrics {
    const memory = process.memoryUsage();
    return {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      eventLoopDelayMs: this.eventLoopDelay(),
    };
  }

  private eventLoopDelay(): Summary & { mean?: number } {
    const histogram = this.histogram;
    if (!histogram || histogram.count === 0) return { count: 0 };
    // The histogram records the whole interval between samples in nanoseconds, and the delay is what exceeds the interval.
    const delay = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - EVENT_LOOP_RESOLUTION_MS);
    return {
      count: histogram.count,
      p50: delay(histogram.percentile(50)),
      p95: delay(histogram.percentile(95)),
      p99: delay(histogram.percentile(99)),
      max: delay(histogram.max),
      mean: delay(histogram.mean),
    };
  }
}

/** The snapshot that `Engine.metrics()` returns. The server adds the process figures. */
export interface MetricsSnapshot {
  /** Epoch milliseconds when the snapshot was taken. */
  takenAt: number;
  profiles: ProfileMetrics[];
  caches: {
    responses: { entries: number; bytes: number; maxBytes: number; ttlMs: number; inFlight: number };
    modelLists: { entries: number; ttlMs: number };
  };
  /** Provider kinds whose adapter modules were loaded so far. */
  loadedProviders: ProviderKind[];
  process?: ProcessMetrics;
}
