/**
 * The retry policy by error code, requested waits and their cap, the deadline over retries,
 * answers cut after text, and model suggestions for `model.not_found`.
 */

import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import { CODE_INFO, ERROR_CODES, SwitchboardError, type ErrorCode } from '../../src/engine/errors';
import { addModelSuggestions, editDistance, rankModels } from '../../src/engine/model-suggestions';
import { parseRetryHint } from '../../src/engine/providers/retry-after';
import { RetryPolicy, type RetryEvent } from '../../src/engine/retry';
import { silentLogger } from '../../src/engine/types';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { answerText, createRecordingLogger, errorOf, eventsOfType } from './support/helpers';
import { PROFILE, startHarness, type Harness } from './support/harness';

const fixed = (value: number) => () => value;

const OVERLOADED = { status: 503, body: { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error' } } };

describe('retry policy by code', () => {
  const neverRetried: ErrorCode[] = ['quota.exhausted', 'auth.invalid_key', 'auth.missing_key', 'request.unsupported_parameter', 'request.invalid', 'content.blocked', 'model.not_found', 'circuit.open'];

  for (const code of neverRetried) {
    it(`never retries ${code}, even when marked retryable`, () => {
      const decision = new RetryPolicy({}, fixed(0)).decide(new SwitchboardError(code, 'Failed.', { retryable: true }), 1, false);
      assert.equal(decision.retry, false);
    });
  }

  it('retries exactly the codes CODE_INFO marks retryable', () => {
    for (const code of ERROR_CODES) {
      const decision = new RetryPolicy({}, fixed(0)).decide(new SwitchboardError(code, 'Failed.'), 1, false);
      assert.equal(decision.retry, CODE_INFO[code].retryable, code);
    }
  });

  it('tries a refused connection twice at most', () => {
    const policy = new RetryPolicy({ maxAttempts: 5 }, fixed(0));
    const refused = new SwitchboardError('network.refused', 'Connection refused by 127.0.0.1:11434.');
    assert.equal(policy.decide(refused, 1, false).retry, true);
    assert.equal(policy.decide(refused, 2, false).retry, false);
  });

  it('gives the reason for a wait above the cap', () => {
    const decision = new RetryPolicy({ maxRetryAfterMs: 60_000 }).decide(new SwitchboardError('rate_limited', 'Slow down.', { retryAfterMs: 61_000 }), 1, false);
    assert.deepEqual(decision, { retry: false, reason: 'the server asked to wait 61 s, more than the 60 s cap' });
  });

  it('rejects invalid options and keeps the previous ones', async () => {
    const engine = new Engine({ retry: { maxAttempts: 2 } });
    try {
      await assert.rejects(engine.configure({ profiles: [], retry: { maxAttempts: 0 } }), (error: SwitchboardError) => error.code === 'config.invalid' && /maxAttempts is 0/.test(error.message));
      await assert.rejects(engine.configure({ profiles: [], retry: { maxRetryAfterMs: -1 } }), /maxRetryAfterMs is -1/);
      assert.equal(engine.retryPolicy.options.maxAttempts, 2);
      await engine.configure({ profiles: [], retry: { maxRetryAfterMs: 120_000 } });
      assert.equal(engine.retryPolicy.options.maxRetryAfterMs, 120_000);
    } finally {
      await engine.close();
    }
  });

  it('reads compound waits from messages', () => {
    assert.equal(parseRetryHint('Please try again in 7m12s. Visit https://platform.openai.com/account/rate-limits'), 432_000);
    assert.equal(parseRetryHint('Please try again in 1h2m3.5s.'), 3_723_500);
    assert.equal(parseRetryHint('Please retry after 5 minutes.'), 300_000);
  });
});

describe('retries through the engine by code', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('honours Retry-After as an HTTP date', async () => {
    harness = await startHarness();
    const retries: RetryEvent[] = [];
    harness.engine.retryPolicy.onRetry((event) => retries.push(event));
    // A date in the past means no wait, so the test does not sleep a whole second.
    harness.emulator.script({ ...OVERLOADED, headers: { 'retry-after': new Date(Date.now() - 5000).toUTCString() } });
    const events = await harness.chat();

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]!.error.code, 'server.overloaded');
    assert.equal(retries[0]!.error.retryAfterMs, 0);
    assert.ok(retries[0]!.delayMs <= 250, `waited ${retries[0]!.delayMs} ms`);
  });

  it('returns a long wait with its delay and a countdown', async () => {
    harness = await startHarness({ engine: { retry: { maxRetryAfterMs: 60_000 } } });
    harness.emulator.script({ status: 429, headers: { 'retry-after-ms': '90000' }, body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } } });
    const before = Date.now();
    const error = errorOf(await harness.chat());
    const status = harness.engine.statusOf(PROFILE);

    assert.equal(error?.code, 'rate_limited');
    assert.equal(error.retryAfterMs, 90_000);
    assert.match(error.message, /asked to wait 90 s/);
    assert.equal(status.state, 'rate_limited');
    assert.ok(status.retryAt !== undefined, 'retryAt is set');
    assert.ok(status.retryAt >= before + 90_000, 'retryAt is 90 s ahead');
    assert.equal(harness.emulator.requests.length, 1);
  });

  it('logs why a failure was not retried', async () => {
    harness = await startHarness();
    harness.emulator.replayCase('F03');
    await harness.chat();
    assert.ok(harness.logger.lines.some((line) => /^debug: \[\w+\] not retried: quota\.exhausted is not a transient failure$/.test(line)));
  });

  it('ends retries with long backoff at the deadline', async () => {
    harness = await startHarness({ engine: { network: { deadlineMs: 400 }, retry: { baseDelayMs: 60_000, maxBackoffMs: 60_000 } } });
    harness.emulator.script({ ...OVERLOADED, times: 3 });
    const started = Date.now();
    const events = await harness.chat();
    const elapsed = Date.now() - started;
    const error = errorOf(events);

    assert.equal(error?.code, 'timeout.deadline');
    assert.equal(eventsOfType(events, 'retry').length, 1);
    assert.equal(harness.emulator.requests.length, 1);
    // The backoff asked for 30 to 60 s; the request ended at its 400 ms deadline instead.
    assert.ok(elapsed < 5_000, `ended after ${elapsed} ms`);
  });
});

