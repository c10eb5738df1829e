/**
 * The engine: resolves profiles and keys, runs each chat request through its adapter with
 * the retry policy and an overall deadline, and reports connection state per profile.
 */

import { isSwitchboardError, SwitchboardError } from './errors';
import { checkApiKey, isKeyOptional } from './keys';
import { Network } from './network/network';
import type { NetworkOptions } from './network/options';
import { parseProfile, type Profile, type ProfileInput } from './profiles';
import type { Adapter, AdapterContext, AdapterRequest } from './providers/adapter';
import { forgetSecret, registerSecret } from './redact';
import { ProviderRegistry } from './registry';
import { createRequestId } from './request-id';
import { RetryPolicy, sleep, type RetryOptions } from './retry';
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
}

export interface EngineOptions {
  logger?: Logger;
  network?: Partial<NetworkOptions>;
  retry?: Partial<RetryOptions>;
}

export interface EngineConfiguration {
  profiles: ProfileInput[];
  network?: Partial<NetworkOptions>;
  retry?: Partial<RetryOptions>;
}

export class Engine {
  readonly registry = new ProviderRegistry();
  readonly retryPolicy: RetryPolicy;
  private network: Network;
  private readonly logger: Logger;
  private profiles = new Map<string, Profile>();
  private readonly keys = new Map<string, string>();
  private readonly statuses = new Map<string, ProfileStatus>();
  private readonly statusListeners = new Set<(status: ProfileStatus) => void>();

  constructor(options: EngineOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.network = new Network(options.network, this.logger);
    this.retryPolicy = new RetryPolicy(options.retry);
    this.retryPolicy.onRetry((event) =>
      this.logger.info(`[${event.requestId}] retrying after ${event.error.code} in ${event.delayMs} ms (attempt ${event.attempt + 1})`),
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
    if (configuration.network) {
      const network = new Network({ ...this.network.options, ...configuration.network }, this.logger);
      const previous = this.network;
      this.network = network;
      previous.close().catch(() => undefined);
    }
    if (configuration.retry) Object.assign(this.retryPolicy.options, configuration.retry);
    this.profiles = profiles;
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

  /** Stores a key in memory for a profile; an empty or undefined key removes it. */
  setKey(profile: string, key: string | undefined): void {
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

  onStatus(listener: (status: ProfileStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  statusOf(profile: string): ProfileStatus {
    return this.statuses.get(profile) ?? { profile, state: 'unknown', inFlight: 0 };
  }

  /**
   * Streams the answer to a request. Never throws: failures arrive as a final `error` event,
   * and the stream always ends within the deadline.
   */
  async *chat(request: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatEvent> {
    const requestId = createRequestId();
    const deadline = this.createDeadline(signal);
    const started = Date.now();
    let profile: Profile | undefined;
    let produced = '';
    try {
      profile = this.getProfile(request.profile);
      const adapterRequest = this.toAdapterRequest(request, profile);
      const context = this.createContext(profile, requestId, deadline.signal);
      const adapter = await this.registry.adapterFor(profile);
      this.updateStatus(profile.name, { inFlight: +1, state: 'connecting' });
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
          return;
        } catch (raw) {
          const error = this.toError(raw, adapter.mapError.bind(adapter), context, deadline);
          this.logLine(requestId, profile, adapterRequest.model, error.code, started, attempt);
          const decision = this.retryPolicy.decide(error, attempt, produced.length > 0);
          if (!decision.retry) throw error;
          this.retryPolicy.notify({ requestId, attempt, delayMs: decision.delayMs, error });
          yield { type: 'retry', attempt: attempt + 1, delayMs: decision.delayMs, code: error.code, message: error.message };
          if (error.code === 'rate_limited') this.updateStatus(profile.name, { state: 'rate_limited', retryAt: Date.now() + decision.delayMs });
          await sleep(decision.delayMs, deadline.signal);
        }
      }
    } catch (raw) {
      const error = this.toError(raw, undefined, undefined, deadline);
      error.requestId = requestId;
      if (produced) error.partialText = produced;
      if (profile) this.recordFailure(profile.name, error);
      if (error.code !== 'cancelled') this.logger.warn(`[${requestId}] ${error.code}: ${error.message}`);
      yield { type: 'error', error: error.toData() };
    } finally {
      deadline.dispose();
      if (profile) this.updateStatus(profile.name, { inFlight: -1 });
    }
  }

  /** Lists the models a profile's server offers. Throws a SwitchboardError on failure. */
  async listModels(profileName: string, signal?: AbortSignal): Promise<ModelInfo[]> {
    const requestId = createRequestId();
    // Looked up before the deadline starts, so an unknown profile leaves no timer behind.
    const profile = this.getProfile(profileName);
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

  async close(): Promise<void> {
    await this.network.close();
  }

  private toAdapterRequest(request: ChatRequest, profile: Profile): AdapterRequest {
    if (!Array.isArray(request.messages) || request.messages.length === 0) {
      throw new SwitchboardError('request.invalid', 'The request has no messages.', { fix: ['Send at least one user message.'] });
    }
    return {
      model: request.model ?? profile.model,
      messages: request.messages,
      temperature: request.temperature,
      maxOutputTokens: request.maxOutputTokens,
      stop: request.stop,
      stream: request.stream ?? true,
    };
  }

  private createContext(profile: Profile, requestId: string, signal: AbortSignal): AdapterContext {
    const stored = this.keys.get(profile.name);
    if (!stored && !isKeyOptional(profile)) {
      throw new SwitchboardError('auth.missing_key', `No API key is set for profile "${profile.name}"; nothing was sent.`, {
        fix: [`Run "Switchboard: Set API Key" for "${profile.name}", or set ${keyVariableFor(profile)} for the command line.`],
      });
    }
    return {
      profile,
      apiKey: stored === undefined ? undefined : checkApiKey(stored, profile),
      fetch: this.network.fetch,
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
      () => controller.abort(new SwitchboardError('timeout.deadline', `The request did not finish within its ${Math.round(deadlineMs / 1000)} s deadline.`, { fix: ['Retry, or raise the deadline setting for long answers.'] })),
      deadlineMs,
    );
    const onAbort = () => controller.abort(new SwitchboardError('cancelled', 'The request was cancelled.'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    return {
      signal: controller.signal,
      dispose: () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
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
    const retryAt = error.retryAfterMs ? Date.now() + error.retryAfterMs : undefined;
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

function keyVariableFor(profile: Profile): string {
  if (profile.kind === 'gemini') return 'GEMINI_API_KEY';
  if (profile.kind === 'azure-openai') return 'AZURE_OPENAI_API_KEY';
  if (profile.kind === 'openai') return 'OPENAI_API_KEY';
  return 'SWITCHBOARD_API_KEY';
}
