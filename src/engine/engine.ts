/**
 * The engine: resolves profiles and keys, runs each chat request through its adapter with
 * the retry policy and an overall deadline, and reports connection state per profile.
 */

import { ModelListCache, type ModelListCacheOptions } from './cache/model-list-cache';
import { ResponseCache, responseCacheKey, type ResponseCacheOptions } from './cache/response-cache';
import { CapabilityMemory, type CapabilityStore } from './capability-memory';
import { CircuitBreakers, type CircuitBreakerOptions, type CircuitSnapshot, type CircuitTicket } from './circuit-breaker';
import { planCorrectiveRetry, type CorrectiveRetry } from './corrective-retry';
import { isSwitchboardError, keepPartialText, SwitchboardError, type Correction, type FixSurface } from './errors';
import { raiseTimeoutFix, setKeyFix } from './fix-text';
import { checkApiKey, isKeyOptional } from './keys';
import { Metrics, type MetricsSnapshot } from './metrics';
import { addModelSuggestions } from './model-suggestions';
import { Network } from './network/network';
import { formatSeconds, type NetworkOptions } from './network/options';
import { classifyTransportError } from './network/transport-errors';
import { parseProfile, type Profile, type ProfileInput } from './profiles';
import type { Adapter, AdapterContext, AdapterRequest } from './providers/adapter';
import { clampWait } from './providers/retry-after';
import { forgetSecret, registerSecret } from './redact';
import { ProviderRegistry } from './registry';
import { checkChatRequest, describeRequestProblem } from './request-check';
import { createRequestId } from './request-id';
import { checkRetryOptions, RetryPolicy, sleep, type RetryOptions } from './retry';
import { silentLogger, type ChatEvent, type ChatRequest, type Logger, type ModelInfo } from './types';

export type ConnectionState = 'unknown' | 'connecting' | 'connected' | 'warming_up' | 'rate_limited' | 'auth_error' | 'unreachable' | 'error';

export interface ProfileStatus {
  profile: string;
  state: ConnectionState;
  inFlight: number;
  /** Milliseconds to the first event of the last successful request. */
  lastLatencyMs?: number;
  lastErrorCode?: string;
  lastErrorMessage?: string;
  /** Epoch milliseconds after which a rate-limited profile may be tried again. */
  retryAt?: number;
  /** The profile's circuit breaker, present while it is not closed. */
  circuit?: CircuitSnapshot;
}

export interface EngineOptions {
  logger?: Logger;
  network?: Partial<NetworkOptions>;
  retry?: Partial<RetryOptions>;
  /** Response cache bounds; defaults 32 MB and 30 minutes. */
  cache?: Partial<ResponseCacheOptions>;
  /** Model-list cache settings; the default TTL is 5 minutes. */
  modelListCache?: Partial<ModelListCacheOptions>;
  /** Circuit breaker settings per profile; defaults 5 failures, 30 s doubling up to 5 min. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Persistence of what corrective retries learned; call `capabilities.restore()` to load it. */
  capabilityStore?: CapabilityStore;
  /** Epoch milliseconds now, for the circuit breakers; tests pass a fake clock. */
  clock?: () => number;
  /** The wording of the fix lines in error events: VS Code's commands and settings (default), or the command line's flags. */
  surface?: FixSurface;
}

export interface EngineConfiguration {
  profiles: ProfileInput[];
  network?: Partial<NetworkOptions>;
  retry?: Partial<RetryOptions>;
  /** New response cache bounds; changing them empties the cache. */
  cache?: { maxBytes: number; ttlMs: number };
}

/** Result of a warm-up request. */
export interface WarmUpResult {
  ok: boolean;
  /** HTTP status of the server's answer to the warm-up request, whatever it was. */
  status?: number;
  /** Error code when no answer came. */
  code?: string;
  durationMs: number;
}

export class Engine {
  readonly registry = new ProviderRegistry();
  readonly retryPolicy: RetryPolicy;
  private network: Network;
  private readonly logger: Logger;
  private readonly surface: FixSurface;
  private profiles = new Map<string, Profile>();
  private readonly keys = new Map<string, string>();
  /** Deadline controllers of the requests in flight, which `close` aborts. */
  private readonly activeRequests = new Set<AbortController>();
  private readonly statuses = new Map<string, ProfileStatus>();
  private readonly statusListeners = new Set<(status: ProfileStatus) => void>();
  private responseCache: ResponseCache;
  private readonly modelLists: ModelListCache;
  private readonly recorder = new Metrics();
  /** Capabilities that rejections taught about models, per base URL and model. */
  readonly capabilities: CapabilityMemory;
  /** Circuit breakers per profile; `circuits.reset(profile)` implements "Retry now". */
  readonly circuits: CircuitBreakers;