describe('answers cut after text', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  for (const stream of ['OpenAI-compatible', 'Gemini'] as const) {
    it(`keeps the text and offers a retry, ${stream}`, async () => {
      harness =
        stream === 'Gemini'
          ? await startHarness({ key: 'AIzaTESTKEY0123456789abcdefghij', profile: (url) => ({ name: PROFILE, kind: 'gemini', baseUrl: url, model: 'gemini-2.5-flash' }) })
          : await startHarness();
      // The OpenAI route sends a role chunk first; Gemini sends text from its first chunk.
      harness.emulator.script({ closeAfterChunks: stream === 'Gemini' ? 2 : 3 });
      const events = await harness.chat();
      const error = errorOf(events);

      assert.equal(error?.code, 'stream.interrupted');
      assert.equal(error.partialText, 'Hello from');
      assert.match(error.message, /The 10 characters received before the failure were kept; retry to get the whole answer\./);
      assert.ok(error.actions.includes('retry'));
      assert.equal(eventsOfType(events, 'retry').length, 0);
      assert.equal(harness.emulator.requests.length, 1);
    });
  }

  it('does not retry a rate limit that arrives after text', async () => {
    harness = await startHarness({ profile: (url) => ({ name: PROFILE, preset: 'openrouter', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }), key: 'sk-or-v1-0123456789abcdef' });
    harness.emulator.script({ errorInStream: { afterChunks: 2, data: { error: { code: 429, message: 'Rate limit exceeded: free-models-per-min.' } } } });
    const events = await harness.chat();
    const error = errorOf(events);

    assert.equal(error?.code, 'rate_limited');
    assert.equal(error.partialText, 'Hello');
    assert.equal(eventsOfType(events, 'retry').length, 0);
    assert.equal(harness.emulator.requests.length, 1);
  });
});

