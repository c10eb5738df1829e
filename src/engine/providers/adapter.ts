/** The contract every provider adapter implements; adapters depend on this file and engine utilities only. */

import type { LearnedCapabilities } from '../capability-memory';
import type { SwitchboardError } from '../errors';
import type { Profile } from '../profiles';
import type { ChatEvent, ChatMessage, Logger, ModelInfo } from '../types';

/** A chat request after the engine resolved its profile and model. */
export interface AdapterRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxOutputTokens?: number;
  stop?: string[];
  /** False asks for one complete answer instead of a stream; events are the same. */
  stream: boolean;
  /** Capabilities that earlier rejections taught about this model on this server, which request builders follow. */
  capabilities?: LearnedCapabilities;
}

export interface AdapterContext {
  profile: Profile;
  /** Undefined when no key is stored; adapters decide whether the server needs one. */
  apiKey?: string;
  /** `fetch` bound to the engine's network layer; adapters and SDKs must use it and no other. */
  fetch: typeof fetch;
  logger: Logger;
  /** Short local id of the request, for log lines. */
  requestId: string;
  signal: AbortSignal;
}

export interface Adapter {
  /**
   * Sends one attempt and yields its events, ending with an `end` event. Throws a
   * SwitchboardError on failure; the engine decides about retries.
   */
  chat(request: AdapterRequest, context: AdapterContext): AsyncIterable<ChatEvent>;
  listModels(context: AdapterContext): Promise<ModelInfo[]>;
  /** Converts anything thrown by the SDK or the network into a SwitchboardError. */
  mapError(error: unknown, context: AdapterContext): SwitchboardError;
}

/** What each provider folder's `index.ts` exports. */
export interface AdapterModule {
  createAdapter(profile: Profile): Adapter;
}
