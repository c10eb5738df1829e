/**
 * The response cache: complete, successful answers kept by a hash of everything that changes
 * them, bounded by bytes, entries and age. Identical requests in flight share one upstream
 * request, and a cache hit replays the stored events with `end.cached` set.
 */

import { createHash } from 'node:crypto';

import { SwitchboardError, type FixSurface } from '../errors';
import type { Profile } from '../profiles';
import type { ChatEvent, ChatRequest } from '../types';
import { BoundedCache } from './bounded-cache';
import { SharedStream, type StreamSource } from './shared-stream';

export interface ResponseCacheOptions {
  /** Maximum bytes of stored answers, as estimated by `estimateBytes`. */
  maxBytes: number;
  /** Milliseconds an answer stays in the cache. */
  ttlMs: number;
  /** Maximum number of stored answers. */
  maxEntries: number;
  /** Monotonic clock in milliseconds, which tests inject. */
  now?: () => number;
}

export const DEFAULT_RESPONSE_CACHE_OPTIONS: ResponseCacheOptions = {
  maxBytes: 32 * 1024 * 1024,
  ttlMs: 30 * 60 * 1000,
  maxEntries: 1000,
};

/** The source of a request's events: a stored answer, an identical request in flight, or a new upstream request. */
export type CacheOutcome = 'hit' | 'joined' | 'miss' | 'bypass';

export interface StreamOptions {
  signal?: AbortSignal;
  /** Skips the lookup and the requests in flight, and stores the new answer (Regenerate). */
  bypass?: boolean;
  /** Observer that receives the cache outcome and every event the caller receives. */
  observer?: {
    served(outcome: CacheOutcome): void;
    event(event: ChatEvent): void;
    end(): void;
  };
  /** The wording of the fix lines in the error of an aborted caller; VS Code's by default. */
  surface?: FixSurface;
}

interface StoredAnswer {
  events: ChatEvent[];
  bytes: number;
}

/** Per-event estimate of an event object's memory besides its strings, in bytes. */
const EVENT_OVERHEAD_BYTES = 64;

export class ResponseCache {
  readonly options: ResponseCacheOptions;
  private readonly answers: BoundedCache<string, StoredAnswer>;
  private readonly inFlight = new Map<string, SharedStream<ChatEvent>>();

  constructor(options: Partial<ResponseCacheOptions> = {}) {
    this.options = { ...DEFAULT_RESPONSE_CACHE_OPTIONS, ...withoutUndefined(options) };
    this.answers = new BoundedCache<string, StoredAnswer>({
      maxEntries: this.options.maxEntries,
      maxSize: this.options.maxBytes,
      sizeOf: (answer) => answer.bytes,
      ttlMs: this.options.ttlMs,
      now: this.options.now,
      settingNames: { maxSize: 'cache.maxBytes (switchboard.cache.maxMegabytes)', ttlMs: 'cache.ttlMs (switchboard.cache.ttlMinutes)', maxEntries: 'cache.maxEntries' },
    });
  }

  /** Stored answers. */
  get entries(): number {
    return this.answers.size;
  }

  /** Estimated bytes of the stored answers. */
  get bytes(): number {
    return this.answers.totalSize;
  }

  /** Upstream requests that callers currently share. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  clear(): void {
    this.answers.clear();
  }

  /**
   * Returns the answer for `key`: replayed from the cache, joined from an identical request in
   * flight, or read from `upstream`, whose answer is stored when it ends with an `end` event.
   * The source is chosen at once, and the events arrive as the caller iterates.
   */
  stream(key: string, upstream: StreamSource<ChatEvent>, options: StreamOptions = {}): AsyncGenerator<ChatEvent> {
    const { observer, signal } = options;
    const subscription = { signal, onAbort: (received: readonly ChatEvent[]) => abortedEvent(received, signal?.reason, options.surface), onItem: observer?.event, onEnd: observer?.end };
    if (!options.bypass) {
      const stored = this.answers.get(key);
      if (stored) {
        observer?.served('hit');
        return replay(stored.events, options);
      }
      const shared = this.inFlight.get(key);
      if (shared) {
        observer?.served('joined');
        return shared.subscribe(subscription);
      }
    }
    observer?.served(options.bypass ? 'bypass' : 'miss');
    return this.startShared(key, upstream).subscribe(subscription);
  }

