/**
 * Every custom LSP message between the extension (client) and the language server. Both
 * sides import this module and nothing else declares a `switchboard/` method.
 */

// From vscode-jsonrpc, which vscode-languageserver-protocol re-exports, so that the extension's
// activation bundle does not include the whole LSP protocol package.
import { NotificationType, ProgressType, RequestType } from 'vscode-jsonrpc';

import type { ProfileStatus, WarmUpResult } from '../engine/engine';
import type { DetectedServer, LocalServerKind } from '../engine/detect/detect-local-servers';
import type { DoctorReport } from '../engine/doctor/report';
import type { ErrorData } from '../engine/errors';
import type { MetricsSnapshot } from '../engine/metrics';
import type { NetworkOptions } from '../engine/network/options';
import type { Profile, ProfileInput } from '../engine/profiles';
import type { RetryOptions } from '../engine/retry';
import type { ChatEvent, ChatRequest, FinishReason, ModelInfo, Usage } from '../engine/types';

export interface ConfigureParams {
  profiles: ProfileInput[];
  network?: Partial<NetworkOptions>;
  retry?: Partial<RetryOptions>;
  /**
   * Bounds of the response cache, from `switchboard.cache.*` (maxMegabytes × 1048576 bytes,
   * ttlMinutes × 60000 ms). Each must be above 0, or the request fails with `config.invalid`.
   * Changed bounds empty the cache.
   */
  cache?: { maxBytes: number; ttlMs: number };
}

/** Result of a request that can fail with a Switchboard error: `error` is set instead of throwing. */
export type Outcome<T> = ({ ok: true } & T) | { ok: false; error: ErrorData };

/** Client → server: replaces the profiles and settings; a bad profile is rejected and the old ones kept. */
export const configureRequest = new RequestType<ConfigureParams, Outcome<{ profiles: Profile[] }>, void>('switchboard/configure');

export interface SetKeyParams {
  profile: string;
  /** The key, held in the server's memory only; undefined removes it. */
  key?: string;
}

/** Client → server: pushes one profile's API key from SecretStorage, or removes it. */
export const setKeyRequest = new RequestType<SetKeyParams, Outcome<object>, void>('switchboard/setKey');

export interface ChatParams {
  request: ChatRequest;
  /** Token for `$/progress` notifications that carry the answer's events as they arrive. */
  partialResultToken?: string | number;
}

export interface ChatResult {
  finishReason?: FinishReason;
  usage?: Usage;
  error?: ErrorData;
  cached?: boolean;
  /** Milliseconds from receiving the request to its first event and to its end. */
  firstEventMs?: number;
  totalMs: number;
}

/**
 * Client → server: runs one chat request. Events stream to the client as partial results
 * (`$/progress` with `partialResultToken`, each value a batch of ChatEvents); `$/cancelRequest`
 * aborts the upstream request.
 */
export const chatRequest = new RequestType<ChatParams, ChatResult, void>('switchboard/chat');

/** The progress type that carries chat events, for `onProgress` on the client. */
export const chatProgress = new ProgressType<ChatEvent[]>();

export interface ListModelsParams {
  profile: string;
  /** Asks the provider again instead of answering from the model-list cache (5 minutes). */
  refresh?: boolean;
}

/** Client → server: lists the models the profile's server offers. */
export const listModelsRequest = new RequestType<ListModelsParams, Outcome<{ models: ModelInfo[] }>, void>('switchboard/listModels');

/** Client → server: returns the profiles the server holds (useful for standalone editors). */
export const listProfilesRequest = new RequestType<object, { profiles: Profile[]; keys: string[] }, void>('switchboard/listProfiles');

export interface DiagnoseParams {
  profile: string;
  /** Skips the one-token and streaming requests, which cost tokens on paid APIs. */
  skipCompletion?: boolean;
  /** `vscode.env.remoteName` (such as `ssh-remote`, `wsl` or `dev-container`), so loopback failures name the machine that localhost means. */
  remoteName?: string;
}

/** Client → server: runs the connection doctor on one profile and returns the report of every step. */
export const diagnoseRequest = new RequestType<DiagnoseParams, Outcome<{ report: DoctorReport }>, void>('switchboard/diagnose');

export interface StatusParams {
  profiles: ProfileStatus[];
  /** Requests in flight over all profiles. */
  inFlight: number;
}

/** Server → client: connection state per profile, sent whenever it changes. */
export const statusNotification = new NotificationType<StatusParams>('switchboard/status');

export interface MetricsParams {
  /** Starts a new measurement period for the event-loop delay after this reading. */
  resetEventLoopDelay?: boolean;
  /**
   * Runs a full garbage collection before measuring memory, when the server was started with
   * `node --expose-gc` (the benchmarks do); ignored otherwise.
   */
  collectGarbage?: boolean;
}

/**
 * Client → server: returns per-profile request counts, latency percentiles, token rates, cache
 * hit rates, retries and errors, the cache sizes, and the server's memory and event-loop delay,
 * for the performance report.
 */
export const metricsRequest = new RequestType<MetricsParams | null, MetricsSnapshot, void>('switchboard/metrics');

export interface ResourcesParams {
  /**
   * Runs a full garbage collection before measuring, when the server was started with
   * `node --expose-gc`. Without that flag it is ignored, and `collectedGarbage` in the result is false.
   */
  collectGarbage?: boolean;
}

export interface ResourcesResult {
  /**
   * The server's active handles and requests counted by type, from
   * `process.getActiveResourcesInfo()`: `TCPSocketWrap` for open sockets, `Timeout` for
   * timers, `PipeWrap` for the stdio pipes, and so on. Node leaves out unreferenced handles
   * and timers, such as the idle sockets in undici's connection pool.
   */
  resources: Record<string, number>;
  /**
   * Sockets the server has open, referenced or not, counted from /proc/self/fd. Undefined
   * where that folder does not exist (on systems other than Linux).
   */
  socketDescriptors?: number;
  /** `process.memoryUsage()` of the server, in bytes. */
  memory: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  /** True when a garbage collection ran before `memory` was measured. */
  collectedGarbage: boolean;
}

/**
 * Client → server: returns the server process's open handles by type and its memory use, so
 * that tests can check that sockets, timers and memory return to their level before a load.
 */
export const resourcesRequest = new RequestType<ResourcesParams | null, ResourcesResult, void>('switchboard/resources');

export interface WarmUpParams {
  profile: string;
}

/**
 * Client → server: opens, or keeps open, the pooled connection to a profile's server with a
 * GET of its base URL (no API key, no tokens), so the next chat skips the handshakes.
 * An unknown profile gives `ok: false` with code `config.profile_not_found`.
 */
export const warmUpRequest = new RequestType<WarmUpParams, WarmUpResult, void>('switchboard/warmUp');

export interface DetectServersParams {
  /** Replaces the port probed for a kind, such as `{ "ollama": 11435 }`. Kinds left out keep their default port. */
  ports?: Partial<Record<LocalServerKind, number>>;
}

/**
 * Client → server: probes 127.0.0.1 for Ollama, LM Studio, llama.cpp server and vLLM, and returns
 * those that answered with their models and a suggested profile, or `ok: false` for bad ports.
 */
export const detectServersRequest = new RequestType<DetectServersParams | null, Outcome<{ servers: DetectedServer[] }>, void>('switchboard/detectServers');

export interface ResetCircuitParams {
  profile: string;
}

/** Client → server: closes the profile's open circuit breaker at once, for "Retry now"; an unknown profile gives `ok: false`. */
export const resetCircuitRequest = new RequestType<ResetCircuitParams, Outcome<object>, void>('switchboard/resetCircuit');
