/**
 * Maps failures of OpenAI, Azure OpenAI and OpenAI-compatible servers to SwitchboardErrors.
 * Servers disagree on the error shape, so the body is normalised first: `{error: {...}}`
 * (OpenAI, Azure, Ollama, OpenRouter, LiteLLM), a top-level `{object: "error", ...}` (vLLM),
 * `{error: "text"}` (LM Studio, Ollama's native API), `{detail: ...}` (FastAPI servers) and
 * `[{error: {...}}]` (Gemini's OpenAI-compatible endpoint). Gateways nest the upstream error:
 * OpenRouter in `error.metadata.raw`, LiteLLM inside its message text. The upstream code, type
 * and param win over the gateway's, because they name the real cause.
 */

import { APIConnectionTimeoutError } from 'openai';

import { SwitchboardError, type Correction, type ErrorCode, type FixLine, type SwitchboardErrorOptions } from '../../errors';
import { raiseTimeoutFix, replaceKeyFix, selectModelFix, setKeyFix } from '../../fix-text';
import { classifyTransportError } from '../../network/transport-errors';
import type { Profile } from '../../profiles';
import { redactText } from '../../redact';
import { describeWait, MAX_REQUESTED_WAIT_MS, parseDuration, parseRetryAfter, parseRetryHint } from '../retry-after';

export interface RawFailure {
  /** HTTP status; 200 for an error delivered inside a successful response. */
  status: number;
  /** The body text as received. */
  text: string;
  headers?: Headers;
  /** True when the error arrived inside a stream after the response started. */
  inStream?: boolean;
}

/** The fields of an error body, with the upstream error of a gateway folded in. */
export interface ErrorFields {
  /** The outer message, as the server wrote it. */
  message: string;
  code?: string;
  type?: string;
  param?: string;
  /** A numeric status inside the body (OpenRouter, vLLM, LiteLLM, Azure's "404"). */
  innerStatus?: number;
  /** The code as the server sent it, numeric or not, for `providerCode`. */
  sentCode?: string;
  /** Google's RPC status, such as RESOURCE_EXHAUSTED. */
  rpcStatus?: string;
  /** Google's `details` entries, such as QuotaFailure and RetryInfo. */
  details: Record<string, unknown>[];
  /** The upstream error a gateway nested (OpenRouter's metadata.raw), quoted after the message. */
  upstream?: string;
  /** LiteLLM's exception class at the start of its message, such as ContextWindowExceededError. */
  exception?: string;
  /** Categories a moderation check flagged (OpenRouter's metadata.reasons). */
  flagged?: string[];
}

export function providerLabel(profile: Profile): string {
  const labels: Record<string, string> = {
    ollama: 'Ollama',
    lmstudio: 'LM Studio',
    llamacpp: 'llama.cpp server',
    vllm: 'vLLM',
    litellm: 'LiteLLM',
    openrouter: 'OpenRouter',
  };
  if (profile.server) return labels[profile.server]!;
  if (profile.kind === 'openai') return 'OpenAI';
  if (profile.kind === 'azure-openai') return 'Azure OpenAI';
  return `The server at ${new URL(profile.baseUrl).host}`;
}

// ---------------------------------------------------------------------------------------------
// Reading error bodies.

/** Reads the error fields out of any of the shapes servers send. */
export function readErrorFields(text: string): ErrorFields {
  const parsed = safeJson(text);
  const body = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!isRecord(body)) return { message: text.trim().slice(0, 500) || '(empty body)', details: [] };
  const inner = body['error'];
  if (typeof inner === 'string') return withEmbeddedError({ message: inner, details: [] });
  if (isRecord(inner)) return withEmbeddedError(fieldsOf(inner));
  if (body['object'] === 'error' || typeof body['message'] === 'string') return withEmbeddedError(fieldsOf(body));
  if (body['detail'] !== undefined) return { message: typeof body['detail'] === 'string' ? body['detail'] : JSON.stringify(body['detail']), details: [] };
  return { message: text.trim().slice(0, 500), details: [] };
}

