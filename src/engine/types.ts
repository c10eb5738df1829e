/** The request model and the events of an answer, shared by every adapter. */

export type ProviderKind = 'openai' | 'gemini' | 'azure-openai' | 'openai-compatible';

export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'gemini', 'azure-openai', 'openai-compatible'];

export type MessageRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: MessageRole;
  content: string;
}

export interface ChatRequest {
  /** Name of the profile to send the request through. */
  profile: string;
  messages: ChatMessage[];
  /** Overrides the profile's model. */
  model?: string;
  temperature?: number;
  maxOutputTokens?: number;
  stop?: string[];
  /** Skips the response cache and stores the new answer. */
  bypassCache?: boolean;
  /** False asks the provider for one complete answer instead of a stream (default true). */
  stream?: boolean;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
}

/** Finish reasons normalised across providers; the provider's own value is kept beside it. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

export type ChatEvent =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'retry'; attempt: number; delayMs: number; code: string; message: string }
  /**
   * A notice that the server rejected the request and named a fix, so the engine changed the
   * request and sent it once more (corrective-retry.ts). `message` is one sentence for the
   * user. Consumers that do not handle this type may ignore it.
   */
  | { type: 'correction'; correction: import('./errors').Correction['kind']; message: string }
  | { type: 'end'; finishReason: FinishReason; providerFinishReason?: string; usage?: Usage; cached?: boolean }
  | { type: 'error'; error: import('./errors').ErrorData };

export interface ModelInfo {
  id: string;
  displayName?: string;
  /** Size in bytes where the server reports it (Ollama). */
  sizeBytes?: number;
  contextLength?: number;
}

/** A four-method logger; the engine never writes to the console. */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
}

export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};
