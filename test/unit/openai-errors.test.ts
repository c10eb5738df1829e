import * as assert from 'node:assert/strict';

import type { ErrorData } from '../../src/engine/errors';
import { mapFailure } from '../../src/engine/providers/openai/errors';
import { parseProfile, type ProfileInput } from '../../src/engine/profiles';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { caseScript, loadCases } from '../emulator/cases';
import type { Script } from '../emulator/script';
import { answerText, errorOf, eventsOfType } from './support/helpers';
import { PROFILE, startHarness, type Harness, type HarnessOptions } from './support/harness';

const OPENAI_KEY = 'sk-proj-Zx81rQ0aLmN4vB7cD2eF5gH9';
const AZURE_KEY = '3f2b9c0d4e5a6b7c8d9e0f1a2b3c4d5e';

const openAi = (model: string) => (url: string): ProfileInput => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model });
const azure = (model: string, apiVersion: string) => (url: string): ProfileInput => ({ name: PROFILE, kind: 'azure-openai', baseUrl: url, model, apiVersion });
const preset = (name: string, model: string, path = '/v1') => (url: string): ProfileInput => ({ name: PROFILE, preset: name, baseUrl: `${url}${path}`, model });

/** Returns the recorded response of a case with its error message replaced by a variant that the case lists. */
function variantOf(id: string, from: string, to: string): Script {
  const script = caseScript(loadCases().get(id)!);
  return { ...script, body: JSON.parse(JSON.stringify(script.body).replace(from, to)) };
}

