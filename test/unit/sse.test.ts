import * as assert from 'node:assert/strict';
import fc from 'fast-check';

import { isSwitchboardError } from '../../src/engine/errors';
import { convertStream } from '../../src/engine/providers/openai/stream';
import { parseSse, type SseEvent } from '../../src/engine/streams/sse';
import { silentLogger } from '../../src/engine/types';
import { answerText, collect, collectUntilError, readsOf, splitAt } from './support/helpers';

/** Parses the reads and returns the events without their absent `id` fields, for deep comparison. */
async function parse(parts: ReadonlyArray<string | Uint8Array>, onComment?: (text: string) => void): Promise<SseEvent[]> {
  const events = await collect(parseSse(readsOf(parts), onComment));
  return events.map(({ event, data, id }) => (id === undefined ? { event, data } : { event, data, id }));
}

// OpenRouter's keep-alive comments followed by its first chunk, as recorded.
const OPENROUTER_STREAM =
  ': OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: {"id":"gen-<ID>","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1739458867,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}],"system_fingerprint":"fp_<ID>"}\n\n';

describe('SSE parser', () => {
  describe('framing', () => {
    it('yields one event per blank-line-terminated block', async () => {
      const events = await parse(['data: one\n\ndata: two\n\n']);
      assert.deepEqual(events, [
        { event: 'message', data: 'one' },
        { event: 'message', data: 'two' },
      ]);
    });

    it('joins an event split across reads', async () => {
      const events = await parse(['da', 'ta: {"a"', ':1}\n', '\n']);
      assert.deepEqual(events, [{ event: 'message', data: '{"a":1}' }]);
    });

    it('yields several events packed into one read', async () => {
      const events = await parse(['data: 1\n\ndata: 2\n\ndata: 3\n\n']);
      assert.deepEqual(
        events.map((event) => event.data),
        ['1', '2', '3'],
      );
    });

    it('keeps the event and id fields', async () => {
      const events = await parse(['event: delta\nid: 7\ndata: x\n\n']);
      assert.deepEqual(events, [{ event: 'delta', data: 'x', id: '7' }]);
    });

    it('joins multi-line data with a line feed', async () => {
      const events = await parse(['data: first\ndata: second\ndata:\n\n']);
      assert.deepEqual(events, [{ event: 'message', data: 'first\nsecond\n' }]);
    });

    it('removes only one space after the colon', async () => {
      const events = await parse(['data:  two spaces\n\ndata:none\n\n']);
      assert.deepEqual(
        events.map((event) => event.data),
        [' two spaces', 'none'],
      );
    });
  });

  describe('line ends', () => {
    it('accepts CRLF line ends', async () => {
      const events = await parse(['data: a\r\n\r\ndata: b\r\n\r\n']);
      assert.deepEqual(
        events.map((event) => event.data),
        ['a', 'b'],
      );
    });

    it('accepts CR-only line ends', async () => {
      const events = await parse(['data: a\r\rdata: b\r\r']);
      assert.deepEqual(
        events.map((event) => event.data),
        ['a', 'b'],
      );
    });

    it('joins CRLF split across reads', async () => {
      const events = await parse(['data: a\r', '\n\r', '\n']);
      assert.deepEqual(events, [{ event: 'message', data: 'a' }]);
    });

    it('ends a CR-only stream on CR', async () => {
      const events = await parse(['data: a\r', '\r']);
      assert.deepEqual(events, [{ event: 'message', data: 'a' }]);
    });
  });

  describe('UTF-8', () => {
    it('keeps a character split across reads whole', async () => {
      // U+4FEE (修) is E4 BF AE; the first read ends after E4, as in the recorded failure.
      const bytes = Buffer.from('data: {"content":"修复方法"}\n\n', 'utf8');
      const cut = bytes.indexOf(0xe4) + 1;
      const events = await parse(splitAt(bytes, [cut]));
      assert.equal(events.length, 1);
      assert.equal(events[0]!.data, '{"content":"修复方法"}');
      assert.ok(!events[0]!.data.includes('\uFFFD'), 'no replacement character');
    });

    it('keeps a four-byte character whole', async () => {
      const bytes = Buffer.from('data: 🙂\n\n', 'utf8');
      const start = bytes.indexOf(0xf0);
      const events = await parse(splitAt(bytes, [start + 1, start + 2, start + 3]));
      assert.equal(events[0]!.data, '🙂');
    });
  });

  describe('comments', () => {
    it('skips keep-alive comments and reports them', async () => {
      const comments: string[] = [];
      const events = await parse([OPENROUTER_STREAM], (text) => comments.push(text));
      assert.equal(events.length, 1);
      assert.equal(JSON.parse(events[0]!.data).provider, 'OpenAI');
      assert.deepEqual(comments, ['OPENROUTER PROCESSING', 'OPENROUTER PROCESSING']);
    });

    it('skips a final comment', async () => {
      const events = await parse(['data: a\n\n: ping\n']);
      assert.deepEqual(events, [{ event: 'message', data: 'a' }]);
    });
  });

  describe('end markers and errors', () => {
    it('keeps spaces around [DONE]', async () => {
      const events = await parse(['data:  [DONE] \n\n']);
      assert.equal(events[0]!.data, ' [DONE] ');
    });

    it('accepts a final [DONE] without its blank line', async () => {
      const events = await parse(['data: x\n\ndata:  [DONE] ']);
      assert.deepEqual(
        events.map((event) => event.data),
        ['x', '[DONE]'],
      );
    });

    it('reads the llama.cpp error field', async () => {
      const body = 'error: {"code":500,"message":"Internal Server Error","type":"server_error"}\n\n';
      const events = await parse([body]);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.event, 'error');
      assert.equal(JSON.parse(events[0]!.data).type, 'server_error');
    });

    it('raises stream.interrupted for a body cut mid-event', async () => {
      // A Gemini stream cut inside an event's JSON, with no terminating blank line.
      const { items, error } = await collectUntilError(parseSse(readsOf(['data: {"candidates":[]}\n\n', 'data: {"candidates":[{"content":{"par'])));
      assert.equal(items.length, 1);
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.interrupted');
      assert.match(error.message, /\d+ bytes/);
    });

    it('rejects an event without blank line', async () => {
      const { error } = await collectUntilError(parseSse(readsOf(['data: {"a":1}\n'])));
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.interrupted');
    });

    it('ends quietly after an empty body', async () => {
      assert.deepEqual(await parse([]), []);
    });
  });

  describe('OpenAI stream conversion', () => {
    const chunk = (content: string, finish: string | null = null) =>
      `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

    it('ends at [DONE] written with extra spaces', async () => {
      const events = await collect(convertStream(readsOf([chunk('Hi'), chunk('', 'stop'), 'data:  [DONE] \n\n']), silentLogger, 'test'));
      assert.equal(answerText(events), 'Hi');
      assert.deepEqual(events[events.length - 1], { type: 'end', finishReason: 'stop', providerFinishReason: 'stop', usage: undefined });
    });

    it('skips a keep-alive comment sent as data', async () => {
      // A broken gateway wraps OpenRouter's comment in a data line.
      const events = await collect(convertStream(readsOf(['data: : OPENROUTER PROCESSING\n\n', chunk('Hi', 'stop'), 'data: [DONE]\n\n']), silentLogger, 'test'));
      assert.equal(answerText(events), 'Hi');
    });

    it('raises stream.interrupted without finish reason or [DONE]', async () => {
      const { items, error } = await collectUntilError(convertStream(readsOf([chunk('Hel'), chunk('lo')]), silentLogger, 'test'));
      assert.equal(answerText(items), 'Hello');
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.interrupted');
    });

    it('rejects a complete non-JSON event', async () => {
      const { error } = await collectUntilError(convertStream(readsOf(['data: {"choices": [\n\n']), silentLogger, 'test'));
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.malformed');
    });
  });

  describe('any split of a valid stream', () => {
    // Field values without line breaks; the parser's line splitting is what is under test.
    const value = fc.string({ unit: 'binary', maxLength: 12 }).filter((text) => !/[\r\n]/.test(text));
    const eventArbitrary = fc.record({
      name: fc.option(fc.constantFrom('delta', 'error', 'ping'), { nil: undefined }),
      lines: fc.array(value, { minLength: 1, maxLength: 3 }),
      comment: fc.option(value, { nil: undefined }),
    });
    const streamArbitrary = fc.record({
      events: fc.array(eventArbitrary, { minLength: 1, maxLength: 6 }),
      lineEnd: fc.constantFrom('\n', '\r\n', '\r'),
    });

    function serialize(stream: { events: { name?: string; lines: string[]; comment?: string }[]; lineEnd: string }): string {
      return stream.events
        .map((event) => {
          const lines = [
            ...(event.comment === undefined ? [] : [`:${event.comment}`]),
            ...(event.name === undefined ? [] : [`event: ${event.name}`]),
            ...event.lines.map((line) => `data: ${line}`),
          ];
          return lines.map((line) => `${line}${stream.lineEnd}`).join('') + stream.lineEnd;
        })
        .join('');
    }

    it('decodes to the same events', async () => {
      const property = fc.asyncProperty(streamArbitrary, fc.array(fc.nat(), { maxLength: 8 }), async (stream, cuts) => {
        const bytes = Buffer.from(serialize(stream), 'utf8');
        const offsets = [...new Set(cuts.map((cut) => 1 + (cut % Math.max(1, bytes.length - 1))))].filter((offset) => offset < bytes.length).sort((a, b) => a - b);
        const whole = await parse([bytes]);
        const split = await parse(splitAt(bytes, offsets));
        assert.deepEqual(split, whole);
        assert.deepEqual(
          whole.map((event) => event.data),
          stream.events.map((event) => event.lines.join('\n')),
        );
      });
      await fc.assert(property, { numRuns: 300 });
    });
  });
});
