/**
 * The Gemini adapter, driven through the real Engine against the local emulator, which replays
 * recorded Gemini responses and scripted faults.
 */

import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import { SwitchboardError, type ErrorData } from '../../src/engine/errors';
import type { Profile } from '../../src/engine/profiles';
import type { AdapterContext } from '../../src/engine/providers/adapter';
import { createAdapter } from '../../src/engine/providers/gemini/index';
import { parseDuration } from '../../src/engine/providers/gemini/errors';
import { MAX_REQUESTED_WAIT_MS } from '../../src/engine/providers/retry-after';
import { silentLogger, type ChatEvent, type ChatMessage, type ChatRequest } from '../../src/engine/types';
import { loadCases } from '../emulator/cases';
import { Emulator } from '../emulator/emulator';

// @google/genai ships its Node types as an ES module, so this CommonJS test loads it with import().
type GenAiModule = typeof import('@google/genai', { with: { 'resolution-mode': 'import' } });
let genai: GenAiModule;

const KEY = 'AIzaTESTKEY0123456789abcdefghij';
const ANSWER = 'Hello from the Gemini emulator.';
const HELLO: ChatMessage[] = [{ role: 'user', content: 'Say hello' }];

interface EngineSetup {
  apiVersion?: string;
  maxAttempts?: number;
}

async function startEngine(emulator: Emulator, setup: EngineSetup = {}): Promise<Engine> {
  const engine = new Engine({ retry: { baseDelayMs: 10, maxBackoffMs: 50, maxAttempts: setup.maxAttempts ?? 3 } });
  await engine.configure({
    profiles: [{ name: 'g', kind: 'gemini', baseUrl: emulator.url, model: 'gemini-2.5-flash', apiVersion: setup.apiVersion }],
  });
  engine.setKey('g', KEY);
  return engine;
}

async function collect(engine: Engine, request: Partial<ChatRequest> = {}, signal?: AbortSignal): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of engine.chat({ profile: 'g', messages: HELLO, ...request }, signal)) events.push(event);
  return events;
}

function textOf(events: ChatEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}

function reasoningOf(events: ChatEvent[]): string {
  return events.map((event) => (event.type === 'reasoning' ? event.text : '')).join('');
}

function errorOf(events: ChatEvent[]): ErrorData | undefined {
  const last = events.at(-1);
  return last?.type === 'error' ? last.error : undefined;
}

function endOf(events: ChatEvent[]): Extract<ChatEvent, { type: 'end' }> | undefined {
  const last = events.at(-1);
  return last?.type === 'end' ? last : undefined;
}

function retriesOf(events: ChatEvent[]): Array<Extract<ChatEvent, { type: 'retry' }>> {
  return events.filter((event): event is Extract<ChatEvent, { type: 'retry' }> => event.type === 'retry');
}

/** Time allowed for a cancelled request's connection to close, in milliseconds. */
const CLOSE_WITHIN_MS = 1000;

