/**
 * A local HTTP or HTTPS server that speaks the OpenAI, Azure OpenAI, Gemini and Ollama wire
 * formats, with scripted responses and faults. It replaces the remote paid APIs in unit tests,
 * server tests, benchmarks and the demo.
 */

import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';

import { DEFAULT_ANSWER, DEFAULT_MODELS, randomHex } from './answer';
import { azureRoutes } from './azure';
import { caseScript, loadCases } from './cases';
import { geminiRoutes } from './gemini';
import { EMULATOR_IDENTITIES, IDENTITY_ROUTES, type EmulatorIdentity } from './identities';
import { ollamaRoutes } from './ollama';
import { openAiRoutes } from './openai';
import { NDJSON_CONTENT_TYPE, pathNotFound, SSE_CONTENT_TYPE, type AnswerSettings, type Reply, type Route } from './reply';
import { applyOverrides, resetSocket, ScriptQueue, scriptedReply, sendReply, sleep, transportOf, type Script } from './script';

export type { Script } from './script';
export type { EmulatorIdentity } from './identities';

export interface EmulatorOptions {
  /** Address to listen on; default '127.0.0.1'. '::1' is allowed. */
  host?: string;
  /** Port to listen on; default 0, an ephemeral port. */
  port?: number;
  /** Serves HTTPS with this certificate when set. */
  tls?: { certPem: string; keyPem: string };
  /** When set, requests without this key get the provider's own 401 (or Gemini's 400/403) error body. */
  apiKey?: string;
  /** Streaming speed in tokens per second; 0 or undefined is full speed. */
  tokensPerSecond?: number;
  /** Default answer text. */
  answer?: string;
  /** Models every route lists and accepts. */
  models?: string[];
  /**
   * Which local server the emulator imitates through that server's identifying endpoints (see
   * identities.ts). Without it, Ollama's native routes are served beside all the others.
   */
  identity?: EmulatorIdentity;
}

export interface RecordedRequest {
  method: string;
  /** Path with its query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The parsed body, when it is JSON; typed `any` so tests can read any provider's fields. */
  json?: any;
}

/** Default time waitForClose waits, in milliseconds. */
const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

// Gemini comes first because its models routes share `/v1/models` with OpenAI's and take only
// the requests that carry Google credentials.
const ROUTES: readonly Route[] = [...geminiRoutes, ...azureRoutes, ...openAiRoutes, ...ollamaRoutes];

/** Ollama's native routes are left out for the other identities, which do not serve them. */
function routesFor(identity: EmulatorIdentity | undefined): readonly Route[] {
  if (identity === undefined || identity === 'ollama') {
    return ROUTES;
  }
  return [...geminiRoutes, ...azureRoutes, ...IDENTITY_ROUTES[identity], ...openAiRoutes];
}

