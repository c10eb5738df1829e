/**
 * Scripted responses and faults, and the writer that sends a reply with them applied:
 * delays, token pacing, byte splitting, errors inside a stream and cut connections.
 */

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import { JSON_CONTENT_TYPE, type BodyPiece, type Reply } from './reply';

/** One scripted response, consumed by the next matching request. */
export interface Script {
  /**
   * Which requests the script applies to; without it, any request. A string path matches
   * when the request path (with its query) contains it; a RegExp is tested against that path.
   * The method is compared case-insensitively.
   */
  match?: { path?: string | RegExp; method?: string };
  /** How many requests the script applies to; default 1. */
  times?: number;
  /** Replaces the status, of the scripted body or of the normal answer. */
  status?: number;
  /** Added to the response headers, replacing headers of the same name. */
  headers?: Record<string, string>;
  /** A complete body, JSON-encoded when an object, sent instead of the normal answer. */
  body?: string | object;
  /**
   * Raw body pieces written one by one as they are, for hand-made SSE or NDJSON. A Buffer can
   * end in the middle of a UTF-8 character. The content type defaults to NDJSON on Ollama's
   * /api/ paths and to SSE elsewhere.
   */
  chunks?: Array<string | Buffer>;
  /** Answer text for a normal, well-formed answer. */
  answer?: string;
  /**
   * Reasoning sent before the answer: `reasoning_content` deltas on OpenAI-compatible routes,
   * `thinking` on Ollama, and thought parts (`thought: true`) on Gemini. Gemini returns thought
   * parts only when the request sets generationConfig.thinkingConfig.includeThoughts, but
   * counts the reasoning in usageMetadata.thoughtsTokenCount either way.
   */
  reasoning?: string;
  /** Replaces the finish reason of a normal answer, for example 'MAX_TOKENS' or 'length'. */
  finishReason?: string;
  delayBeforeHeadersMs?: number;
  /** Delay between body pieces; replaces the pacing that tokensPerSecond sets. */
  delayBetweenChunksMs?: number;
  /** Destroys the socket after N body pieces, before any end marker; 0 cuts it right after the headers. */
  closeAfterChunks?: number;
  /** Resets the connection (TCP RST) after N body pieces, before any end marker; 0 resets it right after the headers. */
  resetAfterChunks?: number;
  /**
   * Stops writing after N body pieces and keeps the connection open without sending more,
   * until the client or stop() closes it: a stream that stalls half-way.
   */
  stallAfterChunks?: number;
  /** Re-splits the body into pieces of N bytes, cutting events and UTF-8 characters apart. */
  splitEveryBytes?: number;
  /**
   * Ends a streamed 200 answer after N events with this error event, framed for the stream's
   * format (`data: …` for SSE, one line for NDJSON). Objects are JSON-encoded; strings are sent
   * as they are. Applies to SSE and NDJSON bodies only.
   */
  errorInStream?: { afterChunks: number; data: string | object };
  /** Accepts the request and never answers, until the client or stop() closes the socket. */
  neverRespond?: boolean;
  /** Resets the connection without sending any response. */
  resetBeforeResponse?: boolean;
}

function checkCount(name: string, value: number | undefined, minimum: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < minimum)) {
    throw new RangeError(`Invalid script option ${name}: ${value}. Use an integer of at least ${minimum}.`);
  }
}

function checkDelay(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`Invalid script option ${name}: ${value}. Use a number of milliseconds, 0 or more.`);
  }
}

