/**
 * Every kind of Gemini failure, sent through the engine, the `@google/genai` SDK and the
 * emulator, with and without streaming: the code, the retry decision and the facts the message
 * must carry.
 */

import * as assert from 'node:assert/strict';

import type { ErrorData } from '../../src/engine/errors';
import type { Script } from '../emulator/emulator';
import { errorOf, eventsOfType } from './support/helpers';
import { PROFILE, startHarness, type Harness } from './support/harness';

const KEY = 'AIzaTESTKEY0123456789abcdefghij';

function googleError(code: number, status: string, message: string, details?: object[]): object {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

function quotaBody(quotaId: string, quotaValue: string, retryDelay: string): object {
  return googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId, quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' }, quotaValue }],
    },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
  ]);
}

interface Kind {
  name: string;
  model?: string;
  response?: { status: number; body: object };
  /** The same error as an event inside a 200 stream (streaming only, as Gemini sends it). */
  inStream?: object;
  code: string;
  retried: boolean;
  facts: RegExp[];
  providerCode?: string;
  retryAfterMs?: number;
}

const KINDS: Kind[] = [
  {
    name: 'API_KEY_INVALID as HTTP 400',
    response: {
      status: 400,
      body: googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]),
    },
    code: 'auth.invalid_key',
    retried: false,
    facts: [/Gemini rejected the API key of profile "test"/, /HTTP 400 API_KEY_INVALID/],
  },
  {
    name: 'per-minute quota with RetryInfo',
    response: { status: 429, body: quotaBody('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '10', '0.01s') },
    code: 'rate_limited',
    retried: true,
    facts: [/GenerateRequestsPerMinutePerProjectPerModel-FreeTier/, /gemini-2\.5-flash/],
    retryAfterMs: 10,
  },
  {
    name: 'per-day quota',
    response: { status: 429, body: quotaBody('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '20', '3600s') },
    code: 'quota.exhausted',
    retried: false,
    facts: [/daily quota GenerateRequestsPerDayPerProjectPerModel-FreeTier/, /waiting minutes will not help/],
    providerCode: 'RESOURCE_EXHAUSTED',
  },
  {
    name: 'quota of 0',
    response: { status: 429, body: quotaBody('GenerateContentInputTokensPerModelPerMinute-FreeTier', '0', '26s') },
    code: 'quota.exhausted',
    retried: false,
    facts: [/is 0 in this project/],
  },
  {
    name: 'FAILED_PRECONDITION region',
    response: { status: 400, body: googleError(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.') },
    code: 'region.unsupported',
    retried: false,
    facts: [/location/, /FAILED_PRECONDITION/],
  },
  {
    name: 'retired model',
    model: 'gemini-1.0-pro-vision-latest',
    response: {
      status: 404,
      body: googleError(404, 'NOT_FOUND', 'Gemini 1.0 Pro Vision has been deprecated on July 12, 2024. Consider switching to different model, for example gemini-1.5-flash.'),
    },
    code: 'model.not_found',
    retried: false,
    facts: [/retired the model "gemini-1\.0-pro-vision-latest"/, /gemini-1\.5-flash/, /Available: gemini-/],
  },
  {
    name: 'PERMISSION_DENIED',
    response: { status: 403, body: googleError(403, 'PERMISSION_DENIED', 'Generative Language API has not been used in project 123 before or it is disabled.') },
    code: 'auth.forbidden',
    retried: false,
    facts: [/403 PERMISSION_DENIED/],
  },
  {
    name: 'prompt longer than the context',
    response: { status: 400, body: googleError(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).') },
    code: 'request.context_too_long',
    retried: false,
    facts: [/1048576/],
  },
  {
    name: 'other INVALID_ARGUMENT',
    response: { status: 400, body: googleError(400, 'INVALID_ARGUMENT', "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\"") },
    code: 'request.invalid',
    retried: false,
    facts: [/temperature/],
  },
  {
    name: 'overload',
    response: { status: 503, body: googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.') },
    inStream: googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
    code: 'server.overloaded',
    retried: true,
    facts: [/overloaded/],
  },
  {
    name: 'internal error',
    response: { status: 500, body: googleError(500, 'INTERNAL', 'An internal error has occurred.') },
    inStream: googleError(500, 'INTERNAL', 'An internal error has occurred.'),
    code: 'server.error',
    retried: true,
    facts: [/INTERNAL/],
  },
];

describe('Gemini failures by kind', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  async function run(kind: Kind, stream: boolean, script: Script): Promise<{ error: ErrorData; retries: number; requests: number }> {
    harness = await startHarness({
      key: KEY,
      profile: (url) => ({ name: PROFILE, kind: 'gemini', baseUrl: url, model: kind.model ?? 'gemini-2.5-flash' }),
    });
    harness.emulator.script({ ...script, match: { method: 'POST' }, times: kind.retried ? 3 : 1 });
    const events = await harness.chat({ stream });
    const error = errorOf(events);
    assert.ok(error, `the request failed: ${JSON.stringify(events.at(-1))}`);
    const requests = harness.emulator.requests.filter((request) => request.method === 'POST').length;
    return { error, retries: eventsOfType(events, 'retry').length, requests };
  }

  function check(kind: Kind, result: { error: ErrorData; retries: number; requests: number }): void {
    assert.equal(result.error.code, kind.code);
    assert.equal(result.error.retryable, kind.retried);
    assert.equal(result.retries, kind.retried ? 2 : 0);
    assert.equal(result.requests, kind.retried ? 3 : 1);
    for (const fact of kind.facts) assert.match(result.error.message, fact);
    if (kind.providerCode) assert.equal(result.error.providerCode, kind.providerCode);
    if (kind.retryAfterMs !== undefined) assert.equal(result.error.retryAfterMs, kind.retryAfterMs);
  }

  for (const kind of KINDS) {
    for (const stream of [true, false]) {
      if (kind.response) {
        it(`${kind.name}, HTTP ${kind.response.status}, ${stream ? 'streaming' : 'not streaming'}`, async () => {
          check(kind, await run(kind, stream, { status: kind.response!.status, body: kind.response!.body }));
        });
      }
    }
    if (kind.inStream) {
      it(`${kind.name}, inside a 200 stream`, async () => {
        check(kind, await run(kind, true, { errorInStream: { afterChunks: 0, data: kind.inStream! } }));
      });
    }
  }

  for (const stream of [true, false]) {
    it(`suggests models for an unknown model, ${stream ? 'streaming' : 'not streaming'}`, async () => {
      harness = await startHarness({ key: KEY, profile: (url) => ({ name: PROFILE, kind: 'gemini', baseUrl: url, model: 'gemini-pro' }) });
      const error = errorOf(await harness.chat({ stream }));

      assert.equal(error?.code, 'model.not_found');
      assert.match(error.message, /Gemini has no model "gemini-pro" on API version v1beta/);
      assert.match(error.message, /Available: gemini-2\.5-pro, gemini-2\.5-flash/);
      assert.deepEqual(error.suggestedModels?.slice(0, 2), ['gemini-2.5-pro', 'gemini-2.5-flash']);
      assert.match(error.fix[0] ?? '', /"gemini-2\.5-pro"/);
    });

    it(`reports a blocked prompt, ${stream ? 'streaming' : 'not streaming'}`, async () => {
      harness = await startHarness({ key: KEY, profile: (url) => ({ name: PROFILE, kind: 'gemini', baseUrl: url, model: 'gemini-2.5-flash' }) });
      const blocked = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 13, totalTokenCount: 13 } };
      harness.emulator.script(stream ? { chunks: [`data: ${JSON.stringify(blocked)}\n\n`] } : { body: blocked });
      const error = errorOf(await harness.chat({ stream }));

      assert.equal(error?.code, 'content.blocked');
      assert.equal(error.retryable, false);
      assert.match(error.message, /PROHIBITED_CONTENT/);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it(`reports an empty answer at MAX_TOKENS, ${stream ? 'streaming' : 'not streaming'}`, async () => {
      harness = await startHarness({ key: KEY, profile: (url) => ({ name: PROFILE, kind: 'gemini', baseUrl: url, model: 'gemini-2.5-pro' }) });
      const empty = { candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }], usageMetadata: { promptTokenCount: 5, thoughtsTokenCount: 63 } };
      harness.emulator.script(stream ? { chunks: [`data: ${JSON.stringify(empty)}\n\n`] } : { body: empty });
      const error = errorOf(await harness.chat({ stream, maxOutputTokens: 64 }));

      assert.equal(error?.code, 'output.empty');
      assert.equal(error.retryable, false);
      assert.match(error.message, /64 tokens/);
      assert.match(error.message, /63 tokens of it on thinking/);
    });
  }
});