  private startShared(key: string, upstream: StreamSource<ChatEvent>): SharedStream<ChatEvent> {
    const shared = new SharedStream(upstream);
    this.inFlight.set(key, shared);
    void shared.whenDone().then(() => {
      if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
      const answer = completeAnswer(shared.items);
      if (answer) this.answers.set(key, answer);
    });
    return shared;
  }
}

/**
 * Hashes (SHA-256) everything that changes an answer: the profile's name, API key, kind, base
 * URL, API version, server type and headers, and the request's model, messages, sampling settings and streaming.
 */
export function responseCacheKey(request: ChatRequest, profile: Profile, apiKey?: string): string {
  // Sorted by name, so the order of the headers in the settings does not matter.
  const headers = Object.entries(profile.headers ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const material = JSON.stringify([
    profile.name,
    // Another key may belong to another account, with other models or limits.
    apiKey === undefined ? null : createHash('sha256').update(apiKey).digest('base64url'),
    profile.kind,
    profile.baseUrl,
    profile.apiVersion ?? null,
    profile.server ?? null,
    headers,
    request.model ?? profile.model,
    request.messages,
    request.temperature ?? null,
    request.maxOutputTokens ?? null,
    request.stop ?? null,
    request.stream ?? true,
  ]);
  return createHash('sha256').update(material).digest('base64url');
}

/** Estimates an answer's memory: UTF-16 strings at 2 bytes a character plus a fixed cost per event. */
export function estimateBytes(events: readonly ChatEvent[]): number {
  let bytes = 0;
  for (const event of events) {
    bytes += EVENT_OVERHEAD_BYTES;
    if (event.type === 'text' || event.type === 'reasoning') bytes += 2 * event.text.length;
    else if (event.type === 'end') bytes += 2 * (event.providerFinishReason?.length ?? 0) + EVENT_OVERHEAD_BYTES;
  }
  return bytes;
}

/**
 * Returns the events worth storing, or undefined when the answer did not end well. Retry and
 * correction notices are dropped, because a replay sends nothing to the server.
 */
function completeAnswer(items: readonly ChatEvent[]): StoredAnswer | undefined {
  const last = items[items.length - 1];
  if (last?.type !== 'end' || items.some((event) => event.type === 'error')) return undefined;
  const events = items.filter((event) => event.type !== 'retry' && event.type !== 'correction');
  return { events, bytes: estimateBytes(events) };
}

async function* replay(events: readonly ChatEvent[], { signal, observer, surface }: StreamOptions): AsyncGenerator<ChatEvent> {
  try {
    for (const [index, stored] of events.entries()) {
      const event = signal?.aborted ? abortedEvent(events.slice(0, index), signal.reason, surface) : stored.type === 'end' ? { ...stored, cached: true } : stored;
      observer?.event(event);
      yield event;
      if (event.type === 'error') return;
    }
  } finally {
    observer?.end();
  }
}

/**
 * Builds the final event of a caller whose signal aborted, keeping the text it had received, as
 * the engine does. A SwitchboardError reason (such as the caller's own `timeout.deadline`) is
 * used as the error, and any other reason gives `cancelled`.
 */
function abortedEvent(received: readonly ChatEvent[], reason: unknown, surface: FixSurface = 'editor'): ChatEvent {
  const error = reason instanceof SwitchboardError ? new SwitchboardError(reason.code, reason.message, { fix: reason.fixLines }) : new SwitchboardError('cancelled', 'The request was cancelled.');
  const text = received.map((event) => (event.type === 'text' ? event.text : '')).join('');
  if (text) error.partialText = text;
  return { type: 'error', error: error.toData(surface) };
}

function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