/** Polls until the emulator has no open connection; false when one is still open after `timeoutMs`. */
async function closedWithin(emulator: Emulator, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (emulator.openConnections() > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

function sse(...chunks: object[]): string[] {
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`);
}

function googleError(code: number, status: string, message: string, details?: object[]): object {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** Builds a 429 body shaped like the recorded free-tier one, with its own quota and delay. */
function quotaBody(quotaId: string, retryDelay: string): object {
  return googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId, quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' }, quotaValue: '20' }],
    },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
  ]);
}

describe('Gemini adapter', () => {
  let emulator: Emulator;
  let engine: Engine;

  before(async () => {
    genai = await import('@google/genai');
  });

  beforeEach(async () => {
    emulator = await Emulator.start({ apiKey: KEY, answer: ANSWER });
    engine = await startEngine(emulator);
  });

  afterEach(async () => {
    await engine.close();
    await emulator.stop();
  });

  describe('answers', () => {
    it('streams text', async () => {
      const events = await collect(engine);

      assert.equal(textOf(events), ANSWER);
      assert.ok(events.filter((event) => event.type === 'text').length > 1, 'expected several text events');
      assert.equal(endOf(events)?.finishReason, 'stop');
      assert.equal(endOf(events)?.providerFinishReason, 'STOP');
      assert.equal(emulator.requests[0]?.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
      assert.equal(emulator.requests[0]?.headers['x-goog-api-key'], KEY);
    });

    it('reports usage before the end', async () => {
      const events = await collect(engine);
      const usage = events.find((event) => event.type === 'usage');

      assert.equal(usage?.type, 'usage');
      assert.equal(usage.usage.inputTokens, 2);
      assert.equal(usage.usage.outputTokens, 5);
      assert.equal(events.at(-2)?.type, 'usage');
    });

    it('returns non-streamed text', async () => {
      const events = await collect(engine, { stream: false });

      assert.equal(textOf(events), ANSWER);
      assert.equal(events.filter((event) => event.type === 'text').length, 1);
      assert.equal(endOf(events)?.finishReason, 'stop');
      assert.equal(emulator.requests[0]?.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    });

    it('sends messages and settings', async () => {
      const messages: ChatMessage[] = [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again' },
      ];
      await collect(engine, { messages, temperature: 0.2, maxOutputTokens: 300, stop: ['END'] });
      const body = emulator.requests[0]?.json;

      assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
      assert.deepEqual(
        body.contents.map((content: { role: string }) => content.role),
        ['user', 'model', 'user'],
      );
      assert.equal(body.contents[1].parts[0].text, 'Hello.');
      assert.equal(body.generationConfig.temperature, 0.2);
      assert.equal(body.generationConfig.maxOutputTokens, 300);
      assert.deepEqual(body.generationConfig.stopSequences, ['END']);
    });

    it('routes thought parts to reasoning', async () => {
      // The recorded thought-summary stream, then the closing chunk that every complete stream has.
      const recorded = loadCases().get('F12')?.input['response'] as { sse: string };
      const closing = { candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }] };
      emulator.script({ chunks: [recorded.sse, ...sse(closing)] });
      const events = await collect(engine);

      assert.equal(reasoningOf(events), '<thought summary>');
      assert.equal(textOf(events), '<answer text>');
      assert.doesNotMatch(textOf(events), /thought summary/);
      assert.equal(endOf(events)?.finishReason, 'stop');
    });

    it('asks thinking models for thought summaries', async () => {
      emulator.script({ reasoning: 'Weighing the greeting.' });
      const events = await collect(engine);

      assert.equal(emulator.requests[0]?.json.generationConfig.thinkingConfig.includeThoughts, true);
      assert.equal(reasoningOf(events), 'Weighing the greeting.');
      assert.equal(textOf(events), ANSWER);
    });

    it('asks other models for no thought summaries', async () => {
      await engine.configure({ profiles: [{ name: 'g', kind: 'gemini', baseUrl: emulator.url, model: 'gemini-2.0-flash' }] });
      emulator.script({ body: { candidates: [{ content: { parts: [{ text: 'Hi.' }], role: 'model' }, finishReason: 'STOP' }] } });
      await collect(engine, { stream: false });

      assert.equal(emulator.requests[0]?.json.generationConfig?.thinkingConfig, undefined);
    });

    it('resends without thought summaries when the model rejects them', async () => {
      const message = 'Unable to submit request because Thinking_config.include_thoughts is only enabled when thinking is enabled.';
      emulator.script({ status: 400, body: googleError(400, 'INVALID_ARGUMENT', message) });
      const events = await collect(engine);

      assert.equal(textOf(events), ANSWER);
      assert.equal(emulator.requests.length, 2);
      assert.equal(emulator.requests[0]?.json.generationConfig.thinkingConfig.includeThoughts, true);
      assert.equal(emulator.requests[1]?.json.generationConfig?.thinkingConfig, undefined);
    });

    it('ends with length after text at MAX_TOKENS', async () => {
      emulator.script({ finishReason: 'MAX_TOKENS' });
      const events = await collect(engine);

      assert.equal(textOf(events), ANSWER);
      assert.equal(endOf(events)?.finishReason, 'length');
      assert.equal(endOf(events)?.providerFinishReason, 'MAX_TOKENS');
    });

    it('keeps a UTF-8 character split across reads whole', async () => {
      const answer = '修复方法 ok 🚀 done';
      emulator.script({ answer, splitEveryBytes: 7 });
      const events = await collect(engine);

      assert.equal(textOf(events), answer);
      assert.doesNotMatch(textOf(events), /\uFFFD/);
    });
  });

  describe('failures inside answers', () => {
    it('reports an empty MAX_TOKENS answer as output.empty', async () => {
      emulator.replayCase('F10');
      const error = errorOf(await collect(engine, { stream: false }));

      assert.equal(error?.code, 'output.empty');
      assert.match(error.message, /produced no text/);
      assert.match(error.message, /thinking/);
      assert.match(error.fix.join(' '), /max output tokens/i);
      assert.match(error.fix.join(' '), /thinking budget/);
      assert.equal(emulator.requests.length, 1);
    });

    it('names the thought tokens of an empty answer', async () => {
      const chunk = {
        candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
        usageMetadata: { promptTokenCount: 12, totalTokenCount: 2011, thoughtsTokenCount: 1999 },
      };
      emulator.script({ chunks: sse(chunk) });
      const error = errorOf(await collect(engine, { maxOutputTokens: 2000 }));

      assert.equal(error?.code, 'output.empty');
      assert.match(error.message, /1999 tokens of it on thinking/);
      assert.match(error.message, /2000 tokens/);
    });

    it('reports a blocked prompt as content.blocked', async () => {
      emulator.replayCase('F11');
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'content.blocked');
      assert.match(error.message, /PROHIBITED_CONTENT/);
      assert.equal(error.providerCode, 'PROHIBITED_CONTENT');
      assert.equal(error.retryable, false);
      assert.equal(emulator.requests.length, 1);
    });

    it('reports a blocked non-streamed prompt', async () => {
      emulator.script({ body: { promptFeedback: { blockReason: 'OTHER' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } } });
      const error = errorOf(await collect(engine, { stream: false }));

      assert.equal(error?.code, 'content.blocked');
      assert.match(error.message, /OTHER/);
    });

    it('reports a SAFETY finish as content.blocked', async () => {
      const chunks = sse(
        { candidates: [{ content: { parts: [{ text: 'Here is' }], role: 'model' }, index: 0 }] },
        {
          candidates: [
            {
              content: { parts: [{ text: '' }], role: 'model' },
              finishReason: 'SAFETY',
              safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }],
              index: 0,
            },
          ],
        },
      );
      emulator.script({ chunks });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'content.blocked');
      assert.match(error.message, /SAFETY/);
      assert.match(error.message, /HARM_CATEGORY_DANGEROUS_CONTENT/);
      assert.equal(error.partialText, 'Here is');
    });

    it('reports a stream cut inside an event as interrupted', async () => {
      engine = await startEngine(emulator, { maxAttempts: 1 });
      emulator.script({ chunks: ['data: {"candidates":[{"content":{"parts":[{"text":"Hel'] });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'stream.interrupted');
      assert.equal(error.retryable, true);
    });

    it('reports a stream without finishReason as interrupted', async () => {
      emulator.script({ chunks: sse({ candidates: [{ content: { parts: [{ text: 'Hel' }], role: 'model' }, index: 0 }] }) });
      const events = await collect(engine);
      const error = errorOf(events);

      assert.equal(error?.code, 'stream.interrupted');
      assert.equal(error.partialText, 'Hel');
      assert.equal(endOf(events), undefined);
    });

    it('reports a dropped connection as interrupted', async () => {
      emulator.script({ closeAfterChunks: 2 });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'stream.interrupted');
      assert.equal(error.partialText, 'Hello from');
    });

    it('reports malformed JSON as stream.malformed', async () => {
      emulator.script({ chunks: ['data: {"candidates": [nope]}\n\n'] });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'stream.malformed');
      assert.equal(error.retryable, false);
    });

    it('maps an error event inside a 200 stream', async () => {
      const overloaded = googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
      emulator.script({ errorInStream: { afterChunks: 1, data: overloaded } });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'server.overloaded');
      assert.equal(error.partialText, 'Hello');
    });
  });

  describe('HTTP errors', () => {
    it('waits for the RetryInfo delay of a rate limit', async () => {
      emulator.replayCase('F06');
      const events: ChatEvent[] = [];
      for await (const event of engine.chat({ profile: 'g', messages: HELLO })) {
        events.push(event);
        // The recorded delay is 26 s, so the test stops once the engine announced the wait.
        if (event.type === 'retry') break;
      }
      const retry = retriesOf(events)[0];

      assert.equal(retry?.code, 'rate_limited');
      assert.ok(retry.delayMs >= 26_000, `delay ${retry.delayMs} ms`);
      assert.ok(retry.delayMs <= 26_250, `delay ${retry.delayMs} ms`);
      assert.match(retry.message, /GenerateContentInputTokensPerModelPerMinute-FreeTier/);
    });

    it('retries a per-minute rate limit', async () => {
      emulator.script({ status: 429, body: quotaBody('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '0.02s') });
      const events = await collect(engine);

      assert.equal(retriesOf(events)[0]?.code, 'rate_limited');
      assert.ok((retriesOf(events)[0]?.delayMs ?? 0) >= 20);
      assert.equal(textOf(events), ANSWER);
      assert.equal(emulator.requests.length, 2);
    });

    it('clamps a huge Retry-After to a day', async () => {
      // Without RetryInfo, the adapter falls back to the Retry-After header. Exponent forms are not valid Retry-After values.
      const cases: [string, number | undefined, RegExp][] = [
        ['100000000000000000000', MAX_REQUESTED_WAIT_MS, /asked to wait a day or more\./],
        ['9'.repeat(400), MAX_REQUESTED_WAIT_MS, /asked to wait a day or more\./],
        ['1e300', undefined, /was reached\.$/],
        ['1e7', undefined, /was reached\.$/],
      ];
      for (const [retryAfter, expectedMs, message] of cases) {
        // The engine retries a rate limit that names no wait, so each of its 3 attempts gets a 429. A day is past its cap, so that gets one.
        const limited = { status: 429, headers: { 'retry-after': retryAfter }, body: googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).') };
        emulator.script(Array.from({ length: expectedMs === undefined ? 3 : 1 }, () => limited));
        const error = errorOf(await collect(engine));

        const context = `Retry-After: ${retryAfter.slice(0, 24)}`;
        assert.equal(error?.code, 'rate_limited', context);
        assert.equal(error.retryAfterMs, expectedMs, context);
        assert.match(error.message, message, context);
      }
    });

    it('does not retry a per-day quota', async () => {
      emulator.script({ status: 429, body: quotaBody('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '0.02s') });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'quota.exhausted');
      assert.equal(error.retryable, false);
      assert.match(error.message, /GenerateRequestsPerDayPerProjectPerModel-FreeTier/);
      assert.equal(error.providerCode, 'RESOURCE_EXHAUSTED');
      assert.equal(emulator.requests.length, 1);
    });

    it('names the model and version of a 404', async () => {
      emulator.replayCase('F07');
      const error = errorOf(await collect(engine, { model: 'gemini-pro' }));

      assert.equal(error?.code, 'model.not_found');
      assert.match(error.message, /"gemini-pro"/);
      assert.match(error.message, /v1beta/);
      assert.equal(error.status, 404);
      assert.equal(error.providerCode, 'NOT_FOUND');
    });

    it('folds the system text into the first turn on v1', async () => {
      engine = await startEngine(emulator, { apiVersion: 'v1' });
      const messages: ChatMessage[] = [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ];
      const events = await collect(engine, { messages });
      const body = emulator.requests[0]?.json;

      assert.equal(errorOf(events), undefined);
      assert.equal(textOf(events), ANSWER);
      assert.equal(emulator.requests[0]?.path, '/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
      assert.equal(body.systemInstruction, undefined);
      assert.equal(body.contents[0].parts[0].text, 'Be brief.\n\nHi');
    });

    it('maps an unknown field on v1 to request.api_version', async () => {
      engine = await startEngine(emulator, { apiVersion: 'v1' });
      emulator.replayCase('F08');
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'request.api_version');
      assert.match(error.message, /"systemInstruction"/);
      assert.match(error.fix.join(' '), /v1beta/);
      assert.equal(error.retryable, false);
    });

    it('retries 503 with backoff', async () => {
      emulator.replayCase('F09');
      const events = await collect(engine);

      assert.equal(retriesOf(events)[0]?.code, 'server.overloaded');
      assert.equal(textOf(events), ANSWER);
      assert.equal(emulator.requests.length, 2);
    });

    it('reports 503 after the last attempt', async () => {
      const overloaded = googleError(503, 'UNAVAILABLE', 'This model is currently experiencing high demand.');
      emulator.script({ status: 503, body: overloaded, times: 3 });
      const events = await collect(engine);
      const error = errorOf(events);

      assert.equal(error?.code, 'server.overloaded');
      assert.equal(error.status, 503);
      assert.equal(retriesOf(events).length, 2);
      assert.equal(emulator.requests.length, 3);
    });

    it('reports a bad key as auth.invalid_key', async () => {
      const wrongKey = 'AIzaWRONGKEY0123456789abcdefghij';
      engine.setKey('g', wrongKey);
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'auth.invalid_key');
      assert.equal(error.status, 400);
      assert.equal(error.retryable, false);
      assert.doesNotMatch(JSON.stringify(error), /WRONGKEY/);
      assert.equal(emulator.requests.length, 1);
    });

    it('keeps the request id header', async () => {
      emulator.script({ status: 500, body: googleError(500, 'INTERNAL', 'An internal error has occurred.'), headers: { 'x-request-id': 'req_gemini_1' }, times: 3 });
      const error = errorOf(await collect(engine));

      assert.equal(error?.code, 'server.error');
      assert.equal(error.providerRequestId, 'req_gemini_1');
      assert.equal(error.providerCode, 'INTERNAL');
    });
  });

  describe('models', () => {
    it('lists models that support generateContent', async () => {
      const flash = { name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', inputTokenLimit: 1048576, supportedGenerationMethods: ['generateContent', 'countTokens'] };
      const embedding = { name: 'models/gemini-embedding-001', displayName: 'Gemini Embedding 001', supportedGenerationMethods: ['embedContent'] };
      const bare = { name: 'models/custom-model' };
      emulator.script([
        { match: { path: '/v1beta/models', method: 'GET' }, body: { models: [flash, embedding], nextPageToken: 'page-2' } },
        { match: { path: '/v1beta/models', method: 'GET' }, body: { models: [bare] } },
      ]);
      const models = await engine.listModels('g');

      assert.deepEqual(models, [
        { id: 'gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', contextLength: 1048576 },
        { id: 'custom-model' },
      ]);
      assert.equal(emulator.requests.length, 2);
      assert.match(emulator.requests[1]?.path ?? '', /pageToken=page-2/);
    });

    it('maps a models failure', async () => {
      engine.setKey('g', 'AIzaWRONGKEY0123456789abcdefghij');
      const error = await engine.listModels('g').then(
        () => undefined,
        (caught: unknown) => caught as { code?: string },
      );

      assert.equal(error?.code, 'auth.invalid_key');
    });
  });

  describe('connections', () => {
    // The emulator would take over 2 s to send the whole response, so a close within
    // CLOSE_WITHIN_MS comes from the client.
    it('closes the connection on cancel', async () => {
      emulator.script({ delayBetweenChunksMs: 500 });
      const controller = new AbortController();
      const events: ChatEvent[] = [];
      for await (const event of engine.chat({ profile: 'g', messages: HELLO }, controller.signal)) {
        events.push(event);
        if (event.type === 'text') controller.abort();
      }

      assert.equal(errorOf(events)?.code, 'cancelled');
      assert.equal(await closedWithin(emulator, CLOSE_WITHIN_MS), true);
      assert.equal(emulator.requests.length, 1);
    });

    it('closes the connection when the reader stops', async () => {
      emulator.script({ delayBetweenChunksMs: 500 });
      for await (const event of engine.chat({ profile: 'g', messages: HELLO })) {
        if (event.type === 'text') break;
      }

      assert.equal(await closedWithin(emulator, CLOSE_WITHIN_MS), true);
    });

    it('sends every request through the engine fetch', async () => {
      const original = globalThis.fetch;
      let globalCalls = 0;
      globalThis.fetch = (...args: Parameters<typeof fetch>) => {
        globalCalls++;
        return original(...args);
      };
      try {
        await collect(engine);
        await collect(engine, { stream: false });
        await engine.listModels('g');
      } finally {
        globalThis.fetch = original;
      }

      assert.equal(globalCalls, 0);
      assert.equal(emulator.requests.length, 3);
    });

    it('uses a new key once it is set', async () => {
      await collect(engine);
      const secondKey = 'AIzaSECONDKEY0123456789abcdefghi';
      engine.setKey('g', secondKey);
      await collect(engine);

      assert.equal(emulator.requests[0]?.headers['x-goog-api-key'], KEY);
      assert.equal(emulator.requests[1]?.headers['x-goog-api-key'], secondKey);
    });
  });

  describe('mapError', () => {
    const profile: Profile = { name: 'g', kind: 'gemini', baseUrl: 'http://127.0.0.1:9', model: 'gemini-2.5-flash', apiVersion: 'v1beta' };

    function contextWith(signal: AbortSignal = new AbortController().signal): AdapterContext {
      return { profile, apiKey: KEY, fetch: globalThis.fetch, logger: silentLogger, requestId: 'test01', signal };
    }

    function apiError(status: number, body: object): Error {
      return new genai.ApiError({ status, message: JSON.stringify(body) });
    }

    const cases: Array<{ name: string; status: number; body: object; code: string; retryable: boolean }> = [
      { name: 'region', status: 400, body: googleError(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'), code: 'region.unsupported', retryable: false },
      { name: 'free tier country', status: 400, body: googleError(400, 'FAILED_PRECONDITION', 'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.'), code: 'region.unsupported', retryable: false },
      { name: 'other 400', status: 400, body: googleError(400, 'INVALID_ARGUMENT', 'Invalid value at \'generation_config.temperature\' (TYPE_FLOAT), "hot"'), code: 'request.invalid', retryable: false },
      { name: 'long prompt', status: 400, body: googleError(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'), code: 'request.context_too_long', retryable: false },
      { name: '401', status: 401, body: googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'), code: 'auth.invalid_key', retryable: false },
      { name: '403', status: 403, body: googleError(403, 'PERMISSION_DENIED', 'Generative Language API has not been used in project 123 before or it is disabled.'), code: 'auth.forbidden', retryable: false },
      { name: '500', status: 500, body: googleError(500, 'INTERNAL', 'An internal error has occurred.'), code: 'server.error', retryable: true },
      { name: '504', status: 504, body: googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'), code: 'server.error', retryable: true },
      { name: 'HTML 404', status: 404, body: { error: { message: '<html>Not Found</html>', code: 404, status: 'Not Found' } }, code: 'config.base_url', retryable: false },
    ];

    for (const testCase of cases) {
      it(`maps ${testCase.name} to ${testCase.code}`, () => {
        const error = createAdapter(profile).mapError(apiError(testCase.status, testCase.body), contextWith());

        assert.equal(error.code, testCase.code);
        assert.equal(error.retryable, testCase.retryable);
        assert.equal(error.status, testCase.status);
      });
    }

    it('parses a fractional RetryInfo delay', () => {
      const body = quotaBody('GenerateContentInputTokensPerModelPerMinute-FreeTier', '2.463586755s');
      const error = createAdapter(profile).mapError(apiError(429, body), contextWith());

      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryAfterMs, 2464);
    });

    it('parses duration strings', () => {
      assert.equal(parseDuration('26s'), 26_000);
      assert.equal(parseDuration('2.463586755s'), 2464);
      assert.equal(parseDuration('0.5s'), 500);
      assert.equal(parseDuration('soon'), undefined);
    });

    it('classifies transport errors first', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 });
      const error = createAdapter(profile).mapError(new TypeError('fetch failed', { cause: refused }), contextWith());

      assert.equal(error.code, 'network.refused');
    });

    it('returns a SwitchboardError abort reason', () => {
      const controller = new AbortController();
      const reason = new SwitchboardError('timeout.deadline', 'The request did not finish within its deadline.');
      controller.abort(reason);
      const error = createAdapter(profile).mapError(new DOMException('This operation was aborted', 'AbortError'), contextWith(controller.signal));

      assert.equal(error, reason);
    });

    it('maps another abort reason to cancelled', () => {
      const controller = new AbortController();
      controller.abort();
      const abort = new DOMException('This operation was aborted', 'AbortError');
      const error = createAdapter(profile).mapError(abort, contextWith(controller.signal));

      assert.equal(error.code, 'cancelled');
    });
  });
});
