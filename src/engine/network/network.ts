/**
 * The one network layer. Every SDK and raw request of the engine goes through `Network.fetch`,
 * which uses a keep-alive undici dispatcher (one connection pool per origin), the proxy and CA
 * settings, and Switchboard's own first-byte and idle timers.
 */

import { createSecureContext } from 'node:tls';

import { Agent, buildConnector, Dispatcher, fetch as undiciFetch, Pool, ProxyAgent } from 'undici';

import { SwitchboardError } from '../errors';
import { raiseTimeoutFix } from '../fix-text';
import { redactUrl } from '../redact';
import type { Logger } from '../types';
import { lookupWithLocalhost } from './localhost';
import { checkProxyUrl, formatSeconds, isLoopbackHost, resolveNetworkOptions, type NetworkOptions } from './options';
import { decideProxy, describeProxyDecision, type ProxyEnvironment } from './proxy';
import { classifyProxyFailure, findSwitchboardError } from './transport-errors';
import { loadTrustSources } from './trust';
import { buildVerifiedConnector } from './verified-connector';

/** Redirects followed within one origin; a redirect to another origin is refused so keys stay put. */
const MAX_REDIRECTS = 3;

/** Errors that mean a pooled socket was closed by the server before our request reached it. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

export class Network {
  readonly options: NetworkOptions;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger;
  /** New connections opened so far; a failed request that opened none ran on a pooled socket. */
  private connectionsOpened = 0;

  private readonly env: ProxyEnvironment;

  /** `env` supplies the proxy variables and NODE_EXTRA_CA_CERTS; tests pass their own. */
  constructor(options: Partial<NetworkOptions> = {}, logger: Logger, env: ProxyEnvironment = process.env) {
    this.options = resolveNetworkOptions(options);
    this.logger = logger;
    this.env = env;
    this.dispatcher = createDispatcher({ options: this.options, env, logger, onConnect: () => this.connectionsOpened++ });
  }

  /** A `fetch` for SDKs: same signature as the standard one, routed through this layer. */
  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => this.send(input, init);

  /**
   * Closes the connections once their requests end. With `graceMs`, connections still busy after
   * that many milliseconds are destroyed, which fails their requests.
   */
  async close(graceMs?: number): Promise<void> {
    const closed = this.dispatcher.close();
    if (graceMs === undefined) return closed;
    // `destroy` may make the pending `close` reject after the race below has settled.
    closed.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceMs)));
    try {
      if ((await Promise.race([closed, expired])) === 'expired') await this.dispatcher.destroy();
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(input: string | URL | Request, init: RequestInit = {}, redirects = 0): Promise<Response> {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    // The proxy setting is checked when it is configured; the environment's proxy only here.
    const decision = decideProxy(url, this.options, this.env);
    if (decision.proxyUrl && decision.source !== 'setting') checkProxyUrl(decision.proxyUrl, decision.source);
    const controller = new AbortController();
    const outer = init.signal ?? (input instanceof Request ? input.signal : undefined);
    const forwardAbort = () => controller.abort(outer?.reason);
    if (outer?.aborted) forwardAbort();
    outer?.addEventListener('abort', forwardAbort, { once: true });

    const firstByteMs = isLoopbackHost(url.hostname) ? this.options.localFirstByteTimeoutMs : this.options.firstByteTimeoutMs;
    const firstByteTimer = new FirstByteTimer(firstByteMs, () => controller.abort(firstByteTimeoutError(url, firstByteMs)));

    let response: Response;
    try {
      response = await this.fetchWithStaleSocketRetry(url, init, controller.signal, firstByteTimer);
    } catch (error) {
      outer?.removeEventListener('abort', forwardAbort);
      throw findSwitchboardError(controller.signal.reason) ?? this.classifyProxyError(error, url) ?? error;
    } finally {
      firstByteTimer.finish();
    }

    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      outer?.removeEventListener('abort', forwardAbort);
      await response.body?.cancel().catch(() => undefined);
      return this.followRedirect(url, response, init, redirects);
    }
    return this.watchBody(response, controller, () => outer?.removeEventListener('abort', forwardAbort));
  }

  /** Names the proxy in failures that happened between this machine and the proxy. */
  private classifyProxyError(error: unknown, url: URL): SwitchboardError | undefined {
    const decision = decideProxy(url, this.options, this.env);
    return decision.proxyUrl ? classifyProxyFailure(error, decision, url, this.options.firstByteTimeoutMs) : undefined;
  }

  private async fetchWithStaleSocketRetry(url: URL, init: RequestInit, signal: AbortSignal, firstByteTimer: FirstByteTimer): Promise<Response> {
    const request = { ...init, signal, redirect: 'manual' as const, dispatcher: new DispatchNotifier(this.dispatcher, () => firstByteTimer.start()) };
    const openedBefore = this.connectionsOpened;
    try {
      return (await undiciFetch(url, request as never)) as unknown as Response;
    } catch (error) {
      const code = errnoCode(error);
      const reusedSocket = this.connectionsOpened === openedBefore;
      if (signal.aborted || !reusedSocket || !code || !STALE_SOCKET_CODES.has(code) || !isReplayable(init.body)) throw error;
      this.logger.debug(`Connection to ${url.host} closed before the request was sent (${code}); retrying once on a new connection.`);
      // The retry waits for a new connection, and that wait is not the server being slow.
      firstByteTimer.stop();
      return (await undiciFetch(url, request as never)) as unknown as Response;
    }
  }

  private async followRedirect(from: URL, response: Response, init: RequestInit, redirects: number): Promise<Response> {
    const location = new URL(response.headers.get('location')!, from);
    if (location.origin !== from.origin) {
      throw new SwitchboardError('config.base_url', `${from.host} redirected the request to another host, ${location.host}; Switchboard does not send API keys to a different host.`, {
        status: response.status,
        fix: [`If ${location.origin} is the right server, use it in the profile's base URL.`],
      });
    }
    if (redirects >= MAX_REDIRECTS) {
      throw new SwitchboardError('config.base_url', `${from.host} redirected the request more than ${MAX_REDIRECTS} times.`, {
        fix: ['Check the base URL; it may point at a login page or a load balancer.'],
      });
    }
    this.logger.debug(`Following redirect ${response.status} to ${redactUrl(location.href)}.`);
    return this.send(location, init, redirects + 1);
  }

  /** Wraps the body so that a gap longer than the idle timeout between chunks fails the stream. */
  private watchBody(response: Response, controller: AbortController, release: () => void): Response {
    if (!response.body) {
      release();
      return response;
    }
    const idleMs = this.options.idleTimeoutMs;
    const reader = response.body.getReader();
    let timer: NodeJS.Timeout | undefined;
    const clear = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
    const host = new URL(response.url || 'http://unknown').host;
    const body = new ReadableStream<Uint8Array>({
      pull: async (stream) => {
        timer = setTimeout(() => {
          const error = new SwitchboardError('timeout.idle', `${host} stopped sending data for ${formatSeconds(idleMs)} in the middle of the response.`, {
            fix: [raiseTimeoutFix('idle', 'Retry.', 'if the server is slow between chunks')],
          });
          controller.abort(error);
        }, idleMs);
        try {
          const { done, value } = await reader.read();
          clear();
          if (done) {
            release();
            stream.close();
          } else {
            stream.enqueue(value);
          }
        } catch (error) {
          clear();
          release();
          stream.error(findSwitchboardError(controller.signal.reason) ?? error);
        }
      },
      cancel: async (reason) => {
        clear();
        release();
        // A consumer that stops before the end (the OpenAI adapter stops at `data: [DONE]`)
        // leaves the end of the body unread. Over TLS it often comes in a later record, and
        // cancelling would make undici close the connection, so the short rest is read instead.
        if (!controller.signal.aborted) {
          void drainRest(reader, controller, reason);
          return;
        }
        await reader.cancel(reason).catch(() => undefined);
        controller.abort(reason);
      },
    });
    const wrapped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    Object.defineProperty(wrapped, 'url', { value: response.url });
    return wrapped;
  }
}

