import * as assert from 'node:assert/strict';

import { DEFAULT_ANSWER } from '../emulator/answer';
import { answerText, errorOf, eventsOfType, reasoningText } from './support/helpers';
import { PROFILE, startHarness, type Harness, type HarnessOptions } from './support/harness';

const OPENAI_KEY = 'sk-proj-emulatorKey0123456789';

// Small timeouts so the timer paths run in well under a second.
const SHORT_TIMEOUTS = { firstByteTimeoutMs: 300, localFirstByteTimeoutMs: 300, idleTimeoutMs: 300 };

describe('OpenAI adapter through the engine', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  async function start(options: HarnessOptions = {}): Promise<Harness> {
    harness = await startHarness(options);
    return harness;
  }

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  describe('answers', () => {
    it('streams the answer as text events', async () => {
      const { chat, emulator } = await start();
      const events = await chat();
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.ok(eventsOfType(events, 'text').length > 1, 'more than one text event');
      assert.equal(emulator.requests[0]!.json.stream, true);
      assert.deepEqual(emulator.requests[0]!.json.stream_options, { include_usage: true });
    });

    it('ends a streamed answer with its finish reason', async () => {
      const { chat } = await start();
      const events = await chat();
      const end = events[events.length - 1];
      assert.equal(end?.type, 'end');
      assert.equal(end.type === 'end' && end.finishReason, 'stop');
    });

    it('reports usage of a streamed answer', async () => {
      const { chat } = await start();
      const [usage] = eventsOfType(await chat(), 'usage');
      assert.equal(usage?.usage.inputTokens, 2);
      assert.equal(usage?.usage.outputTokens, 5);
    });

    it('returns a non-streamed answer as one text event', async () => {
      const { chat, emulator } = await start();
      const events = await chat({ stream: false });
      assert.deepEqual(eventsOfType(events, 'text'), [{ type: 'text', text: DEFAULT_ANSWER }]);
      assert.equal(emulator.requests[0]!.json.stream, false);
      assert.equal(eventsOfType(events, 'usage')[0]?.usage.outputTokens, 5);
    });

    it('maps a length finish reason', async () => {
      const { chat, emulator } = await start();
      emulator.script({ finishReason: 'length' });
      const events = await chat();
      const end = eventsOfType(events, 'end')[0];
      assert.equal(end?.finishReason, 'length');
    });

    it('routes reasoning deltas to reasoning events', async () => {
      const { chat, emulator } = await start();
      emulator.script({ reasoning: 'The user greets me.' });
      const events = await chat();
      assert.equal(reasoningText(events), 'The user greets me.');
      assert.equal(answerText(events), DEFAULT_ANSWER);
    });

    it('routes reasoning of a non-streamed answer', async () => {
      const { chat, emulator } = await start();
      emulator.script({ reasoning: 'Short thought.' });
      const events = await chat({ stream: false });
      assert.equal(reasoningText(events), 'Short thought.');
      assert.equal(answerText(events), DEFAULT_ANSWER);
    });

    it('sends the model, temperature and output limit', async () => {
      const { chat, emulator } = await start();
      await chat({ model: 'llama3.2', temperature: 0.2, maxOutputTokens: 64, stop: ['END'] });
      const body = emulator.requests[0]!.json;
      assert.equal(body.model, 'llama3.2');
      assert.equal(body.temperature, 0.2);
      assert.equal(body.max_tokens, 64);
      assert.deepEqual(body.stop, ['END']);
    });

    it('returns request.invalid for a request without messages', async () => {
      const { chat, emulator } = await start();
      const error = errorOf(await chat({ messages: [] }));
      assert.equal(error?.code, 'request.invalid');
      assert.equal(emulator.requests.length, 0);
    });

    it('returns config.profile_not_found for an unknown profile', async () => {
      const { chat } = await start();
      const error = errorOf(await chat({ profile: 'missing' }));
      assert.equal(error?.code, 'config.profile_not_found');
    });

    it('sends max_completion_tokens to OpenAI reasoning models', async () => {
      const { chat, emulator } = await start({
        emulator: { apiKey: OPENAI_KEY, models: ['gpt-5'] },
        key: OPENAI_KEY,
        profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-5' }),
      });
      await chat({ maxOutputTokens: 64, temperature: 0.2 });
      const body = emulator.requests[0]!.json;
      assert.equal(body.max_completion_tokens, 64);
      assert.equal(body.max_tokens, undefined);
      assert.equal(body.temperature, undefined);
    });
  });

  describe('authentication', () => {
    it('sends the OpenAI key as a bearer token', async () => {
      const { chat, emulator } = await start({
        emulator: { apiKey: OPENAI_KEY },
        key: OPENAI_KEY,
        profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }),
      });
      const events = await chat();
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(emulator.requests[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`);
    });

    it('sends Azure requests to the deployment with api-key', async () => {
      const key = '0123456789abcdef0123456789abcdef';
      const { chat, emulator } = await start({
        emulator: { apiKey: key },
        key,
        profile: (url) => ({ name: PROFILE, kind: 'azure-openai', baseUrl: url, model: 'gpt-4o-mini', apiVersion: '2024-10-21' }),
      });
      const events = await chat();
      assert.equal(answerText(events), DEFAULT_ANSWER);
      const request = emulator.requests[0]!;
      assert.equal(request.path, '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21');
      assert.equal(request.headers['api-key'], key);
      assert.equal(request.headers.authorization, undefined);
    });

    it('lets a local server run without a key', async () => {
      const { chat } = await start();
      const events = await chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
    });

    it('sends nothing to OpenAI without a key', async () => {
      const { chat, emulator } = await start({
        profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }),
      });
      const error = errorOf(await chat());
      assert.equal(error?.code, 'auth.missing_key');
      assert.match(error.message, /"test"/);
      assert.match(error.fix.join(' '), /OPENAI_API_KEY/);
      assert.equal(emulator.requests.length, 0);
    });

    for (const [label, key, fact] of [
      ['white space around it', ' sk-proj-abcdef0123456789\n', /white space/],
      ['white space inside it', 'sk-proj-abc def0123456789', /white space/],
      ['quotes around it', '"sk-proj-abcdef0123456789"', /quotes/],
      ['a URL in place of a key', 'https://api.openai.com/v1', /URL/],
    ] as const) {
      it(`rejects a key with ${label} before sending`, async () => {
        const { chat, emulator } = await start({
          key,
          profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }),
        });
        const error = errorOf(await chat());
        assert.equal(error?.code, 'config.invalid');
        assert.match(error.message, fact);
        assert.ok(!error.message.includes(key.trim()), 'the key is not in the message');
        assert.equal(emulator.requests.length, 0);
      });
    }
  });

  describe('streams cut off', () => {
    it('keeps partial text without retry', async () => {
      const { chat, emulator } = await start();
      // Pieces: the role chunk, "Hello", " from", then the connection is cut.
      emulator.script({ closeAfterChunks: 3 });
      const events = await chat();
      const error = errorOf(events);
      assert.equal(error?.code, 'stream.interrupted');
      assert.equal(error.partialText, 'Hello from');
      assert.equal(answerText(events), 'Hello from');
      assert.equal(eventsOfType(events, 'retry').length, 0);
      assert.equal(emulator.requests.length, 1);
    });

    it('retries a stream cut before any text', async () => {
      const { chat, emulator } = await start();
      emulator.script({ closeAfterChunks: 1 });
      const events = await chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(eventsOfType(events, 'retry')[0]?.code, 'stream.interrupted');
      assert.equal(emulator.requests.length, 2);
    });

    it('retries a connection cut right after the headers', async () => {
      const { chat, emulator } = await start();
      emulator.script({ closeAfterChunks: 0 });
      const events = await chat();
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(emulator.requests.length, 2);
    });

    it('retries a connection reset before any response', async () => {
      const { chat, emulator } = await start();
      emulator.script({ resetBeforeResponse: true });
      const events = await chat();
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(eventsOfType(events, 'retry')[0]?.code, 'network.reset');
    });

    it('survives an answer split into 3-byte reads', async () => {
      const { chat, emulator } = await start({ emulator: { answer: 'Grüße, 修复方法 🙂' } });
      emulator.script({ splitEveryBytes: 3 });
      const events = await chat();
      assert.equal(answerText(events), 'Grüße, 修复方法 🙂');
    });
  });

  describe('errors inside a 200 response', () => {
    const chunk = (content: string) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1739458867, model: 'local', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

    it('maps a llama.cpp error field to its code', async () => {
      const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'llamacpp', baseUrl: `${url}/v1`, model: 'local' }) });
      // llama.cpp's server wrote task errors of a stream as an `error:` field with its own error body.
      emulator.script({
        chunks: ['error: {"code":400,"message":"the request exceeds the available context size. try increasing the context size or enable context shift","type":"invalid_request_error"}\n\n'],
      });
      const events = await chat();
      const error = errorOf(events);
      assert.equal(error?.code, 'request.context_too_long');
      assert.equal(error.retryable, false);
      assert.match(error.message, /llama\.cpp/);
      assert.equal(emulator.requests.length, 1);
    });

    it('maps llama.cpp error after text', async () => {
      const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'llamacpp', baseUrl: `${url}/v1`, model: 'local' }) });
      emulator.script({ chunks: [chunk('Partial'), 'error: {"code":500,"message":"Internal Server Error","type":"server_error"}\n\n'] });
      const error = errorOf(await chat());
      assert.equal(error?.code, 'server.error');
      assert.equal(error.partialText, 'Partial');
      assert.equal(emulator.requests.length, 1);
    });

    it('maps an OpenRouter error chunk', async () => {
      const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'openrouter', baseUrl: `${url}/v1`, model: 'openai/gpt-4o-mini' }), key: 'sk-or-v1-0123456789abcdef' });
      // OpenRouter sends errors that happen after the response started as a chunk with an
      // `error` object and finish_reason "error", still with status 200.
      const errorChunk = {
        id: 'gen-1',
        object: 'chat.completion.chunk',
        created: 1739458867,
        model: 'openai/gpt-4o-mini',
        provider: 'OpenAI',
        error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
      };
      emulator.script({ chunks: [chunk('Once upon'), `data: ${JSON.stringify(errorChunk)}\n\n`] });
      const events = await chat();
      const error = errorOf(events);
      assert.equal(error?.code, 'server.error');
      assert.equal(error.providerCode, 'server_error');
      assert.match(error.message, /Provider disconnected unexpectedly/);
      assert.equal(error.partialText, 'Once upon');
      assert.equal(emulator.requests.length, 1);
    });

    it('maps an in-stream OpenRouter rate limit', async () => {
      const { chat, emulator } = await start({
        engine: { retry: { maxAttempts: 1 } },
        emulator: { models: ['openai/gpt-4o-mini'] },
        profile: (url) => ({ name: PROFILE, preset: 'openrouter', baseUrl: `${url}/v1`, model: 'openai/gpt-4o-mini' }),
        key: 'sk-or-v1-0123456789abcdef',
      });
      emulator.script({ errorInStream: { afterChunks: 0, data: { error: { code: 429, message: 'Rate limit exceeded: free-models-per-min.' } } } });
      const error = errorOf(await chat());
      assert.equal(error?.code, 'rate_limited');
      assert.equal(error.retryable, true);
    });

    it('reads LM Studio\'s 200 error body as a wrong base URL', async () => {
      const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'lmstudio', baseUrl: url, model: 'any-model-name' }) });
      emulator.replayCase('F24');
      const error = errorOf(await chat());
      assert.equal(error?.code, 'config.base_url');
      assert.equal(error.retryable, false);
      assert.match(error.message, /LM Studio/);
      assert.ok(error.fix.join(' ').includes(`${emulator.url}/v1`), 'the fix names the base URL with /v1');
      assert.equal(emulator.requests.length, 1);
    });
  });

  describe('cancellation and timeouts', () => {
    it('closes the upstream socket when cancelled', async () => {
      const { engine, emulator } = await start();
      emulator.script({ delayBetweenChunksMs: 200 });
      const controller = new AbortController();
      const closed = emulator.waitForClose(3000);
      const events = [];
      for await (const event of engine.chat({ profile: PROFILE, messages: [{ role: 'user', content: 'Hi' }] }, controller.signal)) {
        events.push(event);
        if (event.type === 'text') controller.abort();
      }
      await closed;
      assert.equal(errorOf(events)?.code, 'cancelled');
      assert.equal(errorOf(events)?.partialText, 'Hello');
    });

    it('returns cancelled for an aborted signal', async () => {
      const { chat, emulator } = await start();
      const events = await chat({}, AbortSignal.abort());
      assert.equal(errorOf(events)?.code, 'cancelled');
      assert.equal(emulator.requests.length, 0);
    });

    it('raises timeout.first_byte when no response starts', async () => {
      const { chat, emulator } = await start({ engine: { network: SHORT_TIMEOUTS } });
      emulator.script({ neverRespond: true });
      const events = await chat();
      const error = errorOf(events);
      assert.equal(error?.code, 'timeout.first_byte');
      assert.match(error.message, /127\.0\.0\.1/);
      assert.equal(emulator.requests.length, 1);
    });

    it('raises timeout.idle when a stream stalls', async () => {
      const { chat, emulator } = await start({ engine: { network: SHORT_TIMEOUTS } });
      emulator.script({ delayBetweenChunksMs: 2000 });
      const error = errorOf(await chat());
      assert.equal(error?.code, 'timeout.idle');
    });

    it('ends a hung request at its deadline', async () => {
      const { chat, emulator } = await start({ engine: { network: { deadlineMs: 400 } } });
      emulator.script({ neverRespond: true });
      const closed = emulator.waitForClose(3000);
      const error = errorOf(await chat());
      assert.equal(error?.code, 'timeout.deadline');
      await closed;
    });
  });

  describe('models', () => {
    it('lists the models of an OpenAI-compatible server', async () => {
      const { engine } = await start();
      const models = await engine.listModels(PROFILE);
      assert.deepEqual(
        models.map((model) => model.id),
        ['gemini-2.5-flash', 'gemini-2.5-pro', 'gpt-4o', 'gpt-4o-mini', 'llama3.2'],
      );
    });

    it('lists Ollama models with sizes from /api/tags', async () => {
      const { engine, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'ollama', baseUrl: `${url}/v1`, model: 'llama3.2' }) });
      const models = await engine.listModels(PROFILE);
      assert.equal(emulator.requests[0]!.path, '/api/tags');
      assert.ok(models.some((model) => model.id === 'llama3.2:latest'));
      assert.ok(models.every((model) => typeof model.sizeBytes === 'number' && model.sizeBytes > 0));
    });

    it('leaves no timer behind after a failed lookup', async () => {
      const { engine } = await start({ profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }) });
      const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
      const before = timers();
      await assert.rejects(engine.listModels('missing'), (error: { code?: string }) => error.code === 'config.profile_not_found');
      await assert.rejects(engine.listModels(PROFILE), (error: { code?: string }) => error.code === 'auth.missing_key');
      assert.equal(timers(), before);
    });

    it('raises auth.invalid_key for a rejected key', async () => {
      const { engine } = await start({
        emulator: { apiKey: OPENAI_KEY },
        key: 'sk-proj-wrongKey0123456789',
        profile: (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }),
      });
      await assert.rejects(engine.listModels(PROFILE), (error: { code?: string }) => error.code === 'auth.invalid_key');
    });
  });
});
