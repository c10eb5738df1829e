/**
 * Feeds the status bar: the server's status notifications, the server's phase, the active
 * profile and whether it has a key, and the periodic connection check.
 */

import * as vscode from 'vscode';

import type { ErrorData } from '../engine/errors';
import { isKeyOptional } from '../engine/keys';
import { listModelsRequest, type StatusParams } from '../protocol/protocol';
import { showEngineError, showServerUnavailable } from './notifications';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';
import type { StatusInputs } from './status-view';

export function registerStatusUpdates(services: Services): void {
  const { configuration, keys, server, status, context } = services;
  let lastStatus: StatusParams | undefined;
  const showActiveProfileStatus = () => {
    const name = configuration.activeProfile()?.name;
    status.setEngineStatus(lastStatus?.profiles.find((profile) => profile.profile === name));
  };

  context.subscriptions.push(
    server.onStatus((params) => {
      lastStatus = params;
      showActiveProfileStatus();
    }),
    server.onDidChangePhase((phase) => {
      // A new server process starts with no history, so the old profile state no longer applies.
      if (phase === 'starting') lastStatus = undefined;
      status.update({ server: phase, serverStoppedReason: server.stopReason });
      if (phase === 'starting') showActiveProfileStatus();
      // A check right after each start, restarts included, shows the state without waiting for the interval.
      if (phase === 'running') void services.healthCheck.runNow();
    }),
    configuration.onDidChange(() => {
      showActiveProfileStatus();
      void refreshSetup(services);
    }),
    keys.onDidChange((profile) => void applyKeyChange(services, profile)),
  );
  void refreshSetup(services);
}

/** Updates the tooltip details and whether the active profile can send requests at all. */
async function refreshSetup(services: Services): Promise<void> {
  const { configuration, keys, status } = services;
  const profile = configuration.activeProfile();
  status.setDetails({ profile: profile?.name, model: profile?.model, baseUrl: profile?.baseUrl });

  let setupProblem: StatusInputs['setupProblem'];
  if (configuration.profiles.length === 0) setupProblem = { reason: 'noProfile' };
  else if (!profile) setupProblem = { reason: 'profileNotFound', profileName: configuration.settings.activeProfile };
  else if (!isKeyOptional(profile) && !(await keys.has(profile.name))) setupProblem = { reason: 'noKey', profileName: profile.name };
  status.update({ setupProblem });
}

/**
 * Sends a changed key to the server, updates the status bar and checks the profile again.
 * SecretStorage's change event calls it, for Set API Key and for changes in other windows.
 */
async function applyKeyChange(services: Services, profile: string): Promise<void> {
  try {
    await services.configuration.pushKey(services.server, profile);
  } catch (error) {
    services.log.error(`Sending the API key of profile "${profile}" to the language server failed: ${(error as Error).message}`);
  }
  await refreshSetup(services);
  if (services.configuration.activeProfile()?.name === profile && (await services.keys.has(profile))) void services.healthCheck.runNow();
}

export type ConnectionCheckResult = { kind: 'skipped'; reason: string } | { kind: 'ok'; models: number; ms: number } | { kind: 'failed'; error: ErrorData } | { kind: 'unavailable'; reason: string };

/**
 * Checks the active profile by listing its models, which costs no tokens. It starts the
 * server when needed, so it is never called from activate() itself.
 */
export async function checkActiveProfile(services: Services): Promise<ConnectionCheckResult> {
  const { configuration, keys, server, status, log } = services;
  const profile = configuration.activeProfile();
  if (!profile) return { kind: 'skipped', reason: 'No profile is configured.' };
  if (!isKeyOptional(profile) && !(await keys.has(profile.name))) return { kind: 'skipped', reason: `Profile "${profile.name}" has no API key.` };

  const started = performance.now();
  try {
    // `refresh` skips the server's model-list cache, so the check reaches the provider.
    const outcome = await server.sendRequest(listModelsRequest, { profile: profile.name, refresh: true });
    const ms = performance.now() - started;
    if (!outcome.ok) {
      log.warn(`Connection check of profile "${profile.name}" failed: ${outcome.error.code}: ${outcome.error.message}`);
      return { kind: 'failed', error: outcome.error };
    }
    status.update({ checkLatencyMs: ms });
    log.debug(`Connection check of profile "${profile.name}": ${outcome.models.length} models in ${Math.round(ms)} ms.`);
    return { kind: 'ok', models: outcome.models.length, ms };
  } catch (error) {
    const reason = isServerUnavailable(error) ? error.message : `The connection check failed inside the extension: ${(error as Error).message}`;
    log.error(reason);
    return { kind: 'unavailable', reason };
  }
}

/** Runs the check now and reports its result, for the Check Connection command. */
export async function reportConnectionCheck(services: Services): Promise<void> {
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Checking the connection…' }, () => checkActiveProfile(services));
  const profile = services.configuration.activeProfile()?.name;
  switch (result.kind) {
    case 'ok':
      void vscode.window.showInformationMessage(`Profile "${profile}" is reachable: ${result.models} models listed in ${Math.round(result.ms)} ms.`);
      break;
    case 'failed':
      await showEngineError(result.error, services.log, () => reportConnectionCheck(services));
      break;
    case 'skipped':
      void vscode.window.showWarningMessage(`${result.reason} Nothing was checked.`);
      break;
    case 'unavailable':
      await showServerUnavailable(result.reason, services.log);
      break;
  }
}
