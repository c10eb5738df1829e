import * as assert from 'node:assert/strict';

import { ResponseCache, responseCacheKey } from '../../src/engine/cache/response-cache';
import { isSwitchboardError } from '../../src/engine/errors';
import type { Profile } from '../../src/engine/profiles';
import type { ChatEvent, ChatRequest } from '../../src/engine/types';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { answerText, collect, errorOf, eventsOfType } from './support/helpers';
import { compatibleProfile, PROFILE, startHarness, type Harness } from './support/harness';

const QUESTION: ChatRequest = { profile: PROFILE, messages: [{ role: 'user', content: 'Say hello.' }] };

/** Reads a request's events, calling `onEvent` after each one; returns them all. */
async function readAll(events: AsyncIterable<ChatEvent>, onEvent?: (event: ChatEvent, index: number) => void): Promise<ChatEvent[]> {
  const seen: ChatEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    onEvent?.(event, seen.length - 1);
  }
  return seen;
}

function withoutCachedFlag(events: ChatEvent[]): ChatEvent[] {
  return events.map((event) => (event.type === 'end' ? { ...event, cached: undefined } : event));
}

describe('response cache', function () {
  this.timeout(15_000);

  describe('through the engine', () => {
    let harness: Harness;

    // 40 tokens a second keeps the default answer (5 tokens) in flight for about 125 ms, long enough to join.
    beforeEach(async () => {
      harness = await startHarness({ emulator: { tokensPerSecond: 40 } });
    });

    afterEach(async () => {
      await harness.stop();
    });

    it('replays a cache hit as the same events', async () => {
      const first = await harness.chat();
      const second = await harness.chat();
      assert.deepEqual(withoutCachedFlag(second), withoutCachedFlag(first));
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('marks only the replayed end as cached', async () => {
      const first = await harness.chat();
      const second = await harness.chat();
      assert.equal(eventsOfType(first, 'end')[0]?.cached, undefined);
      assert.equal(eventsOfType(second, 'end')[0]?.cached, true);
    });

    it('gives a late joiner the whole answer from one upstream request', async () => {
      let joined: Promise<ChatEvent[]> | undefined;
      const first = readAll(harness.engine.chat(QUESTION), (event) => {
        if (event.type === 'text') joined ??= collect(harness.engine.chat(QUESTION));
      });
      const firstEvents = await first;
      assert.ok(joined, 'the first caller produced no text');
      const joinedEvents = await joined;
      assert.equal(answerText(firstEvents), DEFAULT_ANSWER);
      assert.equal(answerText(joinedEvents), DEFAULT_ANSWER);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('gives each concurrent caller the whole answer', async () => {
      const answers = await Promise.all([1, 2, 3].map(() => harness.chat()));
      for (const events of answers) assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('keeps the answer going when one coalesced caller cancels', async () => {
      const leaving = new AbortController();
      const staying = collect(harness.engine.chat(QUESTION));
      const left = await readAll(harness.engine.chat(QUESTION, leaving.signal), (event) => {
        if (event.type === 'text') leaving.abort();
      });
      const stayed = await staying;
      assert.equal(errorOf(left)?.code, 'cancelled');
      assert.equal(answerText(stayed), DEFAULT_ANSWER);
      assert.equal(errorOf(stayed), undefined);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('stores the answer that a cancelled joiner left behind', async () => {
      const leaving = new AbortController();
      const staying = collect(harness.engine.chat(QUESTION));
      await readAll(harness.engine.chat(QUESTION, leaving.signal), (event) => {
        if (event.type === 'text') leaving.abort();
      });
      await staying;
      const again = await harness.chat();
      assert.equal(eventsOfType(again, 'end')[0]?.cached, true);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('cancels the upstream request when its last caller leaves', async () => {
      const leaving = new AbortController();
      const closed = harness.emulator.waitForClose();
      const events = await readAll(harness.engine.chat(QUESTION, leaving.signal), (event) => {
        if (event.type === 'text') leaving.abort();
      });
      await closed;
      assert.equal(errorOf(events)?.code, 'cancelled');
      const again = await harness.chat();
      assert.equal(answerText(again), DEFAULT_ANSWER);
      assert.equal(harness.emulator.requests.length, 2);
    });

    it('sends Regenerate upstream and stores its answer', async () => {
      await harness.chat();
      harness.emulator.script({ answer: 'A regenerated answer.' });
      const regenerated = await harness.chat({ bypassCache: true });
      const afterwards = await harness.chat();
      assert.equal(answerText(regenerated), 'A regenerated answer.');
      assert.equal(answerText(afterwards), 'A regenerated answer.');
      assert.equal(harness.emulator.requests.length, 2);
    });

    it('does not store a failed answer', async () => {
      harness.emulator.script({ status: 400, body: { error: { message: 'Bad request.', type: 'invalid_request_error' } } });
      const failed = await harness.chat();
      const retried = await harness.chat();
      assert.ok(errorOf(failed));
      assert.equal(answerText(retried), DEFAULT_ANSWER);
      assert.equal(harness.emulator.requests.length, 2);
    });

    it('does not store an answer cut in the middle', async () => {
      harness.emulator.script({ closeAfterChunks: 3 });
      const cut = await harness.chat();
      const complete = await harness.chat();
      assert.equal(errorOf(cut)?.code, 'stream.interrupted');
      assert.equal(answerText(complete), DEFAULT_ANSWER);
      assert.equal(eventsOfType(complete, 'end')[0]?.cached, undefined);
    });

    it('sends requests that differ in a setting upstream', async () => {
      await harness.chat();
      await harness.chat({ temperature: 0.5 });
      await harness.chat({ maxOutputTokens: 100 });
      await harness.chat({ stop: ['\n'] });
      await harness.chat({ model: 'gpt-4o' });
      await harness.chat({ messages: [{ role: 'user', content: 'Say goodbye.' }] });
      assert.equal(harness.emulator.requests.length, 6);
    });

    it('rejects a zero size bound with config.invalid naming the setting', async () => {
      await assert.rejects(
        harness.engine.configure({ profiles: [compatibleProfile(harness.emulator.url)], cache: { maxBytes: 0, ttlMs: 60_000 } }),
        (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes('cache.maxMegabytes'),
      );
    });

    it('rejects a negative TTL with config.invalid naming the setting', async () => {
      await assert.rejects(
        harness.engine.configure({ profiles: [compatibleProfile(harness.emulator.url)], cache: { maxBytes: 1_000_000, ttlMs: -1 } }),
        (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes('cache.ttlMinutes'),
      );
    });

    it('keeps the previous configuration after a bad cache bound', async () => {
      await harness.engine.configure({ profiles: [compatibleProfile(harness.emulator.url)], cache: { maxBytes: Infinity, ttlMs: 60_000 } }).catch(() => undefined);
      assert.equal(harness.engine.metrics().caches.responses.maxBytes, 32 * 1024 * 1024);
    });

    it('applies new bounds from configure', async () => {
      await harness.engine.configure({ profiles: [compatibleProfile(harness.emulator.url)], cache: { maxBytes: 1_048_576, ttlMs: 120_000 } });
      const { responses } = harness.engine.metrics().caches;
      assert.equal(responses.maxBytes, 1_048_576);
      assert.equal(responses.ttlMs, 120_000);
    });
  });

  describe('bounds', () => {
    /** Creates an upstream whose answer is `words` text events and an end event. */
    const upstream = (words: number) => () => ({
      items: (async function* (): AsyncGenerator<ChatEvent> {
        for (let index = 0; index < words; index++) yield { type: 'text', text: ` word${index}` };
        yield { type: 'end', finishReason: 'stop' };
      })(),
    });

    /** An observer that records how each request was served. */
    const recordOutcomes = (outcomes: string[]) => ({ served: (outcome: string) => outcomes.push(outcome), event: () => undefined, end: () => undefined });

    it('keeps stored bytes within maxBytes after many answers', async () => {
      const cache = new ResponseCache({ maxBytes: 20_000, maxEntries: 1_000, ttlMs: 60_000 });
      for (let index = 0; index < 500; index++) await collect(cache.stream(`key ${index}`, upstream(1 + (index % 40))));
      assert.ok(cache.bytes <= 20_000, `${cache.bytes} bytes stored`);
      assert.ok(cache.entries > 0);
    });

    it('keeps at most maxEntries answers after many answers', async () => {
      const cache = new ResponseCache({ maxBytes: 10_000_000, maxEntries: 25, ttlMs: 60_000 });
      for (let index = 0; index < 500; index++) await collect(cache.stream(`key ${index}`, upstream(3)));
      assert.equal(cache.entries, 25);
    });

    it('expires answers after the TTL', async () => {
      let now = 1_000;
      const cache = new ResponseCache({ ttlMs: 1_000, now: () => now });
      const outcomes: string[] = [];
      await collect(cache.stream('key', upstream(2), { observer: recordOutcomes(outcomes) }));
      now += 999;
      await collect(cache.stream('key', upstream(2), { observer: recordOutcomes(outcomes) }));
      now += 2;
      await collect(cache.stream('key', upstream(2), { observer: recordOutcomes(outcomes) }));
      assert.deepEqual(outcomes, ['miss', 'hit', 'miss']);
    });

    it('leaves no request in flight after the answers end', async () => {
      const cache = new ResponseCache();
      await Promise.all([1, 2, 3].map(() => collect(cache.stream('key', upstream(5)))));
      assert.equal(cache.inFlightCount, 0);
    });
  });

  describe('key', () => {
    const profile: Profile = { name: 'p', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', headers: { 'x-b': '2', 'x-a': '1' } };

    it('is the same for the same request', () => {
      assert.equal(responseCacheKey(QUESTION, profile), responseCacheKey({ ...QUESTION }, { ...profile }));
    });

    it('ignores the order of profile headers', () => {
      assert.equal(responseCacheKey(QUESTION, profile), responseCacheKey(QUESTION, { ...profile, headers: { 'x-a': '1', 'x-b': '2' } }));
    });

    it('changes with the base URL, headers or API version', () => {
      const base = responseCacheKey(QUESTION, profile);
      assert.notEqual(responseCacheKey(QUESTION, { ...profile, baseUrl: 'http://127.0.0.1:2/v1' }), base);
      assert.notEqual(responseCacheKey(QUESTION, { ...profile, headers: { 'x-a': '3' } }), base);
      assert.notEqual(responseCacheKey(QUESTION, { ...profile, apiVersion: '2024-10-21' }), base);
    });

    it('is short whatever the prompt length', () => {
      const long = { ...QUESTION, messages: [{ role: 'user' as const, content: 'x'.repeat(100_000) }] };
      assert.equal(responseCacheKey(long, profile).length, 43);
    });
  });
});