function fieldsOf(record: Record<string, unknown>): ErrorFields {
  const code = record['code'];
  const status = record['status'];
  const fields: ErrorFields = {
    message: typeof record['message'] === 'string' ? record['message'] : JSON.stringify(record['message'] ?? record),
    code: typeof code === 'string' && !/^\d{3}$/.test(code) ? code : undefined,
    innerStatus: statusNumber(code) ?? statusNumber(status),
    sentCode: typeof code === 'string' || typeof code === 'number' ? String(code) : undefined,
    type: stringOf(record['type']),
    param: stringOf(record['param']),
    rpcStatus: typeof status === 'string' && /^[A-Z_]+$/.test(status) ? status : undefined,
    details: Array.isArray(record['details']) ? record['details'].filter(isRecord) : [],
  };
  return withUpstream(fields, record['metadata']);
}

/** Folds in OpenRouter's metadata: the upstream provider's raw error and moderation reasons. */
function withUpstream(fields: ErrorFields, metadata: unknown): ErrorFields {
  if (!isRecord(metadata)) return fields;
  const reasons = metadata['reasons'];
  if (Array.isArray(reasons)) fields.flagged = reasons.filter((reason): reason is string => typeof reason === 'string');
  const raw = metadata['raw'];
  if (raw === undefined || raw === null) return fields;
  const rawText = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (safeJson(rawText) === undefined) return { ...fields, upstream: rawText };
  const nested = readErrorFields(rawText);
  return { ...mergeUpstream(fields, nested), upstream: nested.message };
}

/**
 * Folds in an error that LiteLLM embeds in its message, as JSON or as a Python dict, such as
 * `litellm.ContextWindowExceededError: … AzureException - Error code: 400 - {'error': {'message':
 * "This model's maximum context length is 4096 tokens…", 'code': 'context_length_exceeded'}}`.
 */
function withEmbeddedError(fields: ErrorFields): ErrorFields {
  const exception = /^litellm\.([A-Za-z]+):/.exec(fields.message)?.[1];
  const withException = exception ? { ...fields, exception } : fields;
  if (!/^litellm\.|Exception - |Error code: \d{3} - /.test(fields.message)) return withException;
  const embedded = embeddedError(fields.message);
  return embedded ? mergeUpstream(withException, embedded) : withException;
}

function embeddedError(message: string): ErrorFields | undefined {
  const start = message.indexOf('{');
  if (start === -1) return undefined;
  const text = message.slice(start);
  if (safeJson(text) !== undefined) return readErrorFields(text);

  const code = quotedField(text, 'code');
  const type = quotedField(text, 'type');
  const param = quotedField(text, 'param');
  if (code === undefined && type === undefined && param === undefined) return undefined;
  const status = /Error code: (\d{3})/.exec(message)?.[1];
  return {
    message: quotedField(text, 'message') ?? text,
    code: code !== undefined && !/^\d+$/.test(code) ? code : undefined,
    innerStatus: statusNumber(code) ?? statusNumber(status),
    type,
    param,
    details: [],
  };
}

/** Reads `'name': 'value'`, `"name": "value"` or `'name': 400` from JSON or Python dict text. */
function quotedField(text: string, name: string): string | undefined {
  const pattern = new RegExp(`(['"])${name}\\1\\s*:\\s*(?:'((?:[^'\\\\]|\\\\.)*)'|"((?:[^"\\\\]|\\\\.)*)"|(-?\\d+))`);
  const match = pattern.exec(text);
  return match ? (match[2] ?? match[3] ?? match[4]) : undefined;
}

/** Merges an upstream error into the outer one. Its code, type, param and status win, and the outer message stays because the server sent it. */
function mergeUpstream(outer: ErrorFields, upstream: ErrorFields): ErrorFields {
  return {
    ...outer,
    code: upstream.code ?? outer.code,
    type: upstream.type ?? outer.type,
    param: upstream.param ?? outer.param,
    innerStatus: upstream.innerStatus ?? outer.innerStatus,
    sentCode: upstream.sentCode ?? outer.sentCode,
    rpcStatus: upstream.rpcStatus ?? outer.rpcStatus,
    details: upstream.details.length > 0 ? upstream.details : outer.details,
    flagged: outer.flagged ?? upstream.flagged,
  };
}

