/**
 * Entry point of the extension. activate() creates the log channel first, registers every
 * command, provider and listener synchronously, and returns. The language server starts on
 * first need, or for the first connection check a few seconds later.
 */

import * as vscode from 'vscode';

import { ANSWER_SCHEME, AnswerDocuments } from './answer-documents';
import { ApiKeyStore } from './api-keys';
import { registerChatCommands } from './chat-commands';
import { Configuration } from './configuration';
import { registerDetectionCommands } from './detection-commands';
import { registerDiagnoseCommand } from './diagnose-command';
import { PROPOSED_SCHEME, ProposedEdits } from './edit-review';
import { registerFeedback } from './feedback/register-feedback';
import { HealthCheck } from './health-check';
import { useTranslation } from './l10n';
import { configureErrorNotifications } from './notifications';
import { registerPerformanceReportCommand } from './performance-report-command';
import { registerProfileCommands } from './profile-commands';
import { REPORT_SCHEME, ReportDocuments } from './report-documents';
import { RetryCountdown } from './retry-countdown';
import { registerRetryCommands } from './retry-countdown-commands';
import { registerServerCommands } from './server-commands';
import { ServerConnection } from './server-connection';
import type { Services } from './services';
import { impactOf } from './settings';
import { StatusBar } from './status-bar';
import { checkActiveProfile, registerStatusUpdates } from './status-updates';
import { registerWalkthrough } from './walkthrough';

/** The API that activate() returns to other extensions and to tests. */
export interface SwitchboardApi {
  /** Milliseconds activate() took. */
  readonly activationTimeMs: number;
}

let services: Services | undefined;

export function activate(context: vscode.ExtensionContext): SwitchboardApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Switchboard', { log: true });
  context.subscriptions.push(log);
  // Modules that unit tests load without VS Code translate through this.
  useTranslation((message, ...args) => vscode.l10n.t(message, ...args)); // l10n-bundle: forwards

  services = createServices(context, log);
  registerDocumentProviders(services);
  registerChatCommands(services);
  registerProfileCommands(services);
  registerServerCommands(services);
  registerStatusUpdates(services);
  registerFeedback(services);
  registerDetectionCommands(services);
  registerWalkthrough(services);
  registerDiagnoseCommand(services);
  registerPerformanceReportCommand(services);
  registerRetryCommands(services);
  registerSettingsListeners(services);
  services.configuration.load();
  services.healthCheck.start();

  const activationTimeMs = performance.now() - started;
  services.activation.durationMs = activationTimeMs;
  log.info(`Switchboard ${context.extension.packageJSON.version} activated in ${activationTimeMs.toFixed(2)} ms.`);
  return { activationTimeMs };
}

export async function deactivate(): Promise<void> {
  await services?.server.dispose();
  services = undefined;
}

function createServices(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Services {
  const keys = new ApiKeyStore(context.secrets);
  const configuration = new Configuration(log, keys);
  const server = new ServerConnection({
    serverModule: context.asAbsolutePath('dist/server.js'),
    storagePath: context.globalStorageUri.fsPath,
    log,
    traceEnabled: () => configuration.settings.traceServer !== 'off',
    onStarted: (connection) => configuration.push(connection),
  });
  const status = new StatusBar();
  const retries = new RetryCountdown({
    onChange: (retryAt) => status.setScheduledRetry(retryAt),
    onError: (error) => log.error(`The scheduled retry failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  const created: Services = {
    context,
    log,
    configuration,
    keys,
    server,
    status,
    answers: new AnswerDocuments(),
    edits: new ProposedEdits(log),
    healthCheck: new HealthCheck(async () => void (await checkActiveProfile(created))),
    reports: new ReportDocuments(),
    retries,
    activation: {},
  };
  configureErrorNotifications({ activeProfile: () => configuration.activeProfile(), countdown: retries });
  // The server is stopped by deactivate(), which VS Code awaits; the rest is disposed here.
  context.subscriptions.push(configuration, created.status, created.answers, created.edits, created.healthCheck, created.reports, created.retries);
  return created;
}

function registerDocumentProviders(services: Services): void {
  services.context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(ANSWER_SCHEME, services.answers),
    vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, services.edits),
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, services.reports),
  );
}

/** Applies setting changes: a restart for settings the server reads at start, else a new configuration. */
function registerSettingsListeners(services: Services): void {
  const { configuration, server, log } = services;
  const apply = async (event: Pick<vscode.ConfigurationChangeEvent, 'affectsConfiguration'>) => {
    const impact = impactOf(event);
    if (impact === 'none') return;
    if (impact === 'client') {
      configuration.reloadClientSettings();
      return;
    }
    if (impact === 'restart' && server.phase !== 'notStarted') {
      configuration.load();
      log.info('A setting read at server start changed; restarting the language server.');
      await server.restart();
      return;
    }
    await configuration.reload(server);
  };
  const applyLogged = (event: Pick<vscode.ConfigurationChangeEvent, 'affectsConfiguration'>) =>
    apply(event).catch((error: unknown) => log.error(`Applying the changed settings failed: ${(error as Error).message}`));

  services.context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(applyLogged),
    // Trust makes the workspace's values of restricted settings count.
    vscode.workspace.onDidGrantWorkspaceTrust(() => applyLogged({ affectsConfiguration: () => true })),
  );
}
