import * as assert from 'node:assert/strict';

import { APIConnectionTimeoutError } from 'openai';

import { ResponseCache } from '../../src/engine/cache/response-cache';
import { Engine } from '../../src/engine/engine';
import { isSwitchboardError, SwitchboardError } from '../../src/engine/errors';
import type { Profile } from '../../src/engine/profiles';
import { mapThrown } from '../../src/engine/providers/openai/errors';
import { convertStream } from '../../src/engine/providers/openai/stream';
import { loadStandaloneConfiguration } from '../../src/engine/standalone-config';
import type { ChatEvent } from '../../src/engine/types';
import { silentLogger } from '../../src/engine/types';
import { collectUntilError, errorOf, readsOf } from './support/helpers';

/** An upstream that sends one text event and then waits until it is aborted. */
function stalledUpstream(aborted: { value: boolean }) {
  return (signal: AbortSignal) => ({
    items: (async function* (): AsyncGenerator<ChatEvent> {
      yield { type: 'text', text: 'partial' };
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted.value = true;
    })(),
  });
}

async function readEvents(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const seen: ChatEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe('hardening behaviour', () => {
  describe('shared stream deadline', () => {
    it('ends a joined caller by its own deadline', async () => {
      const cache = new ResponseCache();
      const aborted = { value: false };
      const upstream = stalledUpstream(aborted);
      const first = new AbortController();
      const second = new AbortController();
      const firstEvents = readEvents(cache.stream('key', upstream, { signal: first.signal }));
      const secondEvents = readEvents(cache.stream('key', upstream, { signal: second.signal }));
      await new Promise((resolve) => setTimeout(resolve, 20));

      second.abort(new SwitchboardError('timeout.deadline', 'The request did not finish within its 2 s deadline.'));
      const events = await secondEvents;
      assert.equal(errorOf(events)?.code, 'timeout.deadline');
      assert.equal(errorOf(events)?.partialText, 'partial');
      assert.equal(aborted.value, false, 'the shared upstream kept running for the first caller');

      first.abort();
      assert.equal(errorOf(await firstEvents)?.code, 'cancelled');
    });
  });

  describe('engine configure', () => {
    it('resets the breaker of a changed profile', async () => {
      const engine = new Engine({ logger: silentLogger });
      const profile = { name: 'p', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' };
      await engine.configure({ profiles: [profile] });
      while (engine.circuits.snapshot('p').state !== 'open') engine.circuits.admit('p').failed(new SwitchboardError('network.refused', 'refused'));
      assert.equal(engine.circuits.snapshot('p').state, 'open');

      await engine.configure({ profiles: [profile] });
      assert.equal(engine.circuits.snapshot('p').state, 'open', 'an unchanged profile keeps its breaker');

      await engine.configure({ profiles: [{ ...profile, baseUrl: 'http://127.0.0.1:8/v1' }] });
      assert.equal(engine.circuits.snapshot('p').state, 'closed');
      await engine.close();
    });
  });

  describe('openai connect timeout', () => {
    it('maps APIConnectionTimeoutError to timeout.connect', () => {
      const profile = { name: 'p', kind: 'openai-compatible', baseUrl: 'https://127.0.0.1:1/v1', model: 'm' } as unknown as Profile;
      const error = mapThrown(new APIConnectionTimeoutError(), profile, 'm', profile.baseUrl, new AbortController().signal);
      assert.equal(error.code, 'timeout.connect');
      assert.equal(error.retryable, true);
    });

    it('keeps the engine abort reason', () => {
      const profile = { name: 'p', kind: 'openai-compatible', baseUrl: 'https://127.0.0.1:1/v1', model: 'm' } as unknown as Profile;
      const controller = new AbortController();
      controller.abort(new SwitchboardError('timeout.deadline', 'deadline'));
      const error = mapThrown(new APIConnectionTimeoutError(), profile, 'm', profile.baseUrl, controller.signal);
      assert.equal(error.code, 'timeout.deadline');
    });
  });

  describe('openai stream of only [DONE]', () => {
    it('fails with output.empty', async () => {
      const { error } = await collectUntilError(convertStream(readsOf(['data: [DONE]\n\n']), silentLogger, 'test'));
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'output.empty');
    });

    it('is not cached', async () => {
      const cache = new ResponseCache();
      const upstream = () => ({ items: convertStream(readsOf(['data: [DONE]\n\n']), silentLogger, 'test') });
      await collectUntilError(cache.stream('key', upstream));
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(cache.entries, 0);
    });
  });

  describe('standalone --profiles', () => {
    for (const argv of [['--profiles=/nonexistent/profiles.json'], ['--profiles', '/nonexistent/profiles.json']]) {
      it(`reads the file of ${argv.join(' ')}`, () => {
        assert.throws(
          () => loadStandaloneConfiguration(undefined, {}, argv),
          (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes('/nonexistent/profiles.json'),
        );
      });
    }

    it('rejects --profiles without a file', () => {
      assert.throws(() => loadStandaloneConfiguration(undefined, {}, ['--profiles']), (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid');
    });
  });
});
