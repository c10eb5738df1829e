/**
 * The Gemini error mapping: everything the SDK or the network throws, and every failure that
 * arrives inside a 200 response, becomes a SwitchboardError here.
 */

import { isSwitchboardError, SwitchboardError, type Correction, type SwitchboardErrorOptions } from '../../errors';
import { replaceKeyFix } from '../../fix-text';
import { classifyTransportError } from '../../network/transport-errors';
import { redactText } from '../../redact';
import { clampWait, describeWait, MAX_REQUESTED_WAIT_MS } from '../retry-after';

/** Facts about a call, quoted when it fails. The tracking fetch fills in the fields of the last exchange. */
export interface CallFacts {
  profileName: string;
  model: string;
  apiVersion: string;
  baseUrl: string;
  /** The caller's signal. A failure after it aborted becomes its reason. */
  signal?: AbortSignal;
  /** URL of the last request sent. */
  url?: string;
  /** `x-request-id` of the last response. Gemini documents no request id header, but proxies in front of it may add this one. */
  requestId?: string;
  /** `responseId` of the last chunk, Gemini's own id of the response. */
  responseId?: string;
  /** The wait that the last response's `retry-after-ms` or `Retry-After` header asked for, in milliseconds, at most one day. */
  retryAfterMs?: number;
  /** Whether the call reads a streamed response. */
  streamed?: boolean;
  /** True once a 2xx response arrived, so that a later connection failure cut the response off. */
  bodyStarted?: boolean;
  /** Whether the request asked for thought summaries (`thinkingConfig.includeThoughts`). */
  thoughtSummaries?: boolean;
}

/** Google's error body, `{"error":{"code","message","status","details"}}`, with the HTTP status. */
interface GoogleError {
  status: number;
  /** The RPC status name, such as RESOURCE_EXHAUSTED, absent when the body was not Google's JSON. */
  rpcStatus?: string;
  message: string;
  details: Record<string, unknown>[];
  /** The SDK's ApiError, kept as the cause. */
  raw: Error;
}

interface HttpRule {
  applies(error: GoogleError): boolean;
  build(error: GoogleError, facts: CallFacts): SwitchboardError;
}

/** Maximum length of a server message quoted in ours, in characters. */
const MAX_QUOTED_LENGTH = 300;

/** Maps anything thrown by the SDK, the network or this adapter to a SwitchboardError. */
export function mapGeminiError(error: unknown, facts: CallFacts): SwitchboardError {
  const transport = classifyTransportError(error, facts.url ?? facts.baseUrl);
  if (transport?.code === 'network.reset' && facts.streamed && facts.bodyStarted) return streamCutError(transport, facts);
  if (transport) return transport;
  if (facts.signal?.aborted) return abortReason(facts.signal);
  if (isAbortError(error)) return new SwitchboardError('cancelled', 'The request was cancelled.', { cause: error });

  if (isApiError(error)) return mapHttpError(readGoogleError(error), facts);
  if (error instanceof SyntaxError) return malformedError(error, facts);
  const message = (error as Error | undefined)?.message ?? String(error);
  // Raised by the SDK's SSE reader when the body ends in the middle of an event.
  if (message === 'Incomplete JSON segment at the end') return streamEndedInEventError(facts, error);
  if (message.startsWith('exception parsing stream chunk')) return malformedError(error, facts);
  return new SwitchboardError('internal', `The Gemini adapter failed unexpectedly: ${redactText(message)}`, { cause: error, ...idOptions(facts) });
}

function mapHttpError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const rule = HTTP_RULES.find((candidate) => candidate.applies(error));
  return rule ? rule.build(error, facts) : unexpectedStatusError(error, facts);
}

/**
 * Checks whether a 400 rejects `thinkingConfig`, as models without thinking reject it ("Thinking
 * is not enabled for models/…") and models with thinking off by default do ("include_thoughts
 * is only enabled when thinking is enabled").
 */