  constructor(options: EngineOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.surface = options.surface ?? 'editor';
    this.network = new Network(options.network, this.logger);
    this.responseCache = new ResponseCache(options.cache);
    this.modelLists = new ModelListCache(options.modelListCache);
    this.retryPolicy = new RetryPolicy(options.retry);
    this.retryPolicy.onRetry((event) =>
      this.logger.info(`[${event.requestId}] retrying after ${event.error.code} in ${event.delayMs} ms (attempt ${event.attempt + 1})`),
    );
    this.capabilities = new CapabilityMemory({ store: options.capabilityStore, logger: this.logger });
    this.circuits = new CircuitBreakers(options.circuitBreaker, options.clock, (profile, circuit) =>
      this.updateStatus(profile, { circuit: circuit.state === 'closed' ? undefined : circuit }),
    );
  }

  /**
   * Replaces the profiles (and network and retry settings when given). Every profile is
   * checked first, so a bad one raises `config.*` and leaves the previous configuration in place.
   */
  async configure(configuration: EngineConfiguration): Promise<void> {
    const profiles = new Map<string, Profile>();
    configuration.profiles.forEach((input, index) => {
      const profile = parseProfile(input, `profiles[${index}]`);
      if (profiles.has(profile.name)) {
        throw new SwitchboardError('config.invalid', `Two profiles are named "${profile.name}".`, { fix: ['Give each profile its own name.'] });
      }
      profiles.set(profile.name, profile);
    });
    const responseCache = configuration.cache ? this.resizeResponseCache(configuration.cache) : this.responseCache;
    const retry = configuration.retry ? checkRetryOptions({ ...this.retryPolicy.options, ...configuration.retry }) : undefined;
    if (configuration.network) {
      const network = new Network({ ...this.network.options, ...configuration.network }, this.logger);
      const previous = this.network;
      this.network = network;
      previous.close().catch(() => undefined);
    }
    if (retry) Object.assign(this.retryPolicy.options, retry);
    this.responseCache = responseCache;
    const previousProfiles = this.profiles;
    this.profiles = profiles;
    // A changed definition may fix what opened a profile's breaker, and may point at another server.
    const changed = [...profiles.values()].filter((profile) => {
      const before = previousProfiles.get(profile.name);
      return before === undefined || JSON.stringify(before) !== JSON.stringify(profile);
    });
    for (const profile of changed) this.circuits.reset(profile.name);
    if (changed.length > 0) this.modelLists.clear();
  }

  listProfiles(): Profile[] {
    return [...this.profiles.values()];
  }

  getProfile(name: string): Profile {
    const profile = this.profiles.get(name);
    if (!profile) {
      const known = [...this.profiles.keys()];
      throw new SwitchboardError('config.profile_not_found', `No profile is named "${name}".`, {
        fix: [known.length ? `Use one of: ${known.join(', ')}.` : 'Add a profile in the settings first.'],
      });
    }
    return profile;
  }

  /**
   * Stores a key in memory for a profile; an empty, null or undefined key removes it. Raises
   * `config.invalid` for a profile name or key that is not a string, and keeps the stored key.
   */
  setKey(profile: string, key: string | undefined): void {
    // The server's checkSetKeyParams rejects a blank name too.
    if (typeof profile !== 'string' || profile.trim() === '') {
      const description = typeof profile === 'string' && profile !== '' ? 'only white space' : describeValue(profile);
      throw new SwitchboardError('config.invalid', `The profile name for the API key is ${description}; it must be a string that is not blank.`, {
        fix: ['Pass the name of a configured profile.'],
      });
    }
    if (key !== undefined && key !== null && typeof key !== 'string') {
      throw new SwitchboardError('config.invalid', `The API key for profile "${profile}" is ${describeValue(key)}, not a string; the stored key was kept.`, {
        fix: ['Pass the key as a string, or undefined to remove it.'],
      });
    }
    // Another key may belong to another account, which can offer other models.
    if (this.keys.get(profile) !== key) this.modelLists.clear();
    forgetSecret(this.keys.get(profile));
    if (key) {
      this.keys.set(profile, key);
      registerSecret(key);
    } else {
      this.keys.delete(profile);
    }
  }

