/** The long-lived objects that commands and UI share, created once in activate(). */

import type * as vscode from 'vscode';

import type { AnswerDocuments } from './answer-documents';
import type { ApiKeyStore } from './api-keys';
import type { Configuration } from './configuration';
import type { ProposedEdits } from './edit-review';
import type { HealthCheck } from './health-check';
import type { ReportDocuments } from './report-documents';
import type { RetryCountdown } from './retry-countdown';
import type { ServerConnection } from './server-connection';
import type { StatusBar } from './status-bar';

export interface Services {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  configuration: Configuration;
  keys: ApiKeyStore;
  server: ServerConnection;
  status: StatusBar;
  answers: AnswerDocuments;
  edits: ProposedEdits;
  healthCheck: HealthCheck;
  /** The connection diagnosis and performance report documents. */
  reports: ReportDocuments;
  /** The retry scheduled after an error that asked for a wait, which the status bar counts down. */
  retries: RetryCountdown;
  /** Milliseconds activate() took, set when it returns. */
  activation: { durationMs?: number };
}
