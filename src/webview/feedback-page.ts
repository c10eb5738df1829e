/**
 * The feedback form's page script, bundled by scripts/build.mjs into media/feedback/feedback.js.
 * It checks the form with the same validator the extension runs, posts the draft, and
 * shows what the extension reports. Every message it receives is validated first.
 */

import {
  FEEDBACK_KINDS,
  MAX_CONTACT_LENGTH,
  MAX_MESSAGE_LENGTH,
  validateHostMessage,
  validatePageMessage,
  type FeedbackDraft,
  type FeedbackKind,
  type HostMessage,
  type PageMessage,
} from './feedback-messages';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

const form = element<HTMLFormElement>('feedback-form');
const kind = element<HTMLSelectElement>('kind');
const message = element<HTMLTextAreaElement>('message');
const contact = element<HTMLInputElement>('contact');
const attachDiagnostics = element<HTMLInputElement>('attach-diagnostics');
const diagnostics = element<HTMLElement>('diagnostics');
const diagnosticsText = element<HTMLElement>('diagnostics-text');
const submit = element<HTMLButtonElement>('submit');
const status = element<HTMLElement>('status');
const ratingError = element<HTMLElement>('rating-error');

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The feedback form has no element #${id}.`);
  return found as T;
}

function readDraft(): FeedbackDraft {
  const rating = form.querySelector<HTMLInputElement>('input[name="rating"]:checked');
  return {
    kind: kind.value as FeedbackDraft['kind'],
    rating: rating ? Number(rating.value) : 0,
    message: message.value,
    contact: contact.value.trim(),
    attachDiagnostics: attachDiagnostics.checked,
  };
}

/** Restores a draft kept by setState, so switching tabs does not lose what was typed. */
function restoreDraft(state: unknown): void {
  if (typeof state !== 'object' || state === null) return;
  const saved = state as Partial<Record<keyof FeedbackDraft, unknown>>;
  if (FEEDBACK_KINDS.includes(saved.kind as FeedbackKind)) kind.value = saved.kind as FeedbackKind;
  if (typeof saved.message === 'string') message.value = saved.message.slice(0, MAX_MESSAGE_LENGTH);
  if (typeof saved.contact === 'string') contact.value = saved.contact.slice(0, MAX_CONTACT_LENGTH);
  attachDiagnostics.checked = saved.attachDiagnostics === true;
  const rating = form.querySelector<HTMLInputElement>(`input[name="rating"][value="${Number(saved.rating)}"]`);
  if (rating) rating.checked = true;
  showDiagnostics();
}

let diagnosticsRequested = false;

/** Shows the report while the box is ticked, asking the extension for it the first time. */
function showDiagnostics(): void {
  diagnostics.hidden = !attachDiagnostics.checked;
  if (!attachDiagnostics.checked || diagnosticsRequested) return;
  diagnosticsRequested = true;
  vscode.postMessage({ type: 'collectDiagnostics' });
}

function setStatus(text: string, isError: boolean): void {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

/** Marks the fields the validator would reject and returns false when there are any. */
function checkFields(draft: FeedbackDraft): boolean {
  const ratingMissing = draft.rating === 0;
  ratingError.hidden = !ratingMissing;
  ratingError.textContent = ratingMissing ? (form.dataset.ratingRequired ?? '') : '';
  const messageMissing = draft.message.trim() === '';
  message.setAttribute('aria-invalid', String(messageMissing));
  if (ratingMissing) {
    form.querySelector<HTMLInputElement>('input[name="rating"]')?.focus();
    setStatus(form.dataset.ratingRequired ?? '', true);
    return false;
  }
  if (messageMissing) {
    message.focus();
    setStatus(form.dataset.messageRequired ?? '', true);
    return false;
  }
  return true;
}

function onSubmit(event: SubmitEvent): void {
  event.preventDefault();
  const draft = readDraft();
  if (!checkFields(draft)) return;
  const outgoing: PageMessage = { type: 'submit', draft };
  const checked = validatePageMessage(outgoing);
  if (!checked.ok) {
    setStatus(checked.reason, true);
    return;
  }
  submit.disabled = true;
  setStatus(form.dataset.saving ?? '', false);
  vscode.postMessage(outgoing);
}

function onHostMessage(data: unknown): void {
  const result = validateHostMessage(data);
  if (!result.ok) return;
  apply(result.message);
}

function apply(incoming: HostMessage): void {
  if (incoming.type === 'diagnostics') {
    diagnosticsText.textContent = incoming.text;
    return;
  }
  setStatus(incoming.text, incoming.state === 'failed');
  if (incoming.state === 'failed') submit.disabled = false;
  if (incoming.state === 'saved') {
    form.reset();
    vscode.setState(undefined);
    showDiagnostics();
    submit.disabled = false;
  }
}

form.addEventListener('submit', onSubmit);
form.addEventListener('input', () => vscode.setState(readDraft()));
attachDiagnostics.addEventListener('change', showDiagnostics);
window.addEventListener('message', (event: MessageEvent) => onHostMessage(event.data));

restoreDraft(vscode.getState());
