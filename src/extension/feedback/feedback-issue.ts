/**
 * A form submission as a prefilled issue, for when no feedback endpoint is set: a title
 * and Markdown body for VS Code's issue reporter, or a new-issue URL with `title` and
 * `body` query parameters. Pure.
 */

import type { Localizer } from './feedback-export';
import type { FormFeedback } from './feedback-record';

/**
 * Maximum characters of the body placed in a URL. Browsers and issue trackers reject URLs
 * of more than about 8 000 characters, and percent-encoding can triple the length.
 */
const MAX_URL_BODY_CHARACTERS = 2500;

export interface IssueDraft {
  title: string;
  body: string;
}

export function renderIssue(record: FormFeedback, l10n: Localizer): IssueDraft {
  const summary = record.message.trim().split(/\r?\n/, 1)[0] ?? '';
  const title = `[${record.kind}] ${summary.length > 80 ? `${summary.slice(0, 77)}...` : summary}`;
  const lines = [
    record.message.trim(),
    '',
    `- ${l10n.t('Kind: {0}', record.kind)}`,
    `- ${l10n.t('Rating: {0} of 5', record.rating)}`,
    `- ${l10n.t('Switchboard version: {0}', record.extensionVersion)}`,
    `- ${l10n.t('Feedback id: {0}', record.id)}`,
  ];
  if (record.contact) lines.push(`- ${l10n.t('Contact: {0}', record.contact)}`);
  if (record.diagnostics) {
    lines.push('', `### ${l10n.t('Connection report')}`, '', '```json', JSON.stringify(record.diagnostics, null, 2), '```');
  }
  return { title, body: `${lines.join('\n')}\n` };
}

/** Adds `title` and `body` to the issue page URL, shortening the body so the URL stays usable. */
export function issuePageUrl(base: URL, issue: IssueDraft, l10n: Localizer): string {
  const url = new URL(base.toString());
  const body = issue.body.length > MAX_URL_BODY_CHARACTERS ? `${issue.body.slice(0, MAX_URL_BODY_CHARACTERS)}\n\n${l10n.t('(Shortened; the full text is in Switchboard: Export Feedback.)')}\n` : issue.body;
  url.searchParams.set('title', issue.title);
  url.searchParams.set('body', body);
  return url.toString();
}
