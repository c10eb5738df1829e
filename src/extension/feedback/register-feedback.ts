/**
 * Registers the feedback commands (Send Feedback, Rate Answer, Export Feedback, Show
 * Feedback Summary) and the answer-rating code lenses, and schedules sending the queue of
 * undelivered feedback a few seconds after activation.
 */

import * as os from 'node:os';
import * as path from 'node:path';

import * as vscode from 'vscode';

import { ANSWER_SCHEME } from '../answer-documents';
import type { Services } from '../services';
import { AnswerRatingLenses, rateAnswer } from './answer-rating';
import { collectConnectionReport } from './collect-connection-report';
import { RecentErrors } from './connection-report';
import { feedbackToCsv, feedbackToJson, renderFeedbackSummary } from './feedback-export';
import type { FeedbackPanel } from './feedback-panel';
import { FeedbackService } from './feedback-service';

/**
 * Loads dist/feedback-panel.js, the form's own bundle, on the first Send Feedback, so that
 * activation does not read the webview's code. The path is built at run time so esbuild leaves
 * the require alone.
 */
function loadFeedbackPanel(): typeof FeedbackPanel {
  const module = path.join(__dirname, 'feedback-panel.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a run-time path, loaded on first need.
  return (require(module) as { FeedbackPanel: typeof FeedbackPanel }).FeedbackPanel;
}

/** Milliseconds after activation before the queue is sent, so activation stays cheap. */
const QUEUE_DRAIN_DELAY_MS = 5000;

export function registerFeedback(services: Services): void {
  const { context, log, answers, server } = services;
  const service = new FeedbackService(context, log);
  const recentErrors = new RecentErrors();
  const lenses = new AnswerRatingLenses(answers);
  let panel: typeof FeedbackPanel | undefined;
  const openForm = () =>
    (panel ??= loadFeedbackPanel()).show({ extensionUri: context.extensionUri, log, service, collectReport: () => collectConnectionReport(services, recentErrors) });

  const drainTimer = setTimeout(() => void drainQueue(service, log), QUEUE_DRAIN_DELAY_MS);
  context.subscriptions.push(
    service,
    lenses,
    { dispose: () => clearTimeout(drainTimer) },
    { dispose: () => panel?.disposeCurrent() },
    server.onStatus((params) => {
      for (const status of params.profiles) recentErrors.observe(status.profile, status.lastErrorCode);
    }),
    vscode.languages.registerCodeLensProvider({ scheme: ANSWER_SCHEME }, lenses),
    vscode.commands.registerCommand('switchboard.sendFeedback', openForm),
    vscode.commands.registerCommand('switchboard.rateAnswer', (argument?: unknown) => rateAnswer(answers, service, lenses, argument)),
    vscode.commands.registerCommand('switchboard.exportFeedback', () => exportFeedback(service)),
    vscode.commands.registerCommand('switchboard.showFeedbackSummary', () => showFeedbackSummary(service)),
  );
}

async function drainQueue(service: FeedbackService, log: vscode.LogOutputChannel): Promise<void> {
  try {
    await service.drainQueue();
  } catch (error) {
    log.error(`Feedback: sending the queue failed: ${(error as Error).message}`);
  }
}

async function exportFeedback(service: FeedbackService): Promise<void> {
  const entries = await service.store.list();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No feedback is stored yet, so there is nothing to export.'));
    return;
  }
  const format = await vscode.window.showQuickPick(
    [
      { label: 'JSON', description: vscode.l10n.t('Every field, with the attached connection reports'), extension: 'json' },
      { label: 'CSV', description: vscode.l10n.t('One row per item, for spreadsheets'), extension: 'csv' },
    ],
    { title: vscode.l10n.t('Export Feedback'), placeHolder: vscode.l10n.t('Choose the file format') },
  );
  if (!format) return;

  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
  const target = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Export Feedback'),
    defaultUri: vscode.Uri.joinPath(folder, `switchboard-feedback.${format.extension}`),
    filters: { [format.label]: [format.extension] },
  });
  if (!target) return;

  const content = format.extension === 'csv' ? feedbackToCsv(entries) : feedbackToJson(entries);
  await vscode.workspace.fs.writeFile(target, Buffer.from(content, 'utf8'));
  void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} feedback item(s) to {1}.', entries.length, vscode.workspace.asRelativePath(target, false)));
}

async function showFeedbackSummary(service: FeedbackService): Promise<void> {
  const entries = await service.store.list();
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: renderFeedbackSummary(entries, vscode.l10n) });
  await vscode.window.showTextDocument(document, { preview: false });
}
