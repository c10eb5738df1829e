/**
 * Maps failures of OpenAI, Azure OpenAI and OpenAI-compatible servers to SwitchboardErrors.
 * Servers disagree on the error shape, so the body is normalised first: `{error: {...}}`
 * (OpenAI, Azure, Ollama, OpenRouter), a top-level `{object: "error", ...}` (vLLM),
 * `{error: "text"}` (LM Studio, Ollama's native API) and `{detail: ...}` (FastAPI servers).
 */

import { SwitchboardError, type ErrorCode, type SwitchboardErrorOptions } from '../../errors';
import { classifyTransportError } from '../../network/transport-errors';
import type { Profile } from '../../profiles';
import { redactText } from '../../redact';
import { parseRetryAfter, parseRetryHint } from '../retry-after';

export interface RawFailure {
  /** HTTP status; 200 for an error delivered inside a successful response. */
  status: number;
  /** The body text as received. */
  text: string;
  headers?: Headers;
  /** True when the error arrived inside a stream after the response started. */
  inStream?: boolean;
}

interface ErrorFields {
  message: string;
  code?: string;
  type?: string;
  param?: string;
  /** Numeric status some servers put inside the body (OpenRouter, vLLM). */
  innerStatus?: number;
  /** Upstream detail some gateways nest (OpenRouter's metadata.raw). */
  upstream?: string;
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

/** Reads the error fields out of any of the shapes servers send. */
export function readErrorFields(text: string): ErrorFields {
  const body = safeJson(text);
  if (!body || typeof body !== 'object') return { message: text.trim().slice(0, 500) || '(empty body)' };
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'string') return { message: inner };
  if (inner && typeof inner === 'object') return fieldsOf(inner as Record<string, unknown>);
  if (record.object === 'error' || typeof record.message === 'string') return fieldsOf(record);
  if (record.detail !== undefined) return { message: typeof record.detail === 'string' ? record.detail : JSON.stringify(record.detail) };
  return { message: text.trim().slice(0, 500) };
}

function fieldsOf(record: Record<string, unknown>): ErrorFields {
  const metadata = record.metadata as Record<string, unknown> | undefined;
  const raw = metadata?.raw;
  return {
    message: typeof record.message === 'string' ? record.message : JSON.stringify(record.message ?? record),
    code: typeof record.code === 'string' ? record.code : undefined,
    innerStatus: typeof record.code === 'number' ? record.code : undefined,
    type: typeof record.type === 'string' ? record.type : undefined,
    param: typeof record.param === 'string' ? record.param : undefined,
    upstream: typeof raw === 'string' ? raw : raw === undefined ? undefined : JSON.stringify(raw),
  };
}

interface Rule {
  test: (fields: ErrorFields, status: number, all: string) => boolean;
  build: (context: RuleContext) => SwitchboardError;
}

interface RuleContext {
  fields: ErrorFields;
  status: number;
  profile: Profile;
  model: string;
  label: string;
  quoted: string;
  options: SwitchboardErrorOptions;
  headers?: Headers;
}