/**
 * The timer from writing a request to a connection until the response headers arrive. It
 * starts when undici writes the request, so a wait for a free pooled connection or for a new
 * one to open does not count as the server being slow. A request that never gets a connection
 * is ended by the connect timeout, the proxy's tunnel timeout or the engine's deadline.
 */
class FirstByteTimer {
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: () => void,
  ) {}

  /** Starts the timer again from zero. Calls after `finish` do nothing. */
  start(): void {
    if (this.finished) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onExpired, this.timeoutMs);
  }

  /** Stops the timer until the next `start`. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer for good, once the headers arrived or the request failed. */
  finish(): void {
    this.finished = true;
    this.stop();
  }
}

function firstByteTimeoutError(url: URL, firstByteMs: number): SwitchboardError {
  if (isLoopbackHost(url.hostname)) {
    return new SwitchboardError('timeout.first_byte', `The local server at ${url.host} sent no response within ${formatSeconds(firstByteMs)}.`, {
      fix: [raiseTimeoutFix('localFirstByte', 'It may still be loading the model or reading a long prompt, so retry when it is ready, or use a smaller model or a shorter prompt.')],
    });
  }
  return new SwitchboardError('timeout.first_byte', `${url.host} sent no response within ${formatSeconds(firstByteMs)}.`, {
    fix: [raiseTimeoutFix('firstByte', 'Retry later.')],
  });
}

/**
 * Passes one fetch's requests to the shared dispatcher and calls `onDispatch` each time undici
 * writes the request to a connection. undici calls a handler's `onConnect` at that moment
 * (client-h1.js in undici 7), not while the request waits in the pool's queue.
 */
