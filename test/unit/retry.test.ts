import * as assert from 'node:assert/strict';

import { SwitchboardError, type ErrorCode } from '../../src/engine/errors';
import { parseDuration, parseRetryAfter, parseRetryHint } from '../../src/engine/providers/retry-after';
import { RetryPolicy, sleep, type RetryEvent } from '../../src/engine/retry';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { answerText, errorOf, eventsOfType } from './support/helpers';
import { startHarness, type Harness } from './support/harness';

const fixed = (value: number) => () => value;

describe('retry policy', () => {
  describe('decisions per code', () => {
    const retried: ErrorCode[] = ['rate_limited', 'server.error', 'server.overloaded', 'network.refused', 'network.reset', 'network.unreachable', 'timeout.connect', 'stream.interrupted', 'proxy.failed'];
    const notRetried: ErrorCode[] = [
      'auth.invalid_key',
      'auth.missing_key',
      'auth.forbidden',
      'quota.exhausted',
      'model.not_found',
      'request.invalid',
      'request.context_too_long',
      'request.unsupported_parameter',
      'content.blocked',
      'config.base_url',
      'config.invalid',
      'tls.untrusted',
      'network.dns',
      'timeout.first_byte',
      'timeout.idle',
      'timeout.deadline',
      'cancelled',
    ];

    for (const code of retried) {
      it(`retries ${code} before any output`, () => {
        const decision = new RetryPolicy({}, fixed(0.5)).decide(new SwitchboardError(code, 'failed'), 1, false);
        assert.equal(decision.retry, true);
      });
    }

    for (const code of notRetried) {
      it(`does not retry ${code}`, () => {
        const decision = new RetryPolicy({}, fixed(0.5)).decide(new SwitchboardError(code, 'failed'), 1, false);
        assert.equal(decision.retry, false);
      });
    }

    it('follows a mapper that marks an error not retryable', () => {
      const error = new SwitchboardError('rate_limited', 'failed', { retryable: false });
      assert.equal(new RetryPolicy().decide(error, 1, false).retry, false);
    });

    it('does not retry after text was produced', () => {
      const decision = new RetryPolicy().decide(new SwitchboardError('stream.interrupted', 'cut'), 1, true);
      assert.equal(decision.retry, false);
      assert.equal(decision.retry === false && decision.reason, 'the answer had already started');
    });

    it('stops after maxAttempts', () => {
      const policy = new RetryPolicy({ maxAttempts: 3 });
      const error = new SwitchboardError('server.error', 'failed');
      assert.equal(policy.decide(error, 2, false).retry, true);
      assert.equal(policy.decide(error, 3, false).retry, false);
    });
  });

  describe('server-requested waits', () => {
    it('waits the requested time plus at most 250 ms', () => {
      const error = new SwitchboardError('rate_limited', 'slow down', { retryAfterMs: 3890 });
      const low = new RetryPolicy({}, fixed(0)).decide(error, 1, false);
      const high = new RetryPolicy({}, fixed(1)).decide(error, 1, false);
      assert.deepEqual(low, { retry: true, delayMs: 3890 });
      assert.deepEqual(high, { retry: true, delayMs: 3890 + 250 });
    });

    it('returns a wait above the cap instead of sleeping', () => {
      const error = new SwitchboardError('rate_limited', 'slow down', { retryAfterMs: 120_000 });
      const decision = new RetryPolicy({ maxRetryAfterMs: 60_000 }).decide(error, 1, false);
      assert.equal(decision.retry, false);
      assert.match(decision.retry === false ? decision.reason : '', /120 s/);
    });
  });

  describe('backoff', () => {
    it('doubles the ceiling each attempt', () => {
      const policy = new RetryPolicy({ baseDelayMs: 100, maxBackoffMs: 10_000 }, fixed(1));
      assert.equal(policy.backoff(1), 100);
      assert.equal(policy.backoff(2), 200);
      assert.equal(policy.backoff(3), 400);
    });

    it('jitters between half and all of the ceiling', () => {
      const low = new RetryPolicy({ baseDelayMs: 400 }, fixed(0));
      const high = new RetryPolicy({ baseDelayMs: 400 }, fixed(1));
      assert.equal(low.backoff(2), 400);
      assert.equal(high.backoff(2), 800);
    });

    it('stays within bounds for any random value', () => {
      for (let step = 0; step < 100; step++) {
        const delay = new RetryPolicy({ baseDelayMs: 500, maxBackoffMs: 8000 }, fixed(step / 100)).backoff(3);
        assert.ok(delay >= 1000, `delay ${delay} ms`);
        assert.ok(delay <= 2000, `delay ${delay} ms`);
      }
    });

    it('never exceeds maxBackoffMs', () => {
      const policy = new RetryPolicy({ baseDelayMs: 500, maxBackoffMs: 8000 }, fixed(1));
      assert.equal(policy.backoff(10), 8000);
    });

    it('uses backoff when the server asked for no wait', () => {
      const decision = new RetryPolicy({ baseDelayMs: 100 }, fixed(0)).decide(new SwitchboardError('server.error', 'failed'), 1, false);
      assert.deepEqual(decision, { retry: true, delayMs: 50 });
    });
  });

  describe('sleep', () => {
    it('resolves after the delay', async () => {
      await sleep(5, new AbortController().signal);
    });

    it('rejects with the signal\'s reason', async () => {
      const controller = new AbortController();
      const reason = new SwitchboardError('cancelled', 'The request was cancelled.');
      const sleeping = sleep(60_000, controller.signal);
      controller.abort(reason);
      await assert.rejects(sleeping, (error) => error === reason);
    });
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads Retry-After in seconds', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '33' }), now), 33_000);
  });

  it('reads fractional seconds', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '1.5' }), now), 1500);
  });

  it('reads Retry-After as an HTTP date', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Sun, 01 Jun 2025 12:00:20 GMT' }), now), 20_000);
  });

  it('reads a past HTTP date as no wait', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Sun, 01 Jun 2025 11:59:00 GMT' }), now), 0);
  });

  it('prefers retry-after-ms', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '1' }), now), 250);
  });

  it('ignores a value that is neither', () => {
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
  });

  it('returns undefined without headers', () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter(new Headers(), now), undefined);
  });

  for (const [text, expected] of [
    ['Please try again in 3.89s. Visit https://platform.openai.com/account/rate-limits to learn more.', 3890],
    ['Please try again in 174ms.', 174],
    ['Please retry after 33 seconds. Please go here: https://aka.ms/oai/quotaincrease', 33_000],
    ['Please try again in 20 sec', 20_000],
    ['The engine is currently overloaded, please try again later', undefined],
  ] as const) {
    it(`reads the hint in "${text.slice(0, 36)}…"`, () => {
      assert.equal(parseRetryHint(text), expected);
    });
  }

  it('reads Gemini RetryInfo durations', () => {
    assert.equal(parseDuration('26s'), 26_000);
    assert.equal(parseDuration('2.463586755s'), 2464);
    assert.equal(parseDuration('26'), undefined);
    assert.equal(parseDuration(26), undefined);
  });
});

