/**
 * Regression tests for defects of the engine found by the fault suite: the first-byte timer and
 * pooled connections, the circuit breaker's verdicts, huge Retry-After values and keys of the
 * wrong type.
 */

import * as assert from 'node:assert/strict';
// The module object itself, not an import copy, so the test can replace dns.lookup and see every call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import dns = require('node:dns');

import { breakerVerdict, CircuitBreaker, DEFAULT_CIRCUIT_BREAKER_OPTIONS } from '../../src/engine/circuit-breaker';
import { Engine } from '../../src/engine/engine';
import { ERROR_CODES, SwitchboardError, type ErrorCode } from '../../src/engine/errors';
import { isInvalidName, lookupWithLocalhost } from '../../src/engine/network/localhost';
import { Network } from '../../src/engine/network/network';
import { formatSeconds } from '../../src/engine/network/options';
import { parseDuration as parseGeminiDuration } from '../../src/engine/providers/gemini/errors';
import { MAX_REQUESTED_WAIT_MS, parseDuration, parseRetryAfter, parseRetryHint } from '../../src/engine/providers/retry-after';
import { RetryPolicy } from '../../src/engine/retry';
import { silentLogger } from '../../src/engine/types';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator } from '../emulator/emulator';
import { generateCertificates } from '../emulator/tls';
import { findFreePort, requireTinyproxy, startProxy, type TestProxy } from '../support/proxy';
import { PROFILE, startHarness, type Harness } from './support/harness';
import { answerText, collect, errorOf } from './support/helpers';

const HUGE_NUMBER = '9'.repeat(400);

