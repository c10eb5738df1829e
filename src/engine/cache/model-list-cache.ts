/**
 * The model-list cache: each profile's list of models, kept for a few minutes so pickers open
 * at once, with concurrent refreshes of one profile sharing a single request.
 */

import { createHash } from 'node:crypto';

import type { Profile } from '../profiles';
import type { ModelInfo } from '../types';
import { BoundedCache, type LoadOptions } from './bounded-cache';

export interface ModelListCacheOptions {
  /** Milliseconds a list stays fresh. */
  ttlMs: number;
  /** Maximum number of profiles whose lists are kept. */
  maxProfiles: number;
  /** Monotonic clock in milliseconds, which tests inject. */
  now?: () => number;
}

export const DEFAULT_MODEL_LIST_CACHE_OPTIONS: ModelListCacheOptions = {
  ttlMs: 5 * 60 * 1000,
  maxProfiles: 64,
};

export class ModelListCache {
  readonly options: ModelListCacheOptions;
  private readonly lists: BoundedCache<string, ModelInfo[]>;

  constructor(options: Partial<ModelListCacheOptions> = {}) {
    this.options = { ...DEFAULT_MODEL_LIST_CACHE_OPTIONS, ...options };
    this.lists = new BoundedCache<string, ModelInfo[]>({
      maxEntries: this.options.maxProfiles,
      ttlMs: this.options.ttlMs,
      now: this.options.now,
      settingNames: { ttlMs: 'modelListTtlMs', maxEntries: 'maxProfiles' },
    });
  }

  get entries(): number {
    return this.lists.size;
  }

  /** Returns the profile's stored list, or loads it. With `refresh`, it loads again even when a list is stored. */
  load(profile: Profile, loader: (signal: AbortSignal) => Promise<ModelInfo[]>, options: LoadOptions = {}): Promise<ModelInfo[]> {
    return this.lists.load(modelListKey(profile), loader, options);
  }

  clear(): void {
    this.lists.clear();
  }
}

/** Builds the key of a profile's list. A profile whose server settings changed gets a new key, so it never gets the old server's list. */
function modelListKey(profile: Profile): string {
  const identity = JSON.stringify([profile.name, profile.kind, profile.baseUrl, profile.apiVersion ?? null, profile.server ?? null, profile.headers ?? null]);
  return createHash('sha256').update(identity).digest('base64url');
}