/** Throws a RangeError naming the first invalid option of a script. */
export function validateScript(script: Script): void {
  checkCount('times', script.times, 1);
  checkCount('closeAfterChunks', script.closeAfterChunks, 0);
  checkCount('resetAfterChunks', script.resetAfterChunks, 0);
  checkCount('stallAfterChunks', script.stallAfterChunks, 0);
  checkCount('splitEveryBytes', script.splitEveryBytes, 1);
  checkCount('errorInStream.afterChunks', script.errorInStream?.afterChunks, 0);
  checkDelay('delayBeforeHeadersMs', script.delayBeforeHeadersMs);
  checkDelay('delayBetweenChunksMs', script.delayBetweenChunksMs);
  if (script.status !== undefined && !(Number.isInteger(script.status) && script.status >= 100 && script.status <= 999)) {
    throw new RangeError(`Invalid script option status: ${script.status}. Use an HTTP status code.`);
  }
  if (script.body !== undefined && script.chunks !== undefined) {
    throw new RangeError('Invalid script: body and chunks are both set. Use body for a complete body or chunks for raw pieces.');
  }
  if (script.neverRespond && script.resetBeforeResponse) {
    throw new RangeError('Invalid script: neverRespond and resetBeforeResponse are both set. Use one.');
  }
  const cuts = (['closeAfterChunks', 'resetAfterChunks', 'stallAfterChunks'] as const).filter((name) => script[name] !== undefined);
  if (cuts.length > 1) {
    throw new RangeError(`Invalid script: ${cuts.join(' and ')} are all set. Use one of them.`);
  }
}

function matches(script: Script, method: string, path: string): boolean {
  const match = script.match;
  if (!match) {
    return true;
  }
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) {
    return false;
  }
  if (typeof match.path === 'string') {
    return path.includes(match.path);
  }
  if (match.path instanceof RegExp) {
    match.path.lastIndex = 0;
    return match.path.test(path);
  }
  return true;
}

/** Scripts in the order they were added, each used up after `times` matching requests. */
export class ScriptQueue {
  private readonly entries: Array<{ script: Script; remaining: number }> = [];

  add(scripts: readonly Script[]): void {
    scripts.forEach(validateScript);
    for (const script of scripts) {
      this.entries.push({ script, remaining: script.times ?? 1 });
    }
  }

  /** Uses up one application of the first script that matches the request and returns it. */
  take(method: string, path: string): Script | undefined {
    const index = this.entries.findIndex((entry) => matches(entry.script, method, path));
    const entry = this.entries[index];
    if (!entry) {
      return undefined;
    }
    entry.remaining -= 1;
    if (entry.remaining === 0) {
      this.entries.splice(index, 1);
    }
    return entry.script;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

function lowerCaseKeys(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Builds the reply of a script that gives a complete body or raw chunks; undefined otherwise. */
export function scriptedReply(script: Script, streamContentType: string): Reply | undefined {
  const headers = lowerCaseKeys(script.headers);
  if (script.body !== undefined) {
    const text = typeof script.body === 'string' ? script.body : JSON.stringify(script.body);
    const contentType = isJsonText(text) ? JSON_CONTENT_TYPE : 'text/plain; charset=utf-8';
    return { status: script.status ?? 200, headers: { 'content-type': contentType, ...headers }, pieces: [{ data: text }], stream: false };
  }
  if (script.chunks !== undefined) {
    const pieces = script.chunks.map((data) => ({ data }));
    return { status: script.status ?? 200, headers: { 'content-type': streamContentType, ...headers }, pieces, stream: true };
  }
  return undefined;
}

/** Applies a script's status and headers to a normal answer. */
export function applyOverrides(reply: Reply, script: Script | undefined): void {
  if (script?.status !== undefined) {
    reply.status = script.status;
  }
  Object.assign(reply.headers, lowerCaseKeys(script?.headers));
}

/** How a reply is sent: the script's timing and faults, and the emulator's token pacing. */
export interface Transport {
  delayBeforeHeadersMs: number;
  delayBetweenChunksMs?: number;
  /** Time to generate one token, from tokensPerSecond; 0 is full speed. */
  tokenIntervalMs: number;
  closeAfterChunks?: number;
  resetAfterChunks?: number;
  stallAfterChunks?: number;
  splitEveryBytes?: number;
  errorInStream?: { afterChunks: number; data: string | object };
}

export function transportOf(script: Script | undefined, tokenIntervalMs: number): Transport {
  return {
    delayBeforeHeadersMs: script?.delayBeforeHeadersMs ?? 0,
    delayBetweenChunksMs: script?.delayBetweenChunksMs,
    tokenIntervalMs,
    closeAfterChunks: script?.closeAfterChunks,
    resetAfterChunks: script?.resetAfterChunks,
    stallAfterChunks: script?.stallAfterChunks,
    splitEveryBytes: script?.splitEveryBytes,
    errorInStream: script?.errorInStream,
  };
}

/** Resolves after `ms`, or at once when the signal aborts, so no timer outlives its request. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when the piece reached the socket, or when the request was aborted. */
function writePiece(response: ServerResponse, data: string | Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    response.write(data, done);
  });
}

/** Destroys the socket once everything written before has been handed to the operating system. */
function destroyAfterFlush(socket: Socket | null): void {
  socket?.write('', () => socket.destroy());
}

/** Resets the socket once everything written before has been handed to the operating system. */
function resetAfterFlush(socket: Socket | null): void {
  socket?.write('', () => resetSocket(socket));
}

/** Resolves when the signal aborts, because the client went away or the emulator stopped. */
function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Applies a cut that a script set after `written` body pieces: closes or resets the socket, or
 * keeps it open without writing until the signal aborts. Returns true when the reply must end here.
 */
async function cutAfter(written: number, response: ServerResponse, transport: Transport, signal: AbortSignal): Promise<boolean> {
  const cut = [transport.closeAfterChunks, transport.resetAfterChunks, transport.stallAfterChunks].includes(written);
  if (!cut) {
    return false;
  }
  if (written === 0) {
    // Nothing was written after writeHead, so the headers are sent before the cut.
    response.flushHeaders();
  }
  if (transport.closeAfterChunks === written) {
    destroyAfterFlush(response.socket);
    return true;
  }
  if (transport.resetAfterChunks === written) {
    resetAfterFlush(response.socket);
    return true;
  }
  await waitForAbort(signal);
  return true;
}

/** Resets the connection (TCP RST) where the socket allows it; TLS sockets are destroyed instead. */
export function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function frameStreamError(contentType: string, data: string | object): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  if (contentType.includes('text/event-stream')) {
    return `data: ${text}\n\n`;
  }
  if (contentType.includes('ndjson')) {
    return `${text}\n`;
  }
  throw new Error(`errorInStream applies only to SSE and NDJSON streams, but this reply is ${contentType}.`);
}

