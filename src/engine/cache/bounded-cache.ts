/**
 * A Map-like cache bounded by entry count, total size and age, with a loader that coalesces
 * concurrent loads of one key. Built on lru-cache 11, which evicts the least recently used
 * entry first and treats an entry older than its TTL as missing.
 */

import { LRUCache } from 'lru-cache';

import { SwitchboardError } from '../errors';

export interface BoundedCacheOptions<V> {
  /** Maximum number of entries. */
  maxEntries: number;
  /** Maximum sum of `sizeOf` over all entries. Without it, only entries and age bound the cache. */
  maxSize?: number;
  /** Size of one entry, in the unit of `maxSize` (bytes for the response cache). */
  sizeOf?: (value: V) => number;
  /** Milliseconds an entry stays fresh after it was stored. */
  ttlMs: number;
  /** Setting names that `config.invalid` messages quote for each bound, such as `cache.ttlMinutes`. */
  settingNames?: Partial<Record<'maxEntries' | 'maxSize' | 'ttlMs', string>>;
  /**
   * Monotonic clock in milliseconds, which tests inject (default `performance.now`). It must
   * return values above 0, because lru-cache 11 never expires an entry stored at time 0.
   */
  now?: () => number;
}

export interface LoadOptions {
  /** Aborts this caller's wait. The shared load stops only when every caller waiting on it has aborted. */
  signal?: AbortSignal;
  /** Skips the stored value and loads again (joining a load already in flight). */
  refresh?: boolean;
}

interface Flight<V> {
  promise: Promise<V>;
  controller: AbortController;
  waiters: number;
}

// lru-cache keys and values may be any value but null and undefined.
export class BoundedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<K, V>;
  private readonly inFlight = new Map<K, Flight<V>>();
  /** Raised by `delete` and `clear`, so a load that started before them does not store its stale value. */
  private generation = 0;

  constructor(options: BoundedCacheOptions<V>) {
    checkBounds(options);
    const now = options.now;
    this.entries = new LRUCache<K, V>({
      // lru-cache takes whole numbers only, and the bounds were checked to be finite and positive.
      max: wholeNumber(options.maxEntries),
      ttl: wholeNumber(options.ttlMs),
      ttlAutopurge: false,
      // 0 reads the clock on every lookup instead of keeping a reading for 1 ms with a timer per call.
      ttlResolution: 0,
      ...(options.maxSize === undefined ? {} : { maxSize: wholeNumber(options.maxSize), sizeCalculation: (value: V) => Math.max(1, Math.ceil(options.sizeOf?.(value) ?? 1)) }),
      ...(now ? { perf: { now } } : {}),
    });
  }

  get size(): number {
    return this.entries.size;
  }

  /** Sum of the entries' sizes (0 when the cache has no size bound). */
  get totalSize(): number {
    return this.entries.calculatedSize;
  }

  get maxSize(): number {
    return this.entries.maxSize;
  }

  get maxEntries(): number {
    return this.entries.max;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores a value, unless it is larger than the whole size bound. */
  set(key: K, value: V): this {
    this.entries.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    this.generation++;
    return this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  keys(): K[] {
    return [...this.entries.keys()];
  }

  /**
   * Returns the stored value, or runs `loader` and stores what it resolves to. Callers that
   * ask for the same key while a load runs wait for that load instead of starting another.
   */
  load(key: K, loader: (signal: AbortSignal) => Promise<V>, options: LoadOptions = {}): Promise<V> {
    if (!options.refresh) {
      const stored = this.entries.get(key);
      if (stored !== undefined) return Promise.resolve(stored);
    }
    const flight = this.inFlight.get(key) ?? this.startLoad(key, loader);
    return waitFor(flight, options.signal);
  }

  /** Number of loads in flight (for tests and the performance report). */
  get loading(): number {
    return this.inFlight.size;
  }

  private startLoad(key: K, loader: (signal: AbortSignal) => Promise<V>): Flight<V> {
    const controller = new AbortController();
    const generation = this.generation;
    const flight: Flight<V> = { controller, waiters: 0, promise: Promise.resolve() as unknown as Promise<V> };
    flight.promise = (async () => {
      try {
        const value = await loader(controller.signal);
        if (generation === this.generation) this.entries.set(key, value);
        return value;
      } finally {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      }
    })();
    // Every waiter handles the result. This handler only keeps a load whose waiters all left
    // from being reported as an unhandled rejection.
    flight.promise.catch(() => undefined);
    this.inFlight.set(key, flight);
    return flight;
  }
}

/** Waits for a shared load. When the last waiter aborts, the load itself is aborted. */
function waitFor<V>(flight: Flight<V>, signal: AbortSignal | undefined): Promise<V> {
  flight.waiters++;
  if (!signal) return flight.promise.finally(() => flight.waiters--);
  return new Promise<V>((resolve, reject) => {
    const leave = () => {
      signal.removeEventListener('abort', onAbort);
      flight.waiters--;
    };
    const onAbort = () => {
      leave();
      if (flight.waiters === 0) flight.controller.abort(signal.reason);
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    flight.promise.then(
      (value) => {
        leave();
        resolve(value);
      },
      (error: unknown) => {
        leave();
        reject(error);
      },
    );
  });
}

function wholeNumber(value: number): number {
  return Math.max(1, Math.floor(value));
}

function checkBounds(options: Pick<BoundedCacheOptions<unknown>, 'maxEntries' | 'maxSize' | 'ttlMs' | 'settingNames'>): void {
  const bounds: Array<['maxEntries' | 'maxSize' | 'ttlMs', number | undefined]> = [
    ['maxEntries', options.maxEntries],
    ['maxSize', options.maxSize],
    ['ttlMs', options.ttlMs],
  ];
  for (const [field, value] of bounds) {
    if (field === 'maxSize' && value === undefined) continue;
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) continue;
    const name = options.settingNames?.[field] ?? field;
    throw new SwitchboardError('config.invalid', `The cache setting ${name} is ${String(value)}; it must be a finite number above 0, because a cache without bounds could use all memory.`, {
      fix: [`Set ${name} to a positive number.`],
    });
  }
}
