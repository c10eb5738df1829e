import * as assert from 'node:assert/strict';
import fc from 'fast-check';

import { isSwitchboardError } from '../../src/engine/errors';
import { parseNdjson } from '../../src/engine/streams/ndjson';
import { collect, collectUntilError, readsOf, splitAt } from './support/helpers';

// Two lines of Ollama's /api/generate stream that arrived in a single read, as recorded.
const OLLAMA_SINGLE_READ =
  '{"model":"llama2:13b","created_at":"2023-09-20T19:15:28.501932Z","response":" The","done":false}\n{"model":"llama2:13b","created_at":"2023-09-20T19:15:28.546594Z","response":" sky","done":false}\n';

const responses = (values: unknown[]) => values.map((value) => (value as { response?: string }).response);

describe('NDJSON parser', () => {
  it('yields every line of a single read', async () => {
    const values = await collect(parseNdjson(readsOf([OLLAMA_SINGLE_READ])));
    assert.deepEqual(responses(values), [' The', ' sky']);
  });

  it('joins a line split across reads', async () => {
    const middle = OLLAMA_SINGLE_READ.indexOf('"response"') + 4;
    const values = await collect(parseNdjson(readsOf([OLLAMA_SINGLE_READ.slice(0, middle), OLLAMA_SINGLE_READ.slice(middle)])));
    assert.deepEqual(responses(values), [' The', ' sky']);
  });

  it('keeps a character split across reads whole', async () => {
    const bytes = Buffer.from('{"response":"修复"}\n', 'utf8');
    const values = await collect(parseNdjson(readsOf(splitAt(bytes, [bytes.indexOf(0xe4) + 1]))));
    assert.deepEqual(responses(values), ['修复']);
  });

  it('skips blank lines and CR before LF', async () => {
    const values = await collect(parseNdjson(readsOf(['{"response":"a"}\r\n\n\r\n{"response":"b"}\n'])));
    assert.deepEqual(responses(values), ['a', 'b']);
  });

  it('parses a final line without LF', async () => {
    const values = await collect(parseNdjson(readsOf(['{"response":"a"}\n{"response":"b","done":true}'])));
    assert.deepEqual(responses(values), ['a', 'b']);
  });

  it('raises stream.interrupted for a truncated last line', async () => {
    const { items, error } = await collectUntilError(parseNdjson(readsOf(['{"response":"a"}\n{"response":"b","do'])));
    assert.deepEqual(responses(items), ['a']);
    assert.ok(isSwitchboardError(error));
    assert.equal(error.code, 'stream.interrupted');
  });

  it('rejects a complete non-JSON line', async () => {
    const { error } = await collectUntilError(parseNdjson(readsOf(['<html>502 Bad Gateway</html>\n'])));
    assert.ok(isSwitchboardError(error));
    assert.equal(error.code, 'stream.malformed');
    assert.match(error.message, /502 Bad Gateway/);
  });

  it('yields an in-stream error line as a value', async () => {
    const values = await collect(parseNdjson(readsOf(['{"response":"a"}\n{"error":"model runner has unexpectedly stopped"}\n'])));
    assert.deepEqual(values[1], { error: 'model runner has unexpectedly stopped' });
  });

  it('decodes any split identically', async () => {
    const value = fc.record({ response: fc.string({ unit: 'binary', maxLength: 10 }), done: fc.boolean() }, { noNullPrototype: true });
    const property = fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), async (values, cuts) => {
      const bytes = Buffer.from(values.map((item) => `${JSON.stringify(item)}\n`).join(''), 'utf8');
      const offsets = [...new Set(cuts.map((cut) => 1 + (cut % (bytes.length - 1))))].sort((a, b) => a - b);
      const parsed = await collect(parseNdjson(readsOf(splitAt(bytes, offsets))));
      assert.deepEqual(parsed, values);
    });
    await fc.assert(property, { numRuns: 200 });
  });
});
