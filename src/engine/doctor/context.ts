/** The state the doctor's steps share: the options, and the findings earlier steps leave for later ones. */

import type { LookupAddress } from 'node:dns';

import { Engine } from '../engine';
import type { ErrorData, FixSurface } from '../errors';
import type { NetworkOptions } from '../network/options';
import type { ProxyDecision } from '../network/proxy';
import type { Profile, ProfileInput } from '../profiles';
import type { Logger, ModelInfo } from '../types';

export interface DoctorOptions {
  /** The profile's API key; it is sent to the profile's server only and never appears in the report. */
  apiKey?: string;
  /** The network settings requests use (timeouts, proxy, CA certificates); defaults otherwise. */
  network?: Partial<NetworkOptions>;
  /** Skips the one-token and streaming requests, which cost tokens on paid APIs. */
  skipCompletion?: boolean;
  /** The wording of fix lines: VS Code's commands and settings (default), or the command line's flags. */
  surface?: FixSurface;
  /** VS Code's `vscode.env.remoteName` (`ssh-remote`, `wsl`, `dev-container`, …) when the server runs on a remote host. */
  remoteName?: string;
  signal?: AbortSignal;
  /** Clock in epoch milliseconds, for step durations and certificate lifetimes; default Date.now. */
  now?: () => number;
  logger?: Logger;
}

/** The destination of requests: the parsed base URL, the host without brackets and the port with its default filled in. */
export interface Target {
  url: URL;
  /** Host name or IP address, without the brackets of an IPv6 literal. */
  host: string;
  port: number;
  secure: boolean;
}

export interface DoctorContext {
  readonly input: ProfileInput;
  readonly options: DoctorOptions;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** Set by the configuration step; later steps run only after it passed. */
  profile?: Profile;
  network?: NetworkOptions;
  target?: Target;
  proxy?: ProxyDecision;
  /** Addresses the DNS step found, to be tried by the TCP step. */
  addresses: LookupAddress[];
  /** Models the authentication step listed. */
  models?: ModelInfo[];
  /** An engine with this profile and key, retries off, created on first use. */
  engine(): Promise<Engine>;
  close(): Promise<void>;
}

/** A failing step's error, as data; thrown by steps whose failure arrives as an ErrorData event. */
export class StepFailure extends Error {
  constructor(readonly data: ErrorData) {
    super(data.message);
  }
}

export function createContext(input: ProfileInput, options: DoctorOptions, signal: AbortSignal, logger: Logger): DoctorContext {
  let engine: Promise<Engine> | undefined;
  const context: DoctorContext = {
    input,
    options,
    logger,
    signal,
    now: options.now ?? Date.now,
    addresses: [],
    engine: () => {
      engine ??= createEngine(context);
      return engine;
    },
    close: async () => {
      if (!engine) return;
      const created = await engine.catch(() => undefined);
      created?.setKey(profileName(input), undefined);
      await created?.close();
    },
  };
  return context;
}

async function createEngine(context: DoctorContext): Promise<Engine> {
  // One attempt per request, so each step reports the first failure as it happened.
  const engine = new Engine({ logger: context.logger, network: context.network, retry: { maxAttempts: 1 }, surface: context.options.surface });
  await engine.configure({ profiles: [context.input] });
  if (context.options.apiKey) engine.setKey(profileName(context.input), context.options.apiKey);
  return engine;
}

export function profileName(input: ProfileInput): string {
  return typeof input.name === 'string' ? input.name.trim() : '';
}
