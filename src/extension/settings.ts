/**
 * The extension's settings: one typed view of every `switchboard.*` setting and of VS Code's
 * own `http.*` proxy settings, the configuration sent to the server, and which settings need
 * a server restart. It only imports types from `vscode`, so unit tests can run it in Node.
 */

import * as os from 'node:os';
import * as path from 'node:path';

import type { ConfigurationChangeEvent } from 'vscode';

import { isSwitchboardError, SwitchboardError, type ErrorData } from '../engine/errors';
import { DEFAULT_NETWORK_OPTIONS } from '../engine/network/options';
import { parseProfile, quoteValue, type Profile, type ProfileInput } from '../engine/profiles';
import type { ConfigureParams } from '../protocol/protocol';
import { l10n } from './l10n';

/** Setting ids, so no other module spells them. */
export const SETTING = {
  profiles: 'switchboard.profiles',
  activeProfile: 'switchboard.activeProfile',
  connectMs: 'switchboard.timeouts.connectMs',
  firstByteMs: 'switchboard.timeouts.firstByteMs',
  localFirstByteMs: 'switchboard.timeouts.localFirstByteMs',
  idleMs: 'switchboard.timeouts.idleMs',
  deadlineMs: 'switchboard.timeouts.deadlineMs',
  maxRetryAfterSeconds: 'switchboard.retry.maxRetryAfterSeconds',
  cacheMaxMegabytes: 'switchboard.cache.maxMegabytes',
  cacheTtlMinutes: 'switchboard.cache.ttlMinutes',
  proxy: 'switchboard.network.proxy',
  caCertificates: 'switchboard.network.caCertificates',
  traceServer: 'switchboard.trace.server',
  feedbackEndpoint: 'switchboard.feedback.endpoint',
  feedbackIssueUrl: 'switchboard.feedback.issueUrl',
  httpProxy: 'http.proxy',
  httpNoProxy: 'http.noProxy',
  httpProxyStrictSsl: 'http.proxyStrictSSL',
} as const;

export type SettingId = (typeof SETTING)[keyof typeof SETTING];

/**
 * Settings that decide where requests and keys go. A workspace that is not trusted cannot
 * set them: only the user's value or the default is read. The manifest lists the same ids
 * in `capabilities.untrustedWorkspaces.restrictedConfigurations`.
 */
export const RESTRICTED_SETTINGS: readonly SettingId[] = [SETTING.profiles, SETTING.activeProfile, SETTING.proxy, SETTING.caCertificates, SETTING.feedbackEndpoint, SETTING.feedbackIssueUrl];

/** Settings read when the language server starts, so a change restarts it. */
export const RESTART_SETTINGS: readonly SettingId[] = [SETTING.traceServer];

/** Settings that only the extension uses; a change needs no message to the server. */
export const CLIENT_SETTINGS: readonly SettingId[] = [SETTING.activeProfile, SETTING.feedbackEndpoint, SETTING.feedbackIssueUrl];

export type TraceLevel = 'off' | 'messages' | 'verbose';

export interface Timeouts {
  connectMs: number;
  firstByteMs: number;
  localFirstByteMs: number;
  idleMs: number;
  deadlineMs: number;
}

export interface Settings {
  profiles: ProfileInput[];
  /** The profile that commands use; the first profile when unset. */
  activeProfile?: string;
  timeouts: Timeouts;
  maxRetryAfterSeconds: number;
  cache: { maxMegabytes: number; ttlMinutes: number };
  /** `switchboard.network.proxy`, else `http.proxy`; empty when neither is set. */
  proxy: string;
  /** `http.noProxy` joined with commas; undefined when the setting is empty. */
  noProxy?: string;
  strictSsl: boolean;
  /** Absolute paths of PEM files with extra certificate authorities. */
  caCertificatePaths: string[];
  traceServer: TraceLevel;
}

export const DEFAULT_SETTINGS: Settings = {
  profiles: [],
  timeouts: {
    connectMs: DEFAULT_NETWORK_OPTIONS.connectTimeoutMs,
    firstByteMs: DEFAULT_NETWORK_OPTIONS.firstByteTimeoutMs,
    localFirstByteMs: DEFAULT_NETWORK_OPTIONS.localFirstByteTimeoutMs,
    idleMs: DEFAULT_NETWORK_OPTIONS.idleTimeoutMs,
    deadlineMs: DEFAULT_NETWORK_OPTIONS.deadlineMs,
  },
  maxRetryAfterSeconds: 60,
  cache: { maxMegabytes: 32, ttlMinutes: 30 },
  proxy: '',
  strictSsl: true,
  caCertificatePaths: [],
  traceServer: 'off',
};

