/** Finds the profile a request goes to, and explains what to do when there is none yet. */

import * as vscode from 'vscode';

import { isKeyOptional } from '../engine/keys';
import type { Profile } from '../engine/profiles';
import type { Services } from './services';
import { SETTING } from './settings';

/** Returns the active profile when it can send requests, else shows why not with a button that fixes it. */
export async function profileForRequest(services: Services): Promise<Profile | undefined> {
  const { configuration, keys } = services;
  const profile = configuration.activeProfile();
  if (!profile) {
    await explainMissingProfile(services);
    return undefined;
  }
  if (!isKeyOptional(profile) && !(await keys.has(profile.name))) {
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Profile "{0}" needs an API key before it can send requests; nothing was sent.', profile.name),
      vscode.l10n.t('Set API Key'),
    );
    if (choice) await vscode.commands.executeCommand('switchboard.setApiKey', profile.name);
    return undefined;
  }
  return profile;
}

async function explainMissingProfile(services: Services): Promise<void> {
  const { configuration } = services;
  if (configuration.profiles.length === 0) {
    const message = vscode.l10n.t(
      'No Switchboard profile is configured. Detect a local server, or add a profile to the {0} setting, for example {1}.',
      SETTING.profiles,
      '{"name": "local", "preset": "ollama", "model": "llama3.2"}',
    );
    const detect = vscode.l10n.t('Detect Local Servers');
    const choice = await vscode.window.showWarningMessage(message, detect, vscode.l10n.t('Open Settings'));
    if (choice === detect) await vscode.commands.executeCommand('switchboard.detectLocalServers');
    else if (choice) await vscode.commands.executeCommand('switchboard.openSettings', SETTING.profiles);
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('The active profile "{0}" is not one of the configured profiles.', configuration.settings.activeProfile ?? ''),
    vscode.l10n.t('Select Profile'),
  );
  if (choice) await vscode.commands.executeCommand('switchboard.selectProfile');
}
