/**
 * Commands that choose the profile and model and manage API keys: Select Profile, Select Model,
 * Set API Key, Clear API Key. Select Profile also offers Detect Local Servers (detection-commands.ts).
 */

import * as vscode from 'vscode';

import { isKeyOptional } from '../engine/keys';
import type { Profile } from '../engine/profiles';
import { listModelsRequest } from '../protocol/protocol';
import { suggestedFirst, suggestedModelsOf } from './fix-actions';
import { validateApiKeyInput } from './key-validation';
import { isServerUnavailable } from './server-connection';
import { showEngineError, showServerUnavailable } from './notifications';
import type { Services } from './services';
import { SETTING } from './settings';

export function registerProfileCommands(services: Services): void {
  const subscriptions = services.context.subscriptions;
  subscriptions.push(
    vscode.commands.registerCommand('switchboard.selectProfile', () => selectProfile(services)),
    // The Select Model button of a `model.not_found` error passes `{ suggestedModels }`.
    vscode.commands.registerCommand('switchboard.selectModel', (options?: unknown) => selectModel(services, suggestedModelsOf(options))),
    vscode.commands.registerCommand('switchboard.setApiKey', (profile?: unknown) => setApiKey(services, typeof profile === 'string' ? profile : undefined)),
    vscode.commands.registerCommand('switchboard.clearApiKey', (profile?: unknown) => clearApiKey(services, typeof profile === 'string' ? profile : undefined)),
  );
}

async function selectProfile(services: Services): Promise<void> {
  const { configuration, keys } = services;
  const active = configuration.activeProfile()?.name;
  const items = await Promise.all(
    configuration.profiles.map(async (profile) => ({
      label: profile.name,
      description: `${profile.model} · ${hostOf(profile.baseUrl)}`,
      detail: isKeyOptional(profile) || (await keys.has(profile.name)) ? undefined : vscode.l10n.t('No API key set'),
      picked: profile.name === active,
    })),
  );
  const detectItem = { label: `$(search) ${vscode.l10n.t('Detect Local Servers…')}`, description: vscode.l10n.t('Ollama, LM Studio, llama.cpp server, vLLM'), detail: undefined, picked: false };
  const editItem = { label: `$(gear) ${vscode.l10n.t('Edit profiles in settings…')}`, description: '', detail: undefined, picked: false };
  const choice = await vscode.window.showQuickPick([...items, detectItem, editItem], {
    title: vscode.l10n.t('Switchboard: Select Profile'),
    placeHolder: active ? vscode.l10n.t('Active: {0}', active) : vscode.l10n.t('Choose the profile that commands use'),
  });
  if (!choice) return;
  if (choice === detectItem) {
    await vscode.commands.executeCommand('switchboard.detectLocalServers');
    return;
  }
  if (choice === editItem) {
    await vscode.commands.executeCommand('switchboard.openSettings', SETTING.profiles);
    return;
  }
  await vscode.workspace.getConfiguration().update(SETTING.activeProfile, choice.label, targetOf(SETTING.activeProfile));
  services.log.info(`Active profile set to "${choice.label}".`);
}

async function selectModel(services: Services, suggested: readonly string[] = []): Promise<void> {
  const profile = services.configuration.activeProfile();
  if (!profile) {
    await vscode.commands.executeCommand('switchboard.selectProfile');
    return;
  }
  const models = await listModels(services, profile);
  if (!models) return;
  const items = suggestedFirst(models, suggested).map(({ model, suggested: isSuggested }) => ({
    label: model.id,
    description: model.id === profile.model ? vscode.l10n.t('current') : isSuggested ? vscode.l10n.t('suggested') : model.displayName,
  }));
  const choice = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Switchboard: Select Model for "{0}"', profile.name),
    placeHolder: vscode.l10n.t('Current: {0}', profile.model),
  });
  if (!choice || choice.label === profile.model) return;
  await setProfileModel(services, profile.name, choice.label);
}

async function listModels(services: Services, profile: Profile) {
  try {
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Listing models…') }, () =>
      services.server.sendRequest(listModelsRequest, { profile: profile.name }),
    );
    if (outcome.ok) return outcome.models;
    await showEngineError(outcome.error, services.log, () => selectModel(services));
  } catch (error) {
    if (!isServerUnavailable(error)) throw error;
    await showServerUnavailable(error.message, services.log);
  }
  return undefined;
}