describe('first-byte timer and the connection pool', function () {
  this.timeout(15_000);
  let harness: Harness | undefined;
  let proxy: TestProxy | undefined;

  afterEach(async () => {
    await harness?.stop();
    await proxy?.stop();
    harness = undefined;
    proxy = undefined;
  });

  it('ignores the wait for a connection', async () => {
    // One connection, three requests that each take 400 ms: the third waits about 800 ms for the
    // connection, longer than the 600 ms first-byte timeout, and must still succeed.
    harness = await startHarness({ engine: { network: { maxConnectionsPerOrigin: 1, localFirstByteTimeoutMs: 600, firstByteTimeoutMs: 600 } } });
    harness.emulator.script({ delayBeforeHeadersMs: 400, times: 3 });
    const results = await Promise.all([0, 1, 2].map((index) => harness!.chat({ messages: [{ role: 'user', content: `Question ${index}` }] })));

    for (const [index, events] of results.entries()) {
      assert.equal(errorOf(events), undefined, `request ${index} failed: ${JSON.stringify(errorOf(events))}`);
      assert.equal(answerText(events), DEFAULT_ANSWER, `answer of request ${index}`);
    }
    assert.equal(harness.emulator.requests.length, 3);
  });

  it('still times out a dispatched request', async () => {
    harness = await startHarness({ engine: { network: { maxConnectionsPerOrigin: 1, localFirstByteTimeoutMs: 1500, firstByteTimeoutMs: 1500 } } });
    harness.emulator.script({ neverRespond: true });
    const error = errorOf(await harness.chat());

    assert.equal(error?.code, 'timeout.first_byte');
    assert.match(error!.message, /sent no response within 1\.5 s\./);
  });

  it('deadline ends a queued request', async () => {
    harness = await startHarness({ engine: { network: { maxConnectionsPerOrigin: 1, localFirstByteTimeoutMs: 60_000, deadlineMs: 800 } } });
    harness.emulator.script({ neverRespond: true, times: 2 });
    const started = Date.now();
    const [first, second] = await Promise.all([harness.chat(), harness.chat({ messages: [{ role: 'user', content: 'Queued.' }] })]);

    assert.equal(errorOf(first)?.code, 'timeout.deadline');
    assert.equal(errorOf(second)?.code, 'timeout.deadline');
    assert.match(errorOf(second)!.message, /within its 0\.8 s deadline/);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('times out through a proxy', async () => {
    requireTinyproxy();
    const port = await findFreePort();
    proxy = await startProxy({ connectPorts: [port] });
    harness = await startHarness({ emulator: { port }, engine: { network: { proxy: proxy.url, localFirstByteTimeoutMs: 500, firstByteTimeoutMs: 500, deadlineMs: 10_000 } } });
    harness.emulator.script({ neverRespond: true });
    const error = errorOf(await harness.chat());

    assert.equal(error?.code, 'timeout.first_byte', JSON.stringify(error));
    assert.equal(harness.emulator.requests.length, 1, 'the request went through the tunnel');
  });

  it('times out over TLS', async () => {
    const certificates = await generateCertificates();
    harness = await startHarness({ emulator: { tls: certificates }, engine: { network: { extraCaCertificates: [certificates.caPem], localFirstByteTimeoutMs: 500, deadlineMs: 10_000 } } });
    harness.emulator.script({ neverRespond: true });
    const error = errorOf(await harness.chat());

    assert.equal(error?.code, 'timeout.first_byte', JSON.stringify(error));
  });

  it('formats seconds to the millisecond', () => {
    assert.equal(formatSeconds(1500), '1.5 s');
    assert.equal(formatSeconds(60_000), '60 s');
    assert.equal(formatSeconds(250), '0.25 s');
    assert.equal(formatSeconds(1234), '1.234 s');
  });
});

describe('names under .invalid', () => {
  let emulator: Emulator | undefined;

  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  it('recognises invalid and its subdomains', () => {
    assert.equal(isInvalidName('invalid'), true);
    assert.equal(isInvalidName('api.example.INVALID.'), true);
    assert.equal(isInvalidName('invalid.example.com'), false);
    assert.equal(isInvalidName('example.invalidate'), false);
  });

  it('fails the lookup without calling the system resolver', async () => {
    const original = dns.lookup;
    let calls = 0;
    (dns as { lookup: unknown }).lookup = (...args: unknown[]) => {
      calls++;
      return (original as (...parameters: unknown[]) => unknown)(...args);
    };
    try {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookupWithLocalhost('switchboard-test.invalid', { all: true }, (failure) => resolve(failure)));
      assert.equal(error?.code, 'ENOTFOUND');
      assert.match(error!.message, /switchboard-test\.invalid/);
      assert.equal(calls, 0, 'dns.lookup was called');
    } finally {
      (dns as { lookup: unknown }).lookup = original;
    }
  });

  it('reports network.dns through the network layer', async () => {
    const network = new Network({}, silentLogger);
    try {
      await assert.rejects(network.fetch('http://no-such-host.invalid:8080/v1/models'), (error: unknown) => {
        assert.match(String((error as Error).cause ?? error), /ENOTFOUND/);
        return true;
      });
    } finally {
      await network.close();
    }
  });
});

describe('circuit breaker verdicts', () => {
  const expected: Partial<Record<ErrorCode, ReturnType<typeof breakerVerdict>>> = {
    'network.refused': 'down',
    'network.dns': 'down',
    'network.reset': 'down',
    'network.unreachable': 'down',
    'timeout.connect': 'down',
    'timeout.first_byte': 'down',
    'timeout.idle': 'down',
    'timeout.deadline': 'down',
    'proxy.failed': 'down',
    'server.error': 'down',
    'server.overloaded': 'down',
    rate_limited: 'down',
    'stream.interrupted': 'down',
    'tls.untrusted': 'none',
    'tls.expired': 'none',
    'tls.hostname': 'none',
    'proxy.auth_required': 'none',
    cancelled: 'none',
    'circuit.open': 'none',
    internal: 'none',
    'auth.invalid_key': 'reachable',
    'model.not_found': 'reachable',
    'request.invalid': 'reachable',
    'content.blocked': 'reachable',
    'stream.malformed': 'reachable',
  };

  for (const [code, verdict] of Object.entries(expected)) {
    it(`${code} is ${verdict}`, () => {
      assert.equal(breakerVerdict(code as ErrorCode), verdict);
    });
  }

  it('covers every error code', () => {
    for (const code of ERROR_CODES) assert.ok(['down', 'reachable', 'none'].includes(breakerVerdict(code)), code);
  });

  it('opens after transport failures that are not retried', () => {
    const breaker = new CircuitBreaker('work', DEFAULT_CIRCUIT_BREAKER_OPTIONS, () => 1_000_000);
    const codes: ErrorCode[] = ['network.dns', 'timeout.first_byte', 'timeout.deadline', 'network.dns', 'timeout.first_byte'];
    for (const code of codes) breaker.admit().failed(new SwitchboardError(code, 'Failed.'));
    assert.equal(breaker.snapshot().state, 'open');
  });

  it('keeps the failure count across a TLS failure', () => {
    const breaker = new CircuitBreaker('work', DEFAULT_CIRCUIT_BREAKER_OPTIONS, () => 1_000_000);
    for (let index = 0; index < 4; index++) breaker.admit().failed(new SwitchboardError('network.refused', 'Failed.'));
    breaker.admit().failed(new SwitchboardError('tls.untrusted', 'Failed.'));
    assert.equal(breaker.snapshot().state, 'closed');
    breaker.admit().failed(new SwitchboardError('network.refused', 'Failed.'));
    assert.equal(breaker.snapshot().state, 'open');
  });
});

describe('huge Retry-After values', () => {
  it('clamps a 400-digit Retry-After', () => {
    const waited = parseRetryAfter(new Headers({ 'retry-after': HUGE_NUMBER }));
    assert.equal(waited, MAX_REQUESTED_WAIT_MS);
  });

  it('clamps a 400-digit retry-after-ms', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': HUGE_NUMBER })), MAX_REQUESTED_WAIT_MS);
  });

  it('clamps a huge hint and duration', () => {
    assert.equal(parseRetryHint(`Please try again in ${HUGE_NUMBER}s.`), MAX_REQUESTED_WAIT_MS);
    assert.equal(parseDuration(`${HUGE_NUMBER}s`), MAX_REQUESTED_WAIT_MS);
  });

  it('clamps a huge Gemini retry delay', () => {
    assert.equal(parseGeminiDuration(`${HUGE_NUMBER}s`), MAX_REQUESTED_WAIT_MS);
    assert.equal(parseGeminiDuration('26s'), 26_000);
  });

  it('keeps ordinary values', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '1.5' })), 1500);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '20' })), 20);
  });

  it('gives up with a finite wait in the reason', () => {
    const policy = new RetryPolicy();
    for (const retryAfterMs of [MAX_REQUESTED_WAIT_MS, Infinity, Number.NaN]) {
      const decision = policy.decide(new SwitchboardError('rate_limited', 'Slow down.', { retryAfterMs }), 1, false);
      assert.equal(decision.retry, false, String(retryAfterMs));
      assert.match(decision.retry ? '' : decision.reason, /asked to wait a day or more, more than the 60 s cap/);
    }
  });

  it('returns rate_limited without Infinity from a server', async () => {
    const harness = await startHarness({ key: 'sk-test' });
    try {
      harness.emulator.script({ status: 429, headers: { 'retry-after': HUGE_NUMBER }, body: { error: { message: 'Rate limit reached.', type: 'requests', code: 'rate_limit_exceeded' } } });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'rate_limited');
      assert.equal(error.retryAfterMs, MAX_REQUESTED_WAIT_MS);
      assert.doesNotMatch(error.message, /Infinity/);
      assert.equal(harness.emulator.requests.length, 1);
      const status = harness.engine.statusOf(PROFILE);
      assert.ok(Number.isFinite(status.retryAt), `retryAt is ${status.retryAt}`);
    } finally {
      await harness.stop();
    }
  });
});

