/** Finds the profile a request goes to, and explains what to do when there is none yet. */

import * as vscode from 'vscode';

import { isKeyOptional } from '../engine/keys';
import type { Profile } from '../engine/profiles';
import type { Services } from './services';

/** Returns the active profile when it can send requests, else shows why not with a button that fixes it. */
export async function profileForRequest(services: Services): Promise<Profile | undefined> {
  const { configuration, keys } = services;
  const profile = configuration.activeProfile();
  if (!profile) {
    await explainMissingProfile(services);
    return undefined;
  }
  if (!isKeyOptional(profile) && !(await keys.has(profile.name))) {
    const choice = await vscode.window.showWarningMessage(`Profile "${profile.name}" needs an API key before it can send requests; nothing was sent.`, 'Set API Key');
    if (choice) await vscode.commands.executeCommand('switchboard.setApiKey', profile.name);
    return undefined;
  }
  return profile;
}

async function explainMissingProfile(services: Services): Promise<void> {
  const { configuration } = services;
  if (configuration.profiles.length === 0) {
    const choice = await vscode.window.showWarningMessage('No Switchboard profile is configured. Add one to the switchboard.profiles setting, for example {"name": "local", "preset": "ollama", "model": "llama3.2"}.', 'Open Settings');
    if (choice) await vscode.commands.executeCommand('switchboard.openSettings', 'switchboard.profiles');
    return;
  }
  const choice = await vscode.window.showWarningMessage(`The active profile "${configuration.settings.activeProfile}" is not one of the configured profiles.`, 'Select Profile');
  if (choice) await vscode.commands.executeCommand('switchboard.selectProfile');
}