function rejectsThinkingConfig(error: GoogleError): boolean {
  return error.status === 400 && /thinking|include_?thoughts/i.test(error.message);
}

// ---------------------------------------------------------------------------------------------
// HTTP errors, most specific rule first.

const HTTP_RULES: HttpRule[] = [
  { applies: isInvalidKey, build: invalidKeyError },
  { applies: (error) => error.status === 403, build: forbiddenError },
  { applies: (error) => error.status === 429 && exhaustedQuota(error) !== undefined, build: quotaError },
  { applies: (error) => error.status === 429, build: rateLimitError },
  { applies: (error) => error.status === 404 && error.rpcStatus === 'NOT_FOUND', build: modelNotFoundError },
  { applies: (error) => error.status === 404, build: wrongEndpointError },
  { applies: (error) => error.status === 400 && unknownField(error) !== undefined, build: apiVersionError },
  { applies: isRegionError, build: regionError },
  { applies: rejectsThinkingConfig, build: thoughtsRejectedError },
  { applies: (error) => error.status === 400 && /token count.*exceeds|exceeds the maximum number of tokens/i.test(error.message), build: contextTooLongError },
  { applies: (error) => error.status >= 400 && error.status < 500, build: invalidRequestError },
  { applies: (error) => error.status === 503, build: overloadedError },
  { applies: (error) => error.status >= 500, build: serverError },
];

function isInvalidKey(error: GoogleError): boolean {
  if (error.status === 401) return true;
  if (error.status !== 400 && error.status !== 403) return false;
  return errorInfoReason(error) === 'API_KEY_INVALID' || /API_KEY_INVALID|API key (not valid|expired)/i.test(error.message);
}

function invalidKeyError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const reason = errorInfoReason(error) ?? error.rpcStatus;
  return new SwitchboardError('auth.invalid_key', `Gemini rejected the API key of profile "${facts.profileName}" as not valid (HTTP ${error.status}${reason ? ` ${reason}` : ''}).`, {
    ...httpOptions(error, facts),
    fix: [
      replaceKeyFix({ name: facts.profileName, kind: 'gemini', baseUrl: facts.baseUrl }),
      'A deleted or expired key, or one restricted to other APIs, is rejected the same way.',
    ],
  });
}

function forbiddenError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('auth.forbidden', `Gemini denied the API key of profile "${facts.profileName}" access to ${facts.model} (HTTP 403${rpcSuffix(error)}): ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    fix: [
      "Check in the Google Cloud console that the Generative Language API is enabled for the key's project and that the key's API restrictions allow it.",
    ],
  });
}

function quotaError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const quota = exhaustedQuota(error)!;
  const limit = quota.value === undefined ? '' : ` (limit ${quota.value})`;
  const message = quota.value === '0'
    ? `Gemini's quota ${quota.id} for ${facts.model} is 0 in this project, so waiting will not help.`
    : `Gemini's daily quota ${quota.id}${limit} for ${facts.model} is used up, so waiting minutes will not help.`;
  return new SwitchboardError('quota.exhausted', message, {
    ...httpOptions(error, facts),
    retryable: false,
    fix: [
      'Enable billing for the project in Google AI Studio to raise its quotas, or choose another model.',
      'Daily quotas reset at midnight Pacific time, and they count per project, so another key of the same project does not help.',
    ],
  });
}

function rateLimitError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const retryAfterMs = retryDelayOf(error) ?? facts.retryAfterMs;
  const quota = quotaViolations(error)[0];
  const limit = quota?.id ? ` ${quota.id}${quota.value === undefined ? '' : ` (${quota.value})`}` : '';
  const wait = retryAfterMs === undefined ? '' : `, and the server asked to wait ${formatSeconds(retryAfterMs)}`;
  return new SwitchboardError('rate_limited', `Gemini's rate limit${limit} for ${facts.model} was reached${wait}.`, {
    ...httpOptions(error, facts),
    retryAfterMs,
    fix: ['Wait and retry. Switchboard retries by itself when the wait is short.', 'Send shorter prompts, or enable billing for higher limits.'],
  });
}

