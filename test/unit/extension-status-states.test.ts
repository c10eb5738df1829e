import * as assert from 'node:assert/strict';

import type { ProfileStatus } from '../../src/engine/engine';
import { deriveStatus, formatClock, nextRefreshMs, renderStatus, WARM_UP_AFTER_MS, type StatusInputs } from '../../src/extension/status-view';

const NOW = new Date(2026, 0, 1, 14, 5, 9).getTime();
const DETAILS = { profile: 'local', model: 'llama3.2', baseUrl: 'http://127.0.0.1:11434/v1' };

function inputs(change: Partial<StatusInputs> = {}): StatusInputs {
  return { server: 'running', localRequests: 0, ...change };
}

function engine(change: Partial<ProfileStatus>): ProfileStatus {
  return { profile: 'local', state: 'connected', inFlight: 0, ...change };
}

describe('extension status states', () => {
  describe('rate limits', () => {
    it('counts down to a scheduled retry', () => {
      const state = deriveStatus(inputs({ scheduledRetry: { retryAt: NOW + 90_000 } }), NOW);
      assert.deepEqual(state, { kind: 'rateLimited', retryAt: NOW + 90_000, retryScheduled: true });
      const view = renderStatus(state, DETAILS, NOW);
      assert.equal(view.text, '$(watch) llama3.2 Rate limited 1 min 30 s');
      assert.match(view.tooltip, /Switchboard retries in 1 min 30 s, at 14:06:39/);
      assert.match(view.tooltip, /\[Retry now\]\(command:switchboard\.retryNow\)/);
      assert.match(view.tooltip, /\[Cancel\]\(command:switchboard\.cancelRetry\)/);
    });

    it('prefers the scheduled retry over the engine\'s time', () => {
      const state = deriveStatus(inputs({ scheduledRetry: { retryAt: NOW + 10_000 }, engine: engine({ state: 'rate_limited', retryAt: NOW + 90_000 }) }), NOW);
      assert.deepEqual(state, { kind: 'rateLimited', retryAt: NOW + 10_000, retryScheduled: true });
    });

    it('hides a cancelled engine countdown', () => {
      const limited = engine({ state: 'rate_limited', retryAt: NOW + 90_000 });
      assert.equal(deriveStatus(inputs({ engine: limited, dismissedRetryAt: NOW + 90_000 }), NOW).kind, 'degraded');
      assert.equal(deriveStatus(inputs({ engine: { ...limited, retryAt: NOW + 120_000 }, dismissedRetryAt: NOW + 90_000 }), NOW).kind, 'rateLimited');
    });
  });

  describe('circuit breaker', () => {
    it('shows an open breaker as paused until its time', () => {
      const state = deriveStatus(inputs({ engine: engine({ state: 'unreachable', circuit: { state: 'open', retryAt: NOW + 30_000 } }) }), NOW);
      assert.deepEqual(state, { kind: 'circuitOpen', retryAt: NOW + 30_000 });
      const view = renderStatus(state, DETAILS, NOW);
      assert.equal(view.text, '$(debug-pause) llama3.2 Paused until 14:05:39');
      assert.match(view.accessibilityLabel, /until 14:05:39 \(circuit breaker open\)/);
      assert.equal(view.backgroundColor, 'statusBarItem.warningBackground');
    });

    it('puts an open breaker before a rate limit', () => {
      const status = engine({ state: 'rate_limited', retryAt: NOW + 90_000, circuit: { state: 'open', retryAt: NOW + 30_000 } });
      assert.equal(deriveStatus(inputs({ engine: status, scheduledRetry: { retryAt: NOW + 5000 } }), NOW).kind, 'circuitOpen');
    });

    it('treats an expired open breaker as half-open', () => {
      const status = engine({ state: 'unreachable', circuit: { state: 'open', retryAt: NOW - 1 } });
      assert.deepEqual(deriveStatus(inputs({ engine: status }), NOW), { kind: 'circuitHalfOpen' });
      assert.deepEqual(deriveStatus(inputs({ engine: engine({ circuit: { state: 'half_open' } }) }), NOW), { kind: 'circuitHalfOpen' });
    });

    it('shows a request that tests a half-open breaker as busy', () => {
      assert.equal(deriveStatus(inputs({ localRequests: 1, engine: engine({ circuit: { state: 'half_open' } }) }), NOW).kind, 'busy');
    });

    it('labels the half-open state', () => {
      const view = renderStatus({ kind: 'circuitHalfOpen' }, DETAILS, NOW);
      assert.equal(view.text, '$(debug-continue) llama3.2 Resuming');
      assert.match(view.accessibilityLabel, /circuit breaker half-open/);
    });
  });

  describe('warming up', () => {
    it('waits a few seconds before warming up', () => {
      const waiting = inputs({ localRequests: 1, awaitingLocalSince: NOW });
      assert.equal(deriveStatus(waiting, NOW + WARM_UP_AFTER_MS - 1).kind, 'busy');
      assert.equal(deriveStatus(waiting, NOW + WARM_UP_AFTER_MS).kind, 'warmingUp');
    });

    it('renders the warming-up text', () => {
      assert.equal(renderStatus({ kind: 'warmingUp' }, DETAILS, NOW).text, '$(flame) llama3.2 Warming up');
    });
  });

  describe('refresh timing', () => {
    it('ticks each second during a countdown', () => {
      const scheduled = inputs({ scheduledRetry: { retryAt: NOW + 5000 } });
      assert.equal(nextRefreshMs(scheduled, deriveStatus(scheduled, NOW), NOW), 1000);
    });

    it('wakes up when a silent local request starts warming up', () => {
      const waiting = inputs({ localRequests: 1, awaitingLocalSince: NOW - 1000 });
      assert.equal(nextRefreshMs(waiting, deriveStatus(waiting, NOW), NOW), WARM_UP_AFTER_MS - 1000);
    });

    it('stays idle otherwise', () => {
      const connected = inputs({ engine: engine({}) });
      assert.equal(nextRefreshMs(connected, deriveStatus(connected, NOW), NOW), undefined);
    });
  });

  it('formats the time of day on a 24-hour clock', () => {
    assert.equal(formatClock(new Date(2026, 0, 1, 9, 3, 7).getTime()), '09:03:07');
    assert.equal(formatClock(new Date(2026, 0, 1, 23, 59, 59).getTime()), '23:59:59');
  });
});