/** A setting whose value was rejected; the setting's previous working value stays in use. */
export interface SettingProblem {
  setting: SettingId;
  message: string;
  fix: string;
}

/** The part of `vscode.WorkspaceConfiguration` this module reads, so tests can pass a plain object. */
export interface ConfigurationSource {
  get<T>(section: string): T | undefined;
  inspect<T>(section: string): { defaultValue?: T; globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T } | undefined;
}

export interface SettingsReadResult {
  settings: Settings;
  problems: SettingProblem[];
}

/**
 * Reads every setting. A value of the wrong type or out of range is reported as a problem
 * and replaced by its value in `previous` (the last working settings), so one typo does not
 * reset the rest. When the workspace is not trusted, restricted settings come from the
 * user's settings only.
 */
export function readSettings(source: ConfigurationSource, workspaceTrusted: boolean, previous: Settings = DEFAULT_SETTINGS): SettingsReadResult {
  const problems: SettingProblem[] = [];
  const reader = new SettingReader(source, workspaceTrusted, problems);
  const settings: Settings = {
    profiles: reader.profiles(previous.profiles),
    activeProfile: reader.optionalString(SETTING.activeProfile, previous.activeProfile),
    timeouts: {
      connectMs: reader.integer(SETTING.connectMs, previous.timeouts.connectMs, 100, 86_400_000),
      firstByteMs: reader.integer(SETTING.firstByteMs, previous.timeouts.firstByteMs, 100, 86_400_000),
      localFirstByteMs: reader.integer(SETTING.localFirstByteMs, previous.timeouts.localFirstByteMs, 100, 86_400_000),
      idleMs: reader.integer(SETTING.idleMs, previous.timeouts.idleMs, 100, 86_400_000),
      deadlineMs: reader.integer(SETTING.deadlineMs, previous.timeouts.deadlineMs, 100, 86_400_000),
    },
    maxRetryAfterSeconds: reader.integer(SETTING.maxRetryAfterSeconds, previous.maxRetryAfterSeconds, 0, 3600),
    cache: {
      // The server rejects a cache bound of 0, so both start at 1.
      maxMegabytes: reader.integer(SETTING.cacheMaxMegabytes, previous.cache.maxMegabytes, 1, 4096),
      ttlMinutes: reader.integer(SETTING.cacheTtlMinutes, previous.cache.ttlMinutes, 1, 10_080),
    },
    proxy: reader.proxy(previous.proxy),
    noProxy: reader.noProxy(previous.noProxy),
    strictSsl: reader.boolean(SETTING.httpProxyStrictSsl, previous.strictSsl),
    caCertificatePaths: reader.caCertificatePaths(previous.caCertificatePaths),
    traceServer: reader.traceLevel(previous.traceServer),
  };
  // Read by the feedback service from the user's settings only; checked here so a wrong type is reported like the others.
  reader.userString(SETTING.feedbackEndpoint, 'https://feedback.example.com/switchboard');
  reader.userString(SETTING.feedbackIssueUrl, 'https://github.com/OWNER/REPOSITORY/issues/new');
  return { settings, problems };
}

class SettingReader {
  constructor(
    private readonly source: ConfigurationSource,
    private readonly workspaceTrusted: boolean,
    private readonly problems: SettingProblem[],
  ) {}

  /** Reads a value, skipping workspace values of restricted settings in an untrusted workspace. */
  raw(setting: SettingId): unknown {
    if (this.workspaceTrusted || !RESTRICTED_SETTINGS.includes(setting)) return this.source.get(setting);
    const inspected = this.source.inspect(setting);
    return inspected?.globalValue ?? inspected?.defaultValue;
  }

  reject<T>(setting: SettingId, message: string, fix: string, fallback: T): T {
    this.problems.push({ setting, message, fix });
    return fallback;
  }

