/** Notifications for failures, each with the buttons that fix it; every one is also logged. */

import * as vscode from 'vscode';

import type { ErrorData } from '../engine/errors';
import type { Profile } from '../engine/profiles';
import { clampWait } from '../engine/providers/retry-after';
import { errorNotificationText, fixButtonsFor, type FixButton, type FixContext } from './fix-actions';
import type { RetryCountdown } from './retry-countdown';
import type { SettingProblem } from './settings';
import { formatClock, formatDuration } from './status-view';

/** The parts of the extension that error notifications use, which activate() supplies. */
export interface ErrorNotificationHooks {
  /** The profile that requests go to, for the Open Billing button and the remote-window note. */
  activeProfile(): Profile | undefined;
  /** Waits out a delay the server asked for and then retries; the status bar counts down to it. */
  countdown?: RetryCountdown;
}

let hooks: ErrorNotificationHooks = { activeProfile: () => undefined };

export function configureErrorNotifications(next: ErrorNotificationHooks): void {
  hooks = next;
}

/** Codes whose requested wait is counted down and then retried, when the action can be rerun. */
const COUNTDOWN_CODES: ReadonlySet<ErrorData['code']> = new Set(['rate_limited', 'server.overloaded', 'circuit.open']);

/**
 * Shows an engine error with its fix buttons; `retry` makes a Retry button rerun the action.
 * When the server asked for a wait (`retryAfterMs`) that the engine did not wait out, the
 * action is retried by itself after that wait, and the notification offers Retry now and Cancel.
 */
export async function showEngineError(error: ErrorData, log: vscode.LogOutputChannel, retry?: () => unknown): Promise<void> {
  const ids = [error.requestId && `request ${error.requestId}`, error.providerRequestId && `provider request ${error.providerRequestId}`].filter(Boolean).join(', ');
  log.error(`${error.code}: ${error.message}${ids ? ` (${ids})` : ''}${error.cause ? `; cause: ${error.cause}` : ''}`);
  if (error.code === 'cancelled') return;

  const context: FixContext = { profile: hooks.activeProfile(), remoteName: vscode.env.remoteName };
  if (retry && hooks.countdown && typeof error.retryAfterMs === 'number' && COUNTDOWN_CODES.has(error.code)) {
    await showRetryCountdown(error, context, hooks.countdown, retry, log);
    return;
  }
  const buttons = fixButtonsFor(error, retry !== undefined, context);
  const choice = await vscode.window.showErrorMessage(errorNotificationText(error, context), ...buttons.map((button) => button.title));
  const chosen = buttons.find((button) => button.title === choice);
  if (chosen) await runFixButton(chosen, retry);
}

async function runFixButton(button: FixButton, retry: (() => unknown) | undefined): Promise<void> {
  const action = button.action;
  if (action.kind === 'command') await vscode.commands.executeCommand(action.command, ...(action.arguments ?? []));
  else if (action.kind === 'link') await vscode.env.openExternal(vscode.Uri.parse(action.url));
  else await retry?.();
}

/**
 * Schedules the retry, shows when it runs, and offers Retry now and Cancel; the status bar shows
 * the countdown. The wait is clamped to 0 … one day as the engine's parsers clamp it, so any
 * `retryAfterMs`, even NaN or 1e303 from another server version, gives a valid date.
 */
async function showRetryCountdown(error: ErrorData, context: FixContext, countdown: RetryCountdown, retry: () => unknown, log: vscode.LogOutputChannel): Promise<void> {
  const waitMs = clampWait(error.retryAfterMs ?? 0);
  const retryAt = Date.now() + waitMs;
  countdown.schedule(retryAt, error.code, retry);
  log.info(`Retrying after ${error.code} in ${Math.ceil(waitMs / 1000)} s, at ${new Date(retryAt).toISOString()}.`);

  const retryNow = vscode.l10n.t('Retry now');
  const cancel = vscode.l10n.t('Cancel');
  const when = vscode.l10n.t('Switchboard retries in {0}, at {1}.', formatDuration(retryAt - Date.now()), formatClock(retryAt));
  const choice = await vscode.window.showWarningMessage(`${errorNotificationText(error, context)} ${when}`, retryNow, cancel);
  if (choice === retryNow) await vscode.commands.executeCommand('switchboard.retryNow');
  else if (choice === cancel) await vscode.commands.executeCommand('switchboard.cancelRetry');
}

/** Explains that the language server is not running and offers the ways back. */
export async function showServerUnavailable(reason: string, log: vscode.LogOutputChannel): Promise<void> {
  log.error(reason);
  const sentence = /[.!?]$/.test(reason) ? reason : `${reason}.`;
  const restart = vscode.l10n.t('Restart Server');
  const showLogs = vscode.l10n.t('Show Logs');
  const choice = await vscode.window.showErrorMessage(vscode.l10n.t('{0} Restart the server, or open the logs to see why.', sentence), restart, showLogs);
  if (choice === restart) await vscode.commands.executeCommand('switchboard.restartServer');
  if (choice === showLogs) log.show(true);
}

/** Shows each rejected setting once, naming the setting and the fix. */
export function showSettingProblems(problems: readonly SettingProblem[], log: vscode.LogOutputChannel): void {
  for (const problem of problems) {
    log.error(`Setting ${problem.setting}: ${problem.message} The previous value stays in use.`);
    const message = vscode.l10n.t('{0} {1} The previous value stays in use.', problem.message, problem.fix);
    void vscode.window.showErrorMessage(message, vscode.l10n.t('Open Settings')).then((choice) => {
      if (choice) void vscode.commands.executeCommand('switchboard.openSettings', problem.setting);
    });
  }
}

/** Shows the server's rejection of the profiles; the server keeps the previous ones. */
export function showConfigurationRejected(error: ErrorData, log: vscode.LogOutputChannel): void {
  log.error(`The language server rejected the settings (${error.code}): ${error.message} The previous profiles stay in use.`);
  const message = vscode.l10n.t('Settings not applied: {0} The previous profiles stay in use.', errorNotificationText(error));
  void vscode.window.showErrorMessage(message, vscode.l10n.t('Open Settings')).then((choice) => {
    if (choice) void vscode.commands.executeCommand('switchboard.openSettings', 'switchboard.profiles');
  });
}
