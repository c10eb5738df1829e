/**
 * Corrective retries: a rejection that names its fix gets the request once more with the fix,
 * without a retry event and without using an attempt, and the fix is remembered per base URL
 * and model in the CapabilityMemory.
 */

import * as assert from 'node:assert/strict';

import { CapabilityMemory, type CapabilitySnapshot, type CapabilityStore } from '../../src/engine/capability-memory';
import { planCorrectiveRetry } from '../../src/engine/corrective-retry';
import { SwitchboardError, type Correction } from '../../src/engine/errors';
import type { AdapterRequest } from '../../src/engine/providers/adapter';
import type { ChatMessage } from '../../src/engine/types';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { caseScript, loadCases } from '../emulator/cases';
import type { Emulator, RecordedRequest, Script } from '../emulator/emulator';
import { answerText, createRecordingLogger, errorOf, eventsOfType } from './support/helpers';
import { PROFILE, startHarness, type Harness, type HarnessOptions } from './support/harness';

const OPENAI_KEY = 'sk-proj-Zx81rQ0aLmN4vB7cD2eF5gH9';
const GEMINI_KEY = 'AIzaTESTKEY0123456789abcdefghij';

/** F14's body, as OpenAI sends it for a reasoning model given max_tokens. */
const MAX_TOKENS_REJECTED: Script = caseScript(loadCases().get('F14')!);