/** Ordered: the first matching rule wins, so specific codes come before status classes. */
const RULES: Rule[] = [
  {
    test: (f, s, all) => s === 402 || f.innerStatus === 402 || f.code === 'insufficient_quota' || f.type === 'insufficient_quota' || /exceeded your current quota|insufficient credits/i.test(all),
    build: (c) => error('quota.exhausted', `${c.label} reports that the account has no quota left (insufficient_quota): ${c.quoted}`, c, {
      retryable: false,
      fix: ['Add credit or raise the spending limit in the provider\'s billing settings; waiting will not fix this.'],
    }),
  },
  {
    test: (f, _s, all) => /didn'?t provide an API key|missing (api )?key|no api key/i.test(all) && !/invalid/i.test(f.code ?? ''),
    build: (c) => error('auth.missing_key', `${c.label} received no API key: ${c.quoted}`, c, {
      fix: [`Run "Switchboard: Set API Key" for profile "${c.profile.name}".`],
    }),
  },
  {
    test: (f, s) => s === 401 || f.code === 'invalid_api_key' || f.innerStatus === 401 || /invalid.api.key|incorrect api key|unauthorized|access denied due to invalid subscription key/i.test(f.message),
    build: (c) => error('auth.invalid_key', `${c.label} rejected the API key of profile "${c.profile.name}" (${c.status}${c.fields.code ? ` ${c.fields.code}` : ''}).`, c, {
      fix: [`Run "Switchboard: Set API Key" for "${c.profile.name}" and paste a valid key for ${new URL(c.profile.baseUrl).host}.`],
    }),
  },
  {
    test: (f) => f.code === 'unsupported_country_region_territory' || /country, region, or territory not supported/i.test(f.message),
    build: (c) => error('region.unsupported', `${c.label} does not serve requests from your region: ${c.quoted}`, c, {
      fix: ['Use a provider that serves your region, or an Azure OpenAI deployment in a supported region.'],
    }),
  },
  {
    test: (f, s) => s === 403 || f.innerStatus === 403,
    build: (c) => error('auth.forbidden', `${c.label} refused access (403): ${c.quoted}`, c, {
      fix: ['Check that the key has permission for this model or project.'],
    }),
  },
  {
    // llama.cpp's server reports "exceeds the available context size", with type exceed_context_size_error in newer builds.
    test: (f, _s, all) => f.code === 'context_length_exceeded' || f.type === 'exceed_context_size_error' || /maximum context length|context length|context size|context window|too many tokens/i.test(all),
    build: (c) => error('request.context_too_long', `The request is too long for ${c.model} on ${c.label}: ${c.quoted}`, c, {
      fix: ['Select less text, or lower the maximum output tokens.'],
    }),
  },
  {
    test: (f, _s, all) => /enabled only for api versions?|api[- ]version.*(not supported|unsupported|invalid)|unsupported api version/i.test(all) || f.code === 'ApiVersionNotSupported',
    build: (c) => {
      const needed = /api versions? ([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-preview)?)/i.exec(c.fields.message)?.[1];
      return error('request.api_version', `${c.label} does not accept API version ${c.profile.apiVersion ?? '(none)'} for ${c.model}: ${c.quoted}`, c, {
        fix: [needed ? `Set the profile's apiVersion to ${needed} or later.` : 'Set the profile\'s apiVersion to a version the deployment supports.'],
      });
    },
  },
  {
    test: (f, s, all) => f.code === 'model_not_found' || f.code === 'DeploymentNotFound' || ((s === 404 || f.innerStatus === 404) && /model|deployment/i.test(all) && safeJsonIsObject(all)) || /model .* not found|model_not_found|does not exist|try pulling it/i.test(f.message),
    build: (c) => {
      const thing = c.fields.code === 'DeploymentNotFound' ? `deployment "${c.model}"` : `model "${c.model}"`;
      const pull = /try pulling/i.test(c.fields.message) ? [`Run "ollama pull ${c.model}", or pick an installed model.`] : [];
      return error('model.not_found', `${c.label} has no ${thing}: ${c.quoted}`, c, {
        fix: [...pull, 'Run "Switchboard: Select Model" to choose a model the server offers.'],
      });
    },
  },
  {
    test: (f, _s, all) => /unexpected endpoint|unknown (route|endpoint|url)|not found$/i.test(f.message) && !/model/i.test(all),
    build: (c) => error('config.base_url', `${c.label} does not know the endpoint it was sent (${c.quoted}); the base URL ${c.profile.baseUrl} is probably wrong.`, c, {
      fix: [`Check the base URL; OpenAI-compatible servers usually need exactly one /v1 at the end, such as ${new URL(c.profile.baseUrl).origin}/v1.`],
    }),
  },
  {
    test: (f, _s, all) => f.code === 'unsupported_parameter' || f.code === 'unsupported_value' || /unsupported parameter|unsupported value|not supported with this model|does not support/i.test(all),
    build: (c) => error('request.unsupported_parameter', `${c.model} on ${c.label} does not accept a parameter${c.fields.param ? ` (${c.fields.param})` : ''}: ${c.quoted}`, c, {
      fix: ['Remove or change the parameter in the request settings, or choose another model.'],
    }),
  },
  {
    test: (f, s) => s === 429 || f.innerStatus === 429 || f.code === 'rate_limit_exceeded',
    build: (c) => {
      const retryAfterMs = parseRetryAfter(c.headers) ?? parseRetryHint(c.fields.message);
      return error('rate_limited', `${c.label} is rate limiting requests${retryAfterMs ? `; it asked to wait ${formatSeconds(retryAfterMs)}` : ''}: ${c.quoted}`, c, {
        retryAfterMs,
        fix: ['Wait and retry, send less text, or ask the provider for a higher rate limit.'],
      });
    },
  },
  {
    test: (f, s, all) => s === 503 || s === 529 || f.innerStatus === 503 || /overloaded|high demand|capacity/i.test(all),
    build: (c) => error('server.overloaded', `${c.label} is overloaded (${c.status}): ${c.quoted}`, c, {
      retryAfterMs: parseRetryAfter(c.headers),
      fix: ['Retry in a moment, or choose another model.'],
    }),
  },
  {
    test: (f, s) => s >= 500 || s === 408 || (f.innerStatus !== undefined && f.innerStatus >= 500) || f.type === 'server_error',
    build: (c) => error('server.error', `${c.label} failed with a server error (${c.fields.innerStatus ?? c.status}): ${c.quoted}`, c, {
      retryAfterMs: parseRetryAfter(c.headers),
      fix: ['Retry; if it keeps failing, check the server\'s status page or logs.'],
    }),
  },
  {
    test: (_f, s) => s === 404,
    build: (c) => error('config.base_url', `${c.label} answered 404 Not Found; the base URL ${c.profile.baseUrl} is probably wrong.`, c, {
      fix: [`Check the base URL; OpenAI-compatible servers usually need exactly one /v1 at the end, such as ${new URL(c.profile.baseUrl).origin}/v1.`],
    }),
  },
];

