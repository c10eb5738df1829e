/**
 * The choice of proxy for each request. The network layer and the connection doctor both call
 * `decideProxy`, so the doctor reports the route that requests really take.
 */

import { BlockList, isIP } from 'node:net';

import { redactUrl } from '../redact';
import { isLoopbackHost, type NetworkOptions } from './options';

/** The origin of the proxy URL: the proxy setting or one of the environment variables. */
export type ProxySource = 'setting' | 'https_proxy' | 'HTTPS_PROXY' | 'http_proxy' | 'HTTP_PROXY';

export interface ProxyDecision {
  /** The proxy URL with its credentials; undefined when the request goes direct. */
  proxyUrl?: string;
  source?: ProxySource;
  /** The NO_PROXY entry that sent the request direct although a proxy is configured. */
  bypassedBy?: string;
  /** The origin of the bypass list: the setting, `no_proxy` or `NO_PROXY`. */
  noProxySource?: 'setting' | 'no_proxy' | 'NO_PROXY';
  /**
   * The proxy that was skipped because the target is a loopback address and the proxy runs on
   * another machine, from where this machine's loopback cannot be reached. Password masked.
   */
  skippedRemoteProxy?: string;
}

export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * Decides the proxy for a target URL. The proxy setting wins over the environment. For https
 * targets `https_proxy`/`HTTPS_PROXY` apply, then `http_proxy`/`HTTP_PROXY`; for http targets
 * only the latter. The bypass list is the noProxy setting when given, else `no_proxy` or `NO_PROXY`.
 * A loopback target (a local model server) goes direct when the proxy is on another machine,
 * because that proxy would reach its own loopback instead. Go's golang.org/x/net/http/httpproxy
 * skips every proxy for loopback targets. A proxy on this machine is kept, because it can reach them.
 */
export function decideProxy(target: URL, options: Pick<NetworkOptions, 'proxy' | 'noProxy'>, env: ProxyEnvironment = process.env): ProxyDecision {
  const configured = findProxyUrl(target.protocol, options.proxy, env);
  if (!configured) return {};

  const { list, source: noProxySource } = findNoProxyList(options.noProxy, env);
  const port = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  const entry = list === undefined ? undefined : matchNoProxy(target.hostname, port, list);
  if (entry !== undefined) return { bypassedBy: entry, noProxySource };
  if (isLoopbackHost(target.hostname) && isRemoteProxy(configured.url)) return { skippedRemoteProxy: redactUrl(configured.url), source: configured.source };
  return { proxyUrl: configured.url, source: configured.source };
}

/**
 * Checks whether a proxy URL names a host other than a loopback address. A URL that does not
 * parse as http: or https: (such as the scheme-less `proxy.corp:3128`, which parses with the
 * scheme `proxy.corp:`) counts as local, so the request keeps it and `checkProxyUrl` rejects it.
 */
function isRemoteProxy(proxyUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return !isLoopbackHost(url.hostname);
}

function findProxyUrl(protocol: string, setting: string | undefined, env: ProxyEnvironment): { url: string; source: ProxySource } | undefined {
  if (setting) return { url: setting, source: 'setting' };
  const names: ProxySource[] = protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { url: value, source: name };
  }
  return undefined;
}

function findNoProxyList(setting: string | undefined, env: ProxyEnvironment): { list?: string; source?: ProxyDecision['noProxySource'] } {
  if (setting !== undefined) return { list: setting, source: 'setting' };
  if (env.no_proxy !== undefined) return { list: env.no_proxy, source: 'no_proxy' };
  if (env.NO_PROXY !== undefined) return { list: env.NO_PROXY, source: 'NO_PROXY' };
  return {};
}

/**
 * Returns the entry of a NO_PROXY list that matches a host and port, or undefined. Entries are
 * separated by commas or white space: `*` matches every host, `example.com` and `.example.com`
 * match the domain and its subdomains, `host:port` matches one port only, and an IP address or
 * CIDR block (`10.0.0.0/8`, `fd00::/8`) matches addresses inside it.
 */
export function matchNoProxy(hostname: string, port: number, list: string): string | undefined {
  const host = stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
  for (const entry of list.split(/[\s,]+/).filter(Boolean)) {
    if (entry === '*') return entry;
    const { pattern, entryPort } = splitEntryPort(entry.toLowerCase());
    if (entryPort !== undefined && entryPort !== port) continue;
    if (matchesPattern(host, pattern)) return entry;
  }
  return undefined;
}

function splitEntryPort(entry: string): { pattern: string; entryPort?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { pattern: bracketed[1]!, entryPort: bracketed[2] ? Number(bracketed[2]) : undefined };
  // A bare IPv6 address or block has several colons and no port.
  if ((entry.match(/:/g) ?? []).length > 1) return { pattern: entry };
  const withPort = /^(.+):(\d+)$/.exec(entry);
  return withPort ? { pattern: withPort[1]!, entryPort: Number(withPort[2]) } : { pattern: entry };
}

function matchesPattern(host: string, pattern: string): boolean {
  if (pattern.includes('/')) return inSubnet(host, pattern);
  if (isIP(pattern)) return host === pattern;
  const domain = pattern.replace(/^\*?\./, '');
  return host === domain || host.endsWith(`.${domain}`);
}

function inSubnet(host: string, cidr: string): boolean {
  const [network, bits] = cidr.split('/');
  const family = isIP(network ?? '');
  const hostFamily = isIP(host);
  if (!family || family !== hostFamily || !/^\d+$/.test(bits ?? '')) return false;
  const blocks = new BlockList();
  try {
    blocks.addSubnet(network!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return blocks.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function stripBrackets(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** Describes a decision in one line, with the proxy password masked. */
export function describeProxyDecision(decision: ProxyDecision): string {
  if (decision.proxyUrl) return `through the proxy ${redactUrl(decision.proxyUrl)} (from ${sourceLabel(decision.source!)})`;
  if (decision.bypassedBy) return `direct, because the entry "${decision.bypassedBy}" of ${noProxyLabel(decision.noProxySource)} matches the host`;
  if (decision.skippedRemoteProxy) {
    return `direct, because the host is on this machine and the proxy ${decision.skippedRemoteProxy} (from ${sourceLabel(decision.source!)}) could not reach it`;
  }
  return 'direct, because no proxy is configured';
}

export function sourceLabel(source: ProxySource): string {
  return source === 'setting' ? 'the proxy setting' : `the ${source} environment variable`;
}

function noProxyLabel(source: ProxyDecision['noProxySource']): string {
  return source === 'setting' ? 'the no-proxy setting' : `the ${source ?? 'NO_PROXY'} environment variable`;
}

/** Returns the host and port of a proxy URL, such as `proxy.example.com:3128`, with the default port filled in. */
export function proxyAddress(proxyUrl: string): { host: string; port: number; label: string } {
  const url = new URL(proxyUrl);
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol] || 80;
  return { host: stripBrackets(url.hostname), port, label: `${url.hostname}:${port}` };
}
