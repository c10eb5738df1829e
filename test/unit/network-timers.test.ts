/**
 * The network layer's timers around connections: a proxy that never responds to CONNECT, requests
 * that wait in the pool's queue, and the stale-socket retry's wait for a new connection.
 * Every server here listens on 127.0.0.1, and each test stops what it started.
 */

import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

import { isSwitchboardError, type SwitchboardError } from '../../src/engine/errors';
import { Network } from '../../src/engine/network/network';
import { silentLogger } from '../../src/engine/types';
import { generateCertificates } from '../emulator/tls';
import { startHarness, type Harness } from './support/harness';
import { errorOf } from './support/helpers';

/** Short timers, so each case ends in about a second. */
const TIMERS = { connectTimeoutMs: 2000, firstByteTimeoutMs: 500, localFirstByteTimeoutMs: 500, idleTimeoutMs: 2000 };

/** Servers and sockets a test started, closed by `afterEach`. */
class Servers {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  /** Listens on 127.0.0.1 and returns the port. Every socket the server accepts is tracked. */
  async listen(server: net.Server): Promise<number> {
    this.servers.push(server);
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  async closeAll(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Creates a proxy that accepts TCP connections, reads the CONNECT request, and never responds. */
function silentProxy(): net.Server {
  return net.createServer((socket) => socket.on('data', () => undefined));
}

async function failureOf(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSwitchboardError(error), `expected a SwitchboardError, got ${String(error)}`);
    return error;
  }
  return assert.fail('the request succeeded');
}

describe('network timers', function () {
  this.timeout(20_000);
  const servers = new Servers();
  let network: Network | undefined;
  let harness: Harness | undefined;

  afterEach(async () => {
    await network?.close(100);
    await harness?.stop();
    await servers.closeAll();
    network = undefined;
    harness = undefined;
  });

  describe('proxy that never responds to CONNECT', () => {
    it('fails an https target with proxy.failed', async () => {
      const proxyPort = await servers.listen(silentProxy());
      network = new Network(TIMERS, silentLogger, { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` });
      const started = Date.now();
      // The proxy resolves the target, so this .invalid name reaches no resolver.
      const error = await failureOf(network.fetch('https://api.example.invalid/v1/models'));
      const elapsedMs = Date.now() - started;

      assert.equal(error.code, 'proxy.failed');
      assert.equal(
        error.message,
        `The proxy 127.0.0.1:${proxyPort} (from the HTTPS_PROXY environment variable) did not respond within 0.5 s to the request to open a tunnel to api.example.invalid:443.`,
      );
      assert.equal(error.retryable, false);
      assert.ok(elapsedMs >= 450, `failed after ${elapsedMs} ms, before the first-byte timeout`);
      assert.ok(elapsedMs < 3000, `failed after ${elapsedMs} ms`);
    });

    it('fails an http target with proxy.failed', async () => {
      const proxyPort = await servers.listen(silentProxy());
      network = new Network(TIMERS, silentLogger, { HTTP_PROXY: `http://127.0.0.1:${proxyPort}` });
      const started = Date.now();
      const error = await failureOf(network.fetch('http://api.example.invalid/v1/models'));

      assert.equal(error.code, 'proxy.failed');
      assert.match(error.message, new RegExp(`proxy 127\\.0\\.0\\.1:${proxyPort} .* within 0\\.5 s .* tunnel to api\\.example\\.invalid:80\\.$`));
      assert.ok(Date.now() - started < 3000, `failed after ${Date.now() - started} ms`);
    });

    it('reaches a chat as proxy.failed without retries', async () => {
      const proxyPort = await servers.listen(silentProxy());
      harness = await startHarness({ engine: { network: { ...TIMERS, proxy: `http://127.0.0.1:${proxyPort}` } } });
      const started = Date.now();
      const events = await harness.chat();
      const error = errorOf(events);

      assert.equal(error?.code, 'proxy.failed', JSON.stringify(error));
      assert.match(error!.message, new RegExp(`proxy 127\\.0\\.0\\.1:${proxyPort} \\(from the proxy setting\\) did not respond within 0\\.5 s`));
      assert.equal(events.filter((event) => event.type === 'retry').length, 0);
      assert.equal(harness.emulator.requests.length, 0);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    });
  });

  it('does not count the wait in the pool queue', async () => {
    // One connection and four requests, each with its response after 300 ms: the last waits about 900 ms
    // for the connection, longer than the 500 ms first-byte timeout.
    const port = await servers.listen(http.createServer((_request, response) => setTimeout(() => response.end('ok'), 300)));
    network = new Network({ ...TIMERS, maxConnectionsPerOrigin: 1 }, silentLogger, {});
    const statuses = await Promise.all(
      [1, 2, 3, 4].map(async (index) => {
        const response = await network!.fetch(`http://127.0.0.1:${port}/${index}`);
        await response.text();
        return response.status;
      }),
    );
    assert.deepEqual(statuses, [200, 200, 200, 200]);
  });

  it('does not count the stale-socket retry\'s wait for a connection', async () => {
    // The server closes the first connection when its second request arrives, so that request
    // fails on a pooled socket and is retried. The retry's new connection takes 800 ms to start
    // its TLS handshake, longer than the 500 ms first-byte timeout.
    const certificates = await generateCertificates();
    const server = https.createServer({ cert: certificates.certPem, key: certificates.keyPem });
    let firstSocket: net.Socket | undefined;
    let requestsOnFirst = 0;
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      firstSocket ??= request.socket;
      if (request.socket === firstSocket && ++requestsOnFirst === 2) {
        request.socket.destroy();
        return;
      }
      response.end('ok');
    });
    let connections = 0;
    const front = net.createServer((socket) => {
      connections++;
      setTimeout(() => server.emit('connection', socket), connections === 1 ? 0 : 800);
    });
    const port = await servers.listen(front);
    network = new Network({ ...TIMERS, maxConnectionsPerOrigin: 1, extraCaCertificates: [certificates.caPem] }, silentLogger, {});

    const warmUp = await network.fetch(`https://127.0.0.1:${port}/warm-up`);
    assert.equal(await warmUp.text(), 'ok');
    const started = Date.now();
    const response = await network.fetch(`https://127.0.0.1:${port}/retried`);

    assert.equal(await response.text(), 'ok');
    assert.equal(connections, 2, 'the retry opened a second connection');
    assert.ok(Date.now() - started >= 800, `the retry took ${Date.now() - started} ms, less than the handshake delay`);
  });
});
