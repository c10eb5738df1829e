/** Classification of failures below HTTP: sockets, DNS, TLS, proxies and timeouts. */

import { isSwitchboardError, SwitchboardError, type ErrorCode } from '../errors';

interface TransportRule {
  code: ErrorCode;
  describe: (host: string, detail: ErrnoDetail) => string;
  fix: (host: string, detail: ErrnoDetail) => string[];
}

interface ErrnoDetail {
  code: string;
  address?: string;
  port?: number;
  message: string;
}

const RULES: Record<string, TransportRule> = {
  ECONNREFUSED: {
    code: 'network.refused',
    describe: (host, detail) => `Connection refused by ${formatAddress(detail) ?? host}: nothing is listening there.`,
    fix: (_host, detail) => [
      `Start the server, or correct the host and port in the base URL.`,
      ...(detail.address === '::1' ? ['The server may listen on IPv4 only: use http://127.0.0.1 instead of localhost.'] : []),
      ...(detail.address?.startsWith('127.') ? ['The server may listen on IPv6 only: try http://[::1].'] : []),
    ],
  },
  ENOTFOUND: {
    code: 'network.dns',
    describe: (host) => `The host name ${host} could not be resolved (DNS lookup failed).`,
    fix: () => ['Check the spelling of the host in the base URL.', 'Check your network or VPN connection.'],
  },
  EAI_AGAIN: {
    code: 'network.dns',
    describe: (host) => `The DNS lookup of ${host} failed temporarily.`,
    fix: () => ['Check your network connection and DNS server, then retry.'],
  },
  ECONNRESET: {
    code: 'network.reset',
    describe: (host) => `The connection to ${host} was reset.`,
    fix: () => ['Retry; if it keeps happening, check proxies or firewalls between you and the server.'],
  },
  UND_ERR_SOCKET: {
    code: 'network.reset',
    describe: (host, detail) => `The connection to ${host} closed unexpectedly (${detail.message}).`,
    fix: () => ['Retry; if it keeps happening, check proxies or firewalls between you and the server.'],
  },
  EPIPE: {
    code: 'network.reset',
    describe: (host) => `The connection to ${host} was closed while sending the request.`,
    fix: () => ['Retry.'],
  },
  ENETUNREACH: {
    code: 'network.unreachable',
    describe: (host, detail) => `The network of ${formatAddress(detail) ?? host} is unreachable.`,
    fix: () => ['Check your network connection, VPN or IPv6 setup.'],
  },
  EHOSTUNREACH: {
    code: 'network.unreachable',
    describe: (host, detail) => `The host ${formatAddress(detail) ?? host} is unreachable.`,
    fix: () => ['Check your network connection and firewall.'],
  },
  ETIMEDOUT: {
    code: 'timeout.connect',
    describe: (host) => `Connecting to ${host} timed out.`,
    fix: () => ['Check that the host is reachable from this machine, or set a proxy.'],
  },
  UND_ERR_CONNECT_TIMEOUT: {
    code: 'timeout.connect',
    describe: (host) => `Connecting to ${host} timed out.`,
    fix: () => ['Check that the host is reachable from this machine, or set a proxy.', 'Raise the connect timeout setting on slow networks.'],
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: tlsUntrusted(),
  UNABLE_TO_GET_ISSUER_CERT: tlsUntrusted(),
  SELF_SIGNED_CERT_IN_CHAIN: tlsUntrusted(),
  DEPTH_ZERO_SELF_SIGNED_CERT: tlsUntrusted(),
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: tlsUntrusted(),
  CERT_HAS_EXPIRED: {
    code: 'tls.expired',
    describe: (host) => `The TLS certificate of ${host} has expired.`,
    fix: () => ['Check the date and time of this machine.', 'Ask the server\'s operator to renew the certificate.'],
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    code: 'tls.hostname',
    describe: (host) => `The TLS certificate presented by ${host} is not valid for that host name.`,
    fix: () => ['Use the host name the certificate was issued for in the base URL.', 'A proxy or firewall may be intercepting the connection.'],
  },
};

function tlsUntrusted(): TransportRule {
  return {
    code: 'tls.untrusted',
    describe: (host, detail) => `The TLS certificate of ${host} is signed by a certificate authority that is not trusted (${detail.code}).`,
    fix: () => [
      'If your company inspects TLS traffic, add its root certificate in the switchboard.network.caCertificates setting or NODE_EXTRA_CA_CERTS.',
      'Certificate checks are never turned off automatically.',
    ],
  };
}

function formatAddress(detail: ErrnoDetail): string | undefined {
  if (!detail.address) return undefined;
  const address = detail.address.includes(':') ? `[${detail.address}]` : detail.address;
  return detail.port === undefined ? address : `${address}:${detail.port}`;
}

/** Finds the first error in a cause chain (including AggregateError members) with a known errno code. */
function findErrno(error: unknown, depth = 0): ErrnoDetail | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { code?: unknown; address?: unknown; port?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof candidate.code === 'string' && RULES[candidate.code]) {
    return {
      code: candidate.code,
      address: typeof candidate.address === 'string' ? candidate.address : undefined,
      port: typeof candidate.port === 'number' ? candidate.port : undefined,
      message: typeof candidate.message === 'string' ? candidate.message : candidate.code,
    };
  }
  if (Array.isArray(candidate.errors)) {
    for (const inner of candidate.errors) {
      const found = findErrno(inner, depth + 1);
      if (found) return found;
    }
  }
  return findErrno(candidate.cause, depth + 1);
}

/** Finds a SwitchboardError in a cause chain, such as a timeout the network layer raised. */
export function findSwitchboardError(error: unknown, depth = 0): SwitchboardError | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  if (isSwitchboardError(error)) return error;
  return findSwitchboardError((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * Converts a failure below HTTP into a SwitchboardError, or returns undefined when the error
 * is not a transport failure.
 */
export function classifyTransportError(error: unknown, url: string): SwitchboardError | undefined {
  const known = findSwitchboardError(error);
  if (known) return known;
  const detail = findErrno(error);
  if (!detail) return undefined;
  const host = safeHost(url);
  const rule = RULES[detail.code]!;
  return new SwitchboardError(rule.code, rule.describe(host, detail), { fix: rule.fix(host, detail), cause: error });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
