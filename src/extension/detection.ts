/**
 * Local-server detection as the extension presents it: the ports from SWITCHBOARD_DETECT_PORTS,
 * the quick-pick entries for the servers found, the messages, and the profile that a chosen
 * server adds to the user's profiles. Pure, so unit tests run it without VS Code; the command
 * itself is in detection-commands.ts.
 */

import type { DetectedServer, LocalServerKind } from '../engine/detect/detect-local-servers';
import type { ModelInfo } from '../engine/types';
import { PRESETS } from '../engine/profiles';
import { l10n } from './l10n';

/**
 * The environment variable that replaces the probed ports, a JSON object such as
 * `{"ollama": 11435}`. The command line's `switchboard detect` reads the same variable.
 */
export const DETECT_PORTS_VARIABLE = 'SWITCHBOARD_DETECT_PORTS';

export type DetectPorts = Partial<Record<LocalServerKind, number>>;

/** The kinds the language server probes for, in its order. */
const DETECTED_KINDS: readonly LocalServerKind[] = ['ollama', 'lmstudio', 'llamacpp', 'vllm'];

const PORTS_EXAMPLE = '{"ollama": 11435}';

export type DetectPortsReading = { ok: true; ports?: DetectPorts } | { ok: false; message: string };

/**
 * Reads SWITCHBOARD_DETECT_PORTS. Only the JSON shape is checked here; the language server
 * rejects unknown kinds and invalid port numbers with `config.invalid`.
 */
export function readDetectPorts(env: NodeJS.ProcessEnv): DetectPortsReading {
  const text = env[DETECT_PORTS_VARIABLE];
  if (text === undefined || text.trim() === '') return { ok: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: l10n.t('{0} is not valid JSON ({1}). Set it to a JSON object such as {2}, or unset it.', DETECT_PORTS_VARIABLE, (error as Error).message, PORTS_EXAMPLE) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: l10n.t('{0} is {1}, not a JSON object. Set it to a JSON object such as {2}, or unset it.', DETECT_PORTS_VARIABLE, text.trim(), PORTS_EXAMPLE) };
  }
  return { ok: true, ports: value as DetectPorts };
}

/** Returns the ports that detection probes: each kind's preset port unless `ports` replaces it, without repeats. */
export function probedPorts(ports: DetectPorts = {}): number[] {
  return [...new Set(DETECTED_KINDS.map((kind) => ports[kind] ?? Number(new URL(PRESETS[kind]!.baseUrl).port)))];
}

/** Returns the message shown when no server responded, naming the ports and how to start Ollama or LM Studio. */
export function noServerFoundMessage(ports?: DetectPorts): string {
  return l10n.t(
    'No local model server answered on this machine (ports {0}). Start Ollama with "ollama serve", or the LM Studio server with "lms server start", then detect again.',
    probedPorts(ports).join(', '),
  );
}

/** One quick-pick entry for a detected server. */
export interface ServerChoice {
  label: string;
  description: string;
  detail?: string;
  server: DetectedServer;
  /** False when the server needs something first, such as a model download; `detail` then contains its note. */
  usable: boolean;
}

/** Builds an entry per server, such as "Use Ollama (3 models)"; a server with a note gets the note instead of the offer. */
export function serverChoices(servers: readonly DetectedServer[]): ServerChoice[] {
  return servers.map((server) => {
    const usable = server.note === undefined;
    return {
      label: usable ? useServerLabel(server) : `$(warning) ${l10n.t('{0} is not ready', server.label)}`,
      description: server.version === undefined ? server.baseUrl : l10n.t('{0} · version {1}', server.baseUrl, server.version),
      detail: server.note,
      server,
      usable,
    };
  });
}

function useServerLabel(server: DetectedServer): string {
  const count = server.models.length;
  return count === 1 ? l10n.t('Use {0} (1 model)', server.label) : l10n.t('Use {0} ({1} models)', server.label, count);
}

