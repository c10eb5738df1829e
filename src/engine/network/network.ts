/**
 * The one network layer. Every SDK and raw request of the engine goes through `Network.fetch`,
 * which uses a keep-alive undici dispatcher (one connection pool per origin), the proxy and CA
 * settings, and Switchboard's own first-byte and idle timers.
 */

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, buildConnector, EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

import { SwitchboardError } from '../errors';
import { redactUrl } from '../redact';
import type { Logger } from '../types';
import { isLoopbackHost, resolveNetworkOptions, type NetworkOptions } from './options';
import { findSwitchboardError } from './transport-errors';

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

  constructor(options: Partial<NetworkOptions> = {}, logger: Logger) {
    this.options = resolveNetworkOptions(options);
    this.logger = logger;
    this.dispatcher = createDispatcher(this.options, logger, () => this.connectionsOpened++);
  }

  /** A `fetch` for SDKs: same signature as the standard one, routed through this layer. */
  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => this.send(input, init);

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async send(input: string | URL | Request, init: RequestInit = {}, redirects = 0): Promise<Response> {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const controller = new AbortController();
    const outer = init.signal ?? (input instanceof Request ? input.signal : undefined);
    const forwardAbort = () => controller.abort(outer?.reason);
    if (outer?.aborted) forwardAbort();
    outer?.addEventListener('abort', forwardAbort, { once: true });

    const firstByteMs = isLoopbackHost(url.hostname) ? this.options.localFirstByteTimeoutMs : this.options.firstByteTimeoutMs;
    const firstByteTimer = setTimeout(() => {
      controller.abort(
        new SwitchboardError('timeout.first_byte', `${url.host} sent no response within ${Math.round(firstByteMs / 1000)} s.`, {
          fix: [
            isLoopbackHost(url.hostname)
              ? 'The local server may still be loading the model; wait and retry, or raise the first-byte timeout setting.'
              : 'Retry later, or raise the first-byte timeout setting.',
          ],
        }),
      );
    }, firstByteMs);

    let response: Response;
    try {
      response = await this.fetchWithStaleSocketRetry(url, init, controller.signal);
    } catch (error) {
      outer?.removeEventListener('abort', forwardAbort);
      throw findSwitchboardError(controller.signal.reason) ?? error;
    } finally {
      clearTimeout(firstByteTimer);
    }

    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      outer?.removeEventListener('abort', forwardAbort);
      await response.body?.cancel().catch(() => undefined);
      return this.followRedirect(url, response, init, redirects);
    }
    return this.watchBody(response, controller, () => outer?.removeEventListener('abort', forwardAbort));
  }

  private async fetchWithStaleSocketRetry(url: URL, init: RequestInit, signal: AbortSignal): Promise<Response> {
    const request = { ...init, signal, redirect: 'manual' as const, dispatcher: this.dispatcher };
    const openedBefore = this.connectionsOpened;
    try {
      return (await undiciFetch(url, request as never)) as unknown as Response;
    } catch (error) {
      const code = errnoCode(error);
      const reusedSocket = this.connectionsOpened === openedBefore;
      if (signal.aborted || !reusedSocket || !code || !STALE_SOCKET_CODES.has(code) || !isReplayable(init.body)) throw error;
      this.logger.debug(`Connection to ${url.host} closed before the request was sent (${code}); retrying once on a new connection.`);
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
          const error = new SwitchboardError('timeout.idle', `${host} stopped sending data for ${Math.round(idleMs / 1000)} s in the middle of the response.`, {
            fix: ['Retry; raise the idle timeout setting if the server is slow between chunks.'],
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
        await reader.cancel(reason).catch(() => undefined);
        controller.abort(reason);
      },
    });
    const wrapped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    Object.defineProperty(wrapped, 'url', { value: response.url });
    return wrapped;
  }
}

function createDispatcher(options: NetworkOptions, logger: Logger, onConnect: () => void): Dispatcher {
  const ca = [...rootCertificates, ...readExtraCaCertificates(logger), ...options.extraCaCertificates];
  if (!options.strictSsl) logger.warn('TLS certificate checks are off (http.proxyStrictSSL is false); any server certificate is accepted.');
  const tls = { ca, rejectUnauthorized: options.strictSsl };
  const connect = { ...tls, timeout: options.connectTimeoutMs, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 250 };
  const poolOptions = {
    connections: options.maxConnectionsPerOrigin,
    keepAliveTimeout: options.keepAliveMs,
    keepAliveMaxTimeout: options.keepAliveMs,
    // Switchboard's own timers replace these, so their errors can name which phase was slow.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  const proxy = options.proxy || process.env.HTTPS_PROXY || process.env.https_proxy || process.env.HTTP_PROXY || process.env.http_proxy;
  if (!proxy) {
    const connector = buildConnector(connect);
    const countingConnector: buildConnector.connector = (connectOptions, callback) => {
      onConnect();
      return connector(connectOptions, callback);
    };
    return new Agent({ ...poolOptions, connect: countingConnector });
  }
  logger.info(`Using proxy ${redactUrl(proxy)}.`);
  return new EnvHttpProxyAgent({
    ...poolOptions,
    connect,
    httpProxy: options.proxy || process.env.HTTP_PROXY || process.env.http_proxy || proxy,
    httpsProxy: options.proxy || proxy,
    noProxy: options.noProxy ?? process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    requestTls: tls,
    proxyTls: tls,
  } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
}

/** Reads NODE_EXTRA_CA_CERTS, which Node applies only to its default context and not to an explicit `ca` list. */
function readExtraCaCertificates(logger: Logger): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch (error) {
    logger.warn(`NODE_EXTRA_CA_CERTS names ${file}, which could not be read: ${(error as Error).message}`);
    return [];
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
