/**
 * Every kind of failure of OpenAI, Azure OpenAI and OpenAI-compatible servers, sent through the
 * engine and the emulator, with and without streaming: the code, the retry decision and the
 * facts the message must carry.
 */

import * as assert from 'node:assert/strict';

import type { ErrorData } from '../../src/engine/errors';
import { mapFailure, readErrorFields } from '../../src/engine/providers/openai/errors';
import { parseProfile, type ProfileInput } from '../../src/engine/profiles';
import { DEFAULT_MODELS } from '../emulator/answer';
import type { Emulator, Script } from '../emulator/emulator';
import { errorOf, eventsOfType } from './support/helpers';
import { PROFILE, startHarness, type Harness } from './support/harness';

const OPENAI_KEY = 'sk-proj-Zx81rQ0aLmN4vB7cD2eF5gH9';
const AZURE_KEY = '3f2b9c0d4e5a6b7c8d9e0f1a2b3c4d5e';
const OPENROUTER_KEY = 'sk-or-v1-0123456789abcdef';

type ProfileFor = (url: string) => ProfileInput;

const openAi = (model: string): ProfileFor => (url) => ({ name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model });
const azure = (model: string, apiVersion = '2024-10-21'): ProfileFor => (url) => ({ name: PROFILE, kind: 'azure-openai', baseUrl: url, model, apiVersion });
const preset = (name: string, model: string, path = '/v1'): ProfileFor => (url) => ({ name: PROFILE, preset: name, baseUrl: `${url}${path}`, model });

/** LiteLLM's proxy wraps an Azure context-length error in its own message, with the upstream body as a Python dict. */
const LITELLM_CONTEXT_MESSAGE =
  "litellm.ContextWindowExceededError: litellm.BadRequestError: AzureException - Error code: 400 - {'error': {'message': \"This model's maximum context length is 4096 tokens. However, your messages resulted in 10007 tokens. Please reduce the length of the messages.\", 'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}";

/** OpenRouter puts the upstream provider's error into error.metadata.raw. */
const OPENROUTER_UPSTREAM_RATE_LIMIT = {
  error: {
    code: 502,
    message: 'Provider returned error',
    metadata: { raw: JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }), provider_name: 'OpenAI' },
  },
};

/** Gemini's OpenAI-compatible endpoint sends Google's error body as a one-element array. */
function googlePerMinute(retryDelay: string): object[] {
  return [
    {
      error: {
        code: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '10' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
        ],
      },
    },
  ];
}

interface Kind {
  name: string;
  profile: ProfileFor;
  key?: string;
  /** The failure as an HTTP error response. */
  response?: { status: number; body: object | string; headers?: Record<string, string> };
  /** The failure as an error object inside a 200 response: an SSE event when streaming, the JSON body otherwise. */
  inStream?: object;
  code: string;
  /** Whether the engine retries it by itself. */
  retried: boolean;
  facts: RegExp[];
  providerCode?: string;
}

