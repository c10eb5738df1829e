import * as assert from 'node:assert/strict';
import { setImmediate as flushPromises } from 'node:timers/promises';

import { RetryCountdown, type CountdownClock } from '../../src/extension/retry-countdown';

/** A clock whose time moves only when the test advances it. */
class FakeClock implements CountdownClock {
  time = 1_000_000;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((timer) => timer.at <= this.time);
    this.timers = this.timers.filter((timer) => timer.at > this.time);
    for (const timer of due) timer.callback();
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}

function setUp() {
  const clock = new FakeClock();
  const changes: (number | undefined)[] = [];
  const errors: unknown[] = [];
  const countdown = new RetryCountdown({ clock, onChange: (retryAt) => changes.push(retryAt), onError: (error) => errors.push(error) });
  return { clock, changes, errors, countdown };
}

describe('extension retry countdown', () => {
  it('retries when the wait ends', async () => {
    const { clock, changes, countdown } = setUp();
    let runs = 0;
    countdown.schedule(clock.time + 90_000, 'rate_limited', () => runs++);
    assert.deepEqual(countdown.scheduled, { retryAt: clock.time + 90_000, code: 'rate_limited' });

    clock.advance(89_999);
    await flushPromises();
    assert.equal(runs, 0);

    clock.advance(1);
    await flushPromises();
    assert.equal(runs, 1);
    assert.equal(countdown.scheduled, undefined);
    assert.deepEqual(changes, [1_090_000, undefined]);
  });

  it('retries at once on Retry now', async () => {
    const { clock, countdown } = setUp();
    let runs = 0;
    countdown.schedule(clock.time + 90_000, 'rate_limited', () => runs++);
    assert.equal(countdown.retryNow(), true);
    await flushPromises();
    assert.equal(runs, 1);
    assert.equal(clock.pendingTimers, 0);

    clock.advance(90_000);
    await flushPromises();
    assert.equal(runs, 1, 'the retry ran a second time when the wait ended');
  });

  it('drops the retry on Cancel', async () => {
    const { clock, changes, countdown } = setUp();
    let runs = 0;
    countdown.schedule(clock.time + 5_000, 'rate_limited', () => runs++);
    assert.equal(countdown.cancel(), true);
    clock.advance(10_000);
    await flushPromises();
    assert.equal(runs, 0);
    assert.deepEqual(changes, [1_005_000, undefined]);
  });

  it('reports nothing to retry or cancel', () => {
    const { countdown, changes } = setUp();
    assert.equal(countdown.retryNow(), false);
    assert.equal(countdown.cancel(), false);
    assert.deepEqual(changes, []);
  });

  it('replaces an earlier retry', async () => {
    const { clock, countdown } = setUp();
    const runs: string[] = [];
    countdown.schedule(clock.time + 5_000, 'rate_limited', () => runs.push('first'));
    countdown.schedule(clock.time + 8_000, 'circuit.open', () => runs.push('second'));
    clock.advance(10_000);
    await flushPromises();
    assert.deepEqual(runs, ['second']);
  });

  it('reports a failing retry', async () => {
    const { clock, countdown, errors } = setUp();
    countdown.schedule(clock.time, 'rate_limited', () => Promise.reject(new Error('still limited')));
    clock.advance(0);
    await flushPromises();
    assert.equal((errors[0] as Error | undefined)?.message, 'still limited');
  });
});