interface CloseWaiter {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

function validateOptions(options: EmulatorOptions): void {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid emulator option port: ${options.port}. Use an integer from 0 to 65535.`);
  }
  const speed = options.tokensPerSecond ?? 0;
  if (!Number.isFinite(speed) || speed < 0) {
    throw new RangeError(`Invalid emulator option tokensPerSecond: ${options.tokensPerSecond}. Use 0 (full speed) or a positive number.`);
  }
  if (options.identity !== undefined && !EMULATOR_IDENTITIES.includes(options.identity)) {
    throw new RangeError(`Invalid emulator option identity: ${String(options.identity)}. Use one of ${EMULATOR_IDENTITIES.join(', ')}.`);
  }
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) {
        reject(new Error('The client closed the connection before sending the whole request.'));
      }
    });
  });
}

function parseJson(body: string): unknown {
  if (body.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export class Emulator {
  /** 'http://127.0.0.1:PORT' or 'https://…', with brackets around an IPv6 host. */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[] = [];

  private readonly scripts = new ScriptQueue();
  private readonly routes: readonly Route[];
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<AbortController>();
  private closeWaiters: CloseWaiter[] = [];
  private closedCount = 0;
  private stopping: Promise<void> | undefined;

  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    validateOptions(options);
    const host = options.host ?? '127.0.0.1';
    const server = options.tls ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }) : http.createServer();
    const port = await listen(server, options.port ?? 0, host);
    return new Emulator(server, host, port, options);
  }

  private constructor(
    private readonly server: http.Server,
    host: string,
    port: number,
    private readonly options: EmulatorOptions,
  ) {
    const hostInUrl = host.includes(':') ? `[${host}]` : host;
    this.url = `${options.tls ? 'https' : 'http'}://${hostInUrl}:${port}`;
    this.port = port;
    this.routes = routesFor(options.identity);
    // 'connection' carries the TCP socket for HTTPS too, so handshakes that fail are counted and stopped as well.
    server.on('connection', (socket: Socket) => this.track(socket));
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => void this.serve(request, response));
  }

  /** Queues scripts; each request uses the first queued script that matches it. */
  script(script: Script | Script[]): void {
    this.scripts.add(Array.isArray(script) ? script : [script]);
  }

  /** Scripts the recorded response of a failure case (F01…F26); throws for cases that record only a network condition. */
  replayCase(id: string): void {
    const failureCase = loadCases().get(id);
    if (!failureCase) {
      throw new Error(`Unknown failure case ${id}. Use an id such as F01 from the cases file.`);
    }
    this.script(caseScript(failureCase));
  }

  /** Sockets closed since the emulator started. */
  closedConnections(): number {
    return this.closedCount;
  }

  openConnections(): number {
    return this.sockets.size;
  }

  /** Requests whose response has not ended and whose connection is still open. */
  activeRequests(): number {
    return this.inFlight.size;
  }

  /**
   * Closes every keep-alive connection that carries no request right now, as a server does
   * when its idle timeout ends. Clients learn of it only when they next read the socket.
   */
  closeIdleConnections(): void {
    this.server.closeIdleConnections();
  }

  /**
   * Resolves when the next socket closes, counting from this call; rejects after `timeoutMs`.
   * Call it before the action that closes the socket, or check closedConnections() instead.
   */
  waitForClose(timeoutMs: number = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: CloseWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.closeWaiters = this.closeWaiters.filter((other) => other !== waiter);
          reject(new Error(`No connection to the emulator closed within ${timeoutMs} ms.`));
        }, timeoutMs),
      };
      this.closeWaiters.push(waiter);
    });
  }

  /** Clears the queued scripts and the recorded requests. */
  reset(): void {
    this.scripts.clear();
    this.requests.length = 0;
  }

  /** Ends every request in flight, destroys every socket and closes the server. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    for (const controller of this.inFlight) {
      controller.abort();
    }
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const socketsClosed = [...this.sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await Promise.all([serverClosed, ...socketsClosed]);

    for (const waiter of this.closeWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('The emulator stopped before another connection closed.'));
    }
    this.closeWaiters = [];
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.closedCount += 1;
      const waiters = this.closeWaiters;
      this.closeWaiters = [];
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    });
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    response.once('close', () => {
      controller.abort();
      this.inFlight.delete(controller);
    });

    try {
      const body = await readBody(request);
      await this.respond(request, response, body, controller.signal);
    } catch (error) {
      this.fail(response, error);
    }
  }

  private async respond(request: http.IncomingMessage, response: http.ServerResponse, body: string, signal: AbortSignal): Promise<void> {
    // The base only lets URL parse the request's path; nothing is sent to it.
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const method = request.method ?? 'GET';
    const path = `${url.pathname}${url.search}`;
    const json = parseJson(body);
    this.requests.push({ method, path, headers: { ...request.headers }, body, json });

    const script = this.scripts.take(method, path);
    if (script?.neverRespond) {
      return;
    }
    const transport = transportOf(script, this.tokenIntervalMs());
    if (script?.resetBeforeResponse) {
      await sleep(transport.delayBeforeHeadersMs, signal);
      resetSocket(request.socket);
      return;
    }

    const streamType = url.pathname.startsWith('/api/') ? NDJSON_CONTENT_TYPE : SSE_CONTENT_TYPE;
    const reply = (script && scriptedReply(script, streamType)) ?? this.route(method, url, request, body, json, script);
    applyOverrides(reply, script);
    reply.headers['x-request-id'] ??= `req_${randomHex(16)}`;
    await sendReply(response, reply, transport, signal);
  }

  private route(method: string, url: URL, request: http.IncomingMessage, body: string, json: unknown, script: Script | undefined): Reply {
    const settings: AnswerSettings = {
      answer: script?.answer ?? this.options.answer ?? DEFAULT_ANSWER,
      reasoning: script?.reasoning,
      finishReason: script?.finishReason,
      models: this.options.models ?? DEFAULT_MODELS,
      apiKey: this.options.apiKey,
    };

    for (const route of this.routes) {
      const match = route.method === method ? route.pattern.exec(url.pathname) : null;
      if (!match) {
        continue;
      }
      const context = { method, url, params: match.slice(1), headers: request.headers, body, json, settings };
      if (!route.accepts || route.accepts(context)) {
        return route.handle(context);
      }
    }
    return pathNotFound();
  }

  private tokenIntervalMs(): number {
    const speed = this.options.tokensPerSecond ?? 0;
    return speed > 0 ? 1000 / speed : 0;
  }

  /** Reports an emulator fault to the client as a 500, or cuts the response if it had begun. */
  private fail(response: http.ServerResponse, error: unknown): void {
    if (response.destroyed) {
      return;
    }
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Switchboard emulator error: ${message}`);
  }
}
