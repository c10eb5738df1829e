/**
 * The messages between the feedback form's page script and the extension, and the
 * hand-written validators both sides run on what they receive. Pure: it imports neither
 * `vscode` nor the DOM, so the extension bundle, the page bundle and unit tests share it.
 */

export const FEEDBACK_KINDS = ['bug', 'connection', 'performance', 'documentation', 'idea'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export const MIN_RATING = 1;
export const MAX_RATING = 5;
/** Maximum length of the message, in UTF-16 code units. */
export const MAX_MESSAGE_LENGTH = 5000;
/** Maximum length of the optional contact (an e-mail address or a handle), in UTF-16 code units. */
export const MAX_CONTACT_LENGTH = 200;
/** Maximum length of the text in a status message from the extension. */
export const MAX_STATUS_TEXT_LENGTH = 2000;
/** Maximum length of the diagnostics preview the extension sends. */
export const MAX_DIAGNOSTICS_TEXT_LENGTH = 50_000;

/** The fields the user filled in. The diagnostics never come from the page, only the choice to attach them. */
export interface FeedbackDraft {
  kind: FeedbackKind;
  rating: number;
  message: string;
  contact: string;
  attachDiagnostics: boolean;
}

/** Page → extension. `collectDiagnostics` requests the report to preview; `submit` sends the form. */
export type PageMessage = { type: 'collectDiagnostics' } | { type: 'submit'; draft: FeedbackDraft };
export type PageMessageType = PageMessage['type'];

/** Every PageMessage type, for code and tests that go through all of them. */
export const PAGE_MESSAGE_TYPES = ['collectDiagnostics', 'submit'] as const satisfies readonly PageMessageType[];

export type SubmissionState = 'saving' | 'saved' | 'delivered' | 'queued' | 'keptLocally' | 'failed';

/** Extension → page. `diagnostics` carries the redacted report the user would attach. */
export type HostMessage =
  | { type: 'diagnostics'; text: string }
  | { type: 'status'; state: SubmissionState; text: string };
export type HostMessageType = HostMessage['type'];

/** Every HostMessage type, for code and tests that go through all of them. */
export const HOST_MESSAGE_TYPES = ['diagnostics', 'status'] as const satisfies readonly HostMessageType[];

/** Compiles only while each list names every type of its union, so a new message type must be added to it. */
type ListsEveryType<Union, List extends readonly unknown[]> = [Exclude<Union, List[number]>] extends [never] ? true : false;
const PAGE_TYPES_LISTED: ListsEveryType<PageMessageType, typeof PAGE_MESSAGE_TYPES> = true;
const HOST_TYPES_LISTED: ListsEveryType<HostMessageType, typeof HOST_MESSAGE_TYPES> = true;
void PAGE_TYPES_LISTED;
void HOST_TYPES_LISTED;

const SUBMISSION_STATES: readonly SubmissionState[] = ['saving', 'saved', 'delivered', 'queued', 'keptLocally', 'failed'];

/**
 * Result of a validation. A rejection carries the message type when it was one of the
 * known ones, and a reason that names the field and the rule but never repeats the content.
 */
export type Validation<T, Type extends string> = { ok: true; message: T } | { ok: false; type?: Type; reason: string };

/** Validates a message from the page against PageMessage: known type, exact keys, bounded strings. */
export function validatePageMessage(value: unknown): Validation<PageMessage, PageMessageType> {
  if (!isPlainObject(value)) return { ok: false, reason: `the message is ${describeType(value)}, not an object` };
  const type = value.type;
  if (type === 'collectDiagnostics') {
    const extra = unexpectedKeys(value, ['type']);
    return extra ? { ok: false, type, reason: extra } : { ok: true, message: { type } };
  }
  if (type === 'submit') {
    const extra = unexpectedKeys(value, ['type', 'draft']);
    if (extra) return { ok: false, type, reason: extra };
    const draft = validateDraft(value.draft);
    return draft.ok ? { ok: true, message: { type, draft: draft.draft } } : { ok: false, type, reason: draft.reason };
  }
  return { ok: false, reason: typeof type === 'string' ? 'the message type is not one the form sends' : `the message type is ${describeType(type)}, not a string` };
}

const DRAFT_KEYS = ['kind', 'rating', 'message', 'contact', 'attachDiagnostics'] as const;

function validateDraft(value: unknown): { ok: true; draft: FeedbackDraft } | { ok: false; reason: string } {
  if (!isPlainObject(value)) return { ok: false, reason: `draft is ${describeType(value)}, not an object` };
  const extra = unexpectedKeys(value, DRAFT_KEYS);
  if (extra) return { ok: false, reason: `draft: ${extra}` };

  const { kind, rating, message, contact, attachDiagnostics } = value;
  if (typeof kind !== 'string' || !(FEEDBACK_KINDS as readonly string[]).includes(kind)) {
    return { ok: false, reason: `draft.kind is not one of ${FEEDBACK_KINDS.join(', ')}` };
  }
  if (typeof rating !== 'number' || !Number.isInteger(rating) || rating < MIN_RATING || rating > MAX_RATING) {
    return { ok: false, reason: `draft.rating is not a whole number from ${MIN_RATING} to ${MAX_RATING}` };
  }
  const messageProblem = checkText(message, 'draft.message', 1, MAX_MESSAGE_LENGTH, true);
  if (messageProblem) return { ok: false, reason: messageProblem };
  const contactProblem = checkText(contact, 'draft.contact', 0, MAX_CONTACT_LENGTH, false);
  if (contactProblem) return { ok: false, reason: contactProblem };
  if (typeof attachDiagnostics !== 'boolean') return { ok: false, reason: `draft.attachDiagnostics is ${describeType(attachDiagnostics)}, not a boolean` };

  return { ok: true, draft: { kind: kind as FeedbackKind, rating, message: message as string, contact: contact as string, attachDiagnostics } };
}

/** Validates a message from the extension against HostMessage; the page ignores anything else. */
export function validateHostMessage(value: unknown): Validation<HostMessage, HostMessageType> {
  if (!isPlainObject(value)) return { ok: false, reason: `the message is ${describeType(value)}, not an object` };
  const type = value.type;
  if (type === 'diagnostics') {
    const extra = unexpectedKeys(value, ['type', 'text']);
    const problem = extra ?? checkText(value.text, 'text', 0, MAX_DIAGNOSTICS_TEXT_LENGTH, true);
    return problem ? { ok: false, type, reason: problem } : { ok: true, message: { type, text: value.text as string } };
  }
  if (type === 'status') {
    const extra = unexpectedKeys(value, ['type', 'state', 'text']);
    if (extra) return { ok: false, type, reason: extra };
    if (!SUBMISSION_STATES.includes(value.state as SubmissionState)) return { ok: false, type, reason: 'state is not a known submission state' };
    const problem = checkText(value.text, 'text', 0, MAX_STATUS_TEXT_LENGTH, true);
    return problem ? { ok: false, type, reason: problem } : { ok: true, message: { type, state: value.state as SubmissionState, text: value.text as string } };
  }
  return { ok: false, reason: typeof type === 'string' ? 'the message type is not one the extension sends' : `the message type is ${describeType(type)}, not a string` };
}

/**
 * Checks a string's type and length, and rejects control characters other than tab and
 * line breaks (line breaks only where `multiline`). Length is measured before trimming, so a
 * huge string of spaces is rejected too; `minLength` applies to the trimmed text.
 */
function checkText(value: unknown, field: string, minLength: number, maxLength: number, multiline: boolean): string | undefined {
  if (typeof value !== 'string') return `${field} is ${describeType(value)}, not a string`;
  if (value.length > maxLength) return `${field} is longer than ${maxLength} characters`;
  if (value.trim().length < minLength) return `${field} is empty`;
  const forbidden = multiline ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  if (forbidden.test(value)) return `${field} contains control characters`;
  return undefined;
}

/** Returns a reason naming the unexpected or missing keys, or undefined when the keys are exactly `allowed`. */
function unexpectedKeys(value: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  if (extra.length > 0) {
    const named = extra.slice(0, MAX_NAMED_KEYS).map(quoteName).join(', ');
    return `the message has ${extra.length} field(s) the form does not send: ${named}${extra.length > MAX_NAMED_KEYS ? ', …' : ''}`;
  }
  const missing = allowed.filter((key) => !Object.prototype.hasOwnProperty.call(value, key));
  return missing.length > 0 ? `the message lacks the field(s) ${missing.join(', ')}` : undefined;
}

/** Unexpected keys named in a rejection; the rest are only counted. */
const MAX_NAMED_KEYS = 3;
/** Characters of a key quoted in a rejection, which goes to the log. Values are never quoted, because they are content. */
const MAX_QUOTED_NAME_LENGTH = 40;

/** Quotes a key for a log line: JSON-escaped, so control characters cannot forge lines, and cut when long. */
function quoteName(name: string): string {
  const cut = name.length > MAX_QUOTED_NAME_LENGTH ? `${name.slice(0, MAX_QUOTED_NAME_LENGTH)}…` : name;
  return JSON.stringify(cut);
}

/** Accepts only objects made by `{}` or structured cloning, not arrays, class instances or proxies of them. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object of another kind' : `a ${typeof value}`;
}