function modelNotFoundError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const model = /models\/([^\s,]+) is not found/.exec(error.message)?.[1] ?? facts.model;
  // Gemini returns 404 for retired models, with a message such as "Gemini 1.0 Pro Vision has been deprecated
  // on July 12, 2024. Consider switching to different model, for example gemini-1.5-flash."
  if (/deprecated|retired|discontinued|no longer (available|supported)/i.test(error.message)) {
    return new SwitchboardError('model.not_found', `Gemini retired the model "${facts.model}": ${quote(error.message)}`, {
      ...httpOptions(error, facts),
      fix: ['Choose a current model from the list the provider returns.'],
    });
  }
  return new SwitchboardError('model.not_found', `Gemini has no model "${model}" on API version ${facts.apiVersion}, or the model does not support generateContent.`, {
    ...httpOptions(error, facts),
    fix: [
      'Choose a model from the list the provider returns, because retired Gemini models disappear from it.',
      ...(facts.apiVersion === 'v1' ? ['Newer models may exist on v1beta only: set the profile\'s apiVersion to "v1beta".'] : []),
    ],
  });
}

function wrongEndpointError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const where = facts.url ? new URL(facts.url).pathname : facts.baseUrl;
  return new SwitchboardError('config.base_url', `The server at ${facts.baseUrl} returned HTTP 404 for ${where} without a Gemini error body, so the base URL does not point at the Gemini API.`, {
    ...httpOptions(error, facts),
    fix: ['Set the base URL to https://generativelanguage.googleapis.com, without the version path.'],
  });
}

function apiVersionError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const field = unknownField(error)!;
  const fix = facts.apiVersion === 'v1beta'
    ? 'The field is unknown even to v1beta: check that the base URL points at the Gemini API and not at a proxy with an older API.'
    : `Set the profile's apiVersion to "v1beta", which accepts "${field}".`;
  return new SwitchboardError('request.api_version', `Gemini API version ${facts.apiVersion} rejected the request field "${field}" as unknown.`, {
    ...httpOptions(error, facts),
    correction: correctionForUnknownField(field, facts),
    fix: [fix],
  });
}

/** Returns the correction for an unknown field that Switchboard can do without: system text moves into the first turn, and thought summaries are left out. */
function correctionForUnknownField(field: string, facts: CallFacts): Correction | undefined {
  if (/^system_?instruction$/i.test(field)) return { kind: 'foldSystemMessages' };
  if (/thinking_?config|include_?thoughts/i.test(field) && facts.thoughtSummaries) return { kind: 'omitThoughtSummaries' };
  return undefined;
}

function thoughtsRejectedError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('request.unsupported_parameter', `${facts.model} rejected the request for thought summaries (thinkingConfig): ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    correction: facts.thoughtSummaries ? { kind: 'omitThoughtSummaries' } : undefined,
    fix: ['Choose a model that thinks, such as a Gemini 2.5 Pro or Flash model, or lower the thinking settings the message names.'],
  });
}

function isRegionError(error: GoogleError): boolean {
  return error.status === 400 && error.rpcStatus === 'FAILED_PRECONDITION' && /location|region|country/i.test(error.message);
}

function regionError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('region.unsupported', `Gemini rejected the request because of the location it was sent from (HTTP 400 FAILED_PRECONDITION): ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    fix: [
      'Enable billing for the project in Google AI Studio, because the free tier is not offered in every country.',
      'Where Gemini is not offered at all, use it through a supported region or another provider.',
    ],
  });
}