  hasKey(profile: string): boolean {
    return this.keys.has(profile);
  }

  /** Returns the stored key and the network settings that the connection doctor probes with. */
  diagnosisInputs(profile: string): { apiKey?: string; network: NetworkOptions } {
    return { apiKey: this.keys.get(profile), network: this.network.options };
  }

  onStatus(listener: (status: ProfileStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  statusOf(profile: string): ProfileStatus {
    const status = this.statuses.get(profile) ?? { profile, state: 'unknown', inFlight: 0 };
    // An open breaker turns half-open when its cooldown ends, without an event.
    return status.circuit ? { ...status, circuit: this.circuits.snapshot(profile) } : status;
  }

  /**
   * Streams the answer to a request. Never throws: failures arrive as a final `error` event,
   * and the stream always ends within the deadline. An identical request answered before, or
   * in flight, is served from the response cache unless `bypassCache` is set.
   */
  chat(request: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatEvent> {
    try {
      return this.chatThroughCache(request, signal);
    } catch (raw) {
      // Nothing here is expected to throw, but if something does, the caller still gets an error event.
      const error = this.toError(raw, undefined, undefined, { signal: new AbortController().signal });
      this.logger.error(`Chat request failed before it started: ${error.code}: ${error.message}`);
      return errorEvents(error, this.surface);
    }
  }

  private chatThroughCache(request: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatEvent> {
    // An unknown profile or an invalid field becomes the error event of an uncached send.
    const profile = this.profiles.get(request?.profile);
    if (!profile || describeRequestProblem(request) !== undefined) return this.send(request, signal);
    const upstream = (upstreamSignal: AbortSignal) => {
      const observer = this.recorder.observeUpstream(profile.name);
      return { items: this.send(request, upstreamSignal, observer.firstByte), onItem: observer.event };
    };
    const key = responseCacheKey(request, profile, this.keys.get(profile.name));
    // Each caller has its own deadline, so one that joins an identical request in flight ends by
    // its deadline, while the shared upstream keeps running for the callers still reading it.
    const deadline = this.createDeadline(signal);
    const events = this.responseCache.stream(key, upstream, { signal: deadline.signal, bypass: request.bypassCache, observer: this.recorder.observeRequest(profile.name), surface: this.surface });
    return disposeAfter(events, deadline.dispose);
  }

  /** Sends a request upstream with retries; `onFirstByte` is called when response headers arrive. */
  private async *send(request: ChatRequest, signal?: AbortSignal, onFirstByte?: () => void): AsyncGenerator<ChatEvent> {
    const requestId = createRequestId();
    const deadline = this.createDeadline(signal);
    const started = Date.now();
    let profile: Profile | undefined;
    let produced = '';
    let ticket: CircuitTicket | undefined;
    try {
      profile = this.getProfile(request.profile);
      let adapterRequest = this.toAdapterRequest(request, profile);
      const context = this.createContext(profile, requestId, deadline.signal, onFirstByte);
      const adapter = await this.registry.adapterFor(profile);
      ticket = this.circuits.admit(profile.name);
      this.updateStatus(profile.name, { inFlight: +1, state: 'connecting' });
      const corrections = new Set<Correction['kind']>();
      for (let attempt = 1; ; attempt++) {
        try {
          let first = true;
          for await (const event of adapter.chat(adapterRequest, context)) {
            if (first) {
              first = false;
              this.updateStatus(profile.name, { state: 'connected', lastLatencyMs: Date.now() - started });
            }
            if (event.type === 'text') produced += event.text;
            yield event;
          }
          this.logLine(requestId, profile, adapterRequest.model, 'ok', started, attempt);
          this.updateStatus(profile.name, { state: 'connected', lastErrorCode: undefined, lastErrorMessage: undefined, retryAt: undefined });
          ticket.succeeded();
          return;
        } catch (raw) {
          const error = this.toError(raw, adapter.mapError.bind(adapter), context, deadline);
          this.logLine(requestId, profile, adapterRequest.model, error.code, started, attempt);
          const correction = produced ? undefined : planCorrectiveRetry(error, adapterRequest, corrections);
          if (correction) {
            adapterRequest = this.applyCorrection(requestId, profile, correction);
            yield { type: 'correction', correction: error.correction!.kind, message: `${capitalize(correction.description)}; the request was sent again.` };
            // A corrective retry changes the request and is not a transient retry, so it uses no attempt.
            attempt--;
            continue;
          }
          const decision = this.retryPolicy.decide(error, attempt, produced.length > 0);
          if (!decision.retry) {
            this.logger.debug(`[${requestId}] not retried: ${decision.reason}`);
            throw await this.withModelSuggestions(error, profile, adapterRequest.model, deadline.signal, requestId);
          }
          this.retryPolicy.notify({ requestId, attempt, delayMs: decision.delayMs, error });
          yield { type: 'retry', attempt: attempt + 1, delayMs: decision.delayMs, code: error.code, message: error.message };
          if (error.code === 'rate_limited') this.updateStatus(profile.name, { state: 'rate_limited', retryAt: Date.now() + decision.delayMs });
          await sleep(decision.delayMs, deadline.signal);
        }
      }
    } catch (raw) {
      const error = keepPartialText(this.toError(raw, undefined, undefined, deadline), produced);
      error.requestId = requestId;
      ticket?.failed(error);
      if (profile) this.recordFailure(profile.name, error);
      if (error.code !== 'cancelled') this.logger.warn(`[${requestId}] ${error.code}: ${error.message}`);
      yield { type: 'error', error: error.toData(this.surface) };
    } finally {
      deadline.dispose();
      // A reader that stopped early ends the request without a verdict for the breaker.
      ticket?.release();
      if (profile) this.updateStatus(profile.name, { inFlight: -1 });
    }
  }

  /** Remembers what a corrective retry learned and returns the corrected request. */
  private applyCorrection(requestId: string, profile: Profile, correction: CorrectiveRetry): AdapterRequest {
    this.capabilities.learn(profile.baseUrl, correction.request.model, correction.learned);
    this.logger.info(`[${requestId}] ${correction.description}; sending the request again`);
    return correction.request;
  }

  /** Adds the closest models the server offers to `model.not_found`; other errors pass unchanged. */
  private withModelSuggestions(error: SwitchboardError, profile: Profile, model: string, signal: AbortSignal, requestId: string): Promise<SwitchboardError> {
    const listModels = (listSignal: AbortSignal) => this.listModels(profile.name, listSignal);
    return addModelSuggestions(error, { listModels, requested: model, signal, logger: this.logger, requestId });
  }

  /**
   * Lists the models a profile's server offers, from a list kept for 5 minutes unless `refresh`
   * is set; concurrent calls share one request. Throws a SwitchboardError on failure.
   */
  async listModels(profileName: string, signal?: AbortSignal, options: { refresh?: boolean } = {}): Promise<ModelInfo[]> {
    // Looked up before any load starts, so an unknown profile leaves no timer behind.
    const profile = this.getProfile(profileName);
    try {
      const models = await this.modelLists.load(profile, (loadSignal) => this.fetchModels(profile, loadSignal), { signal, refresh: options.refresh });
      return [...models];
    } catch (raw) {
      if (signal?.aborted && !isSwitchboardError(raw)) throw new SwitchboardError('cancelled', 'The request was cancelled.');
      throw raw;
    }
  }

  private async fetchModels(profile: Profile, signal: AbortSignal): Promise<ModelInfo[]> {
    const requestId = createRequestId();
    const deadline = this.createDeadline(signal);
    const started = Date.now();
    let adapter: Adapter | undefined;
    let context: AdapterContext | undefined;
    try {
      adapter = await this.registry.adapterFor(profile);
      context = this.createContext(profile, requestId, deadline.signal);
      const models = await adapter.listModels(context);
      this.logLine(requestId, profile, 'models', 'ok', started, 1);
      this.updateStatus(profile.name, { state: 'connected', lastErrorCode: undefined, lastErrorMessage: undefined });
      return models;
    } catch (raw) {
      const error = this.toError(raw, adapter?.mapError.bind(adapter), context, deadline);
      error.requestId = requestId;
      this.logLine(requestId, profile, 'models', error.code, started, 1);
      this.recordFailure(profile.name, error);
      throw error;
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Opens, or keeps open, the pooled connection to a profile's server with a GET of its base
   * URL. It sends no API key and uses no tokens, and it lets the next request skip the TCP and
   * TLS handshakes. HEAD would be cheaper, but undici 7 closes the connection after every HEAD
   * request (client-h1.js). Throws only for an unknown profile; network failures are returned.
   */
  async warmUp(profileName: string, signal?: AbortSignal): Promise<WarmUpResult> {
    const profile = this.getProfile(profileName);
    const deadline = this.createDeadline(signal);
    const started = performance.now();
    try {
      const response = await this.network.fetch(profile.baseUrl, { method: 'GET', headers: { accept: 'application/json' }, signal: deadline.signal });
      await drainSmallBody(response);
      this.logger.debug(`Warmed up the connection to ${new URL(profile.baseUrl).host} (HTTP ${response.status}).`);
      return { ok: true, status: response.status, durationMs: performance.now() - started };
    } catch (raw) {
      const error = classifyTransportError(raw, profile.baseUrl) ?? this.toError(raw, undefined, undefined, deadline);
      this.logger.debug(`Warm-up of ${new URL(profile.baseUrl).host} failed: ${error.code}.`);
      return { ok: false, code: error.code, durationMs: performance.now() - started };
    } finally {
      deadline.dispose();
    }
  }

  /** Per-profile figures and cache sizes, for the performance report. */
  metrics(): MetricsSnapshot {
    const cache = this.responseCache;
    return {
      takenAt: Date.now(),
      profiles: this.recorder.snapshot(),
      caches: {
        responses: { entries: cache.entries, bytes: cache.bytes, maxBytes: cache.options.maxBytes, ttlMs: cache.options.ttlMs, inFlight: cache.inFlightCount },
        modelLists: { entries: this.modelLists.entries, ttlMs: this.modelLists.options.ttlMs },
      },
      loadedProviders: this.registry.loadedKinds(),
    };
  }

  /**
   * Aborts every request in flight with `cancelled`, then closes the connections. undici's
   * `close` waits for requests in flight, so after `CLOSE_GRACE_MS` the dispatcher is destroyed.
   */
  async close(): Promise<void> {
    for (const controller of this.activeRequests) controller.abort(new SwitchboardError('cancelled', 'The request was cancelled because Switchboard is shutting down.'));
    await this.network.close(CLOSE_GRACE_MS);
  }

  /** Returns a cache with the new bounds (raising `config.invalid` for bad ones), or the current one when they are unchanged. */
  private resizeResponseCache(bounds: { maxBytes: number; ttlMs: number }): ResponseCache {
    const current = this.responseCache.options;
    if (bounds.maxBytes === current.maxBytes && bounds.ttlMs === current.ttlMs) return this.responseCache;
    return new ResponseCache({ ...current, maxBytes: bounds.maxBytes, ttlMs: bounds.ttlMs });
  }

  private toAdapterRequest(request: ChatRequest, profile: Profile): AdapterRequest {
    checkChatRequest(request);
    const model = request.model ?? profile.model;
    return {
      model,
      capabilities: this.capabilities.get(profile.baseUrl, model),
      messages: request.messages,
      temperature: request.temperature,
      maxOutputTokens: request.maxOutputTokens,
      stop: request.stop,
      stream: request.stream ?? true,
    };
  }

  private createContext(profile: Profile, requestId: string, signal: AbortSignal, onFirstByte?: () => void): AdapterContext {
    const stored = this.keys.get(profile.name);
    if (!stored && !isKeyOptional(profile)) {
      throw new SwitchboardError('auth.missing_key', `No API key is set for profile "${profile.name}"; nothing was sent.`, {
        fix: [setKeyFix(profile)],
      });
    }
    return {
      profile,
      apiKey: stored === undefined ? undefined : checkApiKey(stored, profile),
      fetch: onFirstByte ? notifyOnResponse(this.network.fetch, onFirstByte) : this.network.fetch,
      logger: this.logger,
      requestId,
      signal,
    };
  }

  /** Links the caller's signal with a deadline timer; the signal's reason says which fired. */
  private createDeadline(signal?: AbortSignal): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const deadlineMs = this.network.options.deadlineMs;
    const timer = setTimeout(
      () => controller.abort(new SwitchboardError('timeout.deadline', `The request did not finish within its ${formatSeconds(deadlineMs)} deadline.`, { fix: [raiseTimeoutFix('deadline', 'Retry.', 'for long answers')] })),
      deadlineMs,
    );
    // A caller's deadline that ends a shared upstream request stays a deadline, so the circuit
    // breaker counts it; every other abort is a cancellation.
    const onAbort = () => {
      const reason: unknown = signal?.reason;
      const deadlinePassed = isSwitchboardError(reason) && reason.code === 'timeout.deadline';
      controller.abort(deadlinePassed ? reason : new SwitchboardError('cancelled', 'The request was cancelled.'));
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.activeRequests.add(controller);
    return {
      signal: controller.signal,
      dispose: () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.activeRequests.delete(controller);
      },
    };
  }

  private toError(
    raw: unknown,
    mapError: ((error: unknown, context: AdapterContext) => SwitchboardError) | undefined,
    context: AdapterContext | undefined,
    deadline: { signal: AbortSignal },
  ): SwitchboardError {
    if (deadline.signal.aborted && isSwitchboardError(deadline.signal.reason)) return deadline.signal.reason;
    if (isSwitchboardError(raw)) return raw;
    if (mapError && context) return mapError(raw, context);
    return new SwitchboardError('internal', `Unexpected failure: ${(raw as Error)?.message ?? String(raw)}`, { cause: raw });
  }

  private recordFailure(profile: string, error: SwitchboardError): void {
    const state = error.code.startsWith('auth.')
      ? 'auth_error'
      : error.code === 'rate_limited' || error.code === 'quota.exhausted'
        ? 'rate_limited'
        : error.code.startsWith('network.') || error.code.startsWith('tls.') || error.code === 'timeout.connect' || error.code.startsWith('proxy.')
          ? 'unreachable'
          : error.code === 'cancelled'
            ? 'connected'
            : 'error';
    // Clamped, because a provider's own parser may have read a wait of 400 digits as Infinity.
    const retryAt = error.retryAfterMs ? Date.now() + clampWait(error.retryAfterMs) : undefined;
    if (error.code === 'cancelled') return;
    this.updateStatus(profile, { state, lastErrorCode: error.code, lastErrorMessage: error.message, retryAt });
  }

  private updateStatus(profile: string, change: Partial<Omit<ProfileStatus, 'inFlight'>> & { inFlight?: number }): void {
    const current = this.statusOf(profile);
    const next: ProfileStatus = { ...current, ...change, inFlight: Math.max(0, current.inFlight + (change.inFlight ?? 0)) };
    this.statuses.set(profile, next);
    for (const listener of this.statusListeners) listener(next);
  }

  private logLine(requestId: string, profile: Profile, model: string, outcome: string, started: number, attempt: number): void {
    const host = new URL(profile.baseUrl).host;
    this.logger.info(`[${requestId}] ${profile.kind} ${host} ${model} ${outcome} ${Date.now() - started}ms attempt ${attempt}`);
  }
}

/** Yields one error event, so that `chat` fails a request without throwing. */
async function* errorEvents(error: SwitchboardError, surface: FixSurface): AsyncGenerator<ChatEvent> {
  yield { type: 'error', error: error.toData(surface) };
}

/** Describes a value of the wrong type for a message without quoting it, because it may be a secret. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (value === '') return 'an empty string';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Milliseconds `close` waits for aborted requests to release their connections before it destroys them. */
const CLOSE_GRACE_MS = 1000;

/** Yields every event of `events`, then calls `dispose` however the iteration ends. */
async function* disposeAfter<T>(events: AsyncGenerator<T>, dispose: () => void): AsyncGenerator<T> {
  try {
    yield* events;
  } finally {
    dispose();
  }
}

/** Bytes of a warm-up answer read to its end; a longer body is cancelled, which closes that connection. */
const WARM_UP_BODY_LIMIT_BYTES = 64 * 1024;

/** Reads a short body to its end, so undici returns the connection to the pool instead of closing it. */
async function drainSmallBody(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    bytes += value.byteLength;
    if (bytes > WARM_UP_BODY_LIMIT_BYTES) {
      await reader.cancel().catch(() => undefined);
      return;
    }
  }
}

/** Wraps fetch to call `onResponse` when response headers arrive. */
function notifyOnResponse(fetch: typeof globalThis.fetch, onResponse: () => void): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    onResponse();
    return response;
  };
}

/** Returns the text with its first letter upper-cased, for log descriptions used as sentences. */
function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
