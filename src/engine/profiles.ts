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

/**
 * Usual base URLs, from each server's documentation. The object has no prototype, so a name
 * such as "__proto__" or "toString" finds no preset; look names up with findPreset.
 */
export const PRESETS: Readonly<Record<string, Preset>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Preset>, {
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
  }),
);

/** Returns the preset of that name, checking own properties only; undefined for any other value. */
export function findPreset(name: unknown): Preset | undefined {
  return typeof name === 'string' && Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}

/** Returns the names of the presets, for messages that list them. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

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
 * `config.base_url` naming the field and the fix. `where` is the profile's place in its
 * source, such as `switchboard.profiles[1]`, and prefixes every field the messages name.
 * `fieldNames` replaces those names where the fields came from elsewhere, such as command-line flags.
 */
export function parseProfile(input: ProfileInput, where?: string, fieldNames: Partial<Record<keyof ProfileInput, string>> = {}): Profile {
  const name = requireString(input.name, `${where ?? 'profile'}.name`, 'Give the profile a name, such as "local-ollama".');
  // Such as `switchboard.profiles[1].baseUrl (profile "local")`, or `profile "local".baseUrl` without `where`.
  const fieldOf = (field: keyof ProfileInput) =>
    fieldNames[field] ?? (where === undefined ? `profile ${quoteValue(name)}.${field}` : `${where}.${field} (profile ${quoteValue(name)})`);
  const preset = input.preset === undefined ? undefined : findPreset(input.preset);
  if (input.preset !== undefined && !preset) {
    throw invalid(`Unknown preset ${quoteValue(input.preset)} in ${fieldOf('preset')}.`, `Use one of: ${presetNames().join(', ')}.`);
  }
  const kind = input.kind ?? preset?.kind;
  if (!isProviderKind(kind)) {
    throw invalid(`Unknown provider kind ${quoteValue(kind)} in ${fieldOf('kind')}.`, `Set "kind" to one of: ${PROVIDER_KINDS.join(', ')}, or set "preset" to one of: ${presetNames().join(', ')}.`);
  }
  const kindPreset = findPreset(kind);
  const defaultBaseUrl = preset?.baseUrl ?? (kind === 'azure-openai' ? undefined : kindPreset?.baseUrl);
  const rawBaseUrl = input.baseUrl ?? defaultBaseUrl;
  const baseUrl = normalizeBaseUrl(requireString(rawBaseUrl, fieldOf('baseUrl'), 'Set the base URL of the API.'), kind, fieldOf('baseUrl'));
  const model = requireString(input.model, fieldOf('model'), 'Set the model id, for example "gpt-4o-mini" or "llama3.2".');
  const apiVersion =
    input.apiVersion === undefined
      ? (preset?.apiVersion ?? kindPreset?.apiVersion)
      : requireString(input.apiVersion, fieldOf('apiVersion'), 'Set the API version, such as "2024-10-21" for Azure OpenAI or "v1beta" for Gemini, or remove the field.');
  return {
    name,
    kind,
    baseUrl,
    model,
    apiVersion: kind === 'gemini' || kind === 'azure-openai' ? apiVersion : undefined,
    headers: parseHeaders(input.headers, fieldOf('headers')),
    server: preset?.server ?? guessServer(baseUrl),
  };
}

/**
 * Returns the first profile name used twice, comparing names as parseProfile stores them
 * (trimmed), or undefined. Entries without a string name are left to parseProfile to reject.
 */
