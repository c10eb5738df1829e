/**
 * Commands about the extension itself: Show Logs, Restart Server, Check Connection, Open
 * Settings, the status-bar action list, accepting or rejecting a proposed edit, and Show
 * Activation Time.
 */

import * as vscode from 'vscode';

import { PROPOSED_SCHEME } from './edit-review';
import { showServerUnavailable } from './notifications';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';
import { reportConnectionCheck } from './status-updates';

export function registerServerCommands(services: Services): void {
  const { log, edits } = services;
  services.context.subscriptions.push(
    vscode.commands.registerCommand('switchboard.showLogs', () => log.show(true)),
    vscode.commands.registerCommand('switchboard.restartServer', () => restartServer(services)),
    vscode.commands.registerCommand('switchboard.checkConnection', () => reportConnectionCheck(services)),
    vscode.commands.registerCommand('switchboard.openSettings', (setting?: unknown) => openSettings(typeof setting === 'string' ? setting : undefined)),
    vscode.commands.registerCommand('switchboard.showStatusActions', () => showStatusActions()),
    vscode.commands.registerCommand('switchboard.acceptEdit', (uri?: unknown) => edits.accept(proposalArgument(uri))),
    vscode.commands.registerCommand('switchboard.rejectEdit', (uri?: unknown) => edits.reject(proposalArgument(uri))),
    vscode.commands.registerCommand('switchboard.showActivationTime', () => showActivationTime(services)),
  );
}

async function restartServer(services: Services): Promise<void> {
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Restarting the Switchboard server…' }, () => services.server.restart());
    void vscode.window.showInformationMessage('The Switchboard language server was restarted.');
  } catch (error) {
    if (!isServerUnavailable(error)) throw error;
    await showServerUnavailable(error.message, services.log);
  }
}

function openSettings(setting: string | undefined): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', setting ?? '@ext:switchboard.switchboard');
}

const STATUS_ACTIONS: { label: string; command: string }[] = [
  { label: '$(account) Select Profile', command: 'switchboard.selectProfile' },
  { label: '$(symbol-class) Select Model', command: 'switchboard.selectModel' },
  { label: '$(key) Set API Key', command: 'switchboard.setApiKey' },
  { label: '$(pulse) Check Connection', command: 'switchboard.checkConnection' },
  { label: '$(output) Show Logs', command: 'switchboard.showLogs' },
  { label: '$(debug-restart) Restart Server', command: 'switchboard.restartServer' },
  { label: '$(settings-gear) Open Settings', command: 'switchboard.openSettings' },
];

async function showStatusActions(): Promise<void> {
  const choice = await vscode.window.showQuickPick(STATUS_ACTIONS, { title: 'Switchboard', placeHolder: 'Choose an action' });
  if (choice) await vscode.commands.executeCommand(choice.command);
}

/** Editor title buttons pass the diff's resource; other callers pass nothing and the active diff is used. */
function proposalArgument(value: unknown): vscode.Uri | undefined {
  return value instanceof vscode.Uri && value.scheme === PROPOSED_SCHEME ? value : undefined;
}

/** Shows and returns how long activate() took, in milliseconds; editor tests read it from here. */
function showActivationTime(services: Services): number | undefined {
  const ms = services.activation.durationMs;
  void vscode.window.showInformationMessage(ms === undefined ? 'Switchboard has not finished activating.' : `Switchboard activated in ${ms.toFixed(2)} ms.`);
  return ms;
}
