/**
 * Every custom LSP message between the extension (client) and the language server. Both
 * sides import this module and nothing else declares a `switchboard/` method.
 */

import { NotificationType, ProgressType, RequestType } from 'vscode-languageserver-protocol';

import type { ProfileStatus } from '../engine/engine';
import type { ErrorData } from '../engine/errors';
import type { NetworkOptions } from '../engine/network/options';
import type { Profile, ProfileInput } from '../engine/profiles';
import type { RetryOptions } from '../engine/retry';
import type { ChatEvent, ChatRequest, FinishReason, ModelInfo, Usage } from '../engine/types';

export interface ConfigureParams {
  profiles: ProfileInput[];
  network?: Partial<NetworkOptions>;
  retry?: Partial<RetryOptions>;
  /** Bounds of the response cache, from `switchboard.cache.*`. NOTE: the engine has no response cache yet, so the server ignores this field. */
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
}

/** Client → server: lists the models the profile's server offers. */
export const listModelsRequest = new RequestType<ListModelsParams, Outcome<{ models: ModelInfo[] }>, void>('switchboard/listModels');

/** Client → server: returns the profiles the server holds (useful for standalone editors). */
export const listProfilesRequest = new RequestType<object, { profiles: Profile[]; keys: string[] }, void>('switchboard/listProfiles');

export interface StatusParams {
  profiles: ProfileStatus[];
  /** Requests in flight over all profiles. */
  inFlight: number;
}

/** Server → client: connection state per profile, sent whenever it changes. */
export const statusNotification = new NotificationType<StatusParams>('switchboard/status');