const KINDS: Kind[] = [
  {
    name: 'OpenAI invalid_api_key',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 401, body: { error: { message: 'Incorrect API key provided: sk-proj-****gH9.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } },
    code: 'auth.invalid_key',
    retried: false,
    facts: [/OpenAI/, /401 invalid_api_key/, /"test"/],
  },
  {
    name: 'OpenAI insufficient_quota',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 429, body: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } },
    code: 'quota.exhausted',
    retried: false,
    facts: [/no quota left/, /insufficient_quota/],
  },
  {
    name: 'OpenAI per-minute rate limit',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 429, headers: { 'retry-after-ms': '10' }, body: { error: { message: 'Rate limit reached for gpt-4o on requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', code: 'rate_limit_exceeded' } } },
    code: 'rate_limited',
    retried: true,
    facts: [/rate limiting/, /requests per min/],
  },
  {
    name: 'OpenAI per-day limit',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 429, body: { error: { message: 'Rate limit reached for gpt-4o in organization org-1 on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s.', type: 'requests', code: 'rate_limit_exceeded' } } },
    code: 'quota.exhausted',
    retried: false,
    facts: [/daily limit/, /waiting minutes will not help/, /requests per day/],
  },
  {
    name: 'OpenAI context_length_exceeded',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 400, body: { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } },
    code: 'request.context_too_long',
    retried: false,
    facts: [/too long for gpt-4o/, /128000/],
    providerCode: 'context_length_exceeded',
  },
  {
    name: 'OpenAI unsupported region',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 403, body: { error: { code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported', param: null, type: 'request_forbidden' } } },
    code: 'region.unsupported',
    retried: false,
    facts: [/region/],
  },
  {
    name: 'OpenAI 500',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error' } } },
    inStream: { error: { message: 'The server had an error while processing your request.', type: 'server_error' } },
    code: 'server.error',
    retried: true,
    facts: [/server error/],
  },
  {
    name: 'OpenAI 503 overloaded',
    profile: openAi('gpt-4o'),
    key: OPENAI_KEY,
    response: { status: 503, body: { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error' } } },
    code: 'server.overloaded',
    retried: true,
    facts: [/overloaded \(503\)/],
  },
  {
    name: 'Azure DeploymentNotFound',
    profile: azure('gpt4'),
    key: AZURE_KEY,
    response: { status: 404, body: { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } } },
    code: 'model.not_found',
    retried: false,
    facts: [/Azure OpenAI has no deployment "gpt4"/, /Available: gpt-4o, gpt-4o-mini/],
  },
  {
    name: 'Azure api-version too old',
    profile: azure('gpt-4o', '2024-08-01-preview'),
    key: AZURE_KEY,
    response: { status: 400, body: { error: { code: 'BadRequest', message: 'Model {modelName} is enabled only for api versions 2024-12-01-preview and later' } } },
    code: 'request.api_version',
    retried: false,
    facts: [/2024-08-01-preview/],
  },
  {
    name: 'Azure unknown api-version',
    profile: azure('gpt-4o', '2024-13-45'),
    key: AZURE_KEY,
    response: { status: 404, body: { error: { code: '404', message: 'Resource not found' } } },
    code: 'config.base_url',
    retried: false,
    facts: [/Resource not found/, /API version 2024-13-45/],
  },
  {
    name: 'Azure content filter',
    profile: azure('gpt-4o'),
    key: AZURE_KEY,
    response: {
      status: 400,
      body: { error: { message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", type: null, param: 'prompt', code: 'content_filter', status: 400 } },
    },
    code: 'content.blocked',
    retried: false,
    facts: [/content filter of Azure OpenAI/],
  },
  {
    name: 'Azure chat on an embedding deployment',
    profile: azure('gpt-4o'),
    key: AZURE_KEY,
    response: { status: 400, body: { error: { code: 'OperationNotSupported', message: 'The chatCompletion operation does not work with the specified model, text-embedding-ada-002.' } } },
    code: 'model.unsupported',
    retried: false,
    facts: [/cannot answer chat requests/, /text-embedding-ada-002/],
  },
  {
    name: 'vLLM top-level model error',
    profile: preset('vllm', 'llama3.3'),
    response: { status: 404, body: { object: 'error', message: 'The model `llama3.3` does not exist.', type: 'NotFoundError', param: null, code: 404 } },
    code: 'model.not_found',
    retried: false,
    facts: [/vLLM has no model "llama3.3"/, /Available: llama3.2/],
  },
  {
    name: 'vLLM system role rejected by the chat template',
    profile: preset('vllm', 'gemma'),
    response: { status: 400, body: { object: 'error', message: 'System role not supported', type: 'BadRequestError', param: null, code: 400 } },
    code: 'request.unsupported_parameter',
    retried: false,
    facts: [/does not accept system messages/],
  },
  {
    name: 'llama.cpp context size',
    profile: preset('llamacpp', 'local'),
    response: { status: 400, body: { error: { code: 400, message: 'the request exceeds the available context size. try increasing the context size or enable context shift', type: 'exceed_context_size_error' } } },
    inStream: { error: { code: 400, message: 'the request exceeds the available context size. try increasing the context size or enable context shift', type: 'exceed_context_size_error' } },
    code: 'request.context_too_long',
    retried: false,
    facts: [/llama\.cpp server/, /context size/],
  },
  {
    name: 'OpenRouter upstream rate limit in metadata',
    profile: preset('openrouter', 'openai/gpt-4o'),
    key: OPENROUTER_KEY,
    response: { status: 502, body: OPENROUTER_UPSTREAM_RATE_LIMIT },
    inStream: OPENROUTER_UPSTREAM_RATE_LIMIT,
    code: 'rate_limited',
    retried: true,
    facts: [/OpenRouter/, /Provider returned error: Rate limit reached/],
    providerCode: 'rate_limit_exceeded',
  },
  {
    name: 'OpenRouter out of credits',
    profile: preset('openrouter', 'openai/gpt-4o'),
    key: OPENROUTER_KEY,
    response: { status: 402, body: { error: { code: 402, message: 'Insufficient credits. Add more using https://openrouter.ai/credits' } } },
    code: 'quota.exhausted',
    retried: false,
    facts: [/no quota left/],
  },
  {
    name: 'OpenRouter moderation',
    profile: preset('openrouter', 'openai/gpt-4o'),
    key: OPENROUTER_KEY,
    response: { status: 403, body: { error: { code: 403, message: 'openai/gpt-4o requires moderation on OpenAI. Your input was flagged for "harassment".', metadata: { reasons: ['harassment'], flagged_input: '…' } } } },
    code: 'content.blocked',
    retried: false,
    facts: [/flagged: harassment/],
  },
  {
    name: 'LiteLLM-wrapped context_length_exceeded',
    profile: preset('litellm', 'gpt-4o'),
    response: { status: 400, body: { error: { message: LITELLM_CONTEXT_MESSAGE, type: null, param: null, code: '400' } } },
    inStream: { error: { message: LITELLM_CONTEXT_MESSAGE, type: null, param: null, code: '400' } },
    code: 'request.context_too_long',
    retried: false,
    facts: [/LiteLLM/, /4096 tokens/],
    providerCode: 'context_length_exceeded',
  },
  {
    name: 'LiteLLM-wrapped rate limit',
    profile: preset('litellm', 'gpt-4o'),
    response: { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3.', type: 'throttling_error', param: null, code: '429' } } },
    code: 'rate_limited',
    retried: true,
    facts: [/rate limiting/, /OpenAIException/],
  },
  {
    name: 'LM Studio 200 with an error string',
    profile: preset('lmstudio', 'any-model-name', ''),
    // LM Studio returns 200 and one JSON body for an unknown path, even to a streaming request.
    response: { status: 200, body: { error: 'Unexpected endpoint or method. (POST /chat/completions)' } },
    code: 'config.base_url',
    retried: false,
    facts: [/LM Studio/, /POST \/chat\/completions/],
  },
  {
    name: 'Ollama model not pulled',
    profile: preset('ollama', 'llama3'),
    response: { status: 404, body: { error: { message: 'model "llama3" not found, try pulling it first', type: 'api_error', param: null, code: null } } },
    inStream: { error: 'model "llama3" not found, try pulling it first' },
    code: 'model.not_found',
    retried: false,
    facts: [/Ollama has no model "llama3"/, /Available: .*llama3\.2:latest/],
  },
  {
    name: 'Ollama embedding model asked to chat',
    profile: preset('ollama', 'nomic-embed-text'),
    response: { status: 400, body: { error: { message: '"nomic-embed-text" does not support chat', type: 'api_error', param: null, code: null } } },
    code: 'model.unsupported',
    retried: false,
    facts: [/cannot answer chat requests/],
  },
  {
    name: 'Gemini OpenAI-compatible per-minute quota',
    profile: (url) => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: `${url}/v1`, model: 'gemini-2.5-flash' }),
    response: { status: 429, body: googlePerMinute('0.01s') },
    code: 'rate_limited',
    retried: true,
    facts: [/exceeded your current quota/],
  },
];

/** Chat requests the emulator received; model-list calls are left out. */
function chatRequests(emulator: Emulator): number {
  return emulator.requests.filter((request) => request.method === 'POST').length;
}

describe('OpenAI-family failures by kind', function () {
  this.timeout(10_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  async function run(kind: Kind, stream: boolean, script: Script): Promise<{ error: ErrorData; retries: number; requests: number }> {
    // An error inside a stream follows the emulator's normal response, which needs a model in its list.
    const model = String(kind.profile('http://127.0.0.1').model);
    const models = script.errorInStream ? [...DEFAULT_MODELS, model] : undefined;
    harness = await startHarness({ key: kind.key, profile: kind.profile, emulator: { models } });
    // A retried kind fails every attempt, so the final error shows after the last one.
    harness.emulator.script({ ...script, times: kind.retried ? 3 : 1 });
    const events = await harness.chat({ stream });
    const error = errorOf(events);
    assert.ok(error, `the request failed: ${JSON.stringify(events.at(-1))}`);
    return { error, retries: eventsOfType(events, 'retry').length, requests: chatRequests(harness.emulator) };
  }

  function check(kind: Kind, result: { error: ErrorData; retries: number; requests: number }): void {
    assert.equal(result.error.code, kind.code);
    assert.equal(result.error.retryable, kind.retried);
    assert.equal(result.retries, kind.retried ? 2 : 0);
    assert.equal(result.requests, kind.retried ? 3 : 1);
    for (const fact of kind.facts) assert.match(result.error.message, fact);
    if (kind.providerCode) assert.equal(result.error.providerCode, kind.providerCode);
  }

  for (const kind of KINDS) {
    for (const stream of [true, false]) {
      const mode = stream ? 'streaming' : 'not streaming';
      if (kind.response) {
        it(`${kind.name}, HTTP ${kind.response.status}, ${mode}`, async () => {
          const response = kind.response!;
          check(kind, await run(kind, stream, { status: response.status, body: response.body, headers: response.headers }));
        });
      }
      if (kind.inStream) {
        it(`${kind.name}, inside a 200 response, ${mode}`, async () => {
          // A streamed request gets the error as an SSE event; a complete one as a 200 JSON body.
          const script: Script = stream ? { errorInStream: { afterChunks: 0, data: kind.inStream! } } : { status: 200, body: kind.inStream! };
          check(kind, await run(kind, stream, script));
        });
      }
    }
  }
});

describe('reading error bodies', () => {
  it('extracts the upstream code LiteLLM embeds in its message', () => {
    const fields = readErrorFields(JSON.stringify({ error: { message: LITELLM_CONTEXT_MESSAGE, type: null, param: null, code: '400' } }));
    assert.equal(fields.code, 'context_length_exceeded');
    assert.equal(fields.param, 'messages');
    assert.equal(fields.innerStatus, 400);
    assert.equal(fields.exception, 'ContextWindowExceededError');
  });

  it('reads OpenRouter\'s raw upstream error', () => {
    const fields = readErrorFields(JSON.stringify(OPENROUTER_UPSTREAM_RATE_LIMIT));
    assert.equal(fields.code, 'rate_limit_exceeded');
    assert.equal(fields.upstream, 'Rate limit reached for requests');
    assert.equal(fields.message, 'Provider returned error');
  });

  it('reads Google\'s array body', () => {
    const fields = readErrorFields(JSON.stringify(googlePerMinute('26s')));
    assert.equal(fields.rpcStatus, 'RESOURCE_EXHAUSTED');
    assert.equal(fields.innerStatus, 429);
    assert.equal(fields.details.length, 2);
  });

  it('takes RetryInfo as the wait of a Google per-minute quota', () => {
    const profile = parseProfile({ name: 'g', kind: 'openai-compatible', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', model: 'gemini-2.5-flash' });
    const error = mapFailure({ status: 429, text: JSON.stringify(googlePerMinute('26s')) }, profile, 'gemini-2.5-flash');
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.retryAfterMs, 26_000);
  });

  it('maps a Google per-day quota to quota.exhausted', () => {
    const profile = parseProfile({ name: 'g', kind: 'openai-compatible', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', model: 'gemini-2.5-flash' });
    const body = JSON.parse(JSON.stringify(googlePerMinute('26s')).replace('PerMinute', 'PerDay'));
    const error = mapFailure({ status: 429, text: JSON.stringify(body) }, profile, 'gemini-2.5-flash');
    assert.equal(error.code, 'quota.exhausted');
    assert.match(error.message, /daily quota/);
  });

  it('does not retry a request larger than the per-minute limit', () => {
    const profile = parseProfile({ name: 'o', kind: 'openai', model: 'gpt-4o' });
    const text = JSON.stringify({ error: { message: 'Request too large for gpt-4o in organization org-1 on tokens per min (TPM): Limit 30000, Requested 35000. The input or output tokens must be reduced in order to run successfully.', type: 'tokens', code: 'rate_limit_exceeded' } });
    const error = mapFailure({ status: 429, text }, profile, 'gpt-4o');
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.retryable, false);
    assert.match(error.fix.join(' '), /larger than the per-minute token limit/);
  });

  it('reads a missing Azure key as auth.missing_key', () => {
    const profile = parseProfile({ name: 'a', kind: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com', model: 'gpt-4o', apiVersion: '2024-10-21' });
    const text = JSON.stringify({ error: { code: '401', message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' } });
    assert.equal(mapFailure({ status: 401, text }, profile, 'gpt-4o').code, 'auth.missing_key');
  });

  it('reads a retired model as model.not_found', () => {
    const profile = parseProfile({ name: 'o', kind: 'openai', model: 'text-davinci-003' });
    const text = JSON.stringify({ error: { message: 'The model `text-davinci-003` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations', type: 'invalid_request_error', param: null, code: 'model_not_found' } });
    const error = mapFailure({ status: 404, text }, profile, 'text-davinci-003');
    assert.equal(error.code, 'model.not_found');
    assert.match(error.message, /retired/);
  });
});