// ---------------------------------------------------------------------------------------------
// Facts read from the fields.

/** Google's quota violations: a daily quota or a quota of 0 is not fixed by waiting. */
function googleQuotaKind(fields: ErrorFields): 'daily' | 'zero' | 'perMinute' | undefined {
  const violations = fields.details
    .filter((detail) => String(detail['@type'] ?? '').endsWith('google.rpc.QuotaFailure'))
    .flatMap((detail) => (Array.isArray(detail['violations']) ? detail['violations'].filter(isRecord) : []));
  if (violations.length === 0) return undefined;
  if (violations.some((violation) => /PerDay/i.test(String(violation['quotaId'] ?? '')))) return 'daily';
  if (violations.some((violation) => violation['quotaValue'] === '0')) return 'zero';
  return 'perMinute';
}

function googleRetryDelay(fields: ErrorFields): number | undefined {
  const retryInfo = fields.details.find((detail) => String(detail['@type'] ?? '').endsWith('google.rpc.RetryInfo'));
  return parseDuration(retryInfo?.['retryDelay']);
}

interface ContextNumbers {
  contextTokens: number;
  promptTokens?: number;
  completionTokens?: number;
}

/**
 * Reads the numbers of a context-length message, in the forms of OpenAI ("… 4097 tokens, however
 * you requested 5000 tokens (1000 in your prompt; 4000 for the completion)") and of vLLM
 * ("… 16384 tokens. However, you requested 19591 tokens (9591 in the messages, 10000 in the
 * completion)", or "… your request has 9591 input tokens").
 */
export function readContextNumbers(message: string): ContextNumbers | undefined {
  const context = /maximum context length is (\d+)/i.exec(message)?.[1];
  if (!context) return undefined;
  const prompt = /(\d+) in the messages|(\d+) in your prompt|(\d+) in the prompt|request has (\d+) input tokens/i.exec(message);
  const completion = /(\d+) in the completion|(\d+) for the completion|is too large: (\d+)/i.exec(message);
  return {
    contextTokens: Number(context),
    promptTokens: prompt ? Number(prompt.slice(1).find((group) => group !== undefined)) : undefined,
    completionTokens: completion ? Number(completion.slice(1).find((group) => group !== undefined)) : undefined,
  };
}

/** Tokens left free below the context length, because servers count a few template tokens more than they report. */
function contextMargin(contextTokens: number): number {
  return Math.max(64, Math.ceil(contextTokens * 0.01));
}

/** An output limit below this cannot hold a useful answer, so no corrective retry is made for it. */
const MIN_USEFUL_OUTPUT_TOKENS = 16;

function contextCorrection(numbers: ContextNumbers | undefined): Extract<Correction, { kind: 'lowerMaxOutputTokens' }> | undefined {
  if (!numbers || numbers.promptTokens === undefined) return undefined;
  const maxOutputTokens = numbers.contextTokens - numbers.promptTokens - contextMargin(numbers.contextTokens);
  if (maxOutputTokens < MIN_USEFUL_OUTPUT_TOKENS) return undefined;
  return { kind: 'lowerMaxOutputTokens', maxOutputTokens, contextTokens: numbers.contextTokens, promptTokens: numbers.promptTokens };
}

interface ParameterProblem {
  /** The parameter to name in the message. */
  param?: string;
  correction?: Correction;
  /** True when the problem is the system role rather than a parameter. */
  systemRole?: boolean;
}

