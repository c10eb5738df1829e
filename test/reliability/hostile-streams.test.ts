/**
 * Hostile input for the stream parsers and the converters on top of them. It covers generated
 * valid streams split at any byte, arbitrary bytes, truncation and lines over the length limit.
 * It also covers chunks of any JSON shape, and servers that send a body without end.
 */

import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import fc from 'fast-check';

import { Engine } from '../../src/engine/engine';
import { isSwitchboardError } from '../../src/engine/errors';
import { parseProfile } from '../../src/engine/profiles';
import type { AdapterContext } from '../../src/engine/providers/adapter';
import { listOllamaModels } from '../../src/engine/providers/openai/ollama';
import { translateAnswer } from '../../src/engine/providers/gemini/stream';
import { convertStream, InStreamError } from '../../src/engine/providers/openai/stream';
import { MAX_COMPLETE_BODY_BYTES, MAX_STREAM_LINE_CHARS } from '../../src/engine/streams/limits';
import { parseNdjson } from '../../src/engine/streams/ndjson';
import { parseSse, type SseEvent } from '../../src/engine/streams/sse';
import { silentLogger, type ChatEvent } from '../../src/engine/types';
import { answerText, collect, collectUntilError, createRecordingLogger, readsOf, splitAt } from '../unit/support/helpers';
import { recordScenario } from './record';

/** Time one generated input may take; a parser that hangs fails the property instead of the suite. */
const ITERATION_TIMEOUT_MS = 2000;
const CODED_STREAM_ERRORS = ['stream.malformed', 'stream.interrupted'];

/** Sorted, distinct cut offsets inside `length` bytes, from arbitrary naturals. */
function offsetsWithin(length: number, cuts: readonly number[]): number[] {
  if (length < 2) return [];
  return [...new Set(cuts.map((cut) => 1 + (cut % (length - 1))))].sort((a, b) => a - b);
}

/** Fails with the error's own text unless it is a SwitchboardError with one of `codes`. */
function assertCodedError(error: unknown, codes: readonly string[]): void {
  assert.ok(isSwitchboardError(error), `expected a SwitchboardError, got ${error instanceof Error ? error.stack : String(error)}`);
  assert.ok(codes.includes(error.code), `expected one of ${codes.join(', ')}, got ${error.code}: ${error.message}`);
}

/** Yields `text` in reads of `size` characters, without building one huge buffer of the whole body. */
async function* repeatedReads(prefix: string, filler: string, totalChars: number, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  yield Buffer.from(prefix, 'utf8');
  const read = Buffer.from(filler.repeat(Math.ceil(size / filler.length)).slice(0, size), 'utf8');
  for (let sent = 0; sent < totalChars; sent += size) yield read;
}

// ---------------------------------------------------------------------------------------------
// Generated event streams

/** A field value: any text without line breaks, including multi-byte UTF-8 and NUL. */
const fieldValue = fc.string({ unit: 'binary', maxLength: 16 }).map((text) => text.replace(/[\r\n]/g, ''));
const lineEnd = fc.constantFrom('\n', '\r\n', '\r');

interface GeneratedEvent {
  name?: string;
  id?: string;
  retry?: number;
  comment?: string;
  data: string[];
  /** One line end per line of the event, plus one for the blank line that ends it. */
  ends: string[];
}

const generatedEvent: fc.Arbitrary<GeneratedEvent> = fc
  .record({
    name: fc.option(fieldValue, { nil: undefined }),
    id: fc.option(fieldValue, { nil: undefined }),
    retry: fc.option(fc.nat(), { nil: undefined }),
    comment: fc.option(fieldValue, { nil: undefined }),
    data: fc.array(fieldValue, { minLength: 1, maxLength: 3 }),
  })
  .chain((event) => fc.array(lineEnd, { minLength: 8, maxLength: 8 }).map((ends) => ({ ...event, ends })));

