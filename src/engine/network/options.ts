/** Network settings of the engine, with their defaults and validation. */

import { BlockList, isIP } from 'node:net';

import { SwitchboardError } from '../errors';
import { isLocalhostName } from './localhost';
import { sourceLabel, type ProxySource } from './proxy';

export interface NetworkOptions {
  /** Milliseconds to open a TCP (and TLS) connection. */
  connectTimeoutMs: number;
  /** Milliseconds from sending a request to the first response byte, for remote hosts. */
  firstByteTimeoutMs: number;
  /**
   * Milliseconds to the first response byte for loopback hosts. Local servers such as
   * Ollama load a model into memory on its first use, which can take minutes.
   */
  localFirstByteTimeoutMs: number;
  /** Milliseconds allowed between two chunks of a response body. */
  idleTimeoutMs: number;
  /** Milliseconds a whole request may take, retries included. */
  deadlineMs: number;
  /** Proxy URL (`http://user:password@host:port`); when unset, HTTPS_PROXY and HTTP_PROXY apply. */
  proxy?: string;
  /** Hosts that bypass the proxy, comma-separated as in NO_PROXY; NO_PROXY applies when unset. */
  noProxy?: string;
  /** PEM text of certificate authorities to trust besides Node's bundled list. */
  extraCaCertificates: string[];
  /**
   * Paths of PEM files with more certificate authorities to trust, for the command line and
   * the standalone server. The extension reads its setting's files itself and sends the text.
   */
  caCertificateFiles: string[];
  /** False accepts any server certificate, as VS Code's `http.proxyStrictSSL: false` does. */
  strictSsl: boolean;
  /** Maximum open connections to one origin. */
  maxConnectionsPerOrigin: number;
  /** Milliseconds an idle pooled connection stays open. */
  keepAliveMs: number;
}

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = {
  connectTimeoutMs: 10_000,
  firstByteTimeoutMs: 60_000,
  localFirstByteTimeoutMs: 300_000,
  idleTimeoutMs: 60_000,
  deadlineMs: 600_000,
  extraCaCertificates: [],
  caCertificateFiles: [],
  strictSsl: true,
  maxConnectionsPerOrigin: 32,
  keepAliveMs: 60_000,
};

const TIMEOUT_FIELDS = ['connectTimeoutMs', 'firstByteTimeoutMs', 'localFirstByteTimeoutMs', 'idleTimeoutMs', 'deadlineMs', 'keepAliveMs'] as const;

/** Merges user values over the defaults; a value out of range raises `config.invalid` naming it. */
export function resolveNetworkOptions(input: Partial<NetworkOptions> = {}): NetworkOptions {
  const options: NetworkOptions = { ...DEFAULT_NETWORK_OPTIONS };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  for (const field of TIMEOUT_FIELDS) {
    const value = options[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 100 || value > 86_400_000) {
      throw new SwitchboardError('config.invalid', `The timeout ${field} is ${JSON.stringify(value)}; it must be a number of milliseconds from 100 to 86400000.`, {
        fix: [`Set ${field} to a value such as ${DEFAULT_NETWORK_OPTIONS[field]}.`],
      });
    }
  }
  if (!Number.isInteger(options.maxConnectionsPerOrigin) || options.maxConnectionsPerOrigin < 1 || options.maxConnectionsPerOrigin > 1024) {
    throw new SwitchboardError('config.invalid', `maxConnectionsPerOrigin is ${JSON.stringify(options.maxConnectionsPerOrigin)}; it must be a whole number from 1 to 1024.`);
  }
  for (const field of ['extraCaCertificates', 'caCertificateFiles'] as const) {
    const value = options[field];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new SwitchboardError('config.invalid', `${field} must be a list of strings.`, {
        fix: [field === 'caCertificateFiles' ? 'List absolute paths of PEM files, such as ["/etc/ssl/company-ca.pem"].' : 'List the PEM text of each certificate.'],
      });
    }
  }
  if (options.proxy !== undefined && options.proxy !== '') checkProxyUrl(options.proxy);
  return options;
}

/**
 * Checks a proxy URL from the setting or from an environment variable. The messages name where
 * the URL came from but never quote it, because it can carry a password.
 */
export function checkProxyUrl(proxy: string, source: ProxySource = 'setting'): void {
  const label = sourceLabel(source);
  const fix = source === 'setting'
    ? 'Write the proxy as http://host:port or http://user:password@host:port.'
    : `Set ${source} to http://host:port or http://user:password@host:port, or unset it.`;
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw new SwitchboardError('config.invalid', `${capitalize(label)} is not a valid proxy URL.`, { fix: [fix] });
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return;
  const where = source === 'setting' ? 'The proxy URL' : `The proxy URL in ${label}`;
  // `new URL('proxy.corp:3128')` reads "proxy.corp:" as the scheme, and `user:password@host`
  // reads the user name as one, so the scheme is named only when "://" follows it.
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(proxy)) {
    throw new SwitchboardError('config.invalid', `${where} does not start with http:// or https://.`, { fix: [fix] });
  }
  throw new SwitchboardError('config.invalid', `${where} uses ${url.protocol}; only http and https proxies are supported.`, {
    fix: [source === 'setting' ? 'Use an http:// or https:// proxy URL.' : fix],
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Addresses that reach this machine: the loopback blocks, and the unspecified addresses 0.0.0.0
 * and ::, which Linux and macOS connect to this machine. IPv4-mapped IPv6 addresses such as
 * ::ffff:7f00:1 (WHATWG URL's form of [::ffff:127.0.0.1]) match their IPv4 address.
 */
const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_ADDRESSES.addAddress('0.0.0.0', 'ipv4');
LOOPBACK_ADDRESSES.addAddress('::1', 'ipv6');
LOOPBACK_ADDRESSES.addAddress('::', 'ipv6');

/**
 * True for host names and addresses of this machine. Servers there may be slow to send their
 * first byte, and a proxy on another machine cannot reach them. These are `localhost` and
 * `*.localhost` (with or without a trailing dot, as `isLocalhostName` resolves them) and
 * `LOOPBACK_ADDRESSES`, where IPv6 addresses may be in brackets.
 * NOTE: Windows does not connect to 0.0.0.0 or ::, so there such a base URL fails either way.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (isLocalhostName(hostname)) return true;
  const address = normalizeAddress(hostname);
  const family = isIP(address);
  if (family === 0) return false;
  return LOOPBACK_ADDRESSES.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Removes IPv6 brackets, and writes IPv4 shorthands (`127.1`, `2130706433`, `127.0.0.1.`) as
 * dotted quads the way WHATWG URL parsing does, for callers that pass a host as typed.
 */
function normalizeAddress(hostname: string): string {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0 || bare.includes(':')) return bare;
  try {
    return new URL(`http://${bare}/`).hostname;
  } catch {
    return bare;
  }
}

/**
 * Formats milliseconds as seconds for messages, to the millisecond and without trailing
 * zeros: 1500 gives "1.5 s" and 60000 gives "60 s".
 */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