/** Recognises rejections of a request field whose fix is known, and the fix. */
function parameterProblem(fields: ErrorFields): ParameterProblem | undefined {
  const text = fields.message;
  if (/'max_tokens' is not supported|use 'max_completion_tokens'/i.test(text) || (fields.param === 'max_tokens' && /unsupported/.test(fields.code ?? ''))) {
    return { param: 'max_tokens', correction: { kind: 'maxTokensField', field: 'max_completion_tokens' } };
  }
  if (/unrecognized request argument supplied: max_completion_tokens|'max_completion_tokens' is not supported|use 'max_tokens'/i.test(text)) {
    return { param: 'max_completion_tokens', correction: { kind: 'maxTokensField', field: 'max_tokens' } };
  }
  if (isSystemRoleError(fields)) return { param: fields.param, correction: { kind: 'foldSystemMessages' }, systemRole: true };
  if (fields.param === 'temperature' || /'temperature' (does not support|is not supported)|unsupported value: 'temperature'/i.test(text)) {
    return { param: 'temperature', correction: { kind: 'omitTemperature' } };
  }
  return undefined;
}

/**
 * Recognises a rejected system message: OpenAI's `messages[0].role` does not support 'system',
 * and the chat-template errors of local servers ("System role not supported", "Conversation
 * roles must alternate user/assistant/…").
 */
function isSystemRoleError(fields: ErrorFields): boolean {
  if (/^messages\[\d+\]\.role$/.test(fields.param ?? '') && /system/i.test(fields.message)) return true;
  return /system (role|messages?) (is |are )?not supported|does not support 'system'|roles must alternate/i.test(fields.message);
}

// ---------------------------------------------------------------------------------------------
// Rules, most specific first.

interface RuleContext {
  fields: ErrorFields;
  /** The HTTP status; 200 for an error inside a successful response. */
  status: number;
  /** Every text of the failure, for pattern tests. */
  all: string;
  profile: Profile;
  model: string;
  label: string;
  quoted: string;
  options: SwitchboardErrorOptions;
  headers?: Headers;
}

interface Rule {
  test: (context: RuleContext) => boolean;
  build: (context: RuleContext) => SwitchboardError;
}

/** True when the response or the body (or the upstream error inside it) carries this status. */
function hasStatus(c: RuleContext, status: number): boolean {
  return c.status === status || c.fields.innerStatus === status;
}

/** Returns the status to quote: the body's own for an error inside a 200 response. */
function shownStatus(c: RuleContext): number {
  return c.status < 400 && c.fields.innerStatus !== undefined ? c.fields.innerStatus : c.status;
}

const QUOTA_CODES = new Set(['insufficient_quota', 'credit_balance_exhausted', 'budget_exceeded']);

