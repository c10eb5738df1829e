/**
 * The types that route handlers share: what a handler receives about a request, and the reply
 * it returns. Handlers are synchronous and never touch the socket; the writer in script.ts
 * sends the reply and applies timing and faults.
 */

import type { IncomingHttpHeaders } from 'node:http';

/** Answer text, reasoning and checks that apply to a request, after any script's overrides. */
export interface AnswerSettings {
  answer: string;
  reasoning?: string;
  /** Replaces the finish reason of a normal answer. */
  finishReason?: string;
  models: readonly string[];
  apiKey?: string;
}

export interface RouteContext {
  method: string;
  url: URL;
  /** The capture groups of the route's pattern, in order. */
  params: string[];
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body, or undefined when the body is empty or not valid JSON. */
  json: unknown;
  settings: AnswerSettings;
}

/** One piece of a response body. */
export interface BodyPiece {
  data: string | Buffer;
  /** True when the piece carries a generated token, so tokensPerSecond paces it. */
  token?: boolean;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  pieces: BodyPiece[];
  /** True for streamed bodies (SSE, NDJSON), which are sent without a Content-Length. */
  stream: boolean;
  /** Tokens generated for a non-streamed body; tokensPerSecond delays the reply by their generation time. */
  generatedTokens?: number;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** Picks between routes that share a path, such as OpenAI's and Gemini's `GET /v1/models`. */
  accepts?(context: RouteContext): boolean;
  handle(context: RouteContext): Reply;
}

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    pieces: [{ data: JSON.stringify(body) }],
    stream: false,
  };
}

export function textReply(status: number, text: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, pieces: [{ data: text }], stream: false };
}

/** Builds the Go-style plain text 404 that OpenAI-compatible servers such as Ollama send for unknown paths. */
export function pathNotFound(): Reply {
  return textReply(404, '404 page not found');
}

export function sseEvent(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export function ndjsonLine(data: unknown): string {
  return `${typeof data === 'string' ? data : JSON.stringify(data)}\n`;
}

/** Reads a header that may have been sent more than once, keeping the first value. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
