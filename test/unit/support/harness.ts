/** An Engine wired to a fresh emulator, for tests that go through the SDK, the network layer and retries. */

import { Engine, type EngineOptions } from '../../../src/engine/engine';
import type { ProfileInput } from '../../../src/engine/profiles';
import type { ChatEvent, ChatRequest } from '../../../src/engine/types';
import { Emulator, type EmulatorOptions } from '../../emulator/emulator';
import { collect, createRecordingLogger, type RecordingLogger } from './helpers';

/** Small delays, so retries in tests take milliseconds. */
export const FAST_RETRY = { baseDelayMs: 10, maxBackoffMs: 50 };

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  engine?: Omit<EngineOptions, 'logger'>;
  /** Builds the profile from the emulator's URL; default an openai-compatible profile at URL/v1. */
  profile?: (url: string) => ProfileInput;
  /** Key stored for the profile before the test. */
  key?: string;
}

export interface Harness {
  emulator: Emulator;
  engine: Engine;
  logger: RecordingLogger;
  /** Sends one chat request through the profile "test" and returns every event. */
  chat(request?: Partial<ChatRequest>, signal?: AbortSignal): Promise<ChatEvent[]>;
  /** Stops the emulator first, so no request can hold the engine's pool open, then closes the engine. */
  stop(): Promise<void>;
}

export const PROFILE = 'test';

export function compatibleProfile(url: string): ProfileInput {
  return { name: PROFILE, kind: 'openai-compatible', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await Emulator.start(options.emulator);
  const logger = createRecordingLogger();
  const engine = new Engine({ retry: FAST_RETRY, ...options.engine, logger });
  try {
    await engine.configure({ profiles: [(options.profile ?? compatibleProfile)(emulator.url)] });
  } catch (error) {
    await emulator.stop();
    await engine.close();
    throw error;
  }
  if (options.key !== undefined) engine.setKey(PROFILE, options.key);
  return {
    emulator,
    engine,
    logger,
    chat: (request = {}, signal) => collect(engine.chat({ profile: PROFILE, messages: [{ role: 'user', content: 'Say hello.' }], ...request }, signal)),
    stop: async () => {
      await emulator.stop();
      await engine.close();
    },
  };
}