export function findDuplicateName(inputs: readonly ProfileInput[]): string | undefined {
  const seen = new Set<string>();
  for (const input of inputs) {
    if (typeof input.name !== 'string') continue;
    const name = input.name.trim();
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Characters of a user's value quoted in a message; a longer value is cut, since it may be megabytes. */
const MAX_QUOTED_CHARS = 80;

/** Quotes a value from user input for an error message: JSON, cut to MAX_QUOTED_CHARS, with its type when not a string. */
export function quoteValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  const cut = text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}… (${text.length} characters)` : text;
  if (typeof value === 'string' || value === null) return cut;
  if (Array.isArray(value)) return `${cut} (an array)`;
  if (typeof value === 'object') return `${cut} (an object)`;
  return `${cut} (a ${typeof value})`;
}

/** Characters of a base URL. Browsers and servers commonly accept URLs of about 2000 characters; a base URL is far shorter. */
const MAX_BASE_URL_LENGTH = 2048;

/**
 * Checks a base URL and brings it to one form: no trailing slash, no endpoint path pasted
 * after the version segment, and no doubled `/v1`.
 */
export function normalizeBaseUrl(raw: string, kind: ProviderKind, label = 'profile'): string {
  const trimmed = raw.trim();
  // Messages quote the URL with keys in its query or user information masked, and cut when long.
  const displayedUrl = shortened(redactText(trimmed));
  if (trimmed.length > MAX_BASE_URL_LENGTH) {
    throw new SwitchboardError('config.base_url', `The base URL "${displayedUrl}" in ${label} is ${trimmed.length} characters long, more than the limit of ${MAX_BASE_URL_LENGTH}.`, {
      fix: ['Set the base URL of the API only, such as https://api.openai.com/v1 or http://127.0.0.1:11434/v1.'],
    });
  }
  // URL parses "localhost:11434/v1" as the scheme "localhost:", so a missing scheme is caught first.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new SwitchboardError('config.base_url', `The base URL "${displayedUrl}" in ${label} has no http:// or https:// at its start.`, {
      fix: [`Write the whole URL, such as http://${displayedUrl.replace(/^\/+/, '') || '127.0.0.1:11434/v1'}.`],
    });
  }

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new SwitchboardError('config.base_url', `The base URL "${displayedUrl}" in ${label} is not a valid URL.`, {
      fix: ['Use a full URL with its scheme, such as http://127.0.0.1:11434/v1.'],
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchboardError('config.base_url', `The base URL "${displayedUrl}" in ${label} uses ${url.protocol}; only http and https are supported.`, {
      fix: ['Start the base URL with http:// or https://.'],
    });
  }
  if (url.username || url.password) {
    throw credentialsError(url, label);
  }
  if (url.search || url.hash) {
    throw new SwitchboardError('config.base_url', `The base URL "${displayedUrl}" in ${label} contains a query or fragment.`, {
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

/**
 * Builds the error for a base URL with user information. The provider clients do not send it
 * as a key, so the request would go out without one.
 */
function credentialsError(url: URL, label: string): SwitchboardError {
  const masked = new URL(url.href);
  if (masked.password) masked.password = '****';
  const displayedUrl = shortened(redactText(masked.href));
  return new SwitchboardError('config.base_url', `The base URL "${displayedUrl}" in ${label} contains a user name or password, which Switchboard does not send.`, {
    fix: [
      `Remove "${masked.username}${masked.password ? ':****' : ''}@" from the base URL.`,
      'Store the key with "Switchboard: Set API Key" (on the command line, in SWITCHBOARD_API_KEY), or send it in the profile\'s "headers", such as {"Authorization": "Bearer …"}.',
    ],
  });
}

function shortened(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
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

/**
 * Bytes of all extra headers together (names, values and ": " plus CRLF per line). Node's HTTP
 * server rejects requests whose headers exceed 16 KiB by default (--max-http-header-size), and
 * many proxies use 8 KiB, so a larger set would fail on the server with an unclear 431.
 */
const MAX_HEADER_BYTES = 8 * 1024;

/** Extra headers per profile; more is a mistake rather than a configuration. */
const MAX_HEADER_COUNT = 64;

function parseHeaders(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`${field} is ${quoteValue(value)}; it must be an object of header names to strings.`, 'Write the headers as {"X-Header": "value"}.');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADER_COUNT) {
    throw invalid(`${field} has ${entries.length} headers, more than the limit of ${MAX_HEADER_COUNT}.`, 'Keep only the headers the server needs.');
  }
  const headers: Record<string, string> = {};
  let bytes = 0;
  for (const [key, headerValue] of entries) {
    const name = quoteValue(key);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || key === '__proto__') {
      throw invalid(`The header name ${name} in ${field} is not a valid HTTP header name.`, 'Use letters, digits and hyphens only.');
    }
    if (TRANSPORT_HEADERS.has(key.toLowerCase())) {
      throw invalid(`The header ${name} in ${field} cannot be set, because the HTTP client sets it for each request.`, `Remove ${name} from the headers.`);
    }
    if (typeof headerValue !== 'string' || /[\r\n]/.test(headerValue)) {
      throw invalid(`The header ${name} in ${field} is ${typeof headerValue === 'string' ? 'a string with a line break' : quoteValue(headerValue)}; it must be a single-line string.`, 'Remove line breaks and quote the value.');
    }
    // HTTP header values are byte strings, and fetch rejects control characters other than tab.
    if (/[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(headerValue)) {
      throw invalid(
        `The header ${name} in ${field} contains a control character or a character outside Latin-1, which cannot be sent in an HTTP header.`,
        'Use only printable ASCII characters in header values, or percent-encode the others.',
      );
    }
    bytes += key.length + headerValue.length + 4;
    if (bytes > MAX_HEADER_BYTES) {
      throw invalid(`The headers in ${field} take more than ${MAX_HEADER_BYTES} bytes (at header ${name}), which servers reject.`, 'Shorten the header values, or remove headers the server does not need.');
    }
    headers[key] = headerValue;
  }
  return headers;
}

function requireString(value: unknown, field: string, fix: string): string {
  if (value === undefined || value === null) throw invalid(`Missing ${field}.`, fix);
  if (typeof value !== 'string') throw invalid(`${field} is ${quoteValue(value)}; it must be a string.`, fix);
  if (value.trim() === '') throw invalid(`Empty ${field}.`, fix);
  return value.trim();
}

function invalid(message: string, fix: string): SwitchboardError {
  return new SwitchboardError('config.invalid', message, { fix: fix ? [fix] : [] });
}
