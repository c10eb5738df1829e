/** Notifications for failures, each with the buttons that fix it; every one is also logged. */

import * as vscode from 'vscode';

import type { ErrorData } from '../engine/errors';
import { errorNotificationText, fixButtonsFor } from './fix-actions';
import type { SettingProblem } from './settings';

/** Shows an engine error with its fix buttons; `retry` makes a Retry button rerun the action. */
export async function showEngineError(error: ErrorData, log: vscode.LogOutputChannel, retry?: () => unknown): Promise<void> {
  const ids = [error.requestId && `request ${error.requestId}`, error.providerRequestId && `provider request ${error.providerRequestId}`].filter(Boolean).join(', ');
  log.error(`${error.code}: ${error.message}${ids ? ` (${ids})` : ''}${error.cause ? `; cause: ${error.cause}` : ''}`);
  if (error.code === 'cancelled') return;

  const buttons = fixButtonsFor(error, retry !== undefined);
  const choice = await vscode.window.showErrorMessage(errorNotificationText(error), ...buttons.map((button) => button.title));
  const chosen = buttons.find((button) => button.title === choice);
  if (!chosen) return;
  if (chosen.command) await vscode.commands.executeCommand(chosen.command);
  else await retry?.();
}

/** Explains that the language server is not running and offers the ways back. */
export async function showServerUnavailable(reason: string, log: vscode.LogOutputChannel): Promise<void> {
  log.error(reason);
  const sentence = /[.!?]$/.test(reason) ? reason : `${reason}.`;
  const choice = await vscode.window.showErrorMessage(`${sentence} Restart the server, or open the logs to see why.`, 'Restart Server', 'Show Logs');
  if (choice === 'Restart Server') await vscode.commands.executeCommand('switchboard.restartServer');
  if (choice === 'Show Logs') log.show(true);
}

/** Shows each rejected setting once, naming the setting and the fix. */
export function showSettingProblems(problems: readonly SettingProblem[], log: vscode.LogOutputChannel): void {
  for (const problem of problems) {
    log.error(`Setting ${problem.setting}: ${problem.message} The previous value stays in use.`);
    void vscode.window.showErrorMessage(`${problem.message} ${problem.fix} The previous value stays in use.`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('switchboard.openSettings', problem.setting);
    });
  }
}

/** Shows the server's rejection of the profiles; the server keeps the previous ones. */
export function showConfigurationRejected(error: ErrorData, log: vscode.LogOutputChannel): void {
  log.error(`The language server rejected the settings (${error.code}): ${error.message} The previous profiles stay in use.`);
  void vscode.window.showErrorMessage(`Settings not applied: ${errorNotificationText(error)} The previous profiles stay in use.`, 'Open Settings').then((choice) => {
    if (choice) void vscode.commands.executeCommand('switchboard.openSettings', 'switchboard.profiles');
  });
}
