/** Facts per Gemini API version and model, so that requests leave out fields the server rejects. */

import type { Profile } from '../../profiles';

/** The API version used when a profile sets none, which accepts every field this adapter sends. */
export const DEFAULT_API_VERSION = 'v1beta';

export interface VersionCapabilities {
  /** Whether `systemInstruction` is a known request field. */
  systemInstruction: boolean;
  /** Whether `generationConfig.thinkingConfig` may be sent. */
  thinkingConfig: boolean;
}

/**
 * Fields per API version. The v1 endpoint rejected `systemInstruction` with 400 INVALID_ARGUMENT
 * `Unknown name "systemInstruction": Cannot find field.` in recorded responses.
 */
const VERSIONS: Record<string, VersionCapabilities> = {
  v1beta: { systemInstruction: true, thinkingConfig: true },
  v1: { systemInstruction: false, thinkingConfig: false },
};

/** Capabilities of a version not in the table: neither optional field is sent, so no field name can be rejected. */
const UNKNOWN_VERSION: VersionCapabilities = { systemInstruction: false, thinkingConfig: false };

export function apiVersionOf(profile: Profile): string {
  return profile.apiVersion ?? DEFAULT_API_VERSION;
}

export function capabilitiesOf(apiVersion: string): VersionCapabilities {
  return VERSIONS[apiVersion] ?? UNKNOWN_VERSION;
}

/**
 * Checks whether asking `model` for thought summaries (`includeThoughts`) is harmless. Gemini
 * 2.5 Pro, 2.5 Flash and Gemini 3 models think by default and accept it. Models that do not think reject
 * it with 400 ("Thinking is not enabled for models/…"), and so do models whose thinking is off
 * by default, such as the Flash-Lite ones ("include_thoughts is only enabled when thinking is
 * enabled").
 */
export function acceptsThoughtSummaries(model: string, apiVersion: string): boolean {
  if (!capabilitiesOf(apiVersion).thinkingConfig) return false;
  const id = model.replace(/^models\//, '').toLowerCase();
  if (/lite|image|tts|audio|live|embedding/.test(id)) return false;
  // NOTE: this is a pattern over model names, so a new model family needs an entry here. A model
  // that rejects the field anyway gets the request once more without it, and the engine
  // remembers that per server and model (corrective-retry.ts).
  return /^gemini-(2\.5-(pro|flash)|3(\.\d+)?-)/.test(id);
}
