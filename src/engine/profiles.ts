/** Named provider configurations, presets for local servers, and their validation. */

import { SwitchboardError } from './errors';
import { redactText } from './redact';
import { PROVIDER_KINDS, type ProviderKind } from './types';

export interface Profile {
  name: string;
  kind: ProviderKind;
  /** Base URL of the API, such as `https://api.openai.com/v1`. */
  baseUrl: string;
  model: string;
  /** `api-version` for Azure OpenAI; `v1beta` or `v1` for Gemini. */
  apiVersion?: string;
  /** Extra HTTP headers sent with every request of this profile. */
  headers?: Record<string, string>;
  /** Which local server an `openai-compatible` profile talks to, where known. */
  server?: LocalServer;
}

export type LocalServer = 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm' | 'litellm' | 'openrouter';

export interface Preset {
  kind: ProviderKind;
  baseUrl: string;
  server?: LocalServer;
  apiVersion?: string;
  /** Whether the server works without an API key. */
  keyOptional: boolean;
  label: string;
}

/** Usual base URLs, from each server's documentation. */
export const PRESETS: Record<string, Preset> = {
  openai: { kind: 'openai', baseUrl: 'https://api.openai.com/v1', keyOptional: false, label: 'OpenAI' },
  gemini: {
    kind: 'gemini',
    baseUrl: 'https://generativelanguage.googleapis.com',
    apiVersion: 'v1beta',
    keyOptional: false,
    label: 'Google Gemini',
  },
  'azure-openai': {
    kind: 'azure-openai',
    baseUrl: 'https://RESOURCE.openai.azure.com',
    apiVersion: '2024-10-21',
    keyOptional: false,
    label: 'Azure OpenAI',
  },
  ollama: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', server: 'ollama', keyOptional: true, label: 'Ollama' },
  lmstudio: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1234/v1', server: 'lmstudio', keyOptional: true, label: 'LM Studio' },
  llamacpp: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:8080/v1', server: 'llamacpp', keyOptional: true, label: 'llama.cpp server' },
  vllm: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1', server: 'vllm', keyOptional: true, label: 'vLLM' },
  litellm: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:4000/v1', server: 'litellm', keyOptional: true, label: 'LiteLLM proxy' },
  openrouter: { kind: 'openai-compatible', baseUrl: 'https://openrouter.ai/api/v1', server: 'openrouter', keyOptional: false, label: 'OpenRouter' },
};

export function isProviderKind(value: unknown): value is ProviderKind {
  return typeof value === 'string' && (PROVIDER_KINDS as readonly string[]).includes(value);
}

/** Profile fields as they arrive from settings, files or the command line, not yet checked. */
export interface ProfileInput {
  name?: unknown;
  kind?: unknown;
  preset?: unknown;
  baseUrl?: unknown;
  model?: unknown;
  apiVersion?: unknown;
  headers?: unknown;
}

/**
 * Checks a profile from user input and fills in its preset. Throws `config.invalid` or
 * `config.base_url` naming the field and the fix.
 */
export function parseProfile(input: ProfileInput, where = 'profile'): Profile {
  const name = requireString(input.name, `${where}.name`, 'Give the profile a name, such as "local-ollama".');
  const label = `profile "${name}"`;
  const preset = input.preset === undefined ? undefined : PRESETS[String(input.preset)];
  if (input.preset !== undefined && !preset) {
    throw invalid(`Unknown preset "${String(input.preset)}" in ${label}.`, `Use one of: ${Object.keys(PRESETS).join(', ')}.`);
  }
  const kind = input.kind ?? preset?.kind;
  if (!isProviderKind(kind)) {
    throw invalid(`Unknown provider kind ${JSON.stringify(kind)} in ${label}.`, `Set "kind" to one of: ${PROVIDER_KINDS.join(', ')}.`);
  }
  const defaultBaseUrl = preset?.baseUrl ?? (kind === 'azure-openai' ? undefined : PRESETS[kind]?.baseUrl);
  const rawBaseUrl = input.baseUrl ?? defaultBaseUrl;
  const baseUrl = normalizeBaseUrl(requireString(rawBaseUrl, `${label}.baseUrl`, 'Set the base URL of the API.'), kind, label);
  const model = requireString(input.model, `${label}.model`, 'Set the model id, for example "gpt-4o-mini" or "llama3.2".');
  const apiVersion = input.apiVersion === undefined ? preset?.apiVersion ?? PRESETS[kind]?.apiVersion : requireString(input.apiVersion, `${label}.apiVersion`, '');
  return {
    name,
    kind,
    baseUrl,
    model,
    apiVersion: kind === 'gemini' || kind === 'azure-openai' ? apiVersion : undefined,
    headers: parseHeaders(input.headers, label),
    server: preset?.server ?? guessServer(baseUrl),
  };
}

