/** Gathers the extension's view of the connection and the doctor's report into a redacted ConnectionReport. */

import * as vscode from 'vscode';

import type { DoctorReport } from '../../engine/doctor/report';
import { isKeyOptional } from '../../engine/keys';
import type { Profile } from '../../engine/profiles';
import { diagnoseRequest } from '../../protocol/protocol';
import { isServerUnavailable } from '../server-connection';
import type { Services } from '../services';
import { buildConnectionReport, type RecentErrors } from './connection-report';
import type { ConnectionReport } from './feedback-record';

/** Milliseconds the connection doctor may take before the report goes without it. */
const DOCTOR_TIMEOUT_MS = 60_000;

/**
 * Builds the report from the active profile, the status-bar state, the server's phase, the
 * recent error codes and a doctor run that skips the token-spending steps. Every profile's
 * key is read from SecretStorage only so the redaction can mask it wherever it appears.
 */
export async function collectConnectionReport(services: Services, recentErrors: RecentErrors): Promise<ConnectionReport> {
  const { configuration, keys, server, status, context } = services;
  const profile = configuration.activeProfile();
  const secrets: string[] = [];
  for (const configured of configuration.profiles) {
    const key = await keys.get(configured.name);
    if (key) secrets.push(key);
  }
  const doctor = profile ? await runDoctor(services, profile) : { problem: vscode.l10n.t('No profile is configured, so the connection doctor did not run.') };
  return buildConnectionReport(
    {
      extensionVersion: String(context.extension.packageJSON.version ?? ''),
      editor: `${vscode.env.appName} ${vscode.version}`,
      platform: `${process.platform} ${process.arch}`,
      remoteName: vscode.env.remoteName,
      profile: profile && { kind: profile.kind, baseUrl: profile.baseUrl, model: profile.model, server: profile.server },
      status: status.state.kind,
      serverPhase: server.phase,
      recentErrors: recentErrors.list(),
      doctor: doctor.report,
      doctorProblem: doctor.problem,
    },
    secrets,
  );
}

/** Runs the doctor on the profile without the one-token and streaming steps, so it costs no tokens. */
async function runDoctor(services: Services, profile: Profile): Promise<{ report?: DoctorReport; problem?: string }> {
  const { keys, server, log } = services;
  if (!isKeyOptional(profile) && !(await keys.has(profile.name))) {
    return { problem: vscode.l10n.t('Profile "{0}" has no API key, so the connection doctor did not run.', profile.name) };
  }
  const cancellation = new vscode.CancellationTokenSource();
  const timer = setTimeout(() => cancellation.cancel(), DOCTOR_TIMEOUT_MS);
  try {
    const outcome = await server.sendRequest(diagnoseRequest, { profile: profile.name, skipCompletion: true, remoteName: vscode.env.remoteName }, cancellation.token);
    if (outcome.ok) return { report: outcome.report };
    return { problem: vscode.l10n.t('The connection doctor failed: {0}: {1}', outcome.error.code, outcome.error.message) };
  } catch (error) {
    const problem = cancellation.token.isCancellationRequested
      ? vscode.l10n.t('The connection doctor did not finish within {0} s.', DOCTOR_TIMEOUT_MS / 1000)
      : vscode.l10n.t('The connection doctor could not run: {0}', isServerUnavailable(error) ? error.message : (error as Error).message);
    log.warn(`Feedback form: ${problem}`);
    return { problem };
  } finally {
    clearTimeout(timer);
    cancellation.dispose();
  }
}