function insertStreamError(reply: Reply, transport: Transport): BodyPiece[] {
  const error = transport.errorInStream;
  if (!error) {
    return reply.pieces;
  }
  const data = frameStreamError(reply.headers['content-type'] ?? '', error.data);
  return [...reply.pieces.slice(0, error.afterChunks), { data }];
}

function splitPieces(pieces: BodyPiece[], size: number | undefined): BodyPiece[] {
  if (size === undefined) {
    return pieces;
  }
  const whole = Buffer.concat(pieces.map((piece) => Buffer.from(piece.data)));
  const parts: BodyPiece[] = [];
  for (let offset = 0; offset < whole.length; offset += size) {
    parts.push({ data: whole.subarray(offset, offset + size), token: pieces.some((piece) => piece.token) });
  }
  return parts;
}

function delayBefore(piece: BodyPiece, index: number, transport: Transport): number {
  if (transport.delayBetweenChunksMs !== undefined) {
    return index === 0 ? 0 : transport.delayBetweenChunksMs;
  }
  return piece.token ? transport.tokenIntervalMs : 0;
}

/**
 * Sends a reply with the transport's timing and faults. Returns early, without writing more,
 * when the signal aborts because the client went away or the emulator stopped.
 */
export async function sendReply(response: ServerResponse, reply: Reply, transport: Transport, signal: AbortSignal): Promise<void> {
  const pieces = splitPieces(insertStreamError(reply, transport), transport.splitEveryBytes);
  const generationMs = (reply.generatedTokens ?? 0) * transport.tokenIntervalMs;
  await sleep(transport.delayBeforeHeadersMs + generationMs, signal);
  if (signal.aborted) {
    return;
  }

  const headers = { ...reply.headers };
  if (!reply.stream) {
    headers['content-length'] = String(pieces.reduce((total, piece) => total + Buffer.byteLength(piece.data), 0));
  }
  response.writeHead(reply.status, headers);
  if (await cutAfter(0, response, transport, signal)) {
    return;
  }

  for (const [index, piece] of pieces.entries()) {
    await sleep(delayBefore(piece, index, transport), signal);
    await writePiece(response, piece.data, signal);
    if (signal.aborted || (await cutAfter(index + 1, response, transport, signal))) {
      return;
    }
  }
  response.end();
}
