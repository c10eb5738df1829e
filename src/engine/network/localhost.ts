/**
 * Name lookup for `localhost` and `.invalid`. Local model servers often listen on one loopback
 * address only (Ollama on 127.0.0.1), while the system resolver may return ::1 first, or only
 * one of the two. RFC 6761 (section 6.3) reserves `localhost` and `*.localhost` for the
 * loopback addresses, so the network layer returns both itself and lets the connector try
 * each. RFC 6761 (section 6.4) recommends that name resolution APIs fail names under the
 * `invalid` top-level domain at once, so those never reach a DNS server.
 */

import { lookup as systemLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';

/** IPv4 first, because most local model servers listen on 127.0.0.1 by default. */
export const LOCALHOST_ADDRESSES: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

export function isLocalhostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}

/** True for `invalid` and every name under it, which RFC 6761 guarantees never to resolve. */
export function isInvalidName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'invalid' || host.endsWith('.invalid');
}

/**
 * A `lookup` for `net.connect` that resolves `localhost` to both loopback addresses, fails
 * names under `.invalid` with ENOTFOUND without asking any resolver, and passes every other
 * name to the system resolver (`dns.lookup`).
 */
export const lookupWithLocalhost: LookupFunction = (hostname, options, callback) => {
  if (isInvalidName(hostname)) {
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
    // Asynchronous like dns.lookup, which net.connect relies on.
    process.nextTick(() => callback(error, '', 0));
    return;
  }
  if (!isLocalhostName(hostname)) {
    systemLookup(hostname, options as LookupAllOptions, callback as never);
    return;
  }
  const family = familyNumber((options as LookupOneOptions).family);
  const addresses = LOCALHOST_ADDRESSES.filter((entry) => family === 0 || entry.family === family);
  // dns.lookup calls back asynchronously, and net.connect relies on that.
  process.nextTick(() => {
    if ((options as LookupAllOptions).all) (callback as (error: null, addresses: LookupAddress[]) => void)(null, [...addresses]);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

function familyNumber(family: unknown): number {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}
