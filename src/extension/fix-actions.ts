/** Notification buttons for an engine error, from the FixActions the engine attaches to it. */

import type { ErrorData, FixAction } from '../engine/errors';

export interface FixButton {
  title: string;
  /** The command the button runs; undefined for Retry, which reruns the failed action. */
  command?: string;
}

/**
 * Buttons per action. `openDocs` and `openBilling` have none, because the extension ships
 * no documentation pages and has no billing page per provider yet.
 */
const FIX_BUTTONS: Record<FixAction, FixButton | undefined> = {
  setApiKey: { title: 'Set API Key', command: 'switchboard.setApiKey' },
  selectModel: { title: 'Select Model', command: 'switchboard.selectModel' },
  selectProfile: { title: 'Select Profile', command: 'switchboard.selectProfile' },
  openSettings: { title: 'Open Settings', command: 'switchboard.openSettings' },
  showLogs: { title: 'Show Logs', command: 'switchboard.showLogs' },
  retry: { title: 'Retry' },
  // NOTE: "diagnose" runs the quick connection check until the connection doctor exists.
  diagnose: { title: 'Check Connection', command: 'switchboard.checkConnection' },
  openDocs: undefined,
  openBilling: undefined,
};

/** Notifications show at most this many buttons before VS Code folds them into a menu. */
const MAX_BUTTONS = 3;

/** Buttons for an error, most useful first, with Show Logs last when there is room. */
export function fixButtonsFor(error: Pick<ErrorData, 'actions'>, canRetry: boolean): FixButton[] {
  const buttons: FixButton[] = [];
  for (const action of error.actions) {
    const button = FIX_BUTTONS[action];
    if (!button || (action === 'retry' && !canRetry)) continue;
    if (!buttons.some((existing) => existing.title === button.title)) buttons.push(button);
  }
  const limited = buttons.slice(0, MAX_BUTTONS);
  if (limited.length < MAX_BUTTONS && !limited.some((button) => button.title === 'Show Logs')) limited.push(FIX_BUTTONS.showLogs!);
  return limited;
}

/** Joins the error's message and its first fix into the text of a notification. */
export function errorNotificationText(error: Pick<ErrorData, 'message' | 'fix'>): string {
  const fix = error.fix[0];
  return fix ? `${error.message} ${fix}` : error.message;
}