/** Changes one profile's model in the settings scope that defines the profile. */
async function setProfileModel(services: Services, profileName: string, model: string): Promise<void> {
  const configuration = vscode.workspace.getConfiguration();
  const inspected = configuration.inspect<unknown[]>(SETTING.profiles);
  const scopes = [
    { value: inspected?.workspaceFolderValue, target: vscode.ConfigurationTarget.WorkspaceFolder },
    { value: inspected?.workspaceValue, target: vscode.ConfigurationTarget.Workspace },
    { value: inspected?.globalValue, target: vscode.ConfigurationTarget.Global },
  ].filter((scope) => vscode.workspace.isTrusted || scope.target === vscode.ConfigurationTarget.Global);
  for (const scope of scopes) {
    if (!Array.isArray(scope.value)) continue;
    const index = scope.value.findIndex((entry) => (entry as { name?: unknown } | null)?.name === profileName);
    if (index < 0) continue;
    const updated = scope.value.map((entry, position) => (position === index ? { ...(entry as object), model } : entry));
    await configuration.update(SETTING.profiles, updated, scope.target);
    services.log.info(`Model of profile "${profileName}" set to ${model}.`);
    return;
  }
  const currentModel = services.configuration.profile(profileName)?.model ?? '';
  void vscode.window.showWarningMessage(vscode.l10n.t('Profile "{0}" is not defined in settings that can be changed here, so its model stays {1}.', profileName, currentModel));
}

async function setApiKey(services: Services, requested: string | undefined): Promise<void> {
  const profile = await chooseProfile(services, requested, vscode.l10n.t('Switchboard: Set API Key'));
  if (!profile) return;
  const key = await vscode.window.showInputBox({
    title: vscode.l10n.t('Switchboard: API Key for "{0}"', profile.name),
    prompt: vscode.l10n.t('The key is stored in VS Code\'s secret storage and sent only to {0}.', hostOf(profile.baseUrl)),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => validateApiKeyInput(value, profile),
  });
  if (key === undefined) return;
  await services.keys.store(profile.name, key);
  services.log.info(`API key stored for profile "${profile.name}".`);
  void vscode.window.showInformationMessage(vscode.l10n.t('API key saved for profile "{0}".', profile.name));
}

async function clearApiKey(services: Services, requested: string | undefined): Promise<void> {
  const profile = await chooseProfile(services, requested, vscode.l10n.t('Switchboard: Clear API Key'));
  if (!profile) return;
  if (!(await services.keys.has(profile.name))) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Profile "{0}" has no stored API key.', profile.name));
    return;
  }
  await services.keys.delete(profile.name);
  services.log.info(`API key removed for profile "${profile.name}".`);
  void vscode.window.showInformationMessage(vscode.l10n.t('API key removed for profile "{0}".', profile.name));
}

/** Returns the named profile, the only one, or the user's pick with the active profile listed first. */
async function chooseProfile(services: Services, requested: string | undefined, title: string): Promise<Profile | undefined> {
  const { configuration } = services;
  if (requested !== undefined) {
    const profile = configuration.profile(requested);
    if (!profile) void vscode.window.showErrorMessage(vscode.l10n.t('No profile is named "{0}".', requested));
    return profile;
  }
  const profiles = [...configuration.profiles];
  if (profiles.length === 0) {
    const detect = vscode.l10n.t('Detect Local Servers');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('No Switchboard profile is configured yet. Detect a local server, or add a profile to {0} first.', SETTING.profiles),
      detect,
      vscode.l10n.t('Open Settings'),
    );
    if (choice === detect) await vscode.commands.executeCommand('switchboard.detectLocalServers');
    else if (choice) await vscode.commands.executeCommand('switchboard.openSettings', SETTING.profiles);
    return undefined;
  }
  if (profiles.length === 1) return profiles[0];
  const active = configuration.activeProfile()?.name;
  profiles.sort((a, b) => Number(b.name === active) - Number(a.name === active));
  const choice = await vscode.window.showQuickPick(
    profiles.map((profile) => ({ label: profile.name, description: hostOf(profile.baseUrl), profile })),
    { title, placeHolder: vscode.l10n.t('Choose the profile') },
  );
  return choice?.profile;
}

/** Writes where the setting already has a value that takes effect, else to the user's settings. */
export function targetOf(setting: string): vscode.ConfigurationTarget {
  const inspected = vscode.workspace.getConfiguration().inspect(setting);
  if (inspected?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
  if (inspected?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
  return vscode.ConfigurationTarget.Global;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