  integer(setting: SettingId, fallback: number, min: number, max: number): number {
    const value = this.raw(setting);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.reject(
        setting,
        l10n.t('{0} is {1}, not a whole number from {2} to {3}.', setting, quoteValue(value), min, max),
        l10n.t('Set {0} to a whole number from {1} to {2}, or remove it to use the default.', setting, min, max),
        fallback,
      );
    }
    return value;
  }

  boolean(setting: SettingId, fallback: boolean): boolean {
    const value = this.raw(setting);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') {
      return this.reject(setting, l10n.t('{0} is {1}, not true or false.', setting, quoteValue(value)), l10n.t('Set {0} to true or false.', setting), fallback);
    }
    return value;
  }

  optionalString(setting: SettingId, fallback: string | undefined): string | undefined {
    const value = this.raw(setting);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      return this.reject(setting, l10n.t('{0} is {1}, not a string.', setting, quoteValue(value)), l10n.t('Set {0} to the name of a profile.', setting), fallback);
    }
    return value.trim() || undefined;
  }

  /** Reports a user setting of another type than string; readFeedbackSettings reads its value. */
  userString(setting: SettingId, example: string): void {
    const value = this.source.inspect<unknown>(setting)?.globalValue;
    if (value === undefined || value === null || typeof value === 'string') return;
    this.reject(setting, l10n.t('{0} is {1}, not a URL string.', setting, quoteValue(value)), l10n.t('Set {0} to a URL such as {1}, or remove it.', setting, example), undefined);
  }

  profiles(fallback: ProfileInput[]): ProfileInput[] {
    const value = this.raw(SETTING.profiles);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      return this.reject(SETTING.profiles, l10n.t('{0} is not a list of profiles.', SETTING.profiles), l10n.t('Write it as {0}.', '[{"name": "local", "preset": "ollama", "model": "llama3.2"}]'), fallback);
    }
    const index = value.findIndex((entry) => typeof entry !== 'object' || entry === null || Array.isArray(entry));
    if (index >= 0) {
      return this.reject(SETTING.profiles, l10n.t('Entry {0} of {1} is not an object.', index, SETTING.profiles), l10n.t('Write each profile as {0}.', '{"name": …, "preset" or "kind": …, "model": …}'), fallback);
    }
    // Fields are checked by parseProfile, on the server and before a profile is shown.
    return value as ProfileInput[];
  }

  proxy(fallback: string): string {
    const own = this.raw(SETTING.proxy);
    if (own !== undefined && own !== null && typeof own !== 'string') {
      return this.reject(
        SETTING.proxy,
        l10n.t('{0} is {1}, not a URL string.', SETTING.proxy, quoteValue(own)),
        l10n.t('Write the proxy as {0}, or leave it empty to use {1}.', 'http://host:port', SETTING.httpProxy),
        fallback,
      );
    }
    if (typeof own === 'string' && own.trim() !== '') return own.trim();
    const shared = this.raw(SETTING.httpProxy);
    return typeof shared === 'string' ? shared.trim() : '';
  }

  noProxy(fallback: string | undefined): string | undefined {
    const value = this.raw(SETTING.httpNoProxy);
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
      return this.reject(SETTING.httpNoProxy, l10n.t('{0} is not a list of host names.', SETTING.httpNoProxy), l10n.t('Write it as {0}.', '["localhost", ".example.com"]'), fallback);
    }
    const hosts = (value as string[]).map((host) => host.trim()).filter((host) => host !== '');
    return hosts.length > 0 ? hosts.join(',') : undefined;
  }

  caCertificatePaths(fallback: string[]): string[] {
    const value = this.raw(SETTING.caCertificates);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
      return this.reject(SETTING.caCertificates, l10n.t('{0} is not a list of file paths.', SETTING.caCertificates), l10n.t('Write it as {0}.', '["/path/to/company-ca.pem"]'), fallback);
    }
    const paths = (value as string[]).map((entry) => entry.trim()).filter((entry) => entry !== '');
    const relative = paths.find((entry) => !path.isAbsolute(expandHome(entry)));
    if (relative !== undefined) {
      return this.reject(
        SETTING.caCertificates,
        l10n.t('The certificate path {0} in {1} is relative.', quoteValue(relative), SETTING.caCertificates),
        l10n.t('Use an absolute path, or one that starts with {0}.', '~/'),
        fallback,
      );
    }
    return paths.map(expandHome);
  }

  traceLevel(fallback: TraceLevel): TraceLevel {
    const value = this.raw(SETTING.traceServer);
    if (value === undefined || value === null) return 'off';
    if (value !== 'off' && value !== 'messages' && value !== 'verbose') {
      return this.reject(SETTING.traceServer, l10n.t('{0} is {1}.', SETTING.traceServer, quoteValue(value)), l10n.t('Set it to "off", "messages" or "verbose".'), fallback);
    }
    return value;
  }
}

function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(os.homedir(), file.slice(1)) : file;
}

/** The work a configuration change requires, strongest first. */
export type ChangeImpact = 'restart' | 'configure' | 'client' | 'none';

/** Classifies a configuration change event by the settings it touches. */
export function impactOf(event: Pick<ConfigurationChangeEvent, 'affectsConfiguration'>): ChangeImpact {
  const affected = Object.values(SETTING).filter((setting) => event.affectsConfiguration(setting));
  if (affected.some((setting) => RESTART_SETTINGS.includes(setting))) return 'restart';
  if (affected.some((setting) => !CLIENT_SETTINGS.includes(setting))) return 'configure';
  return affected.length > 0 ? 'client' : 'none';
}