/** Maps an HTTP error response or an error delivered inside a 200 response. */
export function mapFailure(failure: RawFailure, profile: Profile, model: string): SwitchboardError {
  const fields = readErrorFields(failure.text);
  const all = `${fields.message} ${fields.upstream ?? ''} ${failure.text}`;
  const label = providerLabel(profile);
  const quoted = `"${redactText(truncate(fields.upstream ? `${fields.message}: ${fields.upstream}` : fields.message))}"`;
  const shouldRetry = failure.headers?.get('x-should-retry');
  const options: SwitchboardErrorOptions = {
    status: failure.status,
    providerRequestId: failure.headers?.get('x-request-id') ?? failure.headers?.get('apim-request-id') ?? undefined,
    providerCode: fields.code ?? fields.type,
  };
  const context: RuleContext = { fields, status: failure.status, profile, model, label, quoted, options, headers: failure.headers };
  const rule = RULES.find((candidate) => candidate.test(fields, failure.status, all));
  // An error inside a 200 response carries its real status in the body, where the server gives one.
  const status = failure.status < 400 && fields.innerStatus !== undefined ? fields.innerStatus : failure.status;
  const mapped = rule
    ? rule.build(context)
    : error(status >= 400 && status < 500 ? 'request.invalid' : 'server.error', `${label} rejected the request (${status}): ${quoted}`, context, {
        fix: ['Check the request settings; the log has the details.'],
      });
  if (shouldRetry === 'false' && mapped.retryable) return withRetryable(mapped, false);
  return mapped;
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
  return new SwitchboardError('internal', `Unexpected failure talking to ${providerLabel(profile)}: ${(thrown as Error)?.message ?? String(thrown)}`, { cause: thrown });
}

function error(code: ErrorCode, message: string, context: RuleContext, extra: SwitchboardErrorOptions): SwitchboardError {
  return new SwitchboardError(code, message, { ...context.options, ...extra });
}

function withRetryable(source: SwitchboardError, retryable: boolean): SwitchboardError {
  const copy = new SwitchboardError(source.code, source.message, { ...source, retryable, cause: source.cause });
  return copy;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function truncate(text: string): string {
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function safeJsonIsObject(all: string): boolean {
  return /[{]/.test(all);
}
