/**
 * The configuration step: the profile, its base URL, the key's format and the network
 * settings, checked before anything is sent.
 */

import { SwitchboardError } from '../errors';
import { setKeyFix } from '../fix-text';
import { checkApiKey, isKeyOptional } from '../keys';
import { isLocalhostName } from '../network/localhost';
import { checkProxyUrl, resolveNetworkOptions } from '../network/options';
import { decideProxy } from '../network/proxy';
import { parseProfile, type Profile } from '../profiles';
import { redactUrl } from '../redact';
import type { DoctorContext } from './context';
import { remoteLoopbackHint } from './remote';
import type { StepStatus } from './report';

/** Local servers that serve their OpenAI-compatible API only under /v1. */
const NEEDS_V1 = new Set(['ollama', 'lmstudio', 'vllm']);

export async function checkConfiguration(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const profile = parseProfile(context.input);
  context.profile = profile;
  context.network = resolveNetworkOptions(context.options.network);
  const url = new URL(profile.baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const secure = url.protocol === 'https:';
  context.target = { url, host, port: Number(url.port) || (secure ? 443 : 80), secure };
  context.proxy = decideProxy(url, context.network, process.env);
  if (context.proxy.proxyUrl && context.proxy.source !== 'setting') checkProxyUrl(context.proxy.proxyUrl, context.proxy.source);

  details.push(`Profile "${profile.name}": kind ${profile.kind}${profile.server ? ` (${profile.server})` : ''}, model ${profile.model}.`);
  details.push(`Base URL: ${redactUrl(profile.baseUrl)}.`);

  const warnings = [
    ...checkVersionSegment(context, profile),
    ...checkKey(context, profile, details),
    ...checkLocalhost(host, context.target.port),
    ...checkRemote(context, host),
  ];
  details.push(...warnings);
  return warnings.length > 0 ? 'warn' : 'pass';
}

/** Returns warnings about the `/v1` segment; throws `config.base_url` where requests would certainly fail. */
function checkVersionSegment(context: DoctorContext, profile: Profile): string[] {
  if (profile.kind !== 'openai' && profile.kind !== 'openai-compatible') return [];
  const raw = typeof context.input.baseUrl === 'string' ? context.input.baseUrl.trim() : profile.baseUrl;
  const warnings: string[] = [];
  if (/(\/v1){2,}\/*$/.test(raw)) {
    warnings.push(`The base URL as written ends in a doubled /v1 ("${redactUrl(raw)}"); Switchboard sends requests to ${profile.baseUrl} instead, but other tools would not.`);
  }
  if (/\/v1$/.test(profile.baseUrl) || /\/v\d+\w*$/.test(profile.baseUrl)) return warnings;

  const origin = new URL(profile.baseUrl).origin;
  const certain = NEEDS_V1.has(profile.server ?? '') || new URL(profile.baseUrl).hostname === 'api.openai.com';
  if (certain) {
    throw new SwitchboardError('config.base_url', `The base URL ${profile.baseUrl} has no /v1 at its end, but ${profile.server ?? 'OpenAI'} serves its OpenAI-compatible API under /v1.`, {
      fix: [`Set the base URL to ${origin}/v1.`],
    });
  }
  warnings.push(`The base URL has no /v1 at its end; most OpenAI-compatible servers need it (${origin}/v1). If requests fail with 404, add it.`);
  return warnings;
}

/** Checks the key's format and that it belongs to this provider; the key itself is never written down. */
function checkKey(context: DoctorContext, profile: Profile, details: string[]): string[] {
  const key = context.options.apiKey;
  if (!key) {
    if (isKeyOptional(profile)) {
      details.push('API key: none set; this server works without one.');
      return [];
    }
    throw new SwitchboardError('auth.missing_key', `No API key is set for profile "${profile.name}".`, {
      fix: [setKeyFix(profile)],
    });
  }
  checkApiKey(key, profile);
  details.push(`API key: set, ${key.length} characters, in a format that fits ${profile.kind}.`);
  return [];
}

function checkLocalhost(host: string, port: number): string[] {
  if (!isLocalhostName(host)) return [];
  return [
    `The base URL uses "${host}", which the system may resolve to ::1 (IPv6) while servers such as Ollama listen on 127.0.0.1 only. ` +
      `Switchboard tries both addresses, but other tools may not; http://127.0.0.1:${port} avoids the question.`,
  ];
}

function checkRemote(context: DoctorContext, host: string): string[] {
  const hint = remoteLoopbackHint(context.options.remoteName, host, context.target!.port);
  return hint ? [hint.explanation] : [];
}