describe('retries through the engine', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('retries 503 with backoff and succeeds', async () => {
    harness = await startHarness();
    const retries: RetryEvent[] = [];
    harness.engine.retryPolicy.onRetry((event) => retries.push(event));
    harness.emulator.script({ status: 503, body: { error: { message: 'The server is overloaded.', type: 'server_error' } }, times: 2 });
    const events = await harness.chat();
    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.deepEqual(
      eventsOfType(events, 'retry').map((event) => event.attempt),
      [2, 3],
    );
    assert.equal(retries.length, 2);
    assert.equal(retries[0]!.requestId, retries[1]!.requestId);
    assert.equal(harness.emulator.requests.length, 3);
  });

  it('gives up after maxAttempts', async () => {
    harness = await startHarness();
    harness.emulator.script({ status: 500, body: { error: { message: 'boom', type: 'server_error' } }, times: 5 });
    const error = errorOf(await harness.chat());
    assert.equal(error?.code, 'server.error');
    assert.equal(harness.emulator.requests.length, 3);
  });

  it('honours retry-after-ms from the response', async () => {
    harness = await startHarness();
    harness.emulator.script({ status: 429, headers: { 'retry-after-ms': '30' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
    const [retry] = eventsOfType(await harness.chat(), 'retry');
    assert.ok(retry !== undefined, 'one retry');
    assert.ok(retry.delayMs >= 30, `delay ${retry.delayMs} ms`);
    assert.ok(retry.delayMs <= 280, `delay ${retry.delayMs} ms`);
  });

  it('returns a Retry-After above the cap', async () => {
    harness = await startHarness();
    harness.emulator.script({ status: 429, headers: { 'retry-after': '120' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
    const events = await harness.chat();
    const error = errorOf(events);
    assert.equal(error?.code, 'rate_limited');
    assert.equal(error.retryAfterMs, 120_000);
    assert.equal(eventsOfType(events, 'retry').length, 0);
    assert.equal(harness.emulator.requests.length, 1);
  });

  it('marks the profile rate limited with a retry time', async () => {
    harness = await startHarness({ engine: { retry: { maxAttempts: 1 } } });
    harness.emulator.script({ status: 429, headers: { 'retry-after': '20' }, body: { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } } });
    await harness.chat();
    const status = harness.engine.statusOf('test');
    assert.equal(status.state, 'rate_limited');
    assert.ok(status.retryAt !== undefined && status.retryAt > Date.now(), 'retryAt is in the future');
  });

  it('ends a retry wait when cancelled', async () => {
    harness = await startHarness();
    harness.emulator.script({ status: 503, headers: { 'retry-after': '30' }, body: { error: { message: 'The server is overloaded.', type: 'server_error' } } });
    const controller = new AbortController();
    const events = [];
    for await (const event of harness.engine.chat({ profile: 'test', messages: [{ role: 'user', content: 'Hi' }] }, controller.signal)) {
      events.push(event);
      if (event.type === 'retry') controller.abort();
    }
    assert.equal(errorOf(events)?.code, 'cancelled');
    assert.equal(harness.emulator.requests.length, 1);
  });

  it('ends a retry wait at the deadline', async () => {
    harness = await startHarness({ engine: { network: { deadlineMs: 300 } } });
    harness.emulator.script({ status: 503, headers: { 'retry-after': '30' }, body: { error: { message: 'The server is overloaded.', type: 'server_error' } } });
    const error = errorOf(await harness.chat());
    assert.equal(error?.code, 'timeout.deadline');
  });

  it('does not retry quota exhaustion', async () => {
    harness = await startHarness();
    harness.emulator.replayCase('F03');
    const events = await harness.chat();
    assert.equal(errorOf(events)?.code, 'quota.exhausted');
    assert.equal(harness.emulator.requests.length, 1);
  });
});