/** The proxy variant of F14: the same message with code invalid_request_body and no type or param. */
const MAX_TOKENS_REJECTED_BY_PROXY: Script = {
  status: 400,
  body: { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", code: 'invalid_request_body' } },
};

const TEMPERATURE_REJECTED: Script = {
  status: 400,
  body: { error: { message: "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.", type: 'invalid_request_error', param: 'temperature', code: 'unsupported_value' } },
};

const SYSTEM_ROLE_REJECTED: Script = {
  status: 400,
  body: { error: { message: "Unsupported value: 'messages[0].role' does not support 'system' with this model.", type: 'invalid_request_error', param: 'messages[0].role', code: 'unsupported_value' } },
};

const WITH_SYSTEM: ChatMessage[] = [
  { role: 'system', content: 'Answer in one sentence.' },
  { role: 'user', content: 'Say hello.' },
];

/** A reasoning model that the built-in name pattern does not know, so the first request sends max_tokens. */
const openAiModel = (model: string) => (url: string) => ({ name: PROFILE, kind: 'openai' as const, baseUrl: `${url}/v1`, model });

function chatBodies(emulator: Emulator): RecordedRequest['json'][] {
  return emulator.requests.filter((request) => request.method === 'POST').map((request) => request.json);
}

describe('corrective retries through the engine', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  async function start(options: HarnessOptions): Promise<Harness> {
    harness = await startHarness(options);
    return harness;
  }

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  for (const stream of [true, false]) {
    const mode = stream ? 'streaming' : 'not streaming';

    it(`F14 resends with max_completion_tokens, ${mode}`, async () => {
      const { chat, emulator, engine, logger } = await start({ key: OPENAI_KEY, profile: openAiModel('codex-mini-latest'), emulator: { models: ['codex-mini-latest'] } });
      emulator.script(MAX_TOKENS_REJECTED);
      const events = await chat({ stream, maxOutputTokens: 64 });
      const [first, second] = chatBodies(emulator);

      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(eventsOfType(events, 'retry').length, 0);
      assert.equal(first.max_tokens, 64);
      assert.equal(second.max_completion_tokens, 64);
      assert.equal(second.max_tokens, undefined);
      assert.ok(logger.lines.some((line) => /^info: .*codex-mini-latest accepts max_completion_tokens instead of max_tokens/.test(line)), 'logged at info');
      assert.equal(engine.capabilities.get(`${emulator.url}/v1`, 'codex-mini-latest').maxTokensField, 'max_completion_tokens');
    });
  }

  it('sends the learned field first next time', async () => {
    const { chat, emulator } = await start({ key: OPENAI_KEY, profile: openAiModel('codex-mini-latest'), emulator: { models: ['codex-mini-latest'] } });
    emulator.script(MAX_TOKENS_REJECTED);
    await chat({ maxOutputTokens: 64 });
    const events = await chat({ maxOutputTokens: 32, messages: [{ role: 'user', content: 'Another question.' }] });
    const bodies = chatBodies(emulator);

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(bodies.length, 3);
    assert.equal(bodies[2].max_completion_tokens, 32);
    assert.equal(bodies[2].max_tokens, undefined);
  });

  it('F14 from a proxy with code invalid_request_body', async () => {
    const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: `${url}/v1`, model: 'gpt-4o' }) });
    emulator.script(MAX_TOKENS_REJECTED_BY_PROXY);
    const events = await chat({ maxOutputTokens: 64 });
    const [, second] = chatBodies(emulator);

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(second.max_completion_tokens, 64);
  });

  it('reports the error when the corrected request fails the same way', async () => {
    const { chat, emulator } = await start({ key: OPENAI_KEY, profile: openAiModel('codex-mini-latest') });
    emulator.script({ ...MAX_TOKENS_REJECTED, times: 2 });
    const events = await chat({ maxOutputTokens: 64 });
    const error = errorOf(events);

    assert.equal(error?.code, 'request.unsupported_parameter');
    assert.match(error.message, /max_completion_tokens/);
    assert.equal(chatBodies(emulator).length, 2);
    assert.equal(eventsOfType(events, 'retry').length, 0);
  });

  it('makes no corrective retry for a request without an output limit', async () => {
    const { chat, emulator } = await start({ key: OPENAI_KEY, profile: openAiModel('codex-mini-latest') });
    emulator.script(MAX_TOKENS_REJECTED);
    const error = errorOf(await chat());

    assert.equal(error?.code, 'request.unsupported_parameter');
    assert.equal(chatBodies(emulator).length, 1);
  });

  it('resends without temperature', async () => {
    const { chat, emulator, engine } = await start({ key: OPENAI_KEY, profile: openAiModel('codex-mini-latest'), emulator: { models: ['codex-mini-latest'] } });
    emulator.script(TEMPERATURE_REJECTED);
    const events = await chat({ temperature: 0.2 });
    const [first, second] = chatBodies(emulator);

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(first.temperature, 0.2);
    assert.equal(second.temperature, undefined);
    assert.equal(engine.capabilities.get(`${emulator.url}/v1`, 'codex-mini-latest').omitTemperature, true);
  });

  it('folds a rejected system message into the first user message', async () => {
    const { chat, emulator } = await start({ key: OPENAI_KEY, profile: openAiModel('o1-mini'), emulator: { models: ['o1-mini'] } });
    emulator.script(SYSTEM_ROLE_REJECTED);
    const events = await chat({ messages: WITH_SYSTEM });
    const [first, second] = chatBodies(emulator);

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.deepEqual(first.messages.map((message: { role: string }) => message.role), ['system', 'user']);
    assert.deepEqual(second.messages, [{ role: 'user', content: 'Answer in one sentence.\n\nSay hello.' }]);
  });

  it('folds system messages for a chat template without a system role', async () => {
    const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'vllm', baseUrl: `${url}/v1`, model: 'llama3.2' }) });
    emulator.script({ status: 400, body: { object: 'error', message: 'System role not supported', type: 'BadRequestError', param: null, code: 400 } });
    const events = await chat({ messages: WITH_SYSTEM, stream: false });
    const [, second] = chatBodies(emulator);

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(second.messages.length, 1);
    assert.equal(second.messages[0].role, 'user');
  });

  it('F15 lowers the output limit to what the context leaves', async () => {
    const { chat, emulator, engine, logger } = await start({ profile: (url) => ({ name: PROFILE, preset: 'vllm', baseUrl: `${url}/v1`, model: 'llama3.2' }) });
    emulator.replayCase('F15');
    const events = await chat({ maxOutputTokens: 10_000 });
    const [first, second] = chatBodies(emulator);

    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(first.max_tokens, 10_000);
    // 16384 in the context, 9591 in the prompt, and a margin of 1 % of the context (164 tokens).
    assert.equal(second.max_tokens, 16_384 - 9_591 - 164);
    assert.equal(eventsOfType(events, 'retry').length, 0);
    assert.ok(logger.lines.some((line) => /^info: .*9591 tokens.*16384-token context.*lowered to 6629/.test(line)), 'the log names the numbers');
    assert.equal(engine.capabilities.get(`${emulator.url}/v1`, 'llama3.2').contextTokens, 16_384);
  });

  it('F15 makes no corrective retry when the prompt alone is too long', async () => {
    const { chat, emulator } = await start({ profile: (url) => ({ name: PROFILE, preset: 'vllm', baseUrl: `${url}/v1`, model: 'llama3.2' }) });
    const message = "This model's maximum context length is 16384 tokens. However, you requested 26384 tokens (16380 in the messages, 10000 in the completion). Please reduce the length of the messages or completion.";
    emulator.script({ status: 400, body: { object: 'error', message, type: 'BadRequestError', param: null, code: 400 } });
    const error = errorOf(await chat({ maxOutputTokens: 10_000 }));

    assert.equal(error?.code, 'request.context_too_long');
    assert.equal(chatBodies(emulator).length, 1);
  });

  it('uses no attempt for a corrective retry', async () => {
    const { chat, emulator } = await start({ key: OPENAI_KEY, profile: openAiModel('codex-mini-latest'), emulator: { models: ['codex-mini-latest'] } });
    const overloaded: Script = { status: 503, body: { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error' } }, times: 2 };
    emulator.script([MAX_TOKENS_REJECTED, overloaded]);
    const events = await chat({ maxOutputTokens: 64 });

    // One corrective retry, then three attempts: two overloaded and one that succeeds.
    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.equal(chatBodies(emulator).length, 4);
    assert.equal(eventsOfType(events, 'retry').length, 2);
  });

  describe('Gemini', () => {
    const gemini = (model: string) => (url: string) => ({ name: PROFILE, kind: 'gemini' as const, baseUrl: url, model });

    for (const stream of [true, false]) {
      it(`leaves out rejected thought summaries and remembers it, ${stream ? 'streaming' : 'not streaming'}`, async () => {
        const { chat, emulator, engine } = await start({ key: GEMINI_KEY, profile: gemini('gemini-2.5-flash') });
        const message = 'Unable to submit request because Thinking_config.include_thoughts is only enabled when thinking is enabled.';
        emulator.script({ status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } });
        const events = await chat({ stream });
        await chat({ stream, messages: [{ role: 'user', content: 'Another question.' }] });
        const bodies = chatBodies(emulator);

        assert.equal(answerText(events), 'Hello from the Switchboard emulator.');
        assert.equal(bodies.length, 3);
        assert.equal(bodies[0].generationConfig.thinkingConfig.includeThoughts, true);
        assert.equal(bodies[1].generationConfig?.thinkingConfig, undefined);
        assert.equal(bodies[2].generationConfig?.thinkingConfig, undefined);
        assert.equal(engine.capabilities.get(emulator.url, 'gemini-2.5-flash').omitThoughtSummaries, true);
      });
    }

    it('folds systemInstruction that a server rejects as unknown', async () => {
      const { chat, emulator } = await start({ key: GEMINI_KEY, profile: gemini('gemini-2.0-flash'), emulator: { models: ['gemini-2.0-flash'] } });
      emulator.replayCase('F08');
      const events = await chat({ messages: WITH_SYSTEM });
      const [first, second] = chatBodies(emulator);

      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.deepEqual(first.systemInstruction, { parts: [{ text: 'Answer in one sentence.' }] });
      assert.equal(second.systemInstruction, undefined);
      assert.equal(second.contents[0].parts[0].text, 'Answer in one sentence.\n\nSay hello.');
    });

    it('reports an unknown field that no correction removes', async () => {
      const { chat, emulator } = await start({ key: GEMINI_KEY, profile: (url) => ({ ...gemini('gemini-2.0-flash')(url), apiVersion: 'v1' }) });
      emulator.replayCase('F08');
      const error = errorOf(await chat());

      assert.equal(error?.code, 'request.api_version');
      assert.match(error.message, /"systemInstruction"/);
      assert.equal(chatBodies(emulator).length, 1);
    });
  });
});

