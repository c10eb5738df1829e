/**
 * The provider registry. Adapters are reached only through dynamic import, so an SDK is not
 * evaluated until a profile of its kind is first used.
 */

import type { Profile } from './profiles';
import type { Adapter, AdapterModule } from './providers/adapter';
import type { ProviderKind } from './types';

const LOADERS: Record<ProviderKind, () => Promise<AdapterModule>> = {
  openai: () => import('./providers/openai/index.js'),
  'azure-openai': () => import('./providers/openai/index.js'),
  'openai-compatible': () => import('./providers/openai/index.js'),
  gemini: () => import('./providers/gemini/index.js'),
};

export class ProviderRegistry {
  private readonly modules = new Map<ProviderKind, Promise<AdapterModule>>();
  private readonly adapters = new Map<string, { profile: Profile; adapter: Adapter }>();

  /** Returns the adapter of a profile, loading its module on first use; a changed profile gets a new adapter. */
  async adapterFor(profile: Profile): Promise<Adapter> {
    const cached = this.adapters.get(profile.name);
    if (cached && sameProfile(cached.profile, profile)) return cached.adapter;
    const module = await this.load(profile.kind);
    const adapter = module.createAdapter(profile);
    this.adapters.set(profile.name, { profile, adapter });
    return adapter;
  }

  /** Kinds whose modules were loaded so far (for the performance report and the lazy-loading test). */
  loadedKinds(): ProviderKind[] {
    return [...this.modules.keys()];
  }

  private load(kind: ProviderKind): Promise<AdapterModule> {
    let module = this.modules.get(kind);
    if (!module) {
      module = LOADERS[kind]();
      this.modules.set(kind, module);
      module.catch(() => this.modules.delete(kind));
    }
    return module;
  }
}

function sameProfile(a: Profile, b: Profile): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
