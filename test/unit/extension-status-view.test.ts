import * as assert from 'node:assert/strict';

import type { ProfileStatus } from '../../src/engine/engine';
import { deriveStatus, formatDuration, renderStatus, type StatusInputs, type StatusState } from '../../src/extension/status-view';

const NOW = 1_700_000_000_000;
const DETAILS = { profile: 'work', model: 'gpt-4o-mini', baseUrl: 'https://api.openai.com/v1' };

function inputs(change: Partial<StatusInputs> = {}): StatusInputs {
  return { server: 'running', localRequests: 0, ...change };
}

function engine(change: Partial<ProfileStatus>): ProfileStatus {
  return { profile: 'work', state: 'unknown', inFlight: 0, ...change };
}

describe('status view', () => {
  describe('deriveStatus', () => {
    it('is idle before anything is known', () => {
      assert.deepEqual(deriveStatus(inputs({ server: 'notStarted' }), NOW), { kind: 'idle' });
    });

    it('puts a missing key before the server state', () => {
      const state = deriveStatus(inputs({ server: 'stopped', setupProblem: { reason: 'noKey', profileName: 'work' } }), NOW);
      assert.deepEqual(state, { kind: 'notConfigured', reason: 'noKey', profileName: 'work' });
    });

    it('shows a stopped server with its reason', () => {
      assert.deepEqual(deriveStatus(inputs({ server: 'stopped', serverStoppedReason: 'crashed' }), NOW), { kind: 'serverStopped', reason: 'crashed' });
    });

    it('shows connecting while the server starts', () => {
      assert.equal(deriveStatus(inputs({ server: 'starting' }), NOW).kind, 'connecting');
    });

    it('shows busy while requests run', () => {
      assert.deepEqual(deriveStatus(inputs({ localRequests: 1, engine: engine({ state: 'connected' }) }), NOW), { kind: 'busy', requests: 1 });
      assert.deepEqual(deriveStatus(inputs({ engine: engine({ state: 'connecting', inFlight: 2 }) }), NOW), { kind: 'busy', requests: 2 });
    });

    it('shows a rate limit over a running request until its time passes', () => {
      const limited = engine({ state: 'rate_limited', inFlight: 1, retryAt: NOW + 5000 });
      assert.deepEqual(deriveStatus(inputs({ engine: limited }), NOW), { kind: 'rateLimited', retryAt: NOW + 5000, retryScheduled: false });
      assert.equal(deriveStatus(inputs({ engine: limited }), NOW + 6000).kind, 'busy');
    });

    it('maps the engine\'s error states', () => {
      assert.deepEqual(deriveStatus(inputs({ engine: engine({ state: 'auth_error', lastErrorMessage: 'bad key' }) }), NOW), { kind: 'authError', message: 'bad key' });
      assert.equal(deriveStatus(inputs({ engine: engine({ state: 'unreachable' }) }), NOW).kind, 'unreachable');
      assert.equal(deriveStatus(inputs({ engine: engine({ state: 'error' }) }), NOW).kind, 'degraded');
      assert.equal(deriveStatus(inputs({ engine: engine({ state: 'warming_up' }) }), NOW).kind, 'warmingUp');
    });

    it('prefers the request latency over the check latency', () => {
      assert.deepEqual(deriveStatus(inputs({ checkLatencyMs: 40, engine: engine({ state: 'connected', lastLatencyMs: 250 }) }), NOW), { kind: 'connected', latencyMs: 250 });
      assert.deepEqual(deriveStatus(inputs({ checkLatencyMs: 40, engine: engine({ state: 'connected' }) }), NOW), { kind: 'connected', latencyMs: 40 });
    });
  });

  describe('renderStatus', () => {
    const render = (state: StatusState) => renderStatus(state, DETAILS, NOW);

    it('shows the model and latency when connected', () => {
      const view = render({ kind: 'connected', latencyMs: 231.6 });
      assert.equal(view.text, '$(pass-filled) gpt-4o-mini 232 ms');
      assert.equal(view.backgroundColor, undefined);
    });

    it('spins while busy', () => {
      assert.equal(render({ kind: 'busy', requests: 1 }).text, '$(loading~spin) gpt-4o-mini');
      assert.equal(render({ kind: 'busy', requests: 3 }).text, '$(loading~spin) gpt-4o-mini 3 requests');
    });

    it('uses the error colour for auth errors, unreachable and a stopped server', () => {
      for (const state of [{ kind: 'authError' }, { kind: 'unreachable' }, { kind: 'serverStopped' }] as StatusState[]) {
        assert.equal(render(state).backgroundColor, 'statusBarItem.errorBackground', state.kind);
      }
    });

    it('uses the warning colour for rate limits and degraded service', () => {
      assert.equal(render({ kind: 'rateLimited', retryAt: NOW + 1000, retryScheduled: false }).backgroundColor, 'statusBarItem.warningBackground');
      assert.equal(render({ kind: 'degraded' }).backgroundColor, 'statusBarItem.warningBackground');
    });

    it('counts down a rate limit', () => {
      assert.equal(render({ kind: 'rateLimited', retryAt: NOW + 41_200, retryScheduled: false }).text, '$(watch) gpt-4o-mini Rate limited 42 s');
    });

    it('labels an auth error', () => {
      assert.equal(render({ kind: 'authError' }).text, '$(key) gpt-4o-mini Auth error');
    });

    it('lists profile, model, host and last error in the tooltip', () => {
      const view = renderStatus({ kind: 'authError' }, { ...DETAILS, lastError: 'auth.invalid_key: Incorrect key' }, NOW);
      assert.match(view.tooltip, /\| Profile \| work \|/);
      assert.match(view.tooltip, /\| Server \| api\\\.openai\\\.com \|/);
      assert.match(view.tooltip, /auth\\\.invalid\\_key/);
    });

    it('links the fixing commands in the tooltip', () => {
      const tooltip = render({ kind: 'authError' }).tooltip;
      assert.match(tooltip, /\[Set API Key\]\(command:switchboard\.setApiKey\)/);
      assert.match(tooltip, /\[Show Logs\]\(command:switchboard\.showLogs\)/);
      assert.match(render({ kind: 'serverStopped' }).tooltip, /command:switchboard\.restartServer/);
    });

    it('always links profile, key and logs', () => {
      const tooltip = render({ kind: 'connected', latencyMs: 20 }).tooltip;
      assert.match(tooltip, /\[Select Profile\]\(command:switchboard\.selectProfile\) · \[Select Model\]\(command:switchboard\.selectModel\) · \[Show Logs\]\(command:switchboard\.showLogs\) · \[Set API Key\]\(command:switchboard\.setApiKey\)$/);
    });

    it('escapes Markdown in profile names', () => {
      const view = renderStatus({ kind: 'idle' }, { profile: '[x](command:evil)' }, NOW);
      assert.doesNotMatch(view.tooltip, /\[x\]\(command:evil\)/);
    });

    it('asks for a key when the profile has none', () => {
      const view = render({ kind: 'notConfigured', reason: 'noKey', profileName: 'work' });
      assert.equal(view.text, '$(key) gpt-4o-mini Set API key');
      assert.match(view.tooltip, /has no API key yet/);
    });

    it('gives screen readers a sentence', () => {
      assert.match(render({ kind: 'unreachable' }).accessibilityLabel, /^Switchboard: gpt-4o-mini, Unreachable\. The provider could not be reached\.$/);
    });
  });

  describe('formatDuration', () => {
    it('rounds up to whole seconds and switches to minutes', () => {
      assert.equal(formatDuration(100), '1 s');
      assert.equal(formatDuration(59_000), '59 s');
      assert.equal(formatDuration(60_000), '1 min');
      assert.equal(formatDuration(125_000), '2 min 5 s');
      assert.equal(formatDuration(-5), '0 s');
    });

    it('switches to hours for long waits', () => {
      assert.equal(formatDuration(3_599_000), '59 min 59 s');
      assert.equal(formatDuration(3_600_000), '1 h');
      assert.equal(formatDuration(5_430_000), '1 h 30 min');
      assert.equal(formatDuration(86_400_000), '24 h');
    });
  });
});