describe('keys of the wrong type', () => {
  let engine: Engine | undefined;

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('setKey rejects a number with config.invalid', () => {
    engine = new Engine();
    assert.throws(
      () => engine!.setKey(PROFILE, 12345 as unknown as string),
      (error: SwitchboardError) => error.code === 'config.invalid' && /is a number, not a string/.test(error.message),
    );
    assert.equal(engine.hasKey(PROFILE), false);
  });

  it('setKey rejects a profile name that is not a string', () => {
    engine = new Engine();
    assert.throws(() => engine!.setKey(7 as unknown as string, 'sk-test'), (error: SwitchboardError) => error.code === 'config.invalid');
  });

  it('chat returns an error event', async () => {
    const emulator = await Emulator.start();
    engine = new Engine();
    try {
      await engine.configure({ profiles: [{ name: PROFILE, kind: 'openai-compatible', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }] });
      try {
        engine.setKey(PROFILE, 12345 as unknown as string);
      } catch {
        // Rejected as the test above checks; the chat below must work without a key.
      }
      for (const request of [{ profile: PROFILE, messages: [{ role: 'user' as const, content: 'Hi.' }] }, undefined, null, { profile: 42 }]) {
        const events = await collect(engine.chat(request as never));
        assert.ok(events.length > 0, `no events for ${JSON.stringify(request)}`);
      }
      const events = await collect(engine.chat({ profile: PROFILE, messages: [{ role: 'user', content: 'Hi.' }] }));
      assert.equal(answerText(events), DEFAULT_ANSWER);
    } finally {
      await emulator.stop();
    }
  });
});
