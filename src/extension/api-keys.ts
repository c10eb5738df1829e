/** API keys in VS Code's SecretStorage, one per profile. Keys never go to settings or logs. */

import type * as vscode from 'vscode';

import { secretKeyFor } from './key-validation';

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(profile: string): Thenable<string | undefined> {
    return this.secrets.get(secretKeyFor(profile));
  }

  async has(profile: string): Promise<boolean> {
    return (await this.get(profile)) !== undefined;
  }

  store(profile: string, key: string): Thenable<void> {
    return this.secrets.store(secretKeyFor(profile), key);
  }

  delete(profile: string): Thenable<void> {
    return this.secrets.delete(secretKeyFor(profile));
  }

  /** Fires with the profile name when its key changes, in this window or another. */
  onDidChange(listener: (profile: string) => void): vscode.Disposable {
    const prefix = secretKeyFor('');
    return this.secrets.onDidChange((event) => {
      if (event.key.startsWith(prefix)) listener(event.key.slice(prefix.length));
    });
  }
}