describe('OpenAI-family failures', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  /** Replays a script through the engine and returns the final error. */
  async function replay(script: Script | string, options: HarnessOptions): Promise<{ error: ErrorData; harness: Harness }> {
    harness = await startHarness(options);
    if (typeof script === 'string') harness.emulator.replayCase(script);
    else harness.emulator.script(script);
    const error = errorOf(await harness.chat());
    assert.ok(error, 'the request failed');
    return { error, harness };
  }

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  describe('recorded cases replayed through the emulator', () => {
    it('F01 invalid key: auth.invalid_key, not retried', async () => {
      const { error, harness } = await replay('F01', { key: OPENAI_KEY, profile: openAi('gpt-5') });
      assert.equal(error.code, 'auth.invalid_key');
      assert.equal(error.retryable, false);
      assert.equal(error.status, 401);
      assert.match(error.message, /OpenAI/);
      assert.match(error.message, /401 invalid_api_key/);
      assert.match(error.fix.join(' '), /Set API Key/);
      assert.ok(error.actions.includes('setApiKey'));
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('F02 missing key: auth.missing_key from the server\'s body', async () => {
      // A server that needs a key gets the placeholder key of a key-optional profile.
      const { error } = await replay('F02', { profile: preset('litellm', 'gpt-4o-mini') });
      assert.equal(error.code, 'auth.missing_key');
      assert.equal(error.retryable, false);
      assert.match(error.message, /no API key/);
      assert.match(error.fix.join(' '), /Set API Key/);
    });

    it('F03 insufficient quota: quota.exhausted, not retried', async () => {
      const { error, harness } = await replay('F03', { key: OPENAI_KEY, profile: openAi('gpt-3.5-turbo') });
      assert.equal(error.code, 'quota.exhausted');
      assert.equal(error.retryable, false);
      assert.equal(error.retryAfterMs, undefined);
      assert.match(error.message, /insufficient_quota/);
      assert.match(error.fix.join(' '), /billing/);
      assert.match(error.fix.join(' '), /waiting will not fix/);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('F03 newer message: quota.exhausted', async () => {
      const script = variantOf('F03', 'billing details.', 'billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.');
      const { error } = await replay(script, { key: OPENAI_KEY, profile: openAi('gpt-3.5-turbo') });
      assert.equal(error.code, 'quota.exhausted');
      assert.equal(error.retryable, false);
    });

    it('F04 3.89s: rate_limited with delay', async () => {
      // A cap below the requested wait returns the error instead of sleeping through it.
      const { error, harness } = await replay('F04', { key: OPENAI_KEY, profile: openAi('gpt-4.1'), engine: { retry: { maxRetryAfterMs: 1000 } } });
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 3890);
      assert.match(error.message, /OpenAI/);
      assert.match(error.message, /3\.9 s/);
      assert.match(error.message, /tokens per min/);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('F04 174ms: waited out, retried', async () => {
      harness = await startHarness({ key: OPENAI_KEY, profile: openAi('gpt-4o-mini') });
      harness.emulator.script(variantOf('F04', '3.89s', '174ms'));
      const events = await harness.chat();
      const [retry] = eventsOfType(events, 'retry');
      assert.equal(retry?.code, 'rate_limited');
      assert.ok(retry.delayMs >= 174, `waited ${retry.delayMs} ms, at least the 174 ms asked for`);
      assert.ok(retry.delayMs <= 174 + 250, `waited ${retry.delayMs} ms, at most 250 ms of jitter more`);
      assert.equal(answerText(events), DEFAULT_ANSWER);
    });

    it('F04 174ms: rate_limited with 174 ms', async () => {
      const { error } = await replay(variantOf('F04', '3.89s', '174ms'), { key: OPENAI_KEY, profile: openAi('gpt-4.1'), engine: { retry: { maxAttempts: 1 } } });
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryAfterMs, 174);
    });

    it('F05 Azure: rate_limited with 33 s', async () => {
      const { error, harness } = await replay('F05', {
        key: AZURE_KEY,
        profile: azure('gpt-4o-mini', '2024-02-15-preview'),
        engine: { retry: { maxRetryAfterMs: 1000 } },
      });
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 33_000);
      assert.match(error.message, /Azure OpenAI/);
      assert.match(error.message, /33 s/);
      assert.match(error.message, /https:\/\/aka\.ms\/oai\/quotaincrease/);
      assert.equal(harness.emulator.requests.length, 1);
    });

    it('F14 max_tokens on a reasoning model: request.unsupported_parameter', async () => {
      const { error } = await replay('F14', { key: OPENAI_KEY, profile: openAi('o3-mini') });
      assert.equal(error.code, 'request.unsupported_parameter');
      assert.equal(error.retryable, false);
      assert.equal(error.providerCode, 'unsupported_parameter');
      assert.match(error.message, /\(max_tokens\)/);
      assert.match(error.message, /max_completion_tokens/);
      assert.match(error.message, /o3-mini/);
    });

    it('F15 vLLM top-level error: request.context_too_long', async () => {
      const { error } = await replay('F15', { profile: preset('vllm', 'llama3.2') });
      assert.equal(error.code, 'request.context_too_long');
      assert.equal(error.retryable, false);
      assert.equal(error.status, 400);
      assert.match(error.message, /vLLM/);
      assert.match(error.message, /16384/);
      assert.match(error.message, /19591/);
      assert.match(error.fix.join(' '), /maximum output tokens/);
    });

    it('F24 LM Studio without /v1: config.base_url', async () => {
      const { error, harness } = await replay('F24', { profile: preset('lmstudio', 'any-model-name', '') });
      assert.equal(error.code, 'config.base_url');
      assert.equal(error.retryable, false);
      assert.match(error.message, /LM Studio/);
      assert.match(error.message, /POST \/chat\/completions/);
      assert.ok(error.fix.join(' ').includes(`${harness.emulator.url}/v1`), 'the fix gives the base URL with one /v1');
    });

    it('F25 Ollama model not pulled: model.not_found', async () => {
      const { error } = await replay('F25', { profile: preset('ollama', 'ollama') });
      assert.equal(error.code, 'model.not_found');
      assert.equal(error.retryable, false);
      assert.match(error.message, /Ollama/);
      assert.match(error.message, /model "ollama"/);
      assert.match(error.fix.join(' '), /ollama pull ollama/);
      assert.ok(error.actions.includes('selectModel'));
    });

    it('F26 Azure api-version too old: request.api_version', async () => {
      const { error } = await replay('F26', { key: AZURE_KEY, profile: azure('gpt-4o-mini', '2024-08-01-preview') });
      assert.equal(error.code, 'request.api_version');
      assert.equal(error.retryable, false);
      assert.match(error.message, /2024-08-01-preview/);
      assert.match(error.fix.join(' '), /2024-12-01-preview/);
    });
  });

  describe('mapFailure by response shape', () => {
    const openAiProfile = parseProfile({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' });
    const ollamaProfile = parseProfile({ name: 'local', preset: 'ollama', model: 'llama3.2' });
    const azureProfile = parseProfile({ name: 'azure', kind: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com', model: 'gpt-4o', apiVersion: '2024-10-21' });

    const table: Array<{ name: string; status: number; body: unknown; headers?: Record<string, string>; profile?: typeof openAiProfile; code: string; retryable: boolean; retryAfterMs?: number }> = [
      {
        name: 'OpenAI model_not_found',
        status: 404,
        body: { error: { message: 'The model `gpt-9` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' } },
        code: 'model.not_found',
        retryable: false,
      },
      {
        name: 'OpenAI unsupported region',
        status: 403,
        body: { error: { code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported', param: null, type: 'request_forbidden' } },
        code: 'region.unsupported',
        retryable: false,
      },
      { name: 'a bare 403', status: 403, body: { error: { message: 'Project does not have access to model gpt-4o', type: 'invalid_request_error' } }, code: 'auth.forbidden', retryable: false },
      {
        name: 'Azure DeploymentNotFound',
        status: 404,
        body: { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } },
        profile: azureProfile,
        code: 'model.not_found',
        retryable: false,
      },
      {
        name: 'Azure invalid subscription key',
        status: 401,
        body: { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } },
        profile: azureProfile,
        code: 'auth.invalid_key',
        retryable: false,
      },
      { name: 'Ollama plain-text 404 for a wrong path', status: 404, body: '404 page not found', profile: ollamaProfile, code: 'config.base_url', retryable: false },
      { name: 'FastAPI detail 404', status: 404, body: { detail: 'Not Found' }, profile: ollamaProfile, code: 'config.base_url', retryable: false },
      { name: 'Ollama native {error: text}', status: 404, body: { error: 'model "llama9" not found, try pulling it first' }, profile: ollamaProfile, code: 'model.not_found', retryable: false },
      { name: 'a 500', status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error' } }, code: 'server.error', retryable: true },
      {
        name: 'a 503 with Retry-After',
        status: 503,
        body: { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error' } },
        headers: { 'retry-after': '7' },
        code: 'server.overloaded',
        retryable: true,
        retryAfterMs: 7000,
      },
      {
        name: 'a 429 with retry-after-ms',
        status: 429,
        body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        headers: { 'retry-after-ms': '1500', 'retry-after': '2' },
        code: 'rate_limited',
        retryable: true,
        retryAfterMs: 1500,
      },
      {
        name: 'a 429 with x-should-retry: false',
        status: 429,
        body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        headers: { 'x-should-retry': 'false' },
        code: 'rate_limited',
        retryable: false,
      },
      {
        name: 'an error object inside a 200 stream with its own status',
        status: 200,
        body: { error: { code: 400, message: 'Invalid tool schema' } },
        code: 'request.invalid',
        retryable: false,
      },
      { name: 'an unknown 400', status: 400, body: { error: { message: 'Something about the body is wrong.', type: 'invalid_request_error' } }, code: 'request.invalid', retryable: false },
    ];

    for (const row of table) {
      it(`maps ${row.name} to ${row.code}`, () => {
        const text = typeof row.body === 'string' ? row.body : JSON.stringify(row.body);
        const error = mapFailure({ status: row.status, text, headers: new Headers(row.headers) }, row.profile ?? openAiProfile, (row.profile ?? openAiProfile).model);
        assert.equal(error.code, row.code);
        assert.equal(error.retryable, row.retryable);
        assert.equal(error.retryAfterMs, row.retryAfterMs);
      });
    }

    it('keeps the provider\'s request id', () => {
      const error = mapFailure({ status: 500, text: '{"error":{"message":"boom"}}', headers: new Headers({ 'x-request-id': 'req_abc123' }) }, openAiProfile, 'gpt-4o-mini');
      assert.equal(error.providerRequestId, 'req_abc123');
    });

    it('keeps Azure\'s apim-request-id', () => {
      const error = mapFailure({ status: 500, text: '{"error":{"message":"boom"}}', headers: new Headers({ 'apim-request-id': '6f1c-azure' }) }, azureProfile, 'gpt-4o');
      assert.equal(error.providerRequestId, '6f1c-azure');
    });

    it('cuts a very long body in the message', () => {
      const error = mapFailure({ status: 400, text: JSON.stringify({ error: { message: 'x'.repeat(5000) } }) }, openAiProfile, 'gpt-4o-mini');
      assert.ok(error.message.length < 700, `message of ${error.message.length} characters`);
    });
  });

  describe('API keys in errors and logs', () => {
    it('hides a key the server echoes', async () => {
      // A gateway that echoes the whole key, unlike OpenAI, which masks it.
      const script: Script = {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${OPENAI_KEY}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
      };
      const { error, harness } = await replay(script, { key: OPENAI_KEY, profile: openAi('gpt-4o-mini') });
      assert.equal(error.code, 'auth.invalid_key');
      assert.ok(!JSON.stringify(error).includes(OPENAI_KEY), 'the key is not in the error');
      assert.ok(!harness.logger.lines.join('\n').includes(OPENAI_KEY), 'the key is not in the log');
    });

    it('never logs a key', async () => {
      harness = await startHarness({ key: AZURE_KEY, emulator: { apiKey: AZURE_KEY }, profile: azure('gpt-4o-mini', '2024-10-21') });
      harness.emulator.script({ status: 400, body: { error: { code: 'BadRequest', message: `Invalid header api-key: ${AZURE_KEY}` } } });
      const failed = errorOf(await harness.chat());
      const succeeded = await harness.chat();
      await harness.engine.listModels(PROFILE);
      assert.equal(failed?.code, 'request.invalid');
      assert.ok(!failed.message.includes(AZURE_KEY), 'the key is not in the message');
      assert.equal(answerText(succeeded), DEFAULT_ANSWER);
      assert.ok(harness.logger.lines.length > 0, 'the engine logged something');
      assert.ok(!harness.logger.lines.join('\n').includes(AZURE_KEY), 'the key is not in the log');
    });
  });
});