function contextTooLongError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('request.context_too_long', `The prompt is longer than ${facts.model} accepts: ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    fix: ['Send less text: shorten the selection or the conversation, or choose a model with a longer context.'],
  });
}

function invalidRequestError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('request.invalid', `Gemini rejected the request to ${facts.model} (HTTP ${error.status}${rpcSuffix(error)}): ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    fix: ['Check the request settings the message names, such as temperature, max output tokens or stop sequences.'],
  });
}

function overloadedError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('server.overloaded', `${facts.model} is overloaded (HTTP 503${rpcSuffix(error)}): ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    retryAfterMs: retryDelayOf(error) ?? facts.retryAfterMs,
    fix: ['Retry in a minute, or choose another model.'],
  });
}

function serverError(error: GoogleError, facts: CallFacts): SwitchboardError {
  const timedOut = error.status === 504 || error.rpcStatus === 'DEADLINE_EXCEEDED';
  return new SwitchboardError('server.error', `Gemini failed on its side (HTTP ${error.status}${rpcSuffix(error)}): ${quote(error.message)}`, {
    ...httpOptions(error, facts),
    retryable: true,
    retryAfterMs: retryDelayOf(error) ?? facts.retryAfterMs,
    fix: timedOut
      ? ['Retry, and send a shorter prompt if it keeps timing out.']
      : ['Retry, or try again later if it keeps failing.', 'A very long prompt can also cause this error: send less text if it keeps failing.'],
  });
}

function unexpectedStatusError(error: GoogleError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('internal', `Gemini returned the unexpected HTTP status ${error.status}: ${quote(error.message)}`, httpOptions(error, facts));
}

// ---------------------------------------------------------------------------------------------
// Failures inside a 200 response.

/** Builds the error for `promptFeedback.blockReason`, which means Gemini rejected the prompt and generated nothing. */
export function promptBlockedError(blockReason: string, detail: string | undefined, facts: CallFacts): SwitchboardError {
  const because = detail ? `: ${quote(detail)}` : '';
  return new SwitchboardError('content.blocked', `Gemini blocked the prompt to ${facts.model} (blockReason ${blockReason}), so no answer was generated${because}.`, {
    ...idOptions(facts),
    providerCode: blockReason,
    fix: ['Rephrase the request or leave out the content that was flagged, then send it again.'],
  });
}

/** Builds the error for a finish reason such as SAFETY or RECITATION, which means Gemini stopped generating because of the content. */
export function answerBlockedError(finishReason: string, categories: string[], facts: CallFacts): SwitchboardError {
  const flagged = categories.length > 0 ? ` (flagged: ${categories.join(', ')})` : '';
  return new SwitchboardError('content.blocked', `Gemini stopped the response of ${facts.model} with finishReason ${finishReason}${flagged}.`, {
    ...idOptions(facts),
    providerCode: finishReason,
    fix: [
      finishReason === 'RECITATION'
        ? 'The response repeated protected text too closely, so ask for a summary or a paraphrase instead.'
        : 'Rephrase the request or leave out the content that was flagged, then send it again.',
    ],
  });
}

export interface EmptyOutputDetail {
  maxOutputTokens?: number;
  thoughtsTokenCount?: number;
}

/** Builds the error for MAX_TOKENS before any text, when the model spent its whole output budget, most often on thinking. */
export function emptyOutputError(detail: EmptyOutputDetail, facts: CallFacts): SwitchboardError {
  const budget = detail.maxOutputTokens === undefined ? 'its output budget' : `its output budget of ${detail.maxOutputTokens} tokens`;
  const thoughts = detail.thoughtsTokenCount === undefined ? ' (most likely on thinking)' : ` (${detail.thoughtsTokenCount} tokens of it on thinking)`;
  return new SwitchboardError('output.empty', `${facts.model} spent ${budget}${thoughts} and produced no text (finishReason MAX_TOKENS).`, {
    ...idOptions(facts),
    providerCode: 'MAX_TOKENS',
    fix: ['Raise the max output tokens setting, or lower the thinking budget, so that tokens are left for the answer.'],
  });
}

/** Builds the error for a response with neither a finish reason nor a block reason, which every complete response has. */
export function missingFinishReasonError(streamed: boolean, chunks: number, facts: CallFacts): SwitchboardError {
  if (!streamed) {
    return new SwitchboardError('output.empty', `Gemini's response from ${facts.model} contained no candidate, no finish reason and no block reason.`, {
      ...idOptions(facts),
      fix: ['Retry, or choose another model if it keeps happening.'],
    });
  }
  return new SwitchboardError('stream.interrupted', `The Gemini stream from ${facts.model} ended after ${chunks} chunks without a finish reason, so the response is incomplete.`, {
    ...idOptions(facts),
    fix: ['Retry the request, because the connection or the server cut the response off.'],
  });
}