describe('planCorrectiveRetry', () => {
  const request: AdapterRequest = { model: 'o1-mini', messages: WITH_SYSTEM, temperature: 0.2, maxOutputTokens: 500, stream: true };
  const rejected = (correction: Correction) => new SwitchboardError('request.unsupported_parameter', 'Rejected.', { correction });

  it('applies each kind once per request', () => {
    const applied = new Set<Correction['kind']>();
    const first = planCorrectiveRetry(rejected({ kind: 'omitTemperature' }), request, applied);
    const second = planCorrectiveRetry(rejected({ kind: 'omitTemperature' }), first!.request, applied);

    assert.equal(first?.request.capabilities?.omitTemperature, true);
    assert.equal(second, undefined);
  });

  it('skips a correction that changes nothing', () => {
    const withoutSystem = { ...request, messages: [{ role: 'user' as const, content: 'Hi' }] };
    assert.equal(planCorrectiveRetry(rejected({ kind: 'foldSystemMessages' }), withoutSystem, new Set()), undefined);
    assert.equal(planCorrectiveRetry(rejected({ kind: 'lowerMaxOutputTokens', maxOutputTokens: 600, contextTokens: 1000, promptTokens: 300 }), request, new Set()), undefined);
    assert.equal(planCorrectiveRetry(new SwitchboardError('server.error', 'Failed.'), request, new Set()), undefined);
  });

  it('lowers the output limit and learns the context', () => {
    const plan = planCorrectiveRetry(rejected({ kind: 'lowerMaxOutputTokens', maxOutputTokens: 300, contextTokens: 1000, promptTokens: 600 }), request, new Set());
    assert.equal(plan?.request.maxOutputTokens, 300);
    assert.deepEqual(plan?.learned, { contextTokens: 1000 });
  });
});

