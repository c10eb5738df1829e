/** The per-profile circuit breaker, driven by a fake clock. */

import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { CircuitBreaker, CircuitBreakers, DEFAULT_CIRCUIT_BREAKER_OPTIONS, type CircuitSnapshot } from '../../src/engine/circuit-breaker';
import { isSwitchboardError, SwitchboardError, type ErrorCode } from '../../src/engine/errors';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { answerText, errorOf } from './support/helpers';
import { PROFILE, startHarness, type Harness } from './support/harness';

class FakeClock {
  time = Date.parse('2025-06-01T12:00:00Z');
  readonly now = () => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

const failure = (code: ErrorCode = 'server.overloaded') => new SwitchboardError(code, 'Failed.');

/** Calls `action` and returns the SwitchboardError it throws. */
function thrown(action: () => unknown): SwitchboardError {
  try {
    action();
  } catch (error) {
    if (isSwitchboardError(error)) return error;
    throw error;
  }
  assert.fail('expected a SwitchboardError');
}

describe('circuit breaker', () => {
  let clock: FakeClock;
  let changes: CircuitSnapshot[];
  let breaker: CircuitBreaker;

  function failTimes(count: number, code?: ErrorCode): void {
    for (let index = 0; index < count; index++) breaker.admit().failed(failure(code));
  }

  beforeEach(() => {
    clock = new FakeClock();
    changes = [];
    breaker = new CircuitBreaker('work', DEFAULT_CIRCUIT_BREAKER_OPTIONS, clock.now, (snapshot) => changes.push(snapshot));
  });

  it('stays closed below the threshold', () => {
    failTimes(4);
    assert.deepEqual(breaker.snapshot(), { state: 'closed' });
    assert.doesNotThrow(() => breaker.admit());
  });

  it('opens after 5 transient failures in a row', () => {
    failTimes(5);
    assert.deepEqual(breaker.snapshot(), { state: 'open', retryAt: clock.time + 30_000 });
    assert.deepEqual(changes, [{ state: 'open', retryAt: clock.time + 30_000 }]);
  });

  it('fails fast while open and says when it tries again', () => {
    failTimes(5, 'network.reset');
    clock.advance(12_000);
    const error = thrown(() => breaker.admit());

    assert.equal(error.code, 'circuit.open');
    assert.equal(error.retryAfterMs, 18_000);
    assert.match(error.message, /Profile "work" kept failing \(the last failure was network\.reset\)/);
    assert.match(error.message, /try again in 18 s/);
    assert.ok(error.actions.includes('retry'));
  });

  it('forgets failures older than the window', () => {
    failTimes(4);
    clock.advance(61_000);
    failTimes(1);
    assert.equal(breaker.snapshot().state, 'closed');
  });

  it('restarts the count after a request the provider answered', () => {
    failTimes(4);
    breaker.admit().failed(failure('request.invalid'));
    failTimes(4);
    assert.equal(breaker.snapshot().state, 'closed');
  });

  it('ignores cancelled requests', () => {
    failTimes(4);
    breaker.admit().failed(failure('cancelled'));
    failTimes(1);
    assert.equal(breaker.snapshot().state, 'open');
  });

  it('lets one test request through after the cooldown', () => {
    failTimes(5);
    clock.advance(30_000);
    assert.equal(breaker.snapshot().state, 'half_open');

    const probe = breaker.admit();
    const second = thrown(() => breaker.admit());
    assert.equal(second.code, 'circuit.open');
    assert.equal(second.retryAfterMs, undefined);
    assert.match(second.message, /one request is now testing/);

    probe.succeeded();
    assert.deepEqual(breaker.snapshot(), { state: 'closed' });
    assert.deepEqual(changes.map((change) => change.state), ['open', 'half_open', 'closed']);
  });

  it('doubles the cooldown when the test request fails', () => {
    failTimes(5);
    const cooldowns: number[] = [];
    for (let round = 0; round < 5; round++) {
      const retryAt = breaker.snapshot().retryAt!;
      cooldowns.push(retryAt - clock.time);
      clock.advance(retryAt - clock.time);
      breaker.admit().failed(failure());
    }
    assert.deepEqual(cooldowns, [30_000, 60_000, 120_000, 240_000, 300_000]);
  });

  it('resets the cooldown after a success', () => {
    failTimes(5);
    clock.advance(30_000);
    breaker.admit().failed(failure());
    clock.advance(60_000);
    breaker.admit().succeeded();
    failTimes(5);
    assert.equal(breaker.snapshot().retryAt! - clock.time, 30_000);
  });

  it('frees the test slot when a test request ends without a verdict', () => {
    failTimes(5);
    clock.advance(30_000);
    breaker.admit().release();
    assert.doesNotThrow(() => breaker.admit());
  });

  it('counts only the first outcome of a ticket', () => {
    const ticket = breaker.admit();
    ticket.succeeded();
    for (let index = 0; index < 5; index++) ticket.failed(failure());
    assert.equal(breaker.snapshot().state, 'closed');
  });

  it('closes at once on reset', () => {
    failTimes(5);
    breaker.reset();
    assert.deepEqual(breaker.snapshot(), { state: 'closed' });
    assert.doesNotThrow(() => breaker.admit());
  });

  it('rejects invalid options', () => {
    assert.throws(() => new CircuitBreakers({ failureThreshold: 0 }), (error: SwitchboardError) => error.code === 'config.invalid' && /failureThreshold/.test(error.message));
    assert.throws(() => new CircuitBreakers({ cooldownMs: 60_000, maxCooldownMs: 30_000 }), /maxCooldownMs/);
  });
});

describe('circuit breaker in the engine', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('fails fast, shows its state and recovers', async () => {
    const clock = new FakeClock();
    harness = await startHarness({ engine: { retry: { maxAttempts: 1 }, clock: clock.now } });
    const { emulator, engine } = harness;
    emulator.script({ status: 503, body: { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error' } }, times: 5 });
    // Each request has new content, so the response cache serves none of them.
    const ask = (index: number) => harness!.chat({ messages: [{ role: 'user', content: `Question ${index}` }] });
    for (let index = 0; index < 5; index++) assert.equal(errorOf(await ask(index))?.code, 'server.overloaded');

    const rejected = errorOf(await ask(5));
    assert.equal(rejected?.code, 'circuit.open');
    assert.equal(rejected.retryAfterMs, 30_000);
    assert.equal(emulator.requests.length, 5);
    assert.deepEqual(engine.statusOf(PROFILE).circuit, { state: 'open', retryAt: clock.time + 30_000 });
    assert.equal(engine.statusOf(PROFILE).retryAt !== undefined, true);

    clock.advance(30_000);
    assert.equal(engine.statusOf(PROFILE).circuit?.state, 'half_open');
    const recovered = await ask(6);
    assert.equal(answerText(recovered), DEFAULT_ANSWER);
    assert.equal(emulator.requests.length, 6);
    assert.equal(engine.statusOf(PROFILE).circuit, undefined);
  });

  it('opens when answers outlast the deadline', async () => {
    harness = await startHarness({ engine: { retry: { maxAttempts: 1 }, network: { deadlineMs: 300 }, circuitBreaker: { failureThreshold: 2 } } });
    harness.emulator.script({ neverRespond: true, times: 2 });
    const ask = (index: number) => harness!.chat({ messages: [{ role: 'user', content: `Slow question ${index}` }] });

    assert.equal(errorOf(await ask(0))?.code, 'timeout.deadline');
    assert.equal(errorOf(await ask(1))?.code, 'timeout.deadline');
    // The caller leaves at its deadline; the upstream request reports its failure a moment later.
    for (let waited = 0; harness.engine.statusOf(PROFILE).circuit?.state !== 'open' && waited < 2000; waited += 20) await sleep(20);
    assert.equal(harness.engine.statusOf(PROFILE).circuit?.state, 'open');
    assert.equal(errorOf(await ask(2))?.code, 'circuit.open');
    assert.equal(harness.emulator.requests.length, 2);
  });

  it('closes on "Retry now"', async () => {
    const clock = new FakeClock();
    harness = await startHarness({ engine: { retry: { maxAttempts: 1 }, clock: clock.now, circuitBreaker: { failureThreshold: 1 } } });
    harness.emulator.script({ status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    await harness.chat();
    assert.equal(harness.engine.statusOf(PROFILE).circuit?.state, 'open');

    harness.engine.circuits.reset(PROFILE);
    const events = await harness.chat({ messages: [{ role: 'user', content: 'Again.' }] });
    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(harness.engine.statusOf(PROFILE).circuit, undefined);
  });
});
