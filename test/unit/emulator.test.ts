/**
 * Fidelity of the provider emulator: the official SDKs parse what it sends and turn its error
 * bodies into their usual errors, and its scripted faults do what they promise.
 */

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

import OpenAI, { APIError, AzureOpenAI } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';

import { loadCases } from '../emulator/cases';
import { Emulator } from '../emulator/emulator';
import { generateCertificates } from '../emulator/tls';

// @google/genai ships its Node types as an ES module, so this CommonJS test loads it with import().
type GenAiModule = typeof import('@google/genai', { with: { 'resolution-mode': 'import' } });
let genai: GenAiModule;

const KEY = 'sk-emulator-test-0123456789';
const DEFAULT_ANSWER = 'Hello from the Switchboard emulator.';
const USER_MESSAGE = [{ role: 'user' as const, content: 'Say hello to the test' }];

function openAiClient(emulator: Emulator, apiKey = KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${emulator.url}/v1`, maxRetries: 0 });
}

function genAiClient(emulator: Emulator, apiKey = KEY, apiVersion?: string): InstanceType<GenAiModule['GoogleGenAI']> {
  return new genai.GoogleGenAI({ apiKey, httpOptions: { baseUrl: emulator.url, ...(apiVersion ? { apiVersion } : {}) } });
}

/** Polls a condition every 5 ms until it holds; fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function streamedText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>, collected: string[] = []): Promise<string> {
  for await (const chunk of stream) {
    collected.push(chunk.choices[0]?.delta.content ?? '');
  }
  return collected.join('');
}

describe('emulator', () => {
  before(async () => {
    genai = await import('@google/genai');
  });

  describe('OpenAI routes with the openai SDK', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await Emulator.start({ apiKey: KEY });
    });
    afterEach(() => emulator.reset());
    after(() => emulator.stop());

    it('returns a chat completion with usage', async () => {
      const completion = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE });

      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.model, 'gpt-4o-mini');
      assert.equal(completion.choices[0]?.message.content, DEFAULT_ANSWER);
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      assert.equal(completion.usage?.prompt_tokens, 5);
      assert.equal(completion.usage?.completion_tokens, 5);
      assert.equal(completion.usage?.total_tokens, 10);
    });

    it('streams one chunk per token, then usage and [DONE]', async () => {
      const stream = await openAiClient(emulator).chat.completions.create({
        model: 'gpt-4o',
        messages: USER_MESSAGE,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
      }

      const contents = chunks.map((chunk) => chunk.choices[0]?.delta.content).filter((content) => content);
      assert.deepEqual(contents, ['Hello', ' from', ' the', ' Switchboard', ' emulator.']);
      assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
      assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
      assert.deepEqual(chunks.at(-1)?.choices, []);
      assert.equal(chunks.at(-1)?.usage?.completion_tokens, 5);
      assert.match(emulator.requests[0]?.body ?? '', /"stream":true/);
    });

    it('lists the configured models', async () => {
      const page = await openAiClient(emulator).models.list();

      assert.deepEqual(
        page.data.map((model) => model.id),
        ['gpt-4o-mini', 'gpt-4o', 'gemini-2.5-flash', 'gemini-2.5-pro', 'llama3.2'],
      );
      assert.equal(page.data[0]?.object, 'model');
    });

    it('rejects a wrong key with invalid_api_key', async () => {
      const error = await openAiClient(emulator, 'sk-wrong-key-000000')
        .chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );

      assert.ok(error instanceof APIError, `expected APIError, got ${String(error)}`);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'invalid_api_key');
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.requestID ?? '', /^req_[0-9a-f]{32}$/);
      assert.doesNotMatch(error.message, /sk-wrong-key-000000/);
    });

    it('rejects a request without a key like OpenAI does', async () => {
      const response = await postJson(`${emulator.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: USER_MESSAGE });
      const body = (await response.json()) as { error: { message: string; code: unknown } };

      assert.equal(response.status, 401);
      assert.match(body.error.message, /^You didn't provide an API key\./);
      assert.equal(body.error.code, null);
    });

    it('answers an unknown model with model_not_found', async () => {
      const error = await openAiClient(emulator)
        .chat.completions.create({ model: 'gpt-9', messages: USER_MESSAGE })
        .catch((caught: unknown) => caught);

      assert.ok(error instanceof APIError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'model_not_found');
    });

    it('truncates at max_tokens with finish reason length', async () => {
      const completion = await openAiClient(emulator).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: USER_MESSAGE,
        max_tokens: 2,
      });

      assert.equal(completion.choices[0]?.message.content, 'Hello from');
      assert.equal(completion.choices[0]?.finish_reason, 'length');
      assert.equal(completion.usage?.completion_tokens, 2);
    });

    it('streams reasoning_content deltas before the answer', async () => {
      emulator.script({ reasoning: 'Think first.', answer: 'Done.' });
      const stream = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE, stream: true });
      const reasoning: string[] = [];
      const answer: string[] = [];
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
        reasoning.push(delta?.reasoning_content ?? '');
        answer.push(delta?.content ?? '');
      }

      assert.equal(reasoning.join(''), 'Think first.');
      assert.equal(answer.join(''), 'Done.');
    });

    it('records method, path, headers and body', async () => {
      await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE });

      const recorded = emulator.requests[0];
      assert.equal(recorded?.method, 'POST');
      assert.equal(recorded?.path, '/v1/chat/completions');
      assert.equal(recorded?.headers['authorization'], `Bearer ${KEY}`);
      assert.equal(recorded?.json.model, 'gpt-4o-mini');
    });
  });

  describe('Azure OpenAI routes with the AzureOpenAI client', () => {
    const API_VERSION = '2024-10-21';
    let emulator: Emulator;
    let client: AzureOpenAI;
    before(async () => {
      emulator = await Emulator.start({ apiKey: KEY });
      client = new AzureOpenAI({ endpoint: emulator.url, apiKey: KEY, apiVersion: API_VERSION, maxRetries: 0 });
    });
    afterEach(() => emulator.reset());
    after(() => emulator.stop());

    it('returns a chat completion from a deployment', async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE });

      assert.equal(completion.choices[0]?.message.content, DEFAULT_ANSWER);
      assert.equal(emulator.requests[0]?.path, `/openai/deployments/gpt-4o-mini/chat/completions?api-version=${API_VERSION}`);
      assert.equal(emulator.requests[0]?.headers['api-key'], KEY);
    });

    it('streams past the prompt filter chunk with empty choices', async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: USER_MESSAGE, stream: true });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
      }

      assert.deepEqual(chunks[0]?.choices, []);
      assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), DEFAULT_ANSWER);
    });

    it('lists models', async () => {
      const page = await client.models.list();

      assert.equal(page.data.length, 5);
      assert.equal(page.data[0]?.id, 'gpt-4o-mini');
      assert.equal(emulator.requests[0]?.path, `/openai/models?api-version=${API_VERSION}`);
    });

    it('answers a missing api-version with 404 Resource not found', async () => {
      const response = await postJson(`${emulator.url}/openai/deployments/gpt-4o/chat/completions`, { messages: USER_MESSAGE }, { 'api-key': KEY });

      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), { error: { code: '404', message: 'Resource not found' } });
    });

    it('rejects a wrong api-key with 401', async () => {
      const wrongKeyClient = new AzureOpenAI({ endpoint: emulator.url, apiKey: 'wrong', apiVersion: API_VERSION, maxRetries: 0 });
      const error = await wrongKeyClient.chat.completions.create({ model: 'gpt-4o', messages: USER_MESSAGE }).catch((caught: unknown) => caught);

      assert.ok(error instanceof APIError);
      assert.equal(error.status, 401);
      assert.equal(error.code, '401');
    });

    it('answers an unknown deployment with DeploymentNotFound', async () => {
      const error = await client.chat.completions.create({ model: 'nope', messages: USER_MESSAGE }).catch((caught: unknown) => caught);

      assert.ok(error instanceof APIError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'DeploymentNotFound');
    });
  });

  describe('Gemini routes with the @google/genai SDK', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await Emulator.start({ apiKey: KEY });
    });
    afterEach(() => emulator.reset());
    after(() => emulator.stop());

    it('returns generateContent with usage metadata', async () => {
      const response = await genAiClient(emulator).models.generateContent({ model: 'gemini-2.5-flash', contents: 'Say hello to the test' });

      assert.equal(response.text, DEFAULT_ANSWER);
      assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
      assert.equal(response.usageMetadata?.promptTokenCount, 5);
      assert.equal(response.usageMetadata?.candidatesTokenCount, 5);
      assert.equal(response.modelVersion, 'gemini-2.5-flash');
      assert.ok(response.responseId);
      assert.equal(emulator.requests[0]?.path, '/v1beta/models/gemini-2.5-flash:generateContent');
      assert.equal(emulator.requests[0]?.headers['x-goog-api-key'], KEY);
    });

    it('streams thought parts before the answer', async () => {
      emulator.script({ reasoning: 'Weighing the greeting.' });
      const stream = await genAiClient(emulator).models.generateContentStream({
        model: 'gemini-2.5-pro',
        contents: 'Say hello',
        config: { thinkingConfig: { includeThoughts: true } },
      });
      const thoughts: string[] = [];
      const answer: string[] = [];
      const finishReasons: unknown[] = [];
      let thoughtsTokenCount: number | undefined;
      for await (const chunk of stream) {
        for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
          (part.thought ? thoughts : answer).push(part.text ?? '');
        }
        finishReasons.push(chunk.candidates?.[0]?.finishReason);
        thoughtsTokenCount = chunk.usageMetadata?.thoughtsTokenCount;
      }

      assert.equal(thoughts.join(''), 'Weighing the greeting.');
      assert.equal(answer.join(''), DEFAULT_ANSWER);
      assert.equal(finishReasons.at(-1), 'STOP');
      assert.equal(finishReasons.filter((reason) => reason !== undefined).length, 1);
      assert.equal(thoughtsTokenCount, 3);
      assert.match(emulator.requests[0]?.path ?? '', /:streamGenerateContent\?alt=sse$/);
    });

    it('hides thought parts unless includeThoughts is set', async () => {
      emulator.script({ reasoning: 'Hidden thinking.' });
      const response = await genAiClient(emulator).models.generateContent({ model: 'gemini-2.5-pro', contents: 'Say hello' });

      assert.equal(response.candidates?.[0]?.content?.parts?.some((part) => part.thought), false);
      assert.equal(response.usageMetadata?.thoughtsTokenCount, 2);
    });

    it('stops at maxOutputTokens with MAX_TOKENS', async () => {
      const response = await genAiClient(emulator).models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'Say hello',
        config: { maxOutputTokens: 3 },
      });

      assert.equal(response.text, 'Hello from the');
      assert.equal(response.candidates?.[0]?.finishReason, 'MAX_TOKENS');
    });

    it('lists models with generation methods', async () => {
      const pager = await genAiClient(emulator).models.list();
      const models = [];
      for await (const model of pager) {
        models.push(model);
      }

      assert.equal(models.length, 5);
      assert.equal(models[2]?.name, 'models/gemini-2.5-flash');
      assert.ok(models[2]?.supportedActions?.includes('generateContent'));
      assert.equal(typeof models[2]?.inputTokenLimit, 'number');
    });

    it('rejects a wrong key with 400 API_KEY_INVALID', async () => {
      const error = await genAiClient(emulator, 'wrong-key')
        .models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
        .catch((caught: unknown) => caught);

      assert.ok(error instanceof genai.ApiError, `expected ApiError, got ${String(error)}`);
      assert.equal(error.status, 400);
      assert.match(error.message, /API_KEY_INVALID/);
    });

    it('answers an unknown model with 404 NOT_FOUND', async () => {
      const error = await genAiClient(emulator)
        .models.generateContent({ model: 'gemini-pro', contents: 'hi' })
        .catch((caught: unknown) => caught);

      assert.ok(error instanceof genai.ApiError);
      assert.equal(error.status, 404);
      assert.match(error.message, /models\/gemini-pro is not found for API version v1beta/);
    });

    it('streams a JSON array without alt=sse', async () => {
      const response = await postJson(`${emulator.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, { contents: [{ parts: [{ text: 'hi' }] }] }, { 'x-goog-api-key': KEY });
      const body = (await response.json()) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> } }> }>;

      assert.equal(body.length, 5);
      assert.equal(body.map((item) => item.candidates[0]?.content.parts[0]?.text).join(''), DEFAULT_ANSWER);
    });

    it('delivers errorInStream to the SDK as ApiError', async () => {
      emulator.script({ errorInStream: { afterChunks: 1, data: { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } } } });
      const stream = await genAiClient(emulator).models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' });
      const texts: string[] = [];
      const error = await (async () => {
        for await (const chunk of stream) {
          texts.push(chunk.text ?? '');
        }
      })().catch((caught: unknown) => caught);

      assert.ok(error instanceof genai.ApiError, `expected ApiError, got ${String(error)}`);
      assert.equal(error.status, 500);
      assert.deepEqual(texts, ['Hello']);
    });

    it('serves the Gemini models list on v1 beside the OpenAI one', async () => {
      const pager = await genAiClient(emulator, KEY, 'v1').models.list();
      const names: Array<string | undefined> = [];
      for await (const model of pager) {
        names.push(model.name);
      }
      const openAiPage = await openAiClient(emulator).models.list();

      assert.equal(names[0], 'models/gpt-4o-mini');
      assert.equal(emulator.requests[0]?.path.split('?')[0], '/v1/models');
      assert.equal(openAiPage.data[0]?.id, 'gpt-4o-mini');
    });

    it('rejects systemInstruction on v1 but accepts it on v1beta', async () => {
      const request = { model: 'gemini-2.5-flash', contents: 'hi', config: { systemInstruction: 'Be brief.' } };
      const error = await genAiClient(emulator, KEY, 'v1')
        .models.generateContent(request)
        .catch((caught: unknown) => caught);
      const response = await genAiClient(emulator).models.generateContent(request);

      assert.ok(error instanceof genai.ApiError);
      assert.equal(error.status, 400);
      assert.match(error.message, /Unknown name \\"systemInstruction\\"/);
      assert.equal(response.text, DEFAULT_ANSWER);
    });
  });

  describe('Ollama native routes', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await Emulator.start();
    });
    afterEach(() => emulator.reset());
    after(() => emulator.stop());

    it('lists models in /api/tags with details', async () => {
      const body = (await (await fetch(`${emulator.url}/api/tags`)).json()) as { models: Array<Record<string, unknown>> };
      const llama = body.models.find((model) => model['name'] === 'llama3.2:latest');

      assert.equal(llama?.['model'], 'llama3.2:latest');
      assert.equal(typeof llama?.['size'], 'number');
      assert.equal((llama?.['details'] as Record<string, unknown>)['format'], 'gguf');
    });

    it('reports a version', async () => {
      const body = (await (await fetch(`${emulator.url}/api/version`)).json()) as { version: string };

      assert.match(body.version, /^0\.\d+\.\d+$/);
    });

    it('streams /api/chat as NDJSON ending with done', async () => {
      const response = await postJson(`${emulator.url}/api/chat`, { model: 'llama3.2', messages: USER_MESSAGE });
      const lines = (await response.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);

      assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
      assert.equal(lines.slice(0, -1).map((line) => line['message'].content).join(''), DEFAULT_ANSWER);
      assert.ok(lines.slice(0, -1).every((line) => line['done'] === false));
      assert.equal(lines.at(-1)?.['done'], true);
      assert.equal(lines.at(-1)?.['done_reason'], 'stop');
      assert.equal(lines.at(-1)?.['eval_count'], 5);
    });

    it('frames errorInStream as an NDJSON error line', async () => {
      emulator.script({ errorInStream: { afterChunks: 1, data: { error: 'model runner has unexpectedly stopped' } } });
      const response = await postJson(`${emulator.url}/api/chat`, { model: 'llama3.2', messages: USER_MESSAGE });
      const lines = (await response.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

      assert.equal(response.status, 200);
      assert.equal(lines.length, 2);
      assert.deepEqual(lines[1], { error: 'model runner has unexpectedly stopped' });
    });

    it('accepts a tagged model name on the OpenAI-compatible route', async () => {
      const completion = await openAiClient(emulator, 'ollama').chat.completions.create({ model: 'llama3.2:latest', messages: USER_MESSAGE });

      assert.equal(completion.choices[0]?.message.content, DEFAULT_ANSWER);
    });

    it('answers an unknown model with the pull hint', async () => {
      const response = await postJson(`${emulator.url}/api/chat`, { model: 'mistral', messages: USER_MESSAGE });

      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), { error: 'model "mistral" not found, try pulling it first' });
    });
  });

  describe('scripts', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await Emulator.start();
    });
    afterEach(() => emulator.reset());
    after(() => emulator.stop());

    async function ask(): Promise<string | null | undefined> {
      const completion = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE });
      return completion.choices[0]?.message.content;
    }

    it('apply once each, in order', async () => {
      emulator.script([{ answer: 'First.' }, { answer: 'Second.' }]);

      assert.equal(await ask(), 'First.');
      assert.equal(await ask(), 'Second.');
      assert.equal(await ask(), DEFAULT_ANSWER);
    });

    it('apply as many times as times says', async () => {
      emulator.script({ answer: 'Again.', times: 2 });

      assert.equal(await ask(), 'Again.');
      assert.equal(await ask(), 'Again.');
      assert.equal(await ask(), DEFAULT_ANSWER);
    });

    it('apply only to matching paths', async () => {
      emulator.script({ match: { path: '/v1/models', method: 'get' }, status: 503, body: { error: { message: 'Overloaded', type: 'server_error', param: null, code: null } } });

      assert.equal(await ask(), DEFAULT_ANSWER);
      const error = await openAiClient(emulator).models.list().catch((caught: unknown) => caught);
      assert.ok(error instanceof APIError);
      assert.equal(error.status, 503);
      assert.equal(await ask(), DEFAULT_ANSWER);
    });

    it('closeAfterChunks cuts the stream before [DONE]', async () => {
      emulator.script({ closeAfterChunks: 3 });
      const stream = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE, stream: true });
      const collected: string[] = [];
      const error = await streamedText(stream, collected).catch((caught: unknown) => caught);

      assert.ok(error instanceof Error, 'expected the stream to fail');
      assert.equal(collected.join(''), 'Hello from');
    });

    it('errorInStream ends a 200 stream with an error event', async () => {
      emulator.script({ errorInStream: { afterChunks: 2, data: { error: { message: 'Upstream overloaded', type: 'server_error', code: 'overloaded' } } } });
      const stream = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE, stream: true });
      const collected: string[] = [];
      const error = await streamedText(stream, collected).catch((caught: unknown) => caught);

      assert.ok(error instanceof APIError, `expected APIError, got ${String(error)}`);
      assert.match(error.message, /Upstream overloaded/);
      assert.equal(collected.join(''), 'Hello');
    });

    it('splitEveryBytes keeps split UTF-8 text intact', async () => {
      const answer = '修复方法 works — ok ✓';
      emulator.script({ answer, splitEveryBytes: 1 });
      const stream = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE, stream: true });

      assert.equal(await streamedText(stream), answer);
    });

    it('sends raw chunks as they are', async () => {
      const event = 'data: {"candidates":[{"content":{"parts":[{"text":"raw"}],"role":"model"},"finishReason":"STOP","index":0}]}\n\n';
      emulator.script({ chunks: [': keep-alive\n\n', event] });
      const response = await postJson(`${emulator.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, { contents: [] });

      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(await response.text(), `: keep-alive\n\n${event}`);
    });

    it('neverRespond holds until the client aborts', async () => {
      emulator.script({ neverRespond: true });
      const controller = new AbortController();
      const outcome = fetch(`${emulator.url}/v1/models`, { signal: controller.signal }).then(
        () => 'answered',
        (error: Error) => error.name,
      );
      await until(() => emulator.requests.length === 1);
      const closedBefore = emulator.closedConnections();

      const closed = emulator.waitForClose(2000);
      controller.abort();
      await closed;

      assert.equal(await outcome, 'AbortError');
      assert.ok(emulator.closedConnections() > closedBefore);
    });

    it('delayBeforeHeadersMs outlasts a client timeout', async () => {
      emulator.script({ delayBeforeHeadersMs: 10_000 });
      const client = new OpenAI({ apiKey: KEY, baseURL: `${emulator.url}/v1`, maxRetries: 0, timeout: 50 });

      await assert.rejects(client.models.list(), OpenAI.APIConnectionTimeoutError);
    });

    it('resetBeforeResponse fails the request without a response', async () => {
      emulator.script({ resetBeforeResponse: true });

      await assert.rejects(fetch(`${emulator.url}/v1/models`), TypeError);
      assert.equal(emulator.requests.length, 1);
    });

    it('rejects invalid script options', () => {
      assert.throws(() => emulator.script({ times: 0 }), /times/);
      assert.throws(() => emulator.script({ body: '{}', chunks: ['x'] }), /body and chunks/);
    });
  });

  describe('replayCase', () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await Emulator.start();
    });
    afterEach(() => emulator.reset());
    after(() => emulator.stop());

    it('replays the recorded body of F01', async () => {
      emulator.replayCase('F01');
      const response = await postJson(`${emulator.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: USER_MESSAGE });
      const expected = (loadCases().get('F01')?.input['response'] as { body: unknown }).body;

      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), expected);
    });

    it('replays the recorded stream of F11 to the genai SDK', async () => {
      emulator.replayCase('F11');
      const stream = await genAiClient(emulator).models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' });
      const chunks = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
      }

      assert.equal(chunks.length, 1);
      assert.equal(chunks[0]?.promptFeedback?.blockReason, 'PROHIBITED_CONTENT');
    });

    it('replays every recorded response with its status', async () => {
      const replayable = [...loadCases().values()].filter((failureCase) => typeof failureCase.input['response'] === 'object');
      for (const failureCase of replayable) {
        emulator.replayCase(failureCase.id);
        const response = await postJson(`${emulator.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: USER_MESSAGE });
        const recordedStatus = String((failureCase.input['response'] as { status?: unknown }).status ?? 200);

        assert.equal(String(response.status), recordedStatus.slice(0, 3), `status of ${failureCase.id}`);
        assert.ok((await response.text()).length > 0, `body of ${failureCase.id}`);
      }
      assert.ok(replayable.length >= 15, `only ${replayable.length} cases have a response`);
    });

    it('refuses a case that records only a network condition', () => {
      assert.throws(() => emulator.replayCase('F13'), /F13 has no recorded response/);
      assert.throws(() => emulator.replayCase('F99'), /Unknown failure case F99/);
    });
  });

  describe('over HTTPS', () => {
    let caPem: string;
    let trusted: Emulator;
    let expired: Emulator;
    let wrongHost: Emulator;
    let agent: Agent;
    before(async () => {
      const material = await generateCertificates();
      const expiredMaterial = await generateCertificates({ expired: true });
      const wrongHostMaterial = await generateCertificates({ hostnames: ['wrong-host.invalid'] });
      caPem = material.caPem;
      trusted = await Emulator.start({ tls: material });
      expired = await Emulator.start({ tls: expiredMaterial });
      wrongHost = await Emulator.start({ tls: wrongHostMaterial });
      agent = new Agent({ connect: { ca: [caPem, expiredMaterial.caPem, wrongHostMaterial.caPem] } });
    });
    after(async () => {
      await agent.close();
      await Promise.all([trusted.stop(), expired.stop(), wrongHost.stop()]);
    });

    async function tlsErrorCode(url: string, dispatcher?: Agent): Promise<unknown> {
      const error = await undiciFetch(`${url}/v1/models`, dispatcher ? { dispatcher } : {}).catch((caught: unknown) => caught);
      assert.ok(error instanceof TypeError, `expected a fetch failure, got ${String(error)}`);
      return (error.cause as { code?: string } | undefined)?.code;
    }

    it('serves the models list to a client that trusts the CA', async () => {
      const response = await undiciFetch(`${trusted.url}/v1/models`, { dispatcher: agent });
      const body = (await response.json()) as { object: string };

      assert.match(trusted.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(response.status, 200);
      assert.equal(body.object, 'list');
    });

    it('is rejected by a client without the CA', async () => {
      const defaultAgent = new Agent();
      try {
        assert.equal(await tlsErrorCode(trusted.url, defaultAgent), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      } finally {
        await defaultAgent.close();
      }
    });

    it('can serve an expired certificate', async () => {
      assert.equal(await tlsErrorCode(expired.url, agent), 'CERT_HAS_EXPIRED');
    });

    it('can serve a certificate for another host', async () => {
      assert.equal(await tlsErrorCode(wrongHost.url, agent), 'ERR_TLS_CERT_ALTNAME_INVALID');
    });
  });

  describe('lifecycle', () => {
    it('listens on ::1 with a bracketed URL', async function () {
      let emulator: Emulator;
      try {
        emulator = await Emulator.start({ host: '::1' });
      } catch (error) {
        if ((error as { code?: string }).code === 'EADDRNOTAVAIL') {
          this.skip();
        }
        throw error;
      }
      try {
        assert.match(emulator.url, /^http:\/\/\[::1\]:\d+$/);
        assert.equal((await fetch(`${emulator.url}/api/version`)).status, 200);
      } finally {
        await emulator.stop();
      }
    });

    it('stop ends requests still in flight', async () => {
      const emulator = await Emulator.start();
      emulator.script({ neverRespond: true });
      const pending = fetch(`${emulator.url}/v1/models`).then(
        () => 'answered',
        () => 'failed',
      );
      await until(() => emulator.requests.length === 1);

      await emulator.stop();

      assert.equal(await pending, 'failed');
      assert.equal(emulator.openConnections(), 0);
    });

    it('paces a stream at tokensPerSecond without changing it', async () => {
      const emulator = await Emulator.start({ tokensPerSecond: 500, answer: 'Paced answer text.' });
      try {
        const stream = await openAiClient(emulator).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_MESSAGE, stream: true });

        assert.equal(await streamedText(stream), 'Paced answer text.');
      } finally {
        await emulator.stop();
      }
    });

    it('waitForClose rejects after its timeout', async () => {
      const emulator = await Emulator.start();
      try {
        await assert.rejects(emulator.waitForClose(20), /No connection to the emulator closed within 20 ms/);
      } finally {
        await emulator.stop();
      }
    });
  });

  describe('command line', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    });

    it('prints its URL, serves HTTPS and stops on SIGTERM', async function () {
      this.timeout(10_000);
      child = spawn(process.execPath, [path.resolve(__dirname, '../emulator/main.js'), '--tls', '--api-key', KEY], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const started = JSON.parse(line) as { url: string; tls: boolean; caFile: string };
      const agent = new Agent({ connect: { ca: readFileSync(started.caFile, 'utf8') } });
      try {
        const response = await undiciFetch(`${started.url}/v1/models`, { dispatcher: agent, headers: { authorization: `Bearer ${KEY}` } });
        assert.equal(response.status, 200);
      } finally {
        await agent.close();
      }

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];

      assert.match(started.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(started.tls, true);
      assert.equal(code, 0, stderr);
      assert.equal(existsSync(started.caFile), false);
      assert.match(stderr, /stopped on SIGTERM; requests served: 1\./);
    });
  });
});