function streamEndedInEventError(facts: CallFacts, cause: unknown): SwitchboardError {
  return new SwitchboardError('stream.interrupted', `The Gemini stream from ${facts.model} ended in the middle of an event, so the response is incomplete.`, {
    ...idOptions(facts),
    cause,
    fix: ['Retry the request, because the connection or the server cut the response off.'],
  });
}

function streamCutError(transport: SwitchboardError, facts: CallFacts): SwitchboardError {
  return new SwitchboardError('stream.interrupted', `The connection to ${hostOf(facts)} closed in the middle of the response from ${facts.model}.`, {
    ...idOptions(facts),
    cause: transport.cause ?? transport,
    fix: ['Retry the request. If it keeps happening, check proxies or firewalls between you and the server.'],
  });
}

function malformedError(error: unknown, facts: CallFacts): SwitchboardError {
  const detail = (error as Error | undefined)?.message ?? String(error);
  return new SwitchboardError('stream.malformed', `Gemini sent a response from ${facts.model} that is not valid JSON: ${quote(detail)}`, {
    ...idOptions(facts),
    cause: error,
    fix: ['Retry. If it keeps happening, check that no proxy rewrites the responses, and send the logs with a report.'],
  });
}

// ---------------------------------------------------------------------------------------------
// Reading Google's error bodies.

/** Identifies the SDK's ApiError by its name, as the SDK itself does, so a second copy of the SDK still matches. */
function isApiError(error: unknown): error is Error & { status: number } {
  return error instanceof Error && error.name === 'ApiError' && typeof (error as { status?: unknown }).status === 'number';
}

function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

function abortReason(signal: AbortSignal): SwitchboardError {
  const reason: unknown = signal.reason;
  if (isSwitchboardError(reason)) return reason;
  return new SwitchboardError('cancelled', 'The request was cancelled.', { cause: reason });
}

/**
 * Reads the body out of an ApiError. The SDK puts the body's JSON text in the message, after
 * `got status: …. ` for errors that arrive inside a stream. A body that was not JSON is wrapped
 * as `{"error":{"message":<text>,"code":<status>,"status":<status text>}}`.
 */
function readGoogleError(error: Error & { status: number }): GoogleError {
  const payload = parseEmbeddedJson(error.message);
  const body = Array.isArray(payload) ? payload[0] : payload;
  const inner = isRecord(body) && isRecord(body['error']) ? body['error'] : undefined;
  const rpcStatus = typeof inner?.['status'] === 'string' && /^[A-Z_]+$/.test(inner['status']) ? inner['status'] : undefined;
  const message = typeof inner?.['message'] === 'string' ? inner['message'] : error.message;
  const details = Array.isArray(inner?.['details']) ? inner['details'].filter(isRecord) : [];
  return { status: error.status, rpcStatus, message, details, raw: error };
}

