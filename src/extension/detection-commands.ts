/**
 * Detect Local Servers: requests the model servers that respond on this machine from the
 * language server, offers each one, and adds the chosen server's profile, with the model the
 * user picks, to the user's settings as the active profile. Select Profile and the
 * walkthrough run it too.
 */

import * as vscode from 'vscode';

import type { DetectedServer } from '../engine/detect/detect-local-servers';
import { detectServersRequest } from '../protocol/protocol';
import { additionMessage, addDetectedProfile, modelChoices, noServerFoundMessage, readDetectPorts, serverChoices, type DetectPorts, type ProfileAddition } from './detection';
import { showEngineError, showServerUnavailable } from './notifications';
import { targetOf } from './profile-commands';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';
import { SETTING } from './settings';

/** Milliseconds to wait for the changed settings to reach the profiles in use before saying the profile is active. */
const SETTINGS_APPLY_TIMEOUT_MS = 5000;

export function registerDetectionCommands(services: Services): void {
  services.context.subscriptions.push(vscode.commands.registerCommand('switchboard.detectLocalServers', () => detectLocalServers(services)));
}

async function detectLocalServers(services: Services): Promise<void> {
  const reading = readDetectPorts(process.env);
  if (!reading.ok) {
    services.log.error(reading.message);
    void vscode.window.showErrorMessage(reading.message);
    return;
  }
  const servers = await requestDetection(services, reading.ports);
  if (!servers) return;
  if (servers.length === 0) {
    await offerDetectAgain(services, 'info', noServerFoundMessage(reading.ports));
    return;
  }

  const choices = serverChoices(servers);
  if (!choices.some((choice) => choice.usable)) {
    await offerDetectAgain(services, 'warning', choices.map((choice) => choice.detail).join(' '));
    return;
  }
  const choice = await vscode.window.showQuickPick(choices, {
    title: vscode.l10n.t('Switchboard: Detect Local Servers'),
    placeHolder: vscode.l10n.t('Choose the server that Switchboard should use'),
    // The walkthrough's page can take focus while it loads, which would close the pick.
    ignoreFocusOut: true,
  });
  if (!choice) return;
  if (!choice.usable) {
    await offerDetectAgain(services, 'warning', choice.detail ?? '');
    return;
  }
  const model = await chooseModel(choice.server);
  if (model) await useDetectedServer(services, choice.server, model);
}

/** Sends the detection request, starting the server if needed; undefined after a failure it has shown. */
async function requestDetection(services: Services, ports: DetectPorts | undefined): Promise<DetectedServer[] | undefined> {
  try {
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Switchboard: Detecting local model servers…') }, () =>
      services.server.sendRequest(detectServersRequest, ports ? { ports } : null),
    );
    if (outcome.ok) {
      services.log.info(`Detection found ${outcome.servers.map((server) => `${server.label} at ${server.baseUrl}`).join(', ') || 'no local server'}.`);
      return outcome.servers;
    }
    await showEngineError(outcome.error, services.log, () => detectLocalServers(services));
  } catch (error) {
    if (!isServerUnavailable(error)) throw error;
    await showServerUnavailable(error.message, services.log);
  }
  return undefined;
}

async function offerDetectAgain(services: Services, severity: 'info' | 'warning', message: string): Promise<void> {
  const again = vscode.l10n.t('Detect Again');
  const show = severity === 'info' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  if ((await show(message, again)) === again) await detectLocalServers(services);
}

/** Returns the model to use: the only one, or the user's pick with the suggested one first. */
async function chooseModel(server: DetectedServer): Promise<string | undefined> {
  const choices = modelChoices(server);
  if (choices.length === 1) return choices[0].label;
  const choice = await vscode.window.showQuickPick(choices, {
    title: vscode.l10n.t('Switchboard: Model for {0}', server.label),
    placeHolder: vscode.l10n.t('Choose the model that requests use; Select Model changes it later'),
    ignoreFocusOut: true,
  });
  return choice?.label;
}

/**
 * Adds the server's profile to `switchboard.profiles` in the user's settings and makes it the
 * active profile. A workspace that sets its own profiles replaces the user's, so there the
 * profile is added but not made active, and a warning explains why.
 */
async function useDetectedServer(services: Services, server: DetectedServer, model: string): Promise<void> {
  const configuration = vscode.workspace.getConfiguration();
  const inspected = configuration.inspect<unknown[]>(SETTING.profiles);
  const userProfiles = Array.isArray(inspected?.globalValue) ? inspected.globalValue : [];
  const addition = addDetectedProfile(userProfiles, server, model);
  if (addition.change !== 'unchanged') await configuration.update(SETTING.profiles, addition.profiles, vscode.ConfigurationTarget.Global);
  services.log.info(`Profile "${addition.name}" for ${server.label} at ${server.baseUrl} with model ${model}: ${addition.change} in the user settings.`);

  const workspaceDefinesProfiles = inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
  if (vscode.workspace.isTrusted && workspaceDefinesProfiles) {
    await warnWorkspaceProfiles(addition);
    return;
  }
  await configuration.update(SETTING.activeProfile, addition.name, targetOf(SETTING.activeProfile));
  await waitForActiveProfile(services, addition.name);

  const check = vscode.l10n.t('Check Connection');
  const choice = await vscode.window.showInformationMessage(additionMessage(addition, server, model), check);
  if (choice === check) await vscode.commands.executeCommand('switchboard.checkConnection');
}

async function warnWorkspaceProfiles(addition: ProfileAddition): Promise<void> {
  const openSettings = vscode.l10n.t('Open Settings');
  const message = vscode.l10n.t(
    'The profile "{0}" is in your user settings, but this workspace sets its own {1}, which replaces yours. Add the profile to the workspace\'s {1} to use it here.',
    addition.name,
    SETTING.profiles,
  );
  if ((await vscode.window.showWarningMessage(message, openSettings)) === openSettings) {
    await vscode.commands.executeCommand('switchboard.openSettings', SETTING.profiles);
  }
}

/** Waits until the changed settings have been read, so the next command finds the new profile. */
async function waitForActiveProfile(services: Services, name: string): Promise<void> {
  const { configuration } = services;
  if (configuration.activeProfile()?.name === name) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, SETTINGS_APPLY_TIMEOUT_MS);
    const subscription = configuration.onDidChange(() => {
      if (configuration.activeProfile()?.name === name) finish();
    });
    function finish(): void {
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    }
  });
  if (configuration.activeProfile()?.name !== name) {
    services.log.warn(`Profile "${name}" was not in use ${SETTINGS_APPLY_TIMEOUT_MS} ms after the settings changed; the server may have rejected it.`);
  }
}