/** Writes events with mixed line ends; a CR before a blank line's LF would read as one CRLF, so that pair becomes CR CRLF. */
function serializeEvents(events: readonly GeneratedEvent[]): string {
  let text = '';
  for (const event of events) {
    const lines = [
      ...(event.comment === undefined ? [] : [`:${event.comment}`]),
      ...(event.name === undefined ? [] : [`event: ${event.name}`]),
      ...(event.id === undefined ? [] : [`id: ${event.id}`]),
      ...(event.retry === undefined ? [] : [`retry: ${event.retry}`]),
      ...event.data.map((line) => `data: ${line}`),
      '',
    ];
    lines.forEach((line, index) => {
      let end = event.ends[index % event.ends.length]!;
      if (line === '' && end === '\n' && text.endsWith('\r')) end = '\r\n';
      text += `${line}${end}`;
    });
  }
  return text;
}

function expectedEvents(events: readonly GeneratedEvent[]): SseEvent[] {
  return events.map((event) => ({ event: event.name ?? 'message', data: event.data.join('\n'), id: event.id }));
}

// ---------------------------------------------------------------------------------------------
// Generated OpenAI chunks

function openAiChunk(content: string, finish: string | null): string {
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
}

/** Any JSON value, including objects with keys such as `__proto__` and `constructor`. */
const anyJson = fc.jsonValue({ maxDepth: 4 });

/** Chunks of the right outline with values of any JSON type in every field. */
const hostileOpenAiChunk = fc.record(
  {
    choices: fc.oneof(
      anyJson,
      fc.array(fc.record({ delta: fc.oneof(anyJson, fc.record({ content: anyJson, reasoning: anyJson, reasoning_content: anyJson }, { requiredKeys: [] })), finish_reason: fc.oneof(anyJson, fc.constantFrom('stop', 'length', 'constructor', '__proto__', 'toString')) }, { requiredKeys: [] }), { maxLength: 2 }),
    ),
    usage: fc.oneof(anyJson, fc.record({ prompt_tokens: anyJson, completion_tokens: anyJson, completion_tokens_details: anyJson }, { requiredKeys: [] })),
    error: anyJson,
  },
  { requiredKeys: [] },
);

