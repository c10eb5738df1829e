/**
 * The feedback form: owns its one webview panel, renders it with renderFeedbackHtml, and
 * validates every message from the page before acting on it. A submission is on disk
 * before the page receives the saved status.
 */

import { randomBytes } from 'node:crypto';

import * as vscode from 'vscode';

import { redactText } from '../../engine/redact';
import { validatePageMessage, type FeedbackDraft, type HostMessage, type PageMessageType } from '../../webview/feedback-messages';
import { renderConnectionReport } from './connection-report';
import { renderFeedbackHtml, type FeedbackLabels } from './feedback-html';
import { createFeedbackId, RECORD_VERSION, type ConnectionReport, type FormFeedback } from './feedback-record';
import type { FeedbackService } from './feedback-service';

/** Rejected messages logged one by one per panel; later ones are only counted. */
const MAX_LOGGED_REJECTIONS = 20;

export interface FeedbackPanelOptions {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  service: FeedbackService;
  collectReport(): Promise<ConnectionReport>;
}

export class FeedbackPanel implements vscode.Disposable {
  private static current: FeedbackPanel | undefined;

  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The report the page shows; only this one is attached, never one the page sends. */
  private shownReport: ConnectionReport | undefined;
  /** The one collection per form, because it runs the connection doctor. */
  private reportText: Promise<string> | undefined;
  private rejectedMessages = 0;

  /** Shows the form, reusing the open one. */
  static show(options: FeedbackPanelOptions): void {
    if (FeedbackPanel.current) {
      FeedbackPanel.current.panel.reveal();
      return;
    }
    FeedbackPanel.current = new FeedbackPanel(options);
  }

  /** Closes the open form, for deactivation. */
  static disposeCurrent(): void {
    FeedbackPanel.current?.panel.dispose();
  }

  private constructor(private readonly options: FeedbackPanelOptions) {
    const media = vscode.Uri.joinPath(options.extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('switchboard.feedback', vscode.l10n.t('Switchboard Feedback'), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
    });
    this.panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
    this.subscriptions.push(
      this.panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)),
      this.panel.onDidDispose(() => this.dispose()),
    );
    this.render();
  }

  private render(): void {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.options.extensionUri, 'media', 'feedback');
    webview.html = renderFeedbackHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'feedback.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'feedback.css')).toString(),
      labels: feedbackLabels(),
      language: vscode.env.language,
    });
  }

  private async receive(raw: unknown): Promise<void> {
    const result = validatePageMessage(raw);
    if (!result.ok) {
      this.reject(result.type, result.reason);
      return;
    }
    if (result.message.type === 'collectDiagnostics') await this.sendDiagnostics();
    else await this.submit(result.message.draft);
  }

  /** Logs a rejected message by type and reason only, because its content may be anything. */
  private reject(type: PageMessageType | undefined, reason: string): void {
    this.rejectedMessages += 1;
    if (this.rejectedMessages > MAX_LOGGED_REJECTIONS) return;
    const suffix = this.rejectedMessages === MAX_LOGGED_REJECTIONS ? ' Further rejections from this form are not logged.' : '';
    this.options.log.warn(`Feedback form: rejected a message of type ${type ?? '(unknown)'}: ${reason}. Nothing was stored.${suffix}`);
  }

  private async sendDiagnostics(): Promise<void> {
    this.reportText ??= this.collectReportText();
    this.post({ type: 'diagnostics', text: await this.reportText });
  }

  private async collectReportText(): Promise<string> {
    try {
      this.shownReport = await this.options.collectReport();
      return renderConnectionReport(this.shownReport);
    } catch (error) {
      this.options.log.error(`Feedback form: building the connection report failed: ${(error as Error).message}`);
      return vscode.l10n.t('The connection report could not be built; it will not be attached. The log has the details.');
    }
  }

  private async submit(draft: FeedbackDraft): Promise<void> {
    if (draft.attachDiagnostics && !this.shownReport) {
      this.post({ type: 'status', state: 'failed', text: vscode.l10n.t('The connection report is not available, so nothing was sent. Untick "attach diagnostics" and send again.') });
      return;
    }
    const { service, log } = this.options;
    const record: FormFeedback = {
      v: RECORD_VERSION,
      type: 'form',
      id: createFeedbackId(),
      createdAt: new Date().toISOString(),
      extensionVersion: service.extensionVersion,
      kind: draft.kind,
      rating: draft.rating,
      // Masks text that looks like an API key, in case one was pasted into the message.
      message: redactText(draft.message.trim()),
      contact: draft.contact.trim() || undefined,
      diagnostics: draft.attachDiagnostics ? this.shownReport : undefined,
    };

    try {
      await service.save(record);
    } catch (error) {
      log.error(`Feedback ${record.id}: saving failed: ${(error as Error).message}`);
      this.post({ type: 'status', state: 'failed', text: vscode.l10n.t('The feedback could not be saved: {0}', (error as Error).message) });
      return;
    }
    this.post({ type: 'status', state: 'saved', text: vscode.l10n.t('Saved. Sending…') });
    const result = await service.dispatch(record);
    this.post({ type: 'status', state: result.state, text: result.text });
  }

  /** Posts to the page when it is still open; a closed form needs no status. */
  private post(message: HostMessage): void {
    if (FeedbackPanel.current !== this) return;
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (FeedbackPanel.current === this) FeedbackPanel.current = undefined;
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }
}

function feedbackLabels(): FeedbackLabels {
  return {
    title: vscode.l10n.t('Send Feedback to Switchboard'),
    intro: vscode.l10n.t('Tell us what works and what does not. Your feedback is saved on this computer first, then sent.'),
    kindLegend: vscode.l10n.t('Kind of feedback'),
    kinds: { bug: vscode.l10n.t('Bug'), connection: vscode.l10n.t('Connection problem'), performance: vscode.l10n.t('Performance'), documentation: vscode.l10n.t('Documentation'), idea: vscode.l10n.t('Idea') },
    ratingLegend: vscode.l10n.t('Overall rating, from 1 (poor) to 5 (excellent)'),
    ratings: [vscode.l10n.t('1, poor'), vscode.l10n.t('2, fair'), vscode.l10n.t('3, good'), vscode.l10n.t('4, very good'), vscode.l10n.t('5, excellent')],
    message: vscode.l10n.t('Message'),
    messageHint: vscode.l10n.t('What happened, and what did you expect? Text that looks like an API key is masked before it is saved.'),
    contact: vscode.l10n.t('Contact (optional)'),
    contactHint: vscode.l10n.t('An e-mail address or handle, if you would like an answer.'),
    attachDiagnostics: vscode.l10n.t('Attach diagnostics'),
    diagnosticsHint: vscode.l10n.t('Adds the connection report below: provider kind, server host, model, connection state, recent error codes and the connection doctor\'s results. API keys are masked.'),
    diagnosticsLoading: vscode.l10n.t('Building the connection report…'),
    submit: vscode.l10n.t('Send Feedback'),
    messageRequired: vscode.l10n.t('Write a message before sending.'),
    ratingRequired: vscode.l10n.t('Choose a rating from 1 to 5.'),
    saving: vscode.l10n.t('Saving…'),
  };
}
