import * as assert from 'node:assert/strict';

import type { CacheOutcome } from '../../src/engine/cache/response-cache';
import { Metrics, percentile, ProcessMonitor, SampleWindow } from '../../src/engine/metrics';
import type { ChatEvent } from '../../src/engine/types';
import { errorOf } from './support/helpers';
import { startHarness, type Harness } from './support/harness';

/** Creates a clock in milliseconds that the test moves by hand. */
function manualClock() {
  const clock = { value: 0, now: () => clock.value };
  return clock;
}

const ANSWER: ChatEvent[] = [
  { type: 'text', text: 'one' },
  { type: 'text', text: ' two' },
  { type: 'text', text: ' three' },
  { type: 'end', finishReason: 'stop', usage: { outputTokens: 3 } },
];

describe('metrics', () => {
  describe('percentiles', () => {
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);

    it('takes the nearest rank of 1 to 100', () => {
      assert.equal(percentile(hundred, 50), 50);
      assert.equal(percentile(hundred, 95), 95);
      assert.equal(percentile(hundred, 99), 99);
      assert.equal(percentile(hundred, 100), 100);
    });

    it('takes the nearest rank of four samples', () => {
      assert.equal(percentile([10, 20, 30, 40], 50), 20);
      assert.equal(percentile([10, 20, 30, 40], 95), 40);
      assert.equal(percentile([10, 20, 30, 40], 0), 10);
    });

    it('returns undefined for no samples', () => {
      assert.equal(percentile([], 50), undefined);
    });
  });

  describe('sample window', () => {
    it('summarises samples added in any order', () => {
      const window = new SampleWindow(10);
      for (const value of [5, 1, 4, 2, 3]) window.add(value);
      assert.deepEqual(window.summary(), { count: 5, p50: 3, p95: 5, p99: 5, max: 5 });
    });

    it('keeps only the last samples', () => {
      const window = new SampleWindow(3);
      for (const value of [100, 1, 2, 3]) window.add(value);
      const summary = window.summary();
      assert.equal(summary.count, 3);
      assert.equal(summary.max, 3);
    });

    it('stays at its capacity after many samples', () => {
      const window = new SampleWindow(512);
      for (let index = 0; index < 100_000; index++) window.add(index);
      assert.equal(window.summary().count, 512);
      assert.equal(window.summary().p50, 100_000 - 256 - 1);
    });
  });

  describe('recorder', () => {
    /** Passes events to an observer, moving the clock by `stepMs` before each one. */
    function feed(observer: { event(event: ChatEvent): void }, events: ChatEvent[], clock: { value: number }, stepMs: number): void {
      for (const event of events) {
        clock.value += stepMs;
        observer.event(event);
      }
    }

    /** Observes one request served as `outcome` that receives `events`. */
    function request(metrics: Metrics, outcome: CacheOutcome, events: ChatEvent[], clock = { value: 0 }, stepMs = 0): void {
      const observer = metrics.observeRequest('p');
      observer.served(outcome);
      feed(observer, events, clock, stepMs);
      observer.end();
    }

    it('times first byte, first token and token rate of an upstream answer', () => {
      const clock = manualClock();
      const metrics = new Metrics({ now: clock.now });
      const observer = metrics.observeUpstream('p');
      clock.value += 40;
      observer.firstByte();
      feed(observer, ANSWER, clock, 10);
      const [profile] = metrics.snapshot();
      assert.equal(profile?.firstByteMs.p50, 40);
      assert.equal(profile?.firstTokenMs.p50, 50);
      // Two tokens after the first one, over the 30 ms from the first token to the end.
      assert.ok(Math.abs((profile?.tokensPerSecond.p50 ?? 0) - 2 / 0.03) < 1e-9);
    });

    it('counts only the first firstByte call', () => {
      const clock = manualClock();
      const metrics = new Metrics({ now: clock.now });
      const observer = metrics.observeUpstream('p');
      clock.value += 5;
      observer.firstByte();
      clock.value += 100;
      observer.firstByte();
      feed(observer, ANSWER, clock, 0);
      assert.equal(metrics.snapshot()[0]?.firstByteMs.p50, 5);
    });

    it('counts retries of an upstream answer', () => {
      const metrics = new Metrics();
      feed(metrics.observeUpstream('p'), [{ type: 'retry', attempt: 2, delayMs: 10, code: 'server.error', message: 'failed' }, ...ANSWER], { value: 0 }, 0);
      assert.equal(metrics.snapshot()[0]?.retries, 1);
    });

    it('counts requests, cache outcomes and errors as callers see them', () => {
      const metrics = new Metrics();
      const failed: ChatEvent[] = [{ type: 'error', error: { code: 'rate_limited', message: 'Slow down.', retryable: true, fix: [], actions: [] } }];
      request(metrics, 'miss', ANSWER);
      request(metrics, 'hit', ANSWER);
      request(metrics, 'joined', ANSWER);
      request(metrics, 'miss', failed);
      const profile = metrics.snapshot()[0]!;
      assert.equal(profile.requests, 4);
      assert.equal(profile.completed, 3);
      assert.deepEqual(profile.errors, { rate_limited: 1 });
      assert.deepEqual(profile.cache, { hits: 1, joined: 1, misses: 2, bypassed: 0, hitRate: 0.5 });
    });

    it('keeps the last requests for the chart, oldest first', () => {
      const clock = manualClock();
      const metrics = new Metrics({ now: clock.now, recentSize: 2, wallClock: () => clock.value });
      for (let index = 0; index < 3; index++) request(metrics, 'miss', ANSWER, clock, 5);
      const recent = metrics.snapshot()[0]!.recent;
      assert.equal(recent.length, 2);
      assert.deepEqual(
        recent.map((sample) => [sample.at, sample.firstTokenMs, sample.totalMs]),
        [
          [20, 5, 20],
          [40, 5, 20],
        ],
      );
    });

    it('tracks at most maxProfiles profiles', () => {
      const metrics = new Metrics({ maxProfiles: 2 });
      for (const name of ['a', 'b', 'c']) metrics.observeRequest(name).end();
      assert.deepEqual(
        metrics.snapshot().map((profile) => profile.profile),
        ['b', 'c'],
      );
    });
  });

  describe('through the engine', function () {
    this.timeout(15_000);
    let harness: Harness;

    beforeEach(async () => {
      harness = await startHarness({ emulator: { tokensPerSecond: 100 } });
    });

    afterEach(async () => {
      await harness.stop();
    });

    it('records an upstream answer and a cache hit', async () => {
      await harness.chat();
      await harness.chat();
      const profile = harness.engine.metrics().profiles[0]!;
      assert.equal(profile.requests, 2);
      assert.equal(profile.cache.hitRate, 0.5);
      assert.equal(profile.firstByteMs.count, 1);
      assert.equal(profile.firstTokenMs.count, 1);
      assert.equal(profile.tokensPerSecond.count, 1);
      assert.ok((profile.tokensPerSecond.p50 ?? 0) > 0);
    });

    it('records retries and errors by code', async () => {
      harness.emulator.script({ status: 503, body: { error: { message: 'Overloaded.' } } });
      await harness.chat();
      harness.emulator.script({ status: 404, body: { error: { message: 'The model does not exist.', code: 'model_not_found' } } });
      const failed = await harness.chat({ model: 'missing-model' });
      const profile = harness.engine.metrics().profiles[0]!;
      assert.equal(profile.retries, 1);
      assert.deepEqual(profile.errors, { [errorOf(failed)!.code]: 1 });
    });

    it('reports the cache sizes', async () => {
      await harness.chat();
      const { responses } = harness.engine.metrics().caches;
      assert.equal(responses.entries, 1);
      assert.ok(responses.bytes > 0);
      assert.equal(responses.inFlight, 0);
    });
  });

  describe('process monitor', () => {
    it('reports memory and event-loop delay', async () => {
      const monitor = new ProcessMonitor();
      monitor.start();
      try {
        await new Promise((resolve) => setTimeout(resolve, 60));
        const snapshot = monitor.snapshot();
        assert.ok(snapshot.rssBytes > 0);
        assert.ok(snapshot.heapUsedBytes > 0);
        assert.ok(snapshot.eventLoopDelayMs.count > 0);
        assert.ok((snapshot.eventLoopDelayMs.p99 ?? -1) >= 0);
      } finally {
        monitor.stop();
      }
    });
  });
});