describe('CapabilityMemory', () => {
  it('keeps entries per base URL and model', () => {
    const memory = new CapabilityMemory();
    memory.learn('http://a/v1', 'm', { omitTemperature: true });
    memory.learn('http://a/v1', 'm', { maxTokensField: 'max_completion_tokens' });

    assert.deepEqual(memory.get('http://a/v1', 'm'), { omitTemperature: true, maxTokensField: 'max_completion_tokens' });
    assert.deepEqual(memory.get('http://b/v1', 'm'), {});
    assert.deepEqual(memory.get('http://a/v1', 'other'), {});
  });

  it('drops the least recently used entry beyond maxEntries', () => {
    const memory = new CapabilityMemory({ maxEntries: 2 });
    memory.learn('u', 'one', { omitTemperature: true });
    memory.learn('u', 'two', { omitTemperature: true });
    memory.get('u', 'one');
    memory.learn('u', 'three', { omitTemperature: true });

    assert.deepEqual(memory.snapshot().entries.map((entry) => entry.model), ['one', 'three']);
  });

  it('saves to its store and restores from it', async () => {
    const saved: CapabilitySnapshot[] = [];
    const store: CapabilityStore = { load: () => saved.at(-1), save: (snapshot) => void saved.push(snapshot) };
    const first = new CapabilityMemory({ store });
    first.learn('http://a/v1', 'm', { foldSystemMessages: true, contextTokens: 8192 });
    await new Promise((resolve) => setImmediate(resolve));

    const second = new CapabilityMemory({ store });
    await second.restore();
    assert.equal(saved.length, 1);
    assert.deepEqual(second.get('http://a/v1', 'm'), { foldSystemMessages: true, contextTokens: 8192 });
  });

  it('skips invalid stored entries with a warning', async () => {
    const logger = createRecordingLogger();
    const snapshot = {
      version: 1,
      entries: [
        { baseUrl: 'u', model: 'good', capabilities: { omitTemperature: true } },
        { baseUrl: 'u', model: 'bad', capabilities: { maxTokensField: 'max_output_tokens' } },
        { baseUrl: 'u', capabilities: {} },
      ],
    } as unknown as CapabilitySnapshot;
    const memory = new CapabilityMemory({ store: { load: () => snapshot, save: () => undefined }, logger });
    await memory.restore();

    assert.deepEqual(memory.snapshot().entries.map((entry) => entry.model), ['good']);
    assert.equal(logger.lines.filter((line) => line.startsWith('warn: Ignored an invalid entry')).length, 2);
  });

  it('keeps entries learned before a restore', async () => {
    const stored: CapabilitySnapshot = { version: 1, entries: [{ baseUrl: 'u', model: 'm', capabilities: { maxTokensField: 'max_tokens' } }] };
    const memory = new CapabilityMemory({ store: { load: async () => stored, save: () => undefined } });
    memory.learn('u', 'm', { maxTokensField: 'max_completion_tokens' });
    await memory.restore();

    assert.equal(memory.get('u', 'm').maxTokensField, 'max_completion_tokens');
  });

  it('logs a failed save', async () => {
    const logger = createRecordingLogger();
    const memory = new CapabilityMemory({ store: { load: () => undefined, save: () => Promise.reject(new Error('disk full')) }, logger });
    memory.learn('u', 'm', { omitTemperature: true });
    await new Promise((resolve) => setImmediate(resolve));

    assert.ok(logger.lines.includes('warn: Could not save the learned model capabilities: disk full'));
  });
});
