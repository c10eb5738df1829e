import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import type { ErrorData } from '../../src/engine/errors';
import type { ChatRequest } from '../../src/engine/types';

/** Runs a request through the engine and returns its error event's data, if any. */
async function errorOf(engine: Engine, request: unknown): Promise<ErrorData | undefined> {
  for await (const event of engine.chat(request as ChatRequest)) {
    if (event.type === 'error') return event.error;
  }
  return undefined;
}

describe('chat request checks', () => {
  let engine: Engine;

  before(async () => {
    engine = new Engine();
    // Nothing listens on this profile's port; every request below must fail before sending.
    await engine.configure({ profiles: [{ name: 'local', preset: 'ollama', baseUrl: 'http://127.0.0.1:9/v1', model: 'llama3.2' }] });
  });

  after(() => engine.close());

  const cases: Array<[string, unknown, RegExp]> = [
    ['an unknown role', { profile: 'local', messages: [{ role: 'tool', content: 'x' }] }, /role "tool"/],
    ['content that is not text', { profile: 'local', messages: [{ role: 'user', content: { text: 'x' } }] }, /content of type object/],
    ['a message that is not an object', { profile: 'local', messages: ['hi'] }, /Message 0 must be an object/],
    ['a temperature that is text', { profile: 'local', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }, /temperature is "hot"/],
    ['a negative output limit', { profile: 'local', messages: [{ role: 'user', content: 'x' }], maxOutputTokens: -5 }, /maxOutputTokens is -5/],
    ['stop sequences that are not text', { profile: 'local', messages: [{ role: 'user', content: 'x' }], stop: [1] }, /stop must be a list/],
    ['an empty model', { profile: 'local', messages: [{ role: 'user', content: 'x' }], model: ' ' }, /model must be a non-empty string/],
    ['no messages', { profile: 'local', messages: [] }, /no messages/],
  ];

  for (const [name, request, pattern] of cases) {
    it(`rejects ${name}`, async () => {
      const error = await errorOf(engine, request);
      assert.equal(error?.code, 'request.invalid');
      assert.match(error?.message ?? '', pattern);
      assert.equal(error?.retryable, false);
    });
  }

  it('reports a null request as an error event', async () => {
    const error = await errorOf(engine, null);
    assert.ok(error, 'expected an error event');
  });
});
