import type { Profile } from '../../profiles';
import type { Adapter } from '../adapter';
import { OpenAiAdapter } from './factory';

export function createAdapter(profile: Profile): Adapter {
  return new OpenAiAdapter(profile);
}