/** Gemini response chunks of the right outline with values of any JSON type in every field. */
const hostileGeminiChunk = fc.record(
  {
    candidates: fc.oneof(
      anyJson,
      fc.array(
        fc.record(
          {
            content: fc.oneof(anyJson, fc.record({ parts: fc.oneof(anyJson, fc.array(fc.oneof(anyJson, fc.record({ text: anyJson, thought: anyJson }, { requiredKeys: [] })), { maxLength: 3 })) }, { requiredKeys: [] })),
            finishReason: fc.oneof(anyJson, fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY', 'constructor', '__proto__', 'hasOwnProperty')),
            safetyRatings: anyJson,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
    usageMetadata: fc.oneof(anyJson, fc.record({ promptTokenCount: anyJson, candidatesTokenCount: anyJson, thoughtsTokenCount: anyJson }, { requiredKeys: [] })),
    promptFeedback: fc.oneof(anyJson, fc.record({ blockReason: anyJson, blockReasonMessage: anyJson, safetyRatings: anyJson }, { requiredKeys: [] })),
    responseId: anyJson,
  },
  { requiredKeys: [] },
);

const FINISH_REASONS = ['stop', 'length', 'content_filter', 'tool_calls', 'other'];

/** Checks that every event is well-typed: text is a non-empty string, the end has a known finish reason. */
function assertWellTyped(events: readonly ChatEvent[]): void {
  for (const event of events) {
    if (event.type === 'text' || event.type === 'reasoning') {
      assert.equal(typeof event.text, 'string', `${event.type} event with text ${JSON.stringify(event.text)}`);
    }
    if (event.type === 'end') {
      assert.ok(FINISH_REASONS.includes(event.finishReason), `end event with finish reason ${String(event.finishReason)}`);
      assert.equal(typeof event.providerFinishReason, 'string', 'providerFinishReason is a string');
    }
    if (event.type === 'usage' || (event.type === 'end' && event.usage)) {
      const usage = event.type === 'usage' ? event.usage : event.usage!;
      for (const [field, value] of Object.entries(usage)) {
        assert.ok(value === undefined || (typeof value === 'number' && Number.isFinite(value)), `usage.${field} is ${JSON.stringify(value)}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A server that never ends its body

interface EndlessServer {
  url: string;
  /** Bytes written to every response so far. */
  bytesWritten(): number;
  stop(): Promise<void>;
}

/**
 * Serves every request with status 200, `contentType`, and `first` followed by `filler`
 * repeated until the client closes the connection. Writes wait for the socket to drain, so the
 * server keeps at most one read in memory.
 */
async function startEndlessServer(contentType: string, first: string, filler: string): Promise<EndlessServer> {
  let written = 0;
  const block = Buffer.from(filler.repeat(Math.ceil((64 * 1024) / filler.length)), 'utf8');
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': contentType });
    response.write(first);
    written += Buffer.byteLength(first);
    let open = true;
    response.on('close', () => {
      open = false;
    });
    const pump = () => {
      while (open) {
        written += block.length;
        if (!response.write(block)) {
          response.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bytesWritten: () => written,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Fails with `what` when `promise` takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('hostile stream input', function () {
  this.timeout(60_000);

  describe('SSE parser', () => {
    it('decodes any split of mixed-line-end streams', async () => {
      const property = fc.asyncProperty(fc.array(generatedEvent, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), async (events, cuts) => {
        const bytes = Buffer.from(serializeEvents(events), 'utf8');
        const parsed = await collect(parseSse(readsOf(splitAt(bytes, offsetsWithin(bytes.length, cuts)))));
        assert.deepEqual(parsed, expectedEvents(events));
      });
      await fc.assert(property, { numRuns: 400, timeout: ITERATION_TIMEOUT_MS });
      recordScenario({ suite: 'hostile', scenario: 'SSE any split of generated events' });
    });

    it('decodes a stream read one byte at a time', async () => {
      const property = fc.asyncProperty(fc.array(generatedEvent, { minLength: 1, maxLength: 3 }), async (events) => {
        const bytes = Buffer.from(serializeEvents(events), 'utf8');
        const reads = [...bytes].map((byte) => Uint8Array.of(byte));
        assert.deepEqual(await collect(parseSse(readsOf(reads))), expectedEvents(events));
      });
      await fc.assert(property, { numRuns: 100, timeout: ITERATION_TIMEOUT_MS });
    });

    it('yields events or a coded error for arbitrary bytes', async () => {
      const property = fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), async (reads) => {
        const { items, error } = await collectUntilError(parseSse(readsOf(reads)));
        if (error !== undefined) assertCodedError(error, CODED_STREAM_ERRORS);
        for (const event of items) assert.equal(typeof event.data, 'string');
      });
      await fc.assert(property, { numRuns: 500, timeout: ITERATION_TIMEOUT_MS });
      recordScenario({ suite: 'hostile', scenario: 'SSE arbitrary bytes' });
    });

    it('yields a prefix of the events for a truncated stream', async () => {
      const property = fc.asyncProperty(fc.array(generatedEvent, { minLength: 1, maxLength: 4 }), fc.nat(), async (events, cut) => {
        const bytes = Buffer.from(serializeEvents(events), 'utf8');
        const truncated = bytes.subarray(0, cut % bytes.length);
        const { items, error } = await collectUntilError(parseSse(readsOf([truncated])));
        if (error !== undefined) assertCodedError(error, ['stream.interrupted']);
        const expected = expectedEvents(events);
        // The last event may come out with fewer data lines when the cut falls after one of them.
        assert.deepEqual(items.slice(0, -1), expected.slice(0, Math.max(0, items.length - 1)));
        assert.ok(items.length <= expected.length, `${items.length} events from a prefix of ${expected.length}`);
      });
      await fc.assert(property, { numRuns: 300, timeout: ITERATION_TIMEOUT_MS });
    });

    it('rejects a line over the limit as stream.malformed', async () => {
      const { items, error } = await collectUntilError(parseSse(repeatedReads('data: ', 'x', MAX_STREAM_LINE_CHARS + 1)));
      assert.equal(items.length, 0);
      assertCodedError(error, ['stream.malformed']);
      assert.match((error as Error).message, /an event-stream line over the limit of 8 Mi characters/);
      recordScenario({ suite: 'hostile', scenario: 'SSE line over the limit' });
    });

    it('rejects an event of many lines over the limit', async () => {
      // Each 17-character line adds 11 characters of data, so twice the limit in lines is over it in data.
      const { items, error } = await collectUntilError(parseSse(repeatedReads('', 'data: xxxxxxxxxx\n', 2 * MAX_STREAM_LINE_CHARS)));
      assert.equal(items.length, 0);
      assertCodedError(error, ['stream.malformed']);
      assert.match((error as Error).message, /an event over the limit/);
    });
  });

  describe('NDJSON parser', () => {
    const line = fc.record({ response: fc.string({ unit: 'binary', maxLength: 12 }), done: fc.boolean() }, { noNullPrototype: true });

    it('decodes any split with CRLF and blank lines', async () => {
      const property = fc.asyncProperty(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\n\n', '\r\n\r\n')), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), async (lines, cuts) => {
        const bytes = Buffer.from(lines.map(([value, end]) => `${JSON.stringify(value)}${end}`).join(''), 'utf8');
        const parsed = await collect(parseNdjson(readsOf(splitAt(bytes, offsetsWithin(bytes.length, cuts)))));
        assert.deepEqual(parsed, lines.map(([value]) => value));
      });
      await fc.assert(property, { numRuns: 300, timeout: ITERATION_TIMEOUT_MS });
      recordScenario({ suite: 'hostile', scenario: 'NDJSON any split with CRLF' });
    });

    it('yields values or a coded error for arbitrary bytes', async () => {
      const property = fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), async (reads) => {
        const { error } = await collectUntilError(parseNdjson(readsOf(reads)));
        if (error !== undefined) assertCodedError(error, CODED_STREAM_ERRORS);
      });
      await fc.assert(property, { numRuns: 500, timeout: ITERATION_TIMEOUT_MS });
    });

    it('raises stream.interrupted for a truncated last line', async () => {
      const property = fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 4 }), fc.nat(), async (values, cut) => {
        const text = values.map((value) => `${JSON.stringify(value)}\n`).join('');
        const bytes = Buffer.from(text, 'utf8');
        const { items, error } = await collectUntilError(parseNdjson(readsOf([bytes.subarray(0, cut % bytes.length)])));
        assert.deepEqual(items, values.slice(0, items.length));
        if (error !== undefined) assertCodedError(error, CODED_STREAM_ERRORS);
      });
      await fc.assert(property, { numRuns: 300, timeout: ITERATION_TIMEOUT_MS });
    });

    it('rejects a line over the limit as stream.malformed', async () => {
      const { error } = await collectUntilError(parseNdjson(repeatedReads('{"response":"', 'x', MAX_STREAM_LINE_CHARS + 1)));
      assertCodedError(error, ['stream.malformed']);
      assert.match((error as Error).message, /a line over the limit/);
    });
  });

  describe('OpenAI stream converter', () => {
    it('joins any split of generated chunks', async () => {
      const property = fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 10 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), async (pieces, cuts) => {
        const text = pieces.map((piece) => openAiChunk(piece, null)).join('') + openAiChunk('', 'stop') + 'data: [DONE]\n\n';
        const bytes = Buffer.from(text, 'utf8');
        const events = await collect(convertStream(readsOf(splitAt(bytes, offsetsWithin(bytes.length, cuts))), silentLogger, 'hostile'));
        const expected = pieces.join('');
        // A stream of only empty pieces ends as output.empty, which the converter throws, so the check is skipped for it.
        fc.pre(expected !== '');
        assert.equal(answerText(events), expected);
      });
      await fc.assert(property, { numRuns: 300, timeout: ITERATION_TIMEOUT_MS });
      recordScenario({ suite: 'hostile', scenario: 'OpenAI converter any split' });
    });

    it('keeps events well-typed for chunks of any shape', async () => {
      const property = fc.asyncProperty(fc.array(hostileOpenAiChunk, { minLength: 1, maxLength: 4 }), fc.boolean(), async (chunks, done) => {
        const body = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
        const { items, error } = await collectUntilError(convertStream(readsOf([body]), silentLogger, 'hostile'));
        assertWellTyped(items);
        if (error !== undefined && !(error instanceof InStreamError)) {
          assertCodedError(error, [...CODED_STREAM_ERRORS, 'output.empty', 'content.blocked', 'server.error']);
        }
      });
      await fc.assert(property, { numRuns: 500, timeout: ITERATION_TIMEOUT_MS });
      recordScenario({ suite: 'hostile', scenario: 'OpenAI chunks of any shape' });
    });

    it('yields events or a coded error for arbitrary bytes', async () => {
      const property = fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), async (reads) => {
        const { items, error } = await collectUntilError(convertStream(readsOf(reads), silentLogger, 'hostile'));
        assertWellTyped(items);
        if (error !== undefined && !(error instanceof InStreamError)) assertCodedError(error, [...CODED_STREAM_ERRORS, 'output.empty']);
      });
      await fc.assert(property, { numRuns: 300, timeout: ITERATION_TIMEOUT_MS });
    });
  });

  describe('Gemini converter', () => {
    const facts = { profileName: 'hostile', model: 'gemini-2.5-flash', apiVersion: 'v1beta', baseUrl: 'http://127.0.0.1:1' };

    it('keeps events well-typed for chunks of any shape', async () => {
      const property = fc.asyncProperty(fc.array(hostileGeminiChunk, { minLength: 1, maxLength: 4 }), fc.boolean(), async (chunks, streamed) => {
        const { items, error } = await collectUntilError(translateAnswer(chunks as never, { streamed, maxOutputTokens: 16, facts: { ...facts } }));
        assertWellTyped(items);
        if (error !== undefined) assertCodedError(error, ['stream.interrupted', 'stream.malformed', 'content.blocked', 'output.empty']);
      });
      await fc.assert(property, { numRuns: 500, timeout: ITERATION_TIMEOUT_MS });
      recordScenario({ suite: 'hostile', scenario: 'Gemini chunks of any shape' });
    });
  });

  describe('endless bodies', () => {
    let server: EndlessServer | undefined;
    let engine: Engine | undefined;

    afterEach(async () => {
      await server?.stop();
      await engine?.close();
      server = undefined;
      engine = undefined;
    });

    /** Creates an engine with one Gemini profile at the server and no retries, so one request reads one body. */
    async function geminiEngine(url: string): Promise<Engine> {
      const created = new Engine({ logger: createRecordingLogger(), retry: { maxAttempts: 1, baseDelayMs: 10, maxBackoffMs: 50 } });
      await created.configure({ profiles: [{ name: 'gemini', kind: 'gemini', baseUrl: url, model: 'gemini-2.5-flash' }] });
      created.setKey('gemini', 'AIza-hostile-test-key-000000000000000');
      return created;
    }

    async function lastError(events: AsyncIterable<ChatEvent>): Promise<ChatEvent> {
      const all = await within(collect(events), 30_000, 'the request');
      return all[all.length - 1]!;
    }

    it('ends a Gemini stream with an endless line', async () => {
      server = await startEndlessServer('text/event-stream', 'data: {"candidates":[{"content":{"parts":[{"text":"', 'x');
      engine = await geminiEngine(server.url);
      const last = await lastError(engine.chat({ profile: 'gemini', messages: [{ role: 'user', content: 'hi' }], stream: true }));
      assert.equal(last.type, 'error', JSON.stringify(last));
      assert.equal(last.type === 'error' && last.error.code, 'stream.malformed', JSON.stringify(last));
      assert.match(last.type === 'error' ? last.error.message : '', /over the limit of 8 MiB/);
      recordScenario({ suite: 'hostile', scenario: 'Gemini endless stream line', figures: { bytesSentBeforeStop: server.bytesWritten() } });
    });

    it('ends a complete Gemini answer without end', async () => {
      server = await startEndlessServer('application/json', '{"candidates":[{"content":{"parts":[{"text":"', 'x');
      engine = await geminiEngine(server.url);
      const last = await lastError(engine.chat({ profile: 'gemini', messages: [{ role: 'user', content: 'hi' }], stream: false }));
      assert.equal(last.type, 'error', JSON.stringify(last));
      assert.equal(last.type === 'error' && last.error.code, 'stream.malformed', JSON.stringify(last));
      assert.match(last.type === 'error' ? last.error.message : '', new RegExp(`over the limit of ${MAX_COMPLETE_BODY_BYTES / 1024 / 1024} MiB`));
      recordScenario({ suite: 'hostile', scenario: 'Gemini endless complete answer', figures: { bytesSentBeforeStop: server.bytesWritten() } });
    });

    it('ends a Gemini model list without end', async () => {
      server = await startEndlessServer('application/json', '{"models":[', '{"name":"models/x"},');
      engine = await geminiEngine(server.url);
      const error = await within(
        engine.listModels('gemini').then(
          () => undefined,
          (thrown: unknown) => thrown,
        ),
        30_000,
        'the model list',
      );
      assertCodedError(error, ['stream.malformed']);
    });

    it('ends an OpenAI model list without end', async () => {
      server = await startEndlessServer('application/json', '{"object":"list","data":[', '{"id":"gpt-x","object":"model","created":0,"owned_by":"x"},');
      engine = new Engine({ logger: createRecordingLogger(), retry: { maxAttempts: 1, baseDelayMs: 10, maxBackoffMs: 50 } });
      await engine.configure({ profiles: [{ name: 'openai', kind: 'openai-compatible', baseUrl: `${server.url}/v1`, model: 'gpt-x' }] });
      const error = await within(
        engine.listModels('openai').then(
          () => undefined,
          (thrown: unknown) => thrown,
        ),
        30_000,
        'the model list',
      );
      assertCodedError(error, ['stream.malformed']);
      assert.match((error as Error).message, new RegExp(`over the limit of ${MAX_COMPLETE_BODY_BYTES / 1024 / 1024} MiB`));
      recordScenario({ suite: 'hostile', scenario: 'OpenAI endless model list', figures: { bytesSentBeforeStop: server.bytesWritten() } });
    });

    it('ends an Ollama model list without end', async () => {
      server = await startEndlessServer('application/json', '{"models":[', '{"name":"llama3.2:latest","size":1},');
      const profile = parseProfile({ name: 'ollama', preset: 'ollama', baseUrl: `${server.url}/v1`, model: 'llama3.2' });
      const context: AdapterContext = { profile, fetch: globalThis.fetch, signal: new AbortController().signal, logger: silentLogger, requestId: 'hostile' };
      const error = await within(
        listOllamaModels(profile, context).then(
          () => undefined,
          (thrown: unknown) => thrown,
        ),
        30_000,
        'the Ollama model list',
      );
      assertCodedError(error, ['stream.malformed']);
      assert.match((error as Error).message, /a model list over the limit/);
      recordScenario({ suite: 'hostile', scenario: 'Ollama endless model list', figures: { bytesSentBeforeStop: server.bytesWritten() } });
    });
  });
});