/**
 * Builds the server's configure request. `caCertificates` contains the PEM text of the
 * files in `settings.caCertificatePaths`. `environment` supplies NO_PROXY, because an empty
 * field would keep the server's previous value.
 */
export function toConfigureParams(settings: Settings, caCertificates: string[], environment: NodeJS.ProcessEnv): ConfigureParams {
  return {
    profiles: settings.profiles,
    network: {
      connectTimeoutMs: settings.timeouts.connectMs,
      firstByteTimeoutMs: settings.timeouts.firstByteMs,
      localFirstByteTimeoutMs: settings.timeouts.localFirstByteMs,
      idleTimeoutMs: settings.timeouts.idleMs,
      deadlineMs: settings.timeouts.deadlineMs,
      // An empty proxy lets the server fall back to HTTPS_PROXY and HTTP_PROXY.
      proxy: settings.proxy,
      noProxy: settings.noProxy ?? environment.NO_PROXY ?? environment.no_proxy ?? '',
      strictSsl: settings.strictSsl,
      extraCaCertificates: caCertificates,
    },
    retry: { maxRetryAfterMs: settings.maxRetryAfterSeconds * 1000 },
    cache: { maxBytes: settings.cache.maxMegabytes * 1024 * 1024, ttlMs: settings.cache.ttlMinutes * 60_000 },
  };
}

/** Returns the name of the profile that commands use: the active one, else the first. */
export function activeProfileName(settings: Pick<Settings, 'activeProfile'>, profileNames: readonly string[]): string | undefined {
  if (settings.activeProfile !== undefined) return profileNames.includes(settings.activeProfile) ? settings.activeProfile : undefined;
  return profileNames[0];
}

/**
 * Reads the PEM files named in `switchboard.network.caCertificates`. A file that cannot be
 * read, or contains no certificate, is reported as a problem and left out.
 */
export async function readCaCertificates(paths: readonly string[], readFile: (file: string) => Promise<string>): Promise<{ certificates: string[]; problems: SettingProblem[] }> {
  const certificates: string[] = [];
  const problems: SettingProblem[] = [];
  for (const file of paths) {
    try {
      const text = await readFile(file);
      if (!text.includes('-----BEGIN CERTIFICATE-----')) {
        problems.push({
          setting: SETTING.caCertificates,
          message: l10n.t('The file {0} in {1} contains no PEM certificate.', file, SETTING.caCertificates),
          fix: l10n.t('Point the setting at a PEM file that starts with {0}.', '-----BEGIN CERTIFICATE-----'),
        });
        continue;
      }
      certificates.push(text);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({
        setting: SETTING.caCertificates,
        message: l10n.t('The file {0} in {1} could not be read ({2}).', file, SETTING.caCertificates, reason),
        fix: l10n.t('Check the path and the file\'s permissions.'),
      });
    }
  }
  return { certificates, problems };
}

/** Checks profiles as the server will, so mistakes show before the server starts. */
export function checkProfiles(inputs: readonly ProfileInput[]): { ok: true; profiles: Profile[] } | { ok: false; error: ErrorData } {
  const profiles: Profile[] = [];
  try {
    inputs.forEach((input, index) => {
      const profile = parseProfile(input, `${SETTING.profiles}[${index}]`);
      if (profiles.some((existing) => existing.name === profile.name)) {
        throw new SwitchboardError('config.invalid', l10n.t('Two profiles are named "{0}" in {1}.', profile.name, SETTING.profiles), { fix: [l10n.t('Give each profile its own name.')] });
      }
      profiles.push(profile);
    });
    return { ok: true, profiles };
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    return { ok: false, error: error.toData() };
  }
}

/** Where feedback goes: `switchboard.feedback.endpoint` and `switchboard.feedback.issueUrl`, trimmed, empty when unset. */
export interface FeedbackSettings {
  endpoint: string;
  issueUrl: string;
}

/**
 * Reads the feedback settings from the user's settings only. Both have application scope,
 * and a workspace value is ignored even in a trusted workspace, so no repository can
 * redirect feedback.
 */
export function readFeedbackSettings(source: Pick<ConfigurationSource, 'inspect'>): FeedbackSettings {
  const read = (setting: SettingId): string => {
    const value = source.inspect<unknown>(setting)?.globalValue;
    return typeof value === 'string' ? value.trim() : '';
  };
  return { endpoint: read(SETTING.feedbackEndpoint), issueUrl: read(SETTING.feedbackIssueUrl) };
}