class DispatchNotifier extends Dispatcher {
  constructor(
    private readonly inner: Dispatcher,
    private readonly onDispatch: () => void,
  ) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.inner.dispatch(options, watchDispatch(handler, this.onDispatch));
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Wraps a handler so that `onDispatch` runs before its `onConnect` (undici's older handler
 * interface, which fetch uses) or `onRequestStart` (the newer one). Every other property is
 * the handler's own, and methods run with the handler itself as `this`, so that handlers with
 * private class fields work too.
 */
function watchDispatch(handler: Dispatcher.DispatchHandler, onDispatch: () => void): Dispatcher.DispatchHandler {
  return new Proxy(handler, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      const method = value as (...parameters: unknown[]) => unknown;
      if (property !== 'onConnect' && property !== 'onRequestStart') return method.bind(target);
      return (...args: unknown[]) => {
        onDispatch();
        return method.apply(target, args);
      };
    },
  });
}

interface DispatcherSettings {
  options: NetworkOptions;
  env: ProxyEnvironment;
  logger: Logger;
  onConnect: () => void;
}

/**
 * Builds one Agent whose per-origin dispatcher is either a direct connection pool or a
 * ProxyAgent, as `decideProxy` decides for that origin.
 */
function createDispatcher({ options, env, logger, onConnect }: DispatcherSettings): Dispatcher {
  const ca = loadTrustSources(options, env, logger).flatMap((source) => source.certificates);
  if (!options.strictSsl) logger.warn('TLS certificate checks are off (http.proxyStrictSSL is false); any server certificate is accepted.');
  // One secure context for every connection: given a `ca` list instead, Node parses all of its
  // certificates again for each TLS connection, about 18 ms with Node's root certificates.
  const tls = { secureContext: createSecureContext({ ca }), rejectUnauthorized: options.strictSsl };
  const connect = { ...tls, timeout: options.connectTimeoutMs, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 250, lookup: lookupWithLocalhost };
  const poolOptions = {
    connections: options.maxConnectionsPerOrigin,
    keepAliveTimeout: options.keepAliveMs,
    keepAliveMaxTimeout: options.keepAliveMs,
    // Switchboard's own timers replace these, so their errors can name which phase was slow.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  // With strict checks the connector verifies certificates itself, so errors can name the issuer.
  const connector = options.strictSsl ? buildVerifiedConnector(connect) : buildConnector(connect);
  const countingConnector: buildConnector.connector = (connectOptions, callback) => {
    onConnect();
    return connector(connectOptions, callback);
  };
  const routesLogged = new Set<string>();

  const factory = (origin: string | URL, agentOptions: object): Dispatcher => {
    const decision = decideProxy(new URL(String(origin)), options, env);
    const key = String(origin);
    if (!routesLogged.has(key)) {
      routesLogged.add(key);
      logger.info(`Requests to ${new URL(key).host} go ${describeProxyDecision(decision)}.`);
    }
    if (!decision.proxyUrl) return new Pool(origin, agentOptions);
    // NOTE: connections opened through a proxy are not counted, so a reset on the first request
    // of a new tunnel is retried once as if it were a stale pooled socket.
    // ProxyAgent sends each CONNECT through its own client to the proxy, built by
    // `clientFactory` without `poolOptions`, so undici's default headersTimeout of 300 s would
    // apply. The first-byte timer starts only once the tunnel is open, so this bounds the
    // proxy's response to the CONNECT instead. classifyProxyFailure reports it as proxy.failed.
    const clientFactory = (proxyOrigin: URL, clientOptions: object): Dispatcher =>
      new Pool(proxyOrigin, { ...clientOptions, headersTimeout: options.firstByteTimeoutMs });
    return new ProxyAgent({ ...poolOptions, uri: decision.proxyUrl, requestTls: connect, proxyTls: connect, clientFactory });
  };
  return new Agent({ ...poolOptions, connect: countingConnector, factory });
}

/** Limits for reading the rest of a body its consumer cancelled. Past them, the connection is closed. */
const DRAIN_LIMIT_BYTES = 16 * 1024;
const DRAIN_LIMIT_MS = 1000;

/** Reads the rest of a cancelled body in the background, so undici can return its connection to the pool. */
async function drainRest(reader: ReadableStreamDefaultReader<Uint8Array>, controller: AbortController, reason: unknown): Promise<void> {
  const timer = setTimeout(() => controller.abort(reason), DRAIN_LIMIT_MS);
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
      if (bytes > DRAIN_LIMIT_BYTES) break;
    }
    await reader.cancel(reason).catch(() => undefined);
    controller.abort(reason);
  } catch {
    // The read failed or the time limit aborted it, and in both cases undici closes the connection.
  } finally {
    clearTimeout(timer);
  }
}

function errnoCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isReplayable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof URLSearchParams;
}