/** Builds one quick-pick entry per model, the suggested one first. */
export function modelChoices(server: DetectedServer): { label: string; description?: string }[] {
  return server.models.map((model, index) => ({ label: model.id, description: describeModel(model, index === 0) || undefined }));
}

function describeModel(model: ModelInfo, suggested: boolean): string {
  const parts: string[] = [];
  if (suggested) parts.push(l10n.t('suggested'));
  if (model.sizeBytes !== undefined) parts.push(l10n.t('{0} GB', (model.sizeBytes / 1e9).toFixed(1)));
  if (model.contextLength !== undefined) parts.push(l10n.t('{0} tokens of context', model.contextLength));
  return parts.join(' · ');
}

/** A profile entry as it is written in `switchboard.profiles`. */
interface ProfileEntry {
  name: string;
  preset: LocalServerKind;
  baseUrl?: string;
  model: string;
}

export interface ProfileAddition {
  /** The new value of the profiles setting. */
  profiles: unknown[];
  /** The name of the profile to make active. */
  name: string;
  change: 'added' | 'updated' | 'unchanged';
}

/**
 * Adds the profile for a detected server and model to the profiles of one settings scope.
 * A profile for the same server and model is reused as it is. A profile with the suggested
 * name for the same server gets the new model. A name already taken by another server gets a
 * numeric suffix, such as "ollama-local-2".
 */
export function addDetectedProfile(existing: readonly unknown[], server: DetectedServer, model: string): ProfileAddition {
  const suggested = server.suggestedProfile;
  const profile: ProfileEntry = { name: suggested.name, preset: suggested.preset, ...(suggested.baseUrl === undefined ? {} : { baseUrl: suggested.baseUrl }), model };
  const entries = existing.map(asRecord);

  const same = entries.find((entry) => typeof entry.name === 'string' && entry.model === model && sameServer(entry, profile));
  if (same) return { profiles: [...existing], name: same.name as string, change: 'unchanged' };

  const index = entries.findIndex((entry) => entry.name === profile.name);
  if (index < 0) return { profiles: [...existing, profile], name: profile.name, change: 'added' };
  if (sameServer(entries[index], profile)) {
    const profiles = existing.map((entry, position) => (position === index ? { ...entries[index], model } : entry));
    return { profiles, name: profile.name, change: 'updated' };
  }
  const name = freeName(profile.name, entries);
  return { profiles: [...existing, { ...profile, name }], name, change: 'added' };
}

/** Returns the message shown after a detected server's profile was added or reused and made active. */
export function additionMessage(addition: ProfileAddition, server: DetectedServer, model: string): string {
  switch (addition.change) {
    case 'added':
      return l10n.t('Added the profile "{0}" for {1} with model {2} to your user settings and made it active.', addition.name, server.label, model);
    case 'updated':
      return l10n.t('The profile "{0}" now uses model {1} and is active.', addition.name, model);
    case 'unchanged':
      return l10n.t('The profile "{0}" already uses {1} with model {2}; it is now active.', addition.name, server.label, model);
  }
}

function asRecord(entry: unknown): Record<string, unknown> {
  return typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>) : {};
}

function sameServer(entry: Record<string, unknown>, profile: ProfileEntry): boolean {
  return entry.preset === profile.preset && normalizedBaseUrl(entry) === normalizedBaseUrl(profile as unknown as Record<string, unknown>);
}

/** Returns the base URL a preset profile uses: its own, else the preset's, without a trailing slash. */
function normalizedBaseUrl(entry: Record<string, unknown>): string | undefined {
  const own = typeof entry.baseUrl === 'string' ? entry.baseUrl : undefined;
  const preset = typeof entry.preset === 'string' ? PRESETS[entry.preset] : undefined;
  return (own ?? preset?.baseUrl)?.replace(/\/+$/, '');
}

function freeName(base: string, entries: readonly Record<string, unknown>[]): string {
  const usedNames = new Set(entries.map((entry) => entry.name));
  let suffix = 2;
  while (usedNames.has(`${base}-${suffix}`)) suffix += 1;
  return `${base}-${suffix}`;
}
