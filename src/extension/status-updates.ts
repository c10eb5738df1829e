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
import { CONTEXT_KEY, setContextKey } from './walkthrough-context';

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
  setContextKey(CONTEXT_KEY.profileConfigured, profile !== undefined, services.log);
  setContextKey(CONTEXT_KEY.activeProfileReady, setupProblem === undefined, services.log);
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
 * Checks the active profile by listing its models, which costs no tokens, and sets the
 * `switchboard.connectionVerified` context key from the result. It starts the server when
 * needed, so it is never called from activate() itself. The periodic check accepts the
 * server's model-list cache (5 minutes), and `refresh` sends the request to the provider.
 */
export async function checkActiveProfile(services: Services, options: { refresh?: boolean } = {}): Promise<ConnectionCheckResult> {
  const result = await runConnectionCheck(services, options.refresh ?? false);
  setContextKey(CONTEXT_KEY.connectionVerified, result.kind === 'ok', services.log);
  return result;
}

async function runConnectionCheck(services: Services, refresh: boolean): Promise<ConnectionCheckResult> {
  const { configuration, keys, server, status, log } = services;
  const profile = configuration.activeProfile();
  if (!profile) return { kind: 'skipped', reason: vscode.l10n.t('No profile is configured.') };
  if (!isKeyOptional(profile) && !(await keys.has(profile.name))) return { kind: 'skipped', reason: vscode.l10n.t('Profile "{0}" has no API key.', profile.name) };

  const started = performance.now();
  try {
    // Without `refresh`, a list the server loaded in the last 5 minutes serves the check.
    // NOTE: the latency recorded below is then the round trip to the server only.
    const outcome = await server.sendRequest(listModelsRequest, { profile: profile.name, refresh: refresh || undefined });
    const ms = performance.now() - started;
    if (!outcome.ok) {
      log.warn(`Connection check of profile "${profile.name}" failed: ${outcome.error.code}: ${outcome.error.message}`);
      return { kind: 'failed', error: outcome.error };
    }
    status.update({ checkLatencyMs: ms });
    log.debug(`Connection check of profile "${profile.name}": ${outcome.models.length} models in ${Math.round(ms)} ms.`);
    return { kind: 'ok', models: outcome.models.length, ms };
  } catch (error) {
    const reason = isServerUnavailable(error) ? error.message : vscode.l10n.t('The connection check failed inside the extension: {0}', (error as Error).message);
    log.error(reason);
    return { kind: 'unavailable', reason };
  }
}

/** Runs the check now, asking the provider rather than the cache, and reports its result, for the Check Connection command. */
export async function reportConnectionCheck(services: Services): Promise<void> {
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking the connection…') }, () =>
    checkActiveProfile(services, { refresh: true }),
  );
  const profile = services.configuration.activeProfile()?.name;
  switch (result.kind) {
    case 'ok':
      void vscode.window.showInformationMessage(vscode.l10n.t('Profile "{0}" is reachable: {1} models listed in {2} ms.', profile ?? '', result.models, Math.round(result.ms)));
      break;
    case 'failed':
      await showEngineError(result.error, services.log, () => reportConnectionCheck(services));
      break;
    case 'skipped':
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} Nothing was checked.', result.reason));
      break;
    case 'unavailable':
      await showServerUnavailable(result.reason, services.log);
      break;
  }
}
