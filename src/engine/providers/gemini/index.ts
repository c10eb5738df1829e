/** The Google Gemini adapter, loaded by the provider registry on first use of a Gemini profile. */

import type { Profile } from '../../profiles';
import type { Adapter } from '../adapter';
import { createGeminiAdapter } from './factory';

export function createAdapter(profile: Profile): Adapter {
  return createGeminiAdapter(profile);
}