describe('model suggestions', () => {
  it('ranks by shared prefix, then edit distance', () => {
    const available = ['gpt-4o-mini', 'gpt-4o', 'gemini-2.5-flash', 'gemini-2.5-pro', 'llama3.2'];
    assert.deepEqual(rankModels('gemini-pro', available), ['gemini-2.5-pro', 'gemini-2.5-flash', 'gpt-4o', 'gpt-4o-mini', 'llama3.2']);
    assert.deepEqual(rankModels('gpt-4', available).slice(0, 2), ['gpt-4o', 'gpt-4o-mini']);
  });

  it('leaves out the requested model and duplicates', () => {
    assert.deepEqual(rankModels('models/Gemini-Pro', ['gemini-pro', 'gemini-pro-2', 'gemini-pro-2']), ['gemini-pro-2']);
  });

  it('computes Levenshtein distances', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('gpt-4o', 'gpt-4o'), 0);
  });

  it('names at most five models and how many more exist', async () => {
    const available = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6', 'm-7'].map((id) => ({ id }));
    const original = new SwitchboardError('model.not_found', 'The server has no model "m-0".', { fix: ['Choose a model.'] });
    const error = await addModelSuggestions(original, { listModels: async () => available, requested: 'm-0', signal: new AbortController().signal, logger: silentLogger, requestId: 'abc123' });

    assert.equal(error.message, 'The server has no model "m-0". Available: m-1, m-2, m-3, m-4, m-5, and 2 more.');
    assert.deepEqual(error.suggestedModels, ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    assert.deepEqual(error.fix, ['Set the model to one the server offers, such as "m-1", with "Switchboard: Select Model".', 'Choose a model.']);
  });

  it('keeps the original error when the list fails', async () => {
    const logger = createRecordingLogger();
    const original = new SwitchboardError('model.not_found', 'No model "x".');
    const error = await addModelSuggestions(original, {
      listModels: async () => {
        throw new SwitchboardError('auth.invalid_key', 'Rejected.');
      },
      requested: 'x',
      signal: new AbortController().signal,
      logger,
      requestId: 'abc123',
    });

    assert.equal(error, original);
    assert.deepEqual(logger.lines, ['debug: [abc123] could not list models to suggest one: Rejected.']);
  });

  it('lists no models for other codes', async () => {
    let calls = 0;
    const original = new SwitchboardError('server.error', 'Failed.');
    const listModels = async () => {
      calls++;
      return [];
    };
    assert.equal(await addModelSuggestions(original, { listModels, requested: 'x', signal: new AbortController().signal, logger: silentLogger, requestId: 'abc123' }), original);
    assert.equal(calls, 0);
  });

  it('keeps the original error when the model list fails through the engine', async function () {
    this.timeout(10_000);
    const harness = await startHarness({ key: 'sk-proj-Zx81rQ0aLmN4vB7cD2eF5gH9', profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-9' }) });
    try {
      harness.emulator.script([
        { match: { method: 'POST' }, status: 404, body: { error: { message: 'The model `gpt-9` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' } } },
        { match: { method: 'GET' }, status: 500, body: { error: { message: 'boom', type: 'server_error' } } },
      ]);
      const error = errorOf(await harness.chat());

      assert.equal(error?.code, 'model.not_found');
      assert.match(error.message, /^OpenAI has no model "gpt-9"/);
      assert.doesNotMatch(error.message, /Available/);
      assert.equal(error.suggestedModels, undefined);
    } finally {
      await harness.stop();
    }
  });
});
