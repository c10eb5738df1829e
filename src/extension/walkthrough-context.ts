/**
 * Context keys that record how far setup has come. The walkthrough's steps tick when one becomes
 * true (`onContext:` completion events in package.json), and `when` clauses can use them too.
 */

import * as vscode from 'vscode';

export const CONTEXT_KEY = {
  /** True while the active profile exists. */
  profileConfigured: 'switchboard.profileConfigured',
  /** True while the active profile can send requests: it has an API key, or needs none. */
  activeProfileReady: 'switchboard.activeProfileReady',
  /** True after a connection check of the active profile succeeded, false after one failed or was skipped. */
  connectionVerified: 'switchboard.connectionVerified',
  /** True once an answer or a proposed edit arrived in this window. */
  answerReceived: 'switchboard.answerReceived',
} as const;

export type ContextKey = (typeof CONTEXT_KEY)[keyof typeof CONTEXT_KEY];

/** The value last sent for each key, so an unchanged value is not sent again. */
const sent = new Map<ContextKey, boolean>();

/** Sets a context key when its value changes; a failure is logged, because the key only guides the UI. */
export function setContextKey(key: ContextKey, value: boolean, log: vscode.LogOutputChannel): void {
  if (sent.get(key) === value) return;
  sent.set(key, value);
  vscode.commands.executeCommand('setContext', key, value).then(undefined, (error: unknown) => {
    sent.delete(key);
    log.warn(`Setting the context key ${key} to ${value} failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}