function parseEmbeddedJson(text: string): unknown {
  const start = text.search(/[[{]/);
  if (start === -1) return undefined;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

function detailsOfType(error: GoogleError, type: string): Record<string, unknown>[] {
  return error.details.filter((detail) => typeof detail['@type'] === 'string' && detail['@type'].endsWith(`google.rpc.${type}`));
}

function errorInfoReason(error: GoogleError): string | undefined {
  const reason = detailsOfType(error, 'ErrorInfo')[0]?.['reason'];
  return typeof reason === 'string' ? reason : undefined;
}

interface QuotaViolation {
  id?: string;
  value?: string;
}

function quotaViolations(error: GoogleError): QuotaViolation[] {
  return detailsOfType(error, 'QuotaFailure').flatMap((detail) => {
    const violations = Array.isArray(detail['violations']) ? detail['violations'].filter(isRecord) : [];
    return violations.map((violation) => ({
      id: typeof violation['quotaId'] === 'string' ? violation['quotaId'] : undefined,
      value: typeof violation['quotaValue'] === 'string' ? violation['quotaValue'] : undefined,
    }));
  });
}

/**
 * The violated quota that waiting does not fix: a per-day quota, or a quota of 0. Google sends
 * the same "exceeded your current quota" message for per-minute and per-day limits, so only
 * the quotaId distinguishes them.
 */
function exhaustedQuota(error: GoogleError): QuotaViolation | undefined {
  return quotaViolations(error).find((violation) => /PerDay/i.test(violation.id ?? '') || violation.value === '0');
}

/** Reads the delay of `RetryInfo.retryDelay`, or of "Please retry in 26.7s." in the message, in milliseconds. */
function retryDelayOf(error: GoogleError): number | undefined {
  const retryDelay = detailsOfType(error, 'RetryInfo')[0]?.['retryDelay'];
  if (typeof retryDelay === 'string') {
    const parsed = parseDuration(retryDelay);
    if (parsed !== undefined) return parsed;
  }
  const match = /retry in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(error.message);
  if (!match) return undefined;
  const value = Number(match[1]);
  return clampWait(Math.ceil(match[2]!.toLowerCase() === 'ms' ? value : value * 1000));
}

/** Parses a protobuf Duration in its JSON form, such as "26s" or "2.463586755s", into milliseconds clamped to one day. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(text);
  return match ? clampWait(Math.ceil(Number(match[1]) * 1000)) : undefined;
}

/** Finds the field named by `Unknown name "…"` in the message or in a BadRequest field violation. */
function unknownField(error: GoogleError): string | undefined {
  const violations = detailsOfType(error, 'BadRequest').flatMap((detail) => (Array.isArray(detail['fieldViolations']) ? detail['fieldViolations'].filter(isRecord) : []));
  const texts = [error.message, ...violations.map((violation) => String(violation['description'] ?? ''))];
  for (const text of texts) {
    const field = /Unknown name "([^"]+)"/.exec(text)?.[1];
    if (field) return field;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

function httpOptions(error: GoogleError, facts: CallFacts): SwitchboardErrorOptions {
  return { status: error.status, providerCode: error.rpcStatus, cause: error.raw, ...idOptions(facts) };
}

function idOptions(facts: CallFacts): SwitchboardErrorOptions {
  const providerRequestId = facts.requestId ?? facts.responseId;
  return providerRequestId === undefined ? {} : { providerRequestId };
}

function rpcSuffix(error: GoogleError): string {
  return error.rpcStatus ? ` ${error.rpcStatus}` : '';
}

/** Formats a server's text as one line, shortened and with secrets masked, for quoting in a message. */
function quote(text: string): string {
  const line = redactText(text).replace(/\s+/g, ' ').trim();
  return line.length > MAX_QUOTED_LENGTH ? `${line.slice(0, MAX_QUOTED_LENGTH)}…` : line;
}

function formatSeconds(ms: number): string {
  if (!(ms < MAX_REQUESTED_WAIT_MS)) return describeWait(ms);
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function hostOf(facts: CallFacts): string {
  try {
    return new URL(facts.url ?? facts.baseUrl).host;
  } catch {
    return facts.baseUrl;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
