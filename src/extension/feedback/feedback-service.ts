/**
 * Saves feedback durably and then delivers it: to `switchboard.feedback.endpoint` with
 * retries when it is set, else it stays on this computer and a form submission is offered
 * as a prefilled issue. The queue of undelivered records is sent again on the next start.
 */

import * as vscode from 'vscode';

import type { SubmissionState } from '../../webview/feedback-messages';
import { readFeedbackSettings, SETTING } from '../settings';
import { checkEndpoint, DEFAULT_DELIVERY_OPTIONS, deliverFeedback, type DeliveryOptions } from './feedback-delivery';
import { issuePageUrl, renderIssue } from './feedback-issue';
import type { FeedbackRecord, FormFeedback } from './feedback-record';
import { FeedbackStore } from './feedback-store';

/** Schema name sent with every record, so an endpoint can tell versions apart. */
const PAYLOAD_SCHEMA = 'switchboard-feedback/1';

export interface DispatchResult {
  state: Extract<SubmissionState, 'delivered' | 'queued' | 'keptLocally' | 'failed'>;
  text: string;
}

type Target = { kind: 'endpoint'; url: URL } | { kind: 'none' } | { kind: 'invalid'; reason: string };

export class FeedbackService implements vscode.Disposable {
  readonly store: FeedbackStore;
  private readonly delivering = new Set<string>();
  private readonly stopped = new AbortController();
  private reportedEndpointProblem: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly deliveryOptions: DeliveryOptions = DEFAULT_DELIVERY_OPTIONS,
  ) {
    this.store = new FeedbackStore(context.globalStorageUri.fsPath, log);
  }

  get extensionVersion(): string {
    return String(this.context.extension.packageJSON.version ?? '');
  }

  /** Appends the record to the store and returns once it is flushed to disk. */
  async save(record: FeedbackRecord): Promise<void> {
    await this.store.add(record);
    this.log.info(`Feedback ${record.id} (${record.type}) saved in ${this.store.directory}.`);
  }

  /** Sends a saved record to the configured destination and returns the status for the form. */
  async dispatch(record: FeedbackRecord): Promise<DispatchResult> {
    const target = this.target();
    if (target.kind === 'none') {
      await this.store.setStatus(record.id, 'keptLocally', { detail: 'no endpoint set' });
      if (record.type === 'form') void this.offerIssue(record);
      return { state: 'keptLocally', text: vscode.l10n.t('Saved on this computer. No feedback endpoint is set, so it was not sent; you can file it as an issue instead.') };
    }
    if (target.kind === 'invalid') {
      return { state: 'queued', text: vscode.l10n.t('Saved on this computer. The feedback endpoint setting is invalid, so it will be sent once the setting is fixed.') };
    }
    return this.deliver(record, target.url);
  }

  /**
   * Sends every record that has no delivery event yet, one after another.
   *
   * NOTE: windows that start together each send the same queue. The Idempotency-Key header,
   * the record's id, lets the endpoint drop the second copy.
   */
  async drainQueue(): Promise<void> {
    const pending = await this.store.pending();
    if (pending.length === 0) return;
    const target = this.target();
    if (target.kind !== 'endpoint') {
      this.log.info(`Feedback: ${pending.length} queued item(s) wait for a valid ${SETTING.feedbackEndpoint}.`);
      return;
    }
    this.log.info(`Feedback: sending ${pending.length} queued item(s) to ${target.url.host}.`);
    for (const record of pending) {
      if (this.stopped.signal.aborted) return;
      await this.deliver(record, target.url);
    }
  }

  private async deliver(record: FeedbackRecord, url: URL): Promise<DispatchResult> {
    if (this.delivering.has(record.id)) return { state: 'queued', text: vscode.l10n.t('Saved; it is being sent.') };
    this.delivering.add(record.id);
    try {
      const outcome = await deliverFeedback(url, record.id, { schema: PAYLOAD_SCHEMA, ...record }, this.log, this.deliveryOptions, this.stopped.signal);
      switch (outcome.kind) {
        case 'delivered':
          await this.store.setStatus(record.id, 'delivered', { detail: `HTTP ${outcome.status}`, attempts: outcome.attempts });
          this.log.info(`Feedback ${record.id} delivered to ${url.host} (HTTP ${outcome.status}, attempt ${outcome.attempts}).`);
          return { state: 'delivered', text: vscode.l10n.t('Sent. Thank you for the feedback.') };
        case 'rejected':
          await this.store.setStatus(record.id, 'rejected', { detail: `HTTP ${outcome.status}`, attempts: outcome.attempts });
          this.log.error(`Feedback ${record.id} was rejected by ${url.host} with HTTP ${outcome.status}; it stays stored on this computer and is not sent again.`);
          return { state: 'failed', text: vscode.l10n.t('Saved on this computer, but the feedback endpoint rejected it (HTTP {0}).', outcome.status) };
        case 'gaveUp':
          this.log.warn(`Feedback ${record.id}: ${outcome.attempts} attempts to ${url.host} failed (${outcome.reason}); it stays queued and is sent again at the next start.`);
          return { state: 'queued', text: vscode.l10n.t('Saved on this computer. The feedback endpoint could not be reached, so it will be sent again when VS Code starts next.') };
      }
    } finally {
      this.delivering.delete(record.id);
    }
  }

  private target(): Target {
    const { endpoint } = readFeedbackSettings(vscode.workspace.getConfiguration());
    if (endpoint === '') return { kind: 'none' };
    const checked = checkEndpoint(endpoint);
    if (checked.ok) return { kind: 'endpoint', url: checked.url };
    this.reportEndpointProblem(checked.reason);
    return { kind: 'invalid', reason: checked.reason };
  }

  /** Logs an invalid endpoint every time and shows it once per distinct reason. */
  private reportEndpointProblem(reason: string): void {
    this.log.error(`${SETTING.feedbackEndpoint} is invalid: ${reason}. Feedback stays queued until it is fixed.`);
    if (this.reportedEndpointProblem === reason) return;
    this.reportedEndpointProblem = reason;
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window
      .showErrorMessage(vscode.l10n.t('{0} is invalid: {1}. Feedback stays queued on this computer until it is fixed.', SETTING.feedbackEndpoint, reason), openSettings)
      .then((choice) => (choice ? vscode.commands.executeCommand('switchboard.openSettings', SETTING.feedbackEndpoint) : undefined));
  }

  /** Offers the submission as a prefilled issue: on the configured issue page, or in VS Code's issue reporter. */
  private async offerIssue(record: FormFeedback): Promise<void> {
    const issue = renderIssue(record, vscode.l10n);
    const { issueUrl } = readFeedbackSettings(vscode.workspace.getConfiguration());
    const page = issueUrl === '' ? undefined : checkEndpoint(issueUrl);
    if (page && !page.ok) this.log.error(`${SETTING.feedbackIssueUrl} is invalid: ${page.reason}.`);

    const openPage = vscode.l10n.t('Open Issue Page');
    const openReporter = vscode.l10n.t('Open Issue Reporter');
    const buttons = page?.ok ? [openPage, openReporter] : [openReporter];
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Your feedback was saved on this computer. No feedback endpoint is set, so it was not sent. You can file it as an issue instead.'), ...buttons);
    if (choice === openPage && page?.ok) {
      await vscode.env.openExternal(vscode.Uri.parse(issuePageUrl(page.url, issue, vscode.l10n), true));
    } else if (choice === openReporter) {
      await this.openIssueReporter(issue.title, issue.body);
    }
  }

  /**
   * Opens VS Code's issue reporter with this extension selected and the issue prefilled, using
   * the options `{ extensionId, issueTitle, issueBody }` that VS Code 1.100 documents for the
   * command. Where the reporter is unavailable the body opens as a Markdown document to copy.
   */
  private async openIssueReporter(issueTitle: string, issueBody: string): Promise<void> {
    try {
      await vscode.commands.executeCommand('workbench.action.openIssueReporter', { extensionId: this.context.extension.id, issueTitle, issueBody });
    } catch (error) {
      this.log.warn(`Opening the issue reporter failed: ${(error as Error).message}. Showing the issue text instead.`);
      const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: `# ${issueTitle}\n\n${issueBody}` });
      await vscode.window.showTextDocument(document);
    }
  }

  dispose(): void {
    this.stopped.abort();
  }
}