const RULES: Rule[] = [
  {
    test: (c) => {
      const f = c.fields;
      const google = googleQuotaKind(f);
      if (google === 'daily' || google === 'zero') return true;
      if (google === 'perMinute') return false;
      return (
        QUOTA_CODES.has(f.code ?? '') ||
        QUOTA_CODES.has(f.type ?? '') ||
        f.exception === 'BudgetExceededError' ||
        hasStatus(c, 402) ||
        /exceeded your current quota|insufficient credits|credit balance is too low/i.test(c.all)
      );
    },
    build: quotaError,
  },
  {
    test: (c) => (hasStatus(c, 429) || c.fields.code === 'rate_limit_exceeded') && /per day|\((RPD|TPD)\)/i.test(c.fields.message),
    build: dailyLimitError,
  },
  {
    test: (c) => /didn'?t provide an API key|missing (api |subscription )?key|no api key|no auth credentials/i.test(c.all) && !/invalid/i.test(c.fields.code ?? ''),
    build: (c) =>
      error('auth.missing_key', `${c.label} received no API key: ${c.quoted}`, c, {
        fix: [setKeyFix(c.profile)],
      }),
  },
  {
    test: (c) =>
      hasStatus(c, 401) ||
      c.fields.code === 'invalid_api_key' ||
      c.fields.exception === 'AuthenticationError' ||
      /invalid.api.key|incorrect api key|unauthorized|access denied due to invalid subscription key/i.test(c.fields.message),
    build: (c) =>
      error('auth.invalid_key', `${c.label} rejected the API key of profile "${c.profile.name}" (${shownStatus(c)}${c.fields.code ? ` ${c.fields.code}` : ''}).`, c, {
        fix: [replaceKeyFix(c.profile)],
      }),
  },
  {
    test: (c) =>
      c.fields.code === 'unsupported_country_region_territory' ||
      /country, region, or territory not supported|user location is not supported/i.test(c.fields.message) ||
      (c.fields.rpcStatus === 'FAILED_PRECONDITION' && /location|region|country/i.test(c.fields.message)),
    build: (c) =>
      error('region.unsupported', `${c.label} does not serve requests from your region: ${c.quoted}`, c, {
        fix: ['Use a provider that serves your region, or an Azure OpenAI deployment in a supported region.'],
      }),
  },
  {
    test: (c) =>
      ['content_filter', 'content_policy_violation'].includes(c.fields.code ?? '') ||
      c.fields.exception === 'ContentPolicyViolationError' ||
      /content management policy/i.test(c.fields.message) ||
      (hasStatus(c, 403) && ((c.fields.flagged?.length ?? 0) > 0 || /flagged|moderation/i.test(c.fields.message))),
    build: contentBlockedError,
  },
  {
    test: (c) => hasStatus(c, 403),
    build: (c) =>
      error('auth.forbidden', `${c.label} refused access (403): ${c.quoted}`, c, {
        fix: ['Check that the key has permission for this model or project.'],
      }),
  },
  {
    // llama.cpp's server reports "exceeds the available context size", with type exceed_context_size_error in newer builds.
    test: (c) =>
      c.fields.code === 'context_length_exceeded' ||
      c.fields.type === 'exceed_context_size_error' ||
      c.fields.exception === 'ContextWindowExceededError' ||
      /maximum context length|context length|context size|context window|too many tokens/i.test(c.all),
    build: contextTooLongError,
  },
  {
    test: (c) =>
      c.fields.code === 'ApiVersionNotSupported' ||
      /enabled only for api versions?|api[- ]version.*(not supported|unsupported|invalid)|unsupported api[- ]version|missing required query parameter 'api-version'/i.test(c.all),
    build: (c) => {
      const needed = /api versions? ([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-preview)?)/i.exec(c.fields.message)?.[1];
      return error('request.api_version', `${c.label} does not accept API version ${c.profile.apiVersion ?? '(none)'} for ${c.model}: ${c.quoted}`, c, {
        fix: [needed ? `Set the profile's apiVersion to ${needed} or later.` : "Set the profile's apiVersion to a version the deployment supports."],
      });
    },
  },
  {
    test: (c) =>
      c.fields.code === 'OperationNotSupported' ||
      /not a chat model|not supported in the v1\/chat\/completions endpoint|does not support (chat|generate|completions?)\b|operation does not work with the specified model/i.test(c.fields.message),
    build: (c) =>
      error('model.unsupported', `${c.model} on ${c.label} cannot answer chat requests: ${c.quoted}`, c, {
        fix: [selectModelFix('Choose a chat model'), 'Embedding, completion-only and image models cannot chat.'],
      }),
  },
  {
    test: (c) =>
      ['model_not_found', 'DeploymentNotFound', 'model_decommissioned'].includes(c.fields.code ?? '') ||
      ((hasStatus(c, 404) || c.fields.exception === 'NotFoundError') && /model|deployment/i.test(c.all) && /[{]/.test(c.all)) ||
      /model .* not found|model_not_found|does not exist|try pulling it|has been (deprecated|decommissioned)/i.test(c.fields.message),
    build: modelNotFoundError,
  },
  {
    test: (c) => /unexpected endpoint|unknown (route|endpoint|url)|not found$/i.test(c.fields.message) && !/model/i.test(c.all),
    build: (c) => wrongEndpointError(c, `${c.label} does not know the endpoint it was sent (${c.quoted})`),
  },
  {
    test: (c) =>
      parameterProblem(c.fields) !== undefined ||
      c.fields.code === 'unsupported_parameter' ||
      c.fields.code === 'unsupported_value' ||
      c.fields.exception === 'UnsupportedParamsError' ||
      /unsupported parameter|unsupported value|not supported with this model|does not support|unrecognized request argument/i.test(c.all),
    build: unsupportedParameterError,
  },
  {
    test: (c) => hasStatus(c, 429) || c.fields.code === 'rate_limit_exceeded' || c.fields.rpcStatus === 'RESOURCE_EXHAUSTED' || c.fields.exception === 'RateLimitError',
    build: rateLimitError,
  },
  {
    test: (c) =>
      hasStatus(c, 503) ||
      hasStatus(c, 529) ||
      c.fields.rpcStatus === 'UNAVAILABLE' ||
      c.fields.exception === 'ServiceUnavailableError' ||
      /overloaded|high demand|capacity|loading model/i.test(c.all),
    build: (c) =>
      error('server.overloaded', `${c.label} is overloaded (${shownStatus(c)}): ${c.quoted}`, c, {
        retryAfterMs: parseRetryAfter(c.headers) ?? googleRetryDelay(c.fields),
        fix: ['Retry in a moment, or choose another model.'],
      }),
  },
  {
    test: (c) => c.status >= 500 || hasStatus(c, 408) || (c.fields.innerStatus !== undefined && c.fields.innerStatus >= 500) || c.fields.type === 'server_error',
    build: (c) =>
      error('server.error', `${c.label} failed with a server error (${c.fields.innerStatus ?? c.status}): ${c.quoted}`, c, {
        retryAfterMs: parseRetryAfter(c.headers),
        fix: ["Retry; if it keeps failing, check the server's status page or logs."],
      }),
  },
  {
    test: (c) => c.status === 404,
    build: (c) => wrongEndpointError(c, `${c.label} returned 404 Not Found`),
  },
];

function quotaError(c: RuleContext): SwitchboardError {
  if (googleQuotaKind(c.fields) === 'daily') {
    return error('quota.exhausted', `The daily quota of ${c.model} on ${c.label} is used up, so waiting minutes will not help: ${c.quoted}`, c, {
      retryable: false,
      fix: ['Wait until the quota resets the next day, choose another model, or enable billing for higher quotas.'],
    });
  }
  const reason = c.fields.code ?? c.fields.type ?? c.fields.sentCode ?? String(c.status);
  return error('quota.exhausted', `${c.label} reports that the account has no quota left (${reason}): ${c.quoted}`, c, {
    retryable: false,
    fix: ["Add credit or raise the spending limit in the provider's billing settings; waiting will not fix this."],
  });
}

function dailyLimitError(c: RuleContext): SwitchboardError {
  return error('quota.exhausted', `The daily limit of ${c.model} on ${c.label} is used up, so waiting minutes will not help: ${c.quoted}`, c, {
    retryable: false,
    retryAfterMs: parseRetryAfter(c.headers) ?? parseRetryHint(c.fields.message),
    fix: ['Wait until the daily limit resets, choose another model, or ask the provider for a higher usage tier.'],
  });
}

function contentBlockedError(c: RuleContext): SwitchboardError {
  const flagged = c.fields.flagged?.length ? ` (flagged: ${c.fields.flagged.join(', ')})` : '';
  return error('content.blocked', `The content filter of ${c.label} rejected the request${flagged}: ${c.quoted}`, c, {
    fix: ['Rephrase the request or leave out the flagged text; sending it unchanged gives the same result.'],
  });
}

function contextTooLongError(c: RuleContext): SwitchboardError {
  const numbers = readContextNumbers(`${c.fields.message} ${c.fields.upstream ?? ''}`);
  const correction = contextCorrection(numbers);
  const room: FixLine[] = correction
    ? [{ editor: `Lower the maximum output tokens to at most ${correction.maxOutputTokens}, or select less text.`, cli: `Lower --max-tokens to at most ${correction.maxOutputTokens}, or send a shorter prompt.` }]
    : [];
  return error('request.context_too_long', `The request is too long for ${c.model} on ${c.label}: ${c.quoted}`, c, {
    correction,
    fix: [...room, { editor: 'Select less text, or lower the maximum output tokens.', cli: 'Send a shorter prompt, or lower --max-tokens.' }],
  });
}

function modelNotFoundError(c: RuleContext): SwitchboardError {
  const thing = c.fields.code === 'DeploymentNotFound' ? `deployment "${c.model}"` : `model "${c.model}"`;
  const retired = /deprecated|decommissioned|retired/i.test(c.fields.message) || c.fields.code === 'model_decommissioned';
  const pull = /try pulling/i.test(c.fields.message) ? [`Run "ollama pull ${c.model}", or pick an installed model.`] : [];
  const deployment = c.profile.kind === 'azure-openai' ? ['Use the deployment name from the Azure portal, which may differ from the model name.'] : [];
  return error('model.not_found', `${c.label} has no ${thing}${retired ? ' any more, because it was retired' : ''}: ${c.quoted}`, c, {
    fix: [...pull, ...deployment, selectModelFix('Choose a model the server offers')],
  });
}

function wrongEndpointError(c: RuleContext, what: string): SwitchboardError {
  if (c.profile.kind === 'azure-openai') {
    return error('config.base_url', `${what}; the endpoint ${c.profile.baseUrl} or the API version ${c.profile.apiVersion ?? '(none)'} is probably wrong.`, c, {
      fix: [
        'Set the base URL to the resource endpoint only, such as https://RESOURCE.openai.azure.com, without /openai or a deployment path.',
        "Set the profile's apiVersion to a version Azure OpenAI supports, such as 2024-10-21.",
      ],
    });
  }
  return error('config.base_url', `${what}; the base URL ${c.profile.baseUrl} is probably wrong.`, c, {
    fix: [`Check the base URL; OpenAI-compatible servers usually need exactly one /v1 at the end, such as ${new URL(c.profile.baseUrl).origin}/v1.`],
  });
}

function unsupportedParameterError(c: RuleContext): SwitchboardError {
  const problem = parameterProblem(c.fields);
  const param = problem?.param ?? c.fields.param ?? /'(\w+)' is not supported/.exec(c.fields.message)?.[1];
  if (problem?.systemRole) {
    return error('request.unsupported_parameter', `${c.model} on ${c.label} does not accept system messages: ${c.quoted}`, c, {
      correction: problem.correction,
      fix: ['Remove the system prompt, or choose a model whose chat template accepts one.'],
    });
  }
  const field = problem?.correction?.kind === 'maxTokensField' ? [`Switchboard sends ${problem.correction.field} to this model from now on; retry the request.`] : [];
  return error('request.unsupported_parameter', `${c.model} on ${c.label} does not accept a parameter${param ? ` (${param})` : ''}: ${c.quoted}`, c, {
    correction: problem?.correction,
    fix: [...field, 'Remove or change the parameter in the request settings, or choose another model.'],
  });
}

function rateLimitError(c: RuleContext): SwitchboardError {
  const retryAfterMs = parseRetryAfter(c.headers) ?? googleRetryDelay(c.fields) ?? parseRetryHint(c.fields.message);
  // "Request too large for gpt-4o … on tokens per min (TPM): Limit 30000, Requested 35000": the
  // request alone is above the per-minute limit, so waiting and sending it again cannot succeed.
  const tooLarge = /request too large/i.test(c.fields.message);
  const wait = retryAfterMs !== undefined ? `; it asked to wait ${formatSeconds(retryAfterMs)}` : '';
  return error('rate_limited', `${c.label} is rate limiting requests${wait}: ${c.quoted}`, c, {
    retryAfterMs,
    ...(tooLarge ? { retryable: false } : {}),
    fix: tooLarge
      ? ['Send less text: this request alone is larger than the per-minute token limit.', 'Ask the provider for a higher usage tier.']
      : ['Wait and retry, send less text, or ask the provider for a higher rate limit.'],
  });
}

/** Maps an HTTP error response or an error delivered inside a 200 response. */
export function mapFailure(failure: RawFailure, profile: Profile, model: string): SwitchboardError {
  const fields = readErrorFields(failure.text);
  const quoted = `"${redactText(truncate(fields.upstream ? `${fields.message}: ${fields.upstream}` : fields.message))}"`;
  const options: SwitchboardErrorOptions = {
    status: failure.status,
    providerRequestId: failure.headers?.get('x-request-id') ?? failure.headers?.get('apim-request-id') ?? undefined,
    providerCode: fields.code ?? fields.type ?? fields.sentCode,
  };
  const context: RuleContext = {
    fields,
    status: failure.status,
    all: `${fields.message} ${fields.upstream ?? ''} ${failure.text}`,
    profile,
    model,
    label: providerLabel(profile),
    quoted,
    options,
    headers: failure.headers,
  };
  const rule = RULES.find((candidate) => candidate.test(context));
  const mapped = rule ? rule.build(context) : fallbackError(context);
  if (failure.headers?.get('x-should-retry') === 'false' && mapped.retryable) return mapped.withChanges(mapped.message, { retryable: false });
  return mapped;
}

/** Builds the error for a failure that no rule matches: `request.invalid` for 4xx, `server.error` otherwise. */
function fallbackError(c: RuleContext): SwitchboardError {
  // An error inside a 200 response carries its real status in the body, where the server gives one.
  const status = shownStatus(c);
  return error(status >= 400 && status < 500 ? 'request.invalid' : 'server.error', `${c.label} rejected the request (${status}): ${c.quoted}`, c, {
    fix: ['Check the request settings; the log has the details.'],
  });
}

/** Maps anything the SDK or the network threw. */
export function mapThrown(thrown: unknown, profile: Profile, model: string, url: string, signal: AbortSignal): SwitchboardError {
  if (signal.aborted) {
    const reason = signal.reason as { isSwitchboardError?: boolean };
    if (reason?.isSwitchboardError) return reason as SwitchboardError;
    return new SwitchboardError('cancelled', 'The request was cancelled.');
  }
  const transport = classifyTransportError(thrown, url);
  if (transport) return transport;
  const status = (thrown as { status?: unknown }).status;
  if (typeof status === 'number') {
    const body = (thrown as { error?: unknown }).error;
    const headers = (thrown as { headers?: Headers }).headers;
    return mapFailure({ status, text: body === undefined ? (thrown as Error).message : JSON.stringify({ error: body }), headers }, profile, model);
  }
  const name = (thrown as Error)?.name;
  if (name === 'AbortError' || name === 'APIUserAbortError') return new SwitchboardError('cancelled', 'The request was cancelled.');
  // openai 6.x replaces a fetch failure whose text matches /timed? ?out/ (undici's connect and
  // TLS-handshake timeouts among them) with an APIConnectionTimeoutError that has no cause. Its
  // own request timeout is set to a day, so here the timeout is the connection's.
  if (thrown instanceof APIConnectionTimeoutError) {
    const host = hostOf(url);
    return new SwitchboardError('timeout.connect', `Connecting to ${host} timed out.`, {
      fix: ['Check that the host is reachable from this machine, or set a proxy.', raiseTimeoutFix('connect', '', 'on slow networks')],
      cause: thrown,
    });
  }
  return new SwitchboardError('internal', `Unexpected failure talking to ${providerLabel(profile)}: ${(thrown as Error)?.message ?? String(thrown)}`, { cause: thrown });
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function error(code: ErrorCode, message: string, context: RuleContext, extra: SwitchboardErrorOptions): SwitchboardError {
  return new SwitchboardError(code, message, { ...context.options, ...extra });
}

function formatSeconds(ms: number): string {
  if (ms >= MAX_REQUESTED_WAIT_MS) return describeWait(ms);
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function truncate(text: string): string {
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function statusNumber(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : undefined;
  return number !== undefined && number >= 100 && number <= 599 ? number : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
