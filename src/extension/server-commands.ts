/**
 * Commands about the extension itself: Show Logs, Restart Server, Check Connection, Open
 * Settings, the status-bar action list, accepting or rejecting a proposed edit, Show
 * Activation Time, and opening an error code's section of docs/errors.md.
 */

import * as vscode from 'vscode';

import { ERRORS_DOC } from '../engine/errors';
import { PROPOSED_SCHEME } from './edit-review';
import { showServerUnavailable } from './notifications';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';
import type { StatusState } from './status-view';
import { reportConnectionCheck } from './status-updates';

export function registerServerCommands(services: Services): void {
  const { log, edits } = services;
  services.context.subscriptions.push(
    vscode.commands.registerCommand('switchboard.showLogs', () => log.show(true)),
    vscode.commands.registerCommand('switchboard.restartServer', () => restartServer(services)),
    vscode.commands.registerCommand('switchboard.checkConnection', () => reportConnectionCheck(services)),
    vscode.commands.registerCommand('switchboard.openSettings', (setting?: unknown) => openSettings(typeof setting === 'string' ? setting : undefined)),
    vscode.commands.registerCommand('switchboard.showStatusActions', () => showStatusActions(services)),
    vscode.commands.registerCommand('switchboard.openErrorDocs', (link?: unknown) => openErrorDocs(services, typeof link === 'string' ? link : ERRORS_DOC)),
    vscode.commands.registerCommand('switchboard.acceptEdit', (uri?: unknown) => edits.accept(proposalArgument(uri))),
    vscode.commands.registerCommand('switchboard.rejectEdit', (uri?: unknown) => edits.reject(proposalArgument(uri))),
    vscode.commands.registerCommand('switchboard.showActivationTime', () => showActivationTime(services)),
  );
}

async function restartServer(services: Services): Promise<void> {
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Restarting the Switchboard server…') }, () => services.server.restart());
    void vscode.window.showInformationMessage(vscode.l10n.t('The Switchboard language server was restarted.'));
  } catch (error) {
    if (!isServerUnavailable(error)) throw error;
    await showServerUnavailable(error.message, services.log);
  }
}

function openSettings(setting: string | undefined): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', setting ?? '@ext:switchboard.switchboard');
}

/**
 * Returns the actions of the status-bar item's list, with their labels translated when the
 * list opens. A rate limit or a paused profile puts Retry now (and Cancel for a rate limit) first.
 */
function statusActions(state: StatusState): { label: string; description?: string; command: string }[] {
  const urgent: { label: string; description?: string; command: string }[] = [];
  if (state.kind === 'rateLimited' || state.kind === 'circuitOpen' || state.kind === 'circuitHalfOpen') {
    urgent.push({ label: `$(sync) ${vscode.l10n.t('Retry now')}`, description: vscode.l10n.t('Send the request again without waiting'), command: 'switchboard.retryNow' });
  }
  if (state.kind === 'rateLimited') {
    const description = state.retryScheduled ? vscode.l10n.t('Drop the scheduled retry') : vscode.l10n.t('Hide the countdown');
    urgent.push({ label: `$(close) ${vscode.l10n.t('Cancel')}`, description, command: 'switchboard.cancelRetry' });
  }
  return [
    ...urgent,
    { label: `$(account) ${vscode.l10n.t('Select Profile')}`, command: 'switchboard.selectProfile' },
    { label: `$(symbol-class) ${vscode.l10n.t('Select Model')}`, command: 'switchboard.selectModel' },
    { label: `$(key) ${vscode.l10n.t('Set API Key')}`, command: 'switchboard.setApiKey' },
    { label: `$(search) ${vscode.l10n.t('Detect Local Servers')}`, command: 'switchboard.detectLocalServers' },
    { label: `$(pulse) ${vscode.l10n.t('Check Connection')}`, command: 'switchboard.checkConnection' },
    { label: `$(debug-console) ${vscode.l10n.t('Diagnose Connection')}`, command: 'switchboard.diagnoseConnection' },
    { label: `$(graph) ${vscode.l10n.t('Show Performance Report')}`, command: 'switchboard.showPerformanceReport' },
    { label: `$(output) ${vscode.l10n.t('Show Logs')}`, command: 'switchboard.showLogs' },
    { label: `$(debug-restart) ${vscode.l10n.t('Restart Server')}`, command: 'switchboard.restartServer' },
    { label: `$(settings-gear) ${vscode.l10n.t('Open Settings')}`, command: 'switchboard.openSettings' },
  ];
}

async function showStatusActions(services: Services): Promise<void> {
  const choice = await vscode.window.showQuickPick(statusActions(services.status.state), { title: 'Switchboard', placeHolder: vscode.l10n.t('Choose an action') });
  if (choice) await vscode.commands.executeCommand(choice.command);
}

/**
 * Opens a section of the shipped docs/errors.md in the Markdown preview, which scrolls to the
 * heading named by the fragment. `link` is an error's `docsUrl`, such as
 * `docs/errors.md#authinvalid_key`, relative to the extension's folder.
 */
async function openErrorDocs(services: Services, link: string): Promise<void> {
  const [file, fragment] = link.split('#', 2);
  if (file !== ERRORS_DOC) {
    services.log.warn(`Open Docs: ignored the link "${link}", which is not a section of ${ERRORS_DOC}.`);
    return;
  }
  const uri = vscode.Uri.joinPath(services.context.extensionUri, ERRORS_DOC).with({ fragment: fragment ?? '' });
  await vscode.commands.executeCommand('markdown.showPreview', uri);
}

/** Editor title buttons pass the diff's resource; other callers pass nothing and the active diff is used. */
function proposalArgument(value: unknown): vscode.Uri | undefined {
  return value instanceof vscode.Uri && value.scheme === PROPOSED_SCHEME ? value : undefined;
}

/** Shows and returns how long activate() took, in milliseconds; editor tests read it from here. */
function showActivationTime(services: Services): number | undefined {
  const ms = services.activation.durationMs;
  void vscode.window.showInformationMessage(ms === undefined ? vscode.l10n.t('Switchboard has not finished activating.') : vscode.l10n.t('Switchboard activated in {0} ms.', ms.toFixed(2)));
  return ms;
}
