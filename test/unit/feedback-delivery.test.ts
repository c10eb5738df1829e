import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { MAX_REQUESTED_WAIT_MS, parseRetryAfter } from '../../src/engine/providers/retry-after';
import { checkEndpoint, deliverFeedback, retryDelay, type DeliveryOptions } from '../../src/extension/feedback/feedback-delivery';
import { createRecordingLogger } from './support/helpers';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** A local endpoint that responds to each request with the next status of `statuses`, then 204. */
class Endpoint {
  readonly received: Received[] = [];
  private server: http.Server | undefined;

  constructor(private readonly statuses: number[] = [], private readonly headers: Record<string, string> = {}) {}

  /** Listens on `port`, or on a free port when 0. */
  async listen(port = 0): Promise<number> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(this.statuses.shift() ?? 204, this.headers).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Options with short waits that record each wait and can run code before it ends. */
function fastOptions(beforeWaitEnds: (attempt: number) => Promise<void> = async () => undefined): DeliveryOptions & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    maxAttempts: 5,
    baseDelayMs: 10,
    maxDelayMs: 200,
    timeoutMs: 2000,
    random: () => 1,
    wait: async (ms) => {
      waits.push(ms);
      await beforeWaitEnds(waits.length);
    },
  };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('feedback delivery', () => {
  const endpoints: Endpoint[] = [];

  afterEach(async () => {
    await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
  });

  it('posts the record as JSON with an idempotency key', async () => {
    const endpoint = new Endpoint();
    endpoints.push(endpoint);
    const port = await endpoint.listen();
    const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/feedback`), 'id-1', { id: 'id-1', message: 'hello' }, createRecordingLogger(), fastOptions());

    assert.deepEqual(outcome, { kind: 'delivered', attempts: 1, status: 204 });
    assert.equal(endpoint.received.length, 1);
    assert.deepEqual(endpoint.received[0].body, { id: 'id-1', message: 'hello' });
    assert.equal(endpoint.received[0].headers['content-type'], 'application/json');
    assert.equal(endpoint.received[0].headers['idempotency-key'], 'id-1');
  });

  it('retries with backoff while the endpoint is down, then delivers', async () => {
    const port = await freePort();
    const endpoint = new Endpoint();
    endpoints.push(endpoint);
    const logger = createRecordingLogger();
    // The endpoint comes up during the second wait, so attempts 1 and 2 find nothing listening.
    const options = fastOptions(async (wait) => {
      if (wait === 2) await endpoint.listen(port);
    });

    const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/`), 'id-2', { id: 'id-2' }, logger, options);
    assert.deepEqual(outcome, { kind: 'delivered', attempts: 3, status: 204 });
    assert.deepEqual(options.waits, [10, 20]);
    assert.equal(endpoint.received.length, 1);
    assert.equal(logger.lines.filter((line) => line.startsWith('warn:') && line.includes('ECONNREFUSED')).length, 2, logger.lines.join('\n'));
  });

  it('retries 503 and 429 and honours Retry-After', async () => {
    const endpoint = new Endpoint([503, 429], { 'retry-after': '0' });
    endpoints.push(endpoint);
    const port = await endpoint.listen();
    const options = fastOptions();
    const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/`), 'id-3', {}, createRecordingLogger(), options);
    assert.deepEqual(outcome, { kind: 'delivered', attempts: 3, status: 204 });
    assert.equal(endpoint.received.length, 3);
  });

  it('stops at a 4xx rejection without retrying', async () => {
    const endpoint = new Endpoint([422]);
    endpoints.push(endpoint);
    const port = await endpoint.listen();
    const options = fastOptions();
    const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/`), 'id-4', {}, createRecordingLogger(), options);
    assert.deepEqual(outcome, { kind: 'rejected', attempts: 1, status: 422 });
    assert.deepEqual(options.waits, []);
  });

  it('does not follow redirects', async () => {
    const endpoint = new Endpoint([307], { location: 'http://127.0.0.1:1/elsewhere' });
    endpoints.push(endpoint);
    const port = await endpoint.listen();
    const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/`), 'id-5', {}, createRecordingLogger(), fastOptions());
    assert.deepEqual(outcome, { kind: 'rejected', attempts: 1, status: 307 });
  });

  it('gives up after the maximum attempts', async () => {
    const port = await freePort();
    const options = fastOptions();
    const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/`), 'id-6', {}, createRecordingLogger(), options);
    assert.equal(outcome.kind, 'gaveUp');
    assert.equal(outcome.attempts, 5);
    assert.deepEqual(options.waits, [10, 20, 40, 80]);
  });

  describe('retryDelay', () => {
    const options = { baseDelayMs: 1000, maxDelayMs: 60_000 };

    it('doubles and applies jitter between half and all of it', () => {
      assert.equal(retryDelay(1, undefined, { ...options, random: () => 0 }), 500);
      assert.equal(retryDelay(3, undefined, { ...options, random: () => 0.999999 }), 4000);
      assert.equal(retryDelay(10, undefined, { ...options, random: () => 1 }), 60_000);
    });

    it('waits at least Retry-After up to the maximum', () => {
      assert.equal(retryDelay(1, 30_000, { ...options, random: () => 0 }), 30_000);
      assert.equal(retryDelay(1, 3_600_000, { ...options, random: () => 0 }), 60_000);
    });
  });

  it('parses Retry-After as seconds or a date', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const parse = (value: string) => parseRetryAfter(new Headers({ 'retry-after': value }), now);
    assert.equal(parse('7'), 7000);
    assert.equal(parse('1.5'), 1500);
    assert.equal(parse('Thu, 01 Jan 2026 12:00:30 GMT'), 30_000);
    assert.equal(parse('9'.repeat(400)), MAX_REQUESTED_WAIT_MS);
    assert.equal(parse('soon'), undefined);
    assert.equal(parseRetryAfter(new Headers(), now), undefined);
  });

  it('reads Retry-After with the engine parser', async () => {
    // The engine's parser reads fractions, which the delivery's own copy did not, and clamps huge values to a day.
    for (const value of ['0.15', '9'.repeat(400)]) {
      const endpoint = new Endpoint([429], { 'retry-after': value });
      endpoints.push(endpoint);
      const port = await endpoint.listen();
      const logger = createRecordingLogger();
      const options = { ...fastOptions(), maxDelayMs: 100_000_000 };
      const outcome = await deliverFeedback(new URL(`http://127.0.0.1:${port}/`), 'id-7', {}, logger, options);
      assert.deepEqual(outcome, { kind: 'delivered', attempts: 2, status: 204 });
      assert.deepEqual(options.waits, [Math.min(Number(value) * 1000, MAX_REQUESTED_WAIT_MS)], `Retry-After: ${value.slice(0, 20)}`);
    }
  });

  describe('checkEndpoint', () => {
    const cases: [string, boolean][] = [
      ['https://feedback.example.com/v1', true],
      ['http://127.0.0.1:8080/feedback', true],
      ['http://localhost/feedback', true],
      ['http://[::1]:9000/', true],
      ['http://feedback.example.com/', false],
      ['http://10.0.0.5/', false],
      ['ftp://example.com/', false],
      ['https://user:secret@example.com/', false],
      ['not a url', false],
    ];
    for (const [value, accepted] of cases) {
      it(`${accepted ? 'accepts' : 'rejects'} ${value}`, () => {
        assert.equal(checkEndpoint(value).ok, accepted);
      });
    }
  });
});