/**
 * Checks a base URL and brings it to one form: no trailing slash, no endpoint path pasted
 * after the version segment, and no doubled `/v1`.
 */
export function normalizeBaseUrl(raw: string, kind: ProviderKind, label = 'profile'): string {
  const trimmed = raw.trim();
  // Messages quote the URL with keys in its query or user information masked.
  const shown = redactText(trimmed);
  // URL parses "localhost:11434/v1" as the scheme "localhost:", so a missing scheme is caught first.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new SwitchboardError('config.base_url', `The base URL "${shown}" of ${label} has no http:// or https:// at its start.`, {
      fix: [`Write the whole URL, such as http://${shown.replace(/^\/+/, '') || '127.0.0.1:11434/v1'}.`],
    });
  }

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new SwitchboardError('config.base_url', `The base URL "${shown}" of ${label} is not a valid URL.`, {
      fix: ['Use a full URL with its scheme, such as http://127.0.0.1:11434/v1.'],
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchboardError('config.base_url', `The base URL "${shown}" of ${label} uses ${url.protocol}; only http and https are supported.`, {
      fix: ['Start the base URL with http:// or https://.'],
    });
  }
  if (url.search || url.hash) {
    throw new SwitchboardError('config.base_url', `The base URL "${shown}" of ${label} contains a query or fragment.`, {
      fix: ['Remove everything from "?" or "#"; set the API version in the profile\'s apiVersion field instead.'],
    });
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/(chat\/completions|completions|models|embeddings)$/, '');
  path = path.replace(/(\/v1)+$/, '/v1');
  if (kind === 'gemini') path = path.replace(/\/(v1beta|v1)$/, '');
  if (kind === 'azure-openai') path = path.replace(/\/openai(\/deployments\/[^/]+)?$/, '').replace(/\/openai\/v1$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function guessServer(baseUrl: string): LocalServer | undefined {
  const url = new URL(baseUrl);
  if (url.hostname.endsWith('openrouter.ai')) return 'openrouter';
  if (url.port === '11434') return 'ollama';
  if (url.port === '1234') return 'lmstudio';
  return undefined;
}

/** Headers that the HTTP client controls; a profile value would break the request's framing or routing. */
const TRANSPORT_HEADERS = new Set(['content-length', 'transfer-encoding', 'host', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);

function parseHeaders(value: unknown, label: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`The headers of ${label} must be an object of header names to strings.`, 'Write them as {"X-Header": "value"}.');
  }
  const headers: Record<string, string> = {};
  for (const [key, headerValue] of Object.entries(value)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw invalid(`The header name "${key}" in ${label} is not a valid HTTP header name.`, 'Use letters, digits and hyphens only.');
    }
    if (TRANSPORT_HEADERS.has(key.toLowerCase())) {
      throw invalid(`The header "${key}" in ${label} cannot be set, because the HTTP client sets it for each request.`, `Remove "${key}" from the headers.`);
    }
    if (typeof headerValue !== 'string' || /[\r\n]/.test(headerValue)) {
      throw invalid(`The header "${key}" in ${label} must be a single-line string.`, 'Remove line breaks and quote the value.');
    }
    // HTTP header values are byte strings, and fetch rejects control characters other than tab.
    if (/[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(headerValue)) {
      throw invalid(
        `The header "${key}" in ${label} contains a control character or a character outside Latin-1, which cannot be sent in an HTTP header.`,
        'Use only printable ASCII characters in header values, or percent-encode the others.',
      );
    }
    headers[key] = headerValue;
  }
  return headers;
}

function requireString(value: unknown, field: string, fix: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`Missing or empty ${field}.`, fix);
  }
  return value.trim();
}

function invalid(message: string, fix: string): SwitchboardError {
  return new SwitchboardError('config.invalid', message, { fix: fix ? [fix] : [] });
}
