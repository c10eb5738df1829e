/**
 * The one render function of the feedback form's HTML. Pure: the panel passes the nonce,
 * the webview's CSP source, the resource URIs and the localized labels.
 */

import { FEEDBACK_KINDS, MAX_CONTACT_LENGTH, MAX_MESSAGE_LENGTH, MAX_RATING, MIN_RATING, type FeedbackKind } from '../../webview/feedback-messages';

export interface FeedbackLabels {
  title: string;
  intro: string;
  kindLegend: string;
  kinds: Record<FeedbackKind, string>;
  ratingLegend: string;
  /** Screen-reader names of the ratings, lowest first, such as "1 (poor)". */
  ratings: string[];
  message: string;
  messageHint: string;
  contact: string;
  contactHint: string;
  attachDiagnostics: string;
  diagnosticsHint: string;
  diagnosticsLoading: string;
  submit: string;
  /** Shown when the message is empty. */
  messageRequired: string;
  /** Shown when no rating is chosen. */
  ratingRequired: string;
  saving: string;
}

export interface FeedbackPageOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Base64 from `crypto.randomBytes`, new for every render. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  labels: FeedbackLabels;
  /** BCP 47 language of the labels, `vscode.env.language`. */
  language: string;
}

export function renderFeedbackHtml(options: FeedbackPageOptions): string {
  const { labels, nonce, cspSource } = options;
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource}`;
  return `<!DOCTYPE html>
<html lang="${attribute(options.language)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attribute(options.styleUri)}">
<title>${text(labels.title)}</title>
</head>
<body>
<main>
<h1>${text(labels.title)}</h1>
<p>${text(labels.intro)}</p>
<form id="feedback-form" novalidate data-message-required="${attribute(labels.messageRequired)}" data-rating-required="${attribute(labels.ratingRequired)}" data-saving="${attribute(labels.saving)}">
${renderKinds(labels)}
${renderRatings(labels)}
<div class="field">
<label for="message">${text(labels.message)}</label>
<textarea id="message" name="message" rows="8" maxlength="${MAX_MESSAGE_LENGTH}" required aria-required="true" aria-describedby="message-hint"></textarea>
<p id="message-hint" class="hint">${text(labels.messageHint)}</p>
</div>
<div class="field">
<label for="contact">${text(labels.contact)}</label>
<input id="contact" name="contact" type="text" maxlength="${MAX_CONTACT_LENGTH}" autocomplete="email" aria-describedby="contact-hint">
<p id="contact-hint" class="hint">${text(labels.contactHint)}</p>
</div>
<div class="field checkbox">
<input id="attach-diagnostics" name="attachDiagnostics" type="checkbox" aria-controls="diagnostics" aria-describedby="diagnostics-hint">
<label for="attach-diagnostics">${text(labels.attachDiagnostics)}</label>
</div>
<p id="diagnostics-hint" class="hint">${text(labels.diagnosticsHint)}</p>
<section id="diagnostics" hidden aria-label="${attribute(labels.attachDiagnostics)}">
<pre id="diagnostics-text" tabindex="0">${text(labels.diagnosticsLoading)}</pre>
</section>
<div class="actions">
<button id="submit" type="submit">${text(labels.submit)}</button>
</div>
<p id="status" class="status" role="status" aria-live="polite"></p>
</form>
</main>
<script nonce="${attribute(nonce)}" src="${attribute(options.scriptUri)}"></script>
</body>
</html>
`;
}

function renderKinds(labels: FeedbackLabels): string {
  const options = FEEDBACK_KINDS.map((kind) => `<option value="${kind}">${text(labels.kinds[kind])}</option>`).join('');
  return `<div class="field">
<label for="kind">${text(labels.kindLegend)}</label>
<select id="kind" name="kind">${options}</select>
</div>`;
}

/** Radio buttons in a fieldset, so screen readers announce the group's legend with each choice. */
function renderRatings(labels: FeedbackLabels): string {
  const radios: string[] = [];
  for (let rating = MIN_RATING; rating <= MAX_RATING; rating++) {
    const name = labels.ratings[rating - MIN_RATING] ?? String(rating);
    radios.push(`<input id="rating-${rating}" type="radio" name="rating" value="${rating}" aria-label="${attribute(name)}"><label for="rating-${rating}" aria-hidden="true">${rating}</label>`);
  }
  return `<fieldset class="field rating" aria-describedby="rating-error">
<legend>${text(labels.ratingLegend)}</legend>
<div class="rating-options">${radios.join('\n')}</div>
<p id="rating-error" class="error" hidden></p>
</fieldset>`;
}

/** Escapes text for element content. */
function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes text for a double-quoted attribute value. */
function attribute(value: string): string {
  return text(value).replace(/"/g, '&quot;');
}
