/** Show Performance Report: requests the server's metrics and opens the report in the Markdown preview. */

import * as vscode from 'vscode';

import { metricsRequest } from '../protocol/protocol';
import { showServerUnavailable } from './notifications';
import { renderPerformanceReport } from './performance-report';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';

export function registerPerformanceReportCommand(services: Services): void {
  services.context.subscriptions.push(vscode.commands.registerCommand('switchboard.showPerformanceReport', () => showPerformanceReport(services)));
}

async function showPerformanceReport(services: Services): Promise<void> {
  const { server, log } = services;
  let snapshot;
  try {
    snapshot = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Collecting performance figures…') }, () =>
      server.sendRequest(metricsRequest, {}),
    );
  } catch (error) {
    if (!isServerUnavailable(error)) throw error;
    await showServerUnavailable(error.message, log);
    return;
  }
  const markdown = renderPerformanceReport({ snapshot, activationTimeMs: services.activation.durationMs });
  const uri = services.reports.create(vscode.l10n.t('Performance Report'), markdown);
  log.info(`Performance report: ${snapshot.profiles.length} profile(s), ${snapshot.profiles.reduce((sum, profile) => sum + profile.requests, 0)} request(s).`);
  await services.reports.showPreview(uri);
}
