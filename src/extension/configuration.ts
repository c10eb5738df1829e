/**
 * The settings in use and the profiles they define. It reads them through settings.ts and
 * checks profiles before they are shown or sent. It pushes settings and keys to the server
 * after each start and each change, and keeps the last working configuration when a change
 * is rejected.
 */

import { readFile } from 'node:fs/promises';

import * as vscode from 'vscode';

import type { ErrorData } from '../engine/errors';
import type { Profile } from '../engine/profiles';
import { configureRequest, setKeyRequest, type ConfigureParams } from '../protocol/protocol';
import type { ApiKeyStore } from './api-keys';
import { showConfigurationRejected, showSettingProblems } from './notifications';
import type { ServerConnection } from './server-connection';
import { activeProfileName, checkProfiles, DEFAULT_SETTINGS, readCaCertificates, readSettings, toConfigureParams, type Settings } from './settings';

export class Configuration implements vscode.Disposable {
  private current: Settings = DEFAULT_SETTINGS;
  private profileList: Profile[] = [];
  /** The last configure request the server accepted, re-sent to a new server if the current settings are rejected. */
  private accepted: ConfigureParams | undefined;
  /** The message of the last rejection shown, so the same one is not shown twice. */
  private reportedRejection: string | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<void>();

  /** Fires when the profiles or the active profile change. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly keys: ApiKeyStore,
  ) {}

  get settings(): Settings {
    return this.current;
  }

  /** The profiles last accepted, by the server or by the local check when the server is not running. */
  get profiles(): readonly Profile[] {
    return this.profileList;
  }

  /** Returns the profile that commands use, or undefined when none is configured or the active one does not exist. */
  activeProfile(): Profile | undefined {
    const name = activeProfileName(this.current, this.profileList.map((profile) => profile.name));
    return this.profileList.find((profile) => profile.name === name);
  }

  profile(name: string): Profile | undefined {
    return this.profileList.find((profile) => profile.name === name);
  }

  /** Reads the settings and checks the profiles locally, as at activation. */
  load(): void {
    this.read();
    this.checkLocally();
    this.changeEmitter.fire();
  }

  /** Reads the settings after a change and applies them: on the server when it runs, else locally. */
  async reload(server: ServerConnection): Promise<void> {
    this.read();
    if (server.isRunning) await this.push(server, { firstPush: false });
    else this.checkLocally();
    this.changeEmitter.fire();
  }

  /** Reads the settings after a change to settings that only the extension uses. */
  reloadClientSettings(): void {
    this.read();
    this.changeEmitter.fire();
  }

  private read(): void {
    const { settings, problems } = readSettings(vscode.workspace.getConfiguration(), vscode.workspace.isTrusted, this.current);
    this.current = settings;
    if (problems.length > 0) showSettingProblems(problems, this.log);
  }

  private checkLocally(): void {
    const checked = checkProfiles(this.current.profiles);
    if (checked.ok) {
      this.profileList = checked.profiles;
      this.reportedRejection = undefined;
    } else {
      this.reportRejection(checked.error);
    }
  }

  /** Shows a rejection once: the local check and the server's check of the same settings agree. */
  private reportRejection(error: ErrorData): void {
    if (this.reportedRejection === error.message) return;
    this.reportedRejection = error.message;
    showConfigurationRejected(error, this.log);
  }

  /** Sends the settings and every profile's key to a server; called after each start. */
  async push(server: ServerConnection, options: { firstPush: boolean } = { firstPush: true }): Promise<void> {
    const params = await this.buildConfigureParams();
    const outcome = await server.sendRequestToRunningServer(configureRequest, params);
    if (outcome.ok) {
      this.accepted = params;
      this.reportedRejection = undefined;
      this.profileList = outcome.profiles;
      this.log.info(`Configured ${outcome.profiles.length} profile(s): ${outcome.profiles.map((profile) => profile.name).join(', ') || 'none'}.`);
    } else {
      this.reportRejection(outcome.error);
      // A new server has no configuration at all, so it gets the last one that worked.
      if (options.firstPush && this.accepted) {
        const fallback = await server.sendRequestToRunningServer(configureRequest, this.accepted);
        if (fallback.ok) this.profileList = fallback.profiles;
      }
    }
    await this.pushKeys(server);
  }

  /** Sends one profile's key, or its removal, to a running server. */
  async pushKey(server: ServerConnection, profile: string): Promise<void> {
    if (!server.isRunning) return;
    await server.sendRequestToRunningServer(setKeyRequest, { profile, key: await this.keys.get(profile) });
  }

  private async pushKeys(server: ServerConnection): Promise<void> {
    for (const profile of this.profileList) {
      const key = await this.keys.get(profile.name);
      await server.sendRequestToRunningServer(setKeyRequest, { profile: profile.name, key });
    }
  }

  private async buildConfigureParams(): Promise<ConfigureParams> {
    const { certificates, problems } = await readCaCertificates(this.current.caCertificatePaths, (file) => readFile(file, 'utf8'));
    if (problems.length > 0) {
      showSettingProblems(problems, this.log);
      // One unreadable file keeps the certificates that worked before, as for any other bad setting.
      const previous = this.accepted?.network?.extraCaCertificates;
      if (previous) return toConfigureParams(this.current, previous, process.env);
    }
    return toConfigureParams(this.current, certificates, process.env);
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
