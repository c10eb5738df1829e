/**
 * The error taxonomy. Every failure becomes a SwitchboardError with a code from a closed set.
 * Errors cross process boundaries as ErrorData, so callers identify them by `code`, never by
 * `instanceof`.
 */

export const ERROR_CODES = [
  'auth.invalid_key',
  'auth.missing_key',
  'auth.forbidden',
  'quota.exhausted',
  'rate_limited',
  'model.not_found',
  'request.invalid',
  'request.unsupported_parameter',
  'request.context_too_long',
  'request.api_version',
  'content.blocked',
  'output.empty',
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

/** Default retry decision and fixing actions per code; a mapper may override `retryable`. */
export const CODE_INFO: Record<ErrorCode, CodeInfo> = {
  'auth.invalid_key': { retryable: false, actions: ['setApiKey', 'openDocs'] },
  'auth.missing_key': { retryable: false, actions: ['setApiKey'] },
  'auth.forbidden': { retryable: false, actions: ['setApiKey', 'openDocs'] },
  'quota.exhausted': { retryable: false, actions: ['openBilling', 'selectProfile', 'openDocs'] },
  rate_limited: { retryable: true, actions: ['retry', 'openDocs'] },
  'model.not_found': { retryable: false, actions: ['selectModel', 'openDocs'] },
  'request.invalid': { retryable: false, actions: ['showLogs', 'openDocs'] },
  'request.unsupported_parameter': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'request.context_too_long': { retryable: false, actions: ['openDocs'] },
  'request.api_version': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'content.blocked': { retryable: false, actions: ['openDocs'] },
  'output.empty': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'output.truncated': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'server.error': { retryable: true, actions: ['retry', 'showLogs'] },
  'server.overloaded': { retryable: true, actions: ['retry', 'selectModel'] },
  'network.refused': { retryable: true, actions: ['diagnose', 'openSettings'] },
  'network.dns': { retryable: false, actions: ['diagnose', 'openSettings'] },
  'network.reset': { retryable: true, actions: ['retry', 'diagnose'] },
  'network.unreachable': { retryable: true, actions: ['diagnose', 'openSettings'] },
  'tls.untrusted': { retryable: false, actions: ['diagnose', 'openSettings', 'openDocs'] },
  'tls.expired': { retryable: false, actions: ['diagnose', 'openDocs'] },
  'tls.hostname': { retryable: false, actions: ['diagnose', 'openSettings'] },
  'proxy.auth_required': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'proxy.failed': { retryable: true, actions: ['diagnose', 'openSettings'] },
  'timeout.connect': { retryable: true, actions: ['diagnose', 'openSettings'] },
  'timeout.first_byte': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'timeout.idle': { retryable: false, actions: ['retry', 'openSettings'] },
  'timeout.deadline': { retryable: false, actions: ['retry', 'openSettings'] },
  'stream.interrupted': { retryable: true, actions: ['retry', 'showLogs'] },
  'stream.malformed': { retryable: false, actions: ['retry', 'showLogs'] },
  'config.base_url': { retryable: false, actions: ['openSettings', 'openDocs'] },
  'config.invalid': { retryable: false, actions: ['openSettings'] },
  'config.profile_not_found': { retryable: false, actions: ['selectProfile', 'openSettings'] },
  'region.unsupported': { retryable: false, actions: ['openDocs'] },
  'circuit.open': { retryable: false, actions: ['retry', 'diagnose'] },
  cancelled: { retryable: false, actions: [] },
  internal: { retryable: false, actions: ['showLogs'] },
};

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
}

export interface SwitchboardErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  status?: number;
  providerRequestId?: string;
  requestId?: string;
  fix?: string[];
  actions?: FixAction[];
  providerCode?: string;
  cause?: unknown;
}

export class SwitchboardError extends Error {
  readonly isSwitchboardError = true;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly providerRequestId?: string;
  requestId?: string;
  readonly fix: string[];
  readonly actions: FixAction[];
  readonly providerCode?: string;
  partialText?: string;

  constructor(code: ErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchboardError';
    this.code = code;
    this.retryable = options.retryable ?? CODE_INFO[code].retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.providerRequestId = options.providerRequestId;
    this.requestId = options.requestId;
    this.fix = options.fix ?? [];
    this.actions = options.actions ?? CODE_INFO[code].actions;
    this.providerCode = options.providerCode;
  }

  toData(): ErrorData {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      status: this.status,
      providerRequestId: this.providerRequestId,
      requestId: this.requestId,
      fix: this.fix,
      actions: this.actions,
      providerCode: this.providerCode,
      partialText: this.partialText,
      cause: describeCause(this.cause),
    };
  }
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
