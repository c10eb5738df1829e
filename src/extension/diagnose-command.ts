/**
 * Diagnose Connection: runs the server's connection doctor on the active profile and shows
 * its report as a read-only Markdown document, with a notification that names the failing
 * step and offers Copy Report. Copy Report is also an editor title action on report documents.
 */

import * as vscode from 'vscode';

import { renderDoctorMarkdown } from '../engine/doctor/render';
import type { DoctorReport } from '../engine/doctor/report';
import type { Profile } from '../engine/profiles';
import { diagnoseRequest, type Outcome } from '../protocol/protocol';
import { showEngineError, showServerUnavailable } from './notifications';
import { REPORT_SCHEME } from './report-documents';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';

export function registerDiagnoseCommand(services: Services): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand('switchboard.diagnoseConnection', () => diagnoseConnection(services)),
    vscode.commands.registerCommand('switchboard.copyReport', (uri?: unknown) => copyReport(services, uri)),
  );
}

async function diagnoseConnection(services: Services): Promise<void> {
  const profile = services.configuration.activeProfile();
  if (!profile) {
    const select = vscode.l10n.t('Select Profile');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('No profile is active, so there is no connection to diagnose.'), select);
    if (choice === select) await vscode.commands.executeCommand('switchboard.selectProfile');
    return;
  }

  const outcome = await runDoctor(services, profile);
  if (!outcome) return;
  if (!outcome.ok) {
    await showEngineError(outcome.error, services.log, () => diagnoseConnection(services));
    return;
  }
  const markdown = renderDoctorMarkdown(outcome.report);
  const uri = services.reports.create(vscode.l10n.t('Connection Diagnosis'), markdown);
  await services.reports.showSource(uri);
  await announceResult(services, outcome.report, markdown);
}

/** Sends the diagnose request under a cancellable progress notification; returns undefined when cancelled or when the server is unavailable. */
async function runDoctor(services: Services, profile: Profile): Promise<Outcome<{ report: DoctorReport }> | undefined> {
  const { server, log } = services;
  const title = vscode.l10n.t('Switchboard: Diagnosing the connection of profile "{0}"…', profile.name);
  let cancelled = false;
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => (cancelled = true));
      return server.sendRequest(diagnoseRequest, { profile: profile.name, remoteName: vscode.env.remoteName }, token);
    });
  } catch (error) {
    if (cancelled) {
      log.info(`Connection diagnosis of profile "${profile.name}" cancelled.`);
      return undefined;
    }
    if (isServerUnavailable(error)) {
      await showServerUnavailable(error.message, log);
      return undefined;
    }
    const message = error instanceof Error ? error.message : String(error);
    log.error(`Connection diagnosis of profile "${profile.name}" failed inside the extension: ${message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('The connection diagnosis failed inside the extension: {0}', message));
    return undefined;
  }
}

/** Logs the result and shows a notification with Copy Report, and Open Docs for the failing step's error. */
async function announceResult(services: Services, report: DoctorReport, markdown: string): Promise<void> {
  const failed = report.steps.find((step) => step.id === report.failedStep);
  services.log.info(`Connection diagnosis of profile "${report.profile}": ${failed ? `the ${failed.id} step failed with ${failed.error?.code ?? 'an error'}` : 'no step failed'} (${report.durationMs} ms).`);

  const copy = vscode.l10n.t('Copy Report');
  const openDocs = vscode.l10n.t('Open Docs');
  let choice: string | undefined;
  if (!failed) {
    const warnings = report.steps.filter((step) => step.status === 'warn').length;
    const message =
      warnings === 0
        ? vscode.l10n.t('Every step of the connection diagnosis of profile "{0}" passed.', report.profile)
        : warnings === 1
          ? vscode.l10n.t('Every step of the connection diagnosis of profile "{0}" passed, with 1 warning.', report.profile)
          : vscode.l10n.t('Every step of the connection diagnosis of profile "{0}" passed, with {1} warnings.', report.profile, warnings);
    choice = await vscode.window.showInformationMessage(message, copy);
  } else {
    const code = failed.error?.code ?? '';
    const message = vscode.l10n.t('Connection diagnosis of profile "{0}": the {1} step failed with {2}. {3}', report.profile, failed.title, code, failed.error?.fix[0] ?? '');
    choice = await vscode.window.showWarningMessage(message.trim(), ...(failed.error?.docsUrl ? [copy, openDocs] : [copy]));
    if (choice === openDocs) await vscode.commands.executeCommand('switchboard.openErrorDocs', failed.error?.docsUrl);
  }
  if (choice === copy) await copyText(markdown);
}

/** Copies a report document's Markdown: the one passed by the editor title action, else the active editor's. */
async function copyReport(services: Services, value: unknown): Promise<void> {
  const uri = value instanceof vscode.Uri ? value : vscode.window.activeTextEditor?.document.uri;
  const text = uri?.scheme === REPORT_SCHEME ? services.reports.text(uri) : undefined;
  if (text === undefined) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a Switchboard report first; Copy Report copies the report in the active editor.'));
    return;
  }
  await copyText(text);
}

async function copyText(text: string): Promise<void> {
  await vscode.env.clipboard.writeText(text);
  void vscode.window.showInformationMessage(vscode.l10n.t('The report was copied to the clipboard.'));
}
