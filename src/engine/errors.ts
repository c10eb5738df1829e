/**
 * The error taxonomy. Every failure becomes a SwitchboardError with a code from a closed set.
 * Errors cross process boundaries as ErrorData, so callers identify them by `code`, never by
 * `instanceof`.
 */
import { redactText } from './redact';

export const ERROR_CODES = [
  'auth.invalid_key',
  'auth.missing_key',
  'auth.forbidden',
  'quota.exhausted',
  'rate_limited',
  'model.not_found',
  'model.unsupported',
  'request.invalid',
  'request.unsupported_parameter',
  'request.context_too_long',
  'request.api_version',
  'content.blocked',
  'output.empty',
  // NOTE: no adapter raises output.truncated yet; a response cut at its limit ends with finish reason "length".
  'output.truncated',
  'server.error',
  'server.overloaded',
  'network.refused',
  'network.dns',
  'network.reset',
  'network.unreachable',
  'tls.untrusted',
  'tls.expired',
  'tls.hostname',
  'proxy.auth_required',
  'proxy.failed',
  'timeout.connect',
  'timeout.first_byte',
  'timeout.idle',
  'timeout.deadline',
  'stream.interrupted',
  'stream.malformed',
  'config.base_url',
  'config.invalid',
  'config.profile_not_found',
  'region.unsupported',
  'circuit.open',
  'cancelled',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An action that fixes an error; the editor turns each into a button. */
export type FixAction =
  | 'setApiKey'
  | 'selectModel'
  | 'selectProfile'
  | 'openSettings'
  | 'showLogs'
  | 'retry'
  | 'diagnose'
  | 'openDocs'
  | 'openBilling';

interface CodeInfo {
  retryable: boolean;
  actions: FixAction[];
}

/**
 * Default retry class and fixing actions per code. The retry policy retries only codes whose
 * `retryable` is true here, and a mapper may still mark one error of such a code not retryable.
 * Every code but `cancelled` ends its actions with `openDocs`, which opens its section of
 * docs/errors.md.
 */
export const CODE_INFO: Record<ErrorCode, CodeInfo> = {
  'auth.invalid_key': { retryable: false, actions: ['setApiKey', 'openDocs'] },
  'auth.missing_key': { retryable: false, actions: ['setApiKey', 'openDocs'] },
  'auth.forbidden': { retryable: false, actions: ['setApiKey', 'openDocs'] },
  'quota.exhausted': { retryable: false, actions: ['openBilling', 'selectProfile', 'openDocs'] },
  rate_limited: { retryable: true, actions: ['retry', 'openDocs'] },
  'model.not_found': { retryable: false, actions: ['selectModel', 'openDocs'] },
  'model.unsupported': { retryable: false, actions: ['selectModel', 'openDocs'] },
  'request.invalid': { retryable: false, actions: ['showLogs', 'openDocs'] },
  'request.unsupported_parameter': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'request.context_too_long': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'request.api_version': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'content.blocked': { retryable: false, actions: ['openDocs'] },
  'output.empty': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'output.truncated': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'server.error': { retryable: true, actions: ['retry', 'showLogs', 'openDocs'] },
  'server.overloaded': { retryable: true, actions: ['retry', 'selectModel', 'openDocs'] },
  'network.refused': { retryable: true, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'network.dns': { retryable: false, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'network.reset': { retryable: true, actions: ['retry', 'diagnose', 'openDocs'] },
  'network.unreachable': { retryable: true, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'tls.untrusted': { retryable: false, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'tls.expired': { retryable: false, actions: ['diagnose', 'openDocs'] },
  'tls.hostname': { retryable: false, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'proxy.auth_required': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'proxy.failed': { retryable: true, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'timeout.connect': { retryable: true, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'timeout.first_byte': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'timeout.idle': { retryable: false, actions: ['retry', 'openSettings', 'openDocs'] },
  'timeout.deadline': { retryable: false, actions: ['retry', 'openSettings', 'openDocs'] },
  'stream.interrupted': { retryable: true, actions: ['retry', 'showLogs', 'openDocs'] },
  'stream.malformed': { retryable: false, actions: ['retry', 'showLogs', 'openDocs'] },
  'config.base_url': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'config.invalid': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'config.profile_not_found': { retryable: false, actions: ['selectProfile', 'openSettings', 'openDocs'] },
  'region.unsupported': { retryable: false, actions: ['selectProfile', 'openDocs'] },
  'circuit.open': { retryable: false, actions: ['retry', 'diagnose', 'openDocs'] },
  cancelled: { retryable: false, actions: [] },
  internal: { retryable: false, actions: ['showLogs', 'openDocs'] },
};

/** The page that explains every code, relative to the repository and the installed extension. */
export const ERRORS_DOC = 'docs/errors.md';

/**
 * Returns the anchor of a code's section in docs/errors.md. The section heading is the code in
 * backticks, and GitHub's anchor rule lower-cases it and drops the dots, so `auth.invalid_key`
 * becomes `authinvalid_key`.
 */
export function docsAnchor(code: ErrorCode): string {
  return code.toLowerCase().replace(/[^a-z0-9_ -]/g, '').replace(/ /g, '-');
}

/** Returns the link to a code's section, such as `docs/errors.md#authinvalid_key`. */
export function docsUrl(code: ErrorCode): string {
  return `${ERRORS_DOC}#${docsAnchor(code)}`;
}

/**
 * A change to the request that a server's rejection names as its fix. The engine sends the
 * request once more with it applied and remembers it per server and model (corrective-retry.ts).
 */
export type Correction =
  /** The model accepts the output limit only under this field name. */
  | { kind: 'maxTokensField'; field: 'max_tokens' | 'max_completion_tokens' }
  /** The model accepts only its default temperature. */
  | { kind: 'omitTemperature' }
  /** The model or API version rejects system messages, so they go into the first user message. */
  | { kind: 'foldSystemMessages' }
  /** The model rejects Gemini's thought summaries (`thinkingConfig.includeThoughts`). */
  | { kind: 'omitThoughtSummaries' }
  /** The prompt fits the context, but the prompt and the output limit together do not. */
  | { kind: 'lowerMaxOutputTokens'; maxOutputTokens: number; contextTokens: number; promptTokens: number };

/** The place an error is shown in: VS Code (the extension and its language server) or the `switchboard` command. */
export type FixSurface = 'editor' | 'cli';

/**
 * A fix line with one wording per surface, for fixes that name a VS Code command or setting:
 * the command line offers flags and environment variables instead. fix-text.ts builds them.
 */
export interface SurfaceFix {
  editor: string;
  cli: string;
}

/** A fix line: plain text for every surface, or one wording per surface. */
export type FixLine = string | SurfaceFix;

/** Returns the wording of a fix line for a surface. */
export function renderFix(line: FixLine, surface: FixSurface): string {
  return typeof line === 'string' ? line : line[surface];
}

/** The plain-data form of an error, as it crosses LSP, the CLI's JSON output and logs. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** Delay the server asked for before a retry, in milliseconds. */
  retryAfterMs?: number;
  /** HTTP status, where there was a response. */
  status?: number;
  /** The provider's own request id, for support tickets. */
  providerRequestId?: string;
  /** Switchboard's local request id, repeated on every log line of the request. */
  requestId?: string;
  /** Sentences that say how to fix it, most likely first. */
  fix: string[];
  actions: FixAction[];
  /** The provider's error code or type, as sent. */
  providerCode?: string;
  /** Text produced before a stream failed; kept so the user loses nothing. */
  partialText?: string;
  /** One line describing the underlying cause (for example `ECONNREFUSED 127.0.0.1:11434`). */
  cause?: string;
  /** Link to the code's section of docs/errors.md, relative to the extension's root. */
  docsUrl?: string;
  /** Models the server offers, closest to the requested one first, for `model.not_found`. */
  suggestedModels?: string[];
}

export interface SwitchboardErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  status?: number;
  providerRequestId?: string;
  requestId?: string;
  fix?: FixLine[];
  actions?: FixAction[];
  providerCode?: string;
  cause?: unknown;
  correction?: Correction;
  suggestedModels?: string[];
}

export class SwitchboardError extends Error {
  readonly isSwitchboardError = true;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly providerRequestId?: string;
  requestId?: string;
  /** The fix lines with every surface's wording; `fix` has VS Code's. */
  readonly fixLines: FixLine[];
  readonly actions: FixAction[];
  readonly providerCode?: string;
  partialText?: string;
  /** The request change that may fix this error; used by the engine and never sent to clients. */
  readonly correction?: Correction;
  readonly suggestedModels?: string[];

  constructor(code: ErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchboardError';
    this.code = code;
    this.retryable = options.retryable ?? CODE_INFO[code].retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.providerRequestId = options.providerRequestId;
    this.requestId = options.requestId;
    this.fixLines = options.fix ?? [];
    this.actions = options.actions ?? CODE_INFO[code].actions;
    this.providerCode = options.providerCode;
    this.correction = options.correction;
    this.suggestedModels = options.suggestedModels;
  }

  /** The fix lines in VS Code's wording, most likely first. */
  get fix(): string[] {
    return this.fixLines.map((line) => renderFix(line, 'editor'));
  }

  /** Returns a copy with the given message and options replaced, keeping the request id and partial text. */
  withChanges(message: string, changes: SwitchboardErrorOptions = {}): SwitchboardError {
    const copy = new SwitchboardError(this.code, message, { ...this.options(), ...changes });
    copy.partialText = this.partialText;
    return copy;
  }

  private options(): SwitchboardErrorOptions {
    return {
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      status: this.status,
      providerRequestId: this.providerRequestId,
      requestId: this.requestId,
      fix: this.fixLines,
      actions: this.actions,
      providerCode: this.providerCode,
      cause: this.cause,
      correction: this.correction,
      suggestedModels: this.suggestedModels,
    };
  }

  /**
   * Converts the error to the form that leaves the engine. The message, fixes and cause pass
   * through `redactText`, because they can quote URLs, headers or provider text that carry a key.
   * The fix lines take the wording of `surface`.
   */
  toData(surface: FixSurface = 'editor'): ErrorData {
    const cause = describeCause(this.cause);
    return {
      code: this.code,
      message: redactText(this.message),
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      status: this.status,
      providerRequestId: this.providerRequestId,
      requestId: this.requestId,
      fix: this.fixLines.map((line) => redactText(renderFix(line, surface))),
      actions: this.actions,
      providerCode: this.providerCode,
      partialText: this.partialText,
      cause: cause === undefined ? undefined : redactText(cause),
      docsUrl: docsUrl(this.code),
      suggestedModels: this.suggestedModels,
    };
  }
}

/**
 * Keeps the text a stream produced before it failed. The message then says how much text was
 * kept, and the actions offer a retry when a new attempt could succeed, because the engine
 * never retries such a stream by itself.
 */
export function keepPartialText(error: SwitchboardError, text: string): SwitchboardError {
  if (text === '') return error;
  if (error.code === 'cancelled') {
    const cancelled = error.withChanges(error.message);
    cancelled.partialText = text;
    return cancelled;
  }
  const canRetry = CODE_INFO[error.code].retryable || error.code.startsWith('timeout.');
  const kept = `The ${text.length} characters received before the failure were kept${canRetry ? '; retry to get the whole answer' : ''}.`;
  const actions: FixAction[] = canRetry && !error.actions.includes('retry') ? ['retry', ...error.actions] : error.actions;
  const copy = error.withChanges(`${error.message} ${kept}`, { actions });
  copy.partialText = text;
  return copy;
}

export function isSwitchboardError(value: unknown): value is SwitchboardError {
  return typeof value === 'object' && value !== null && (value as { isSwitchboardError?: unknown }).isSwitchboardError === true;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Formats the innermost useful cause as one line, such as `ECONNREFUSED 127.0.0.1:11434`. */
export function describeCause(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  const inner = describeCause(cause.cause);
  const own = typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  return inner ? `${own} (cause: ${inner})` : own;
}
