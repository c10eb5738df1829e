/** Classification of failures below HTTP: sockets, DNS, TLS, proxies and timeouts. */

import { isSwitchboardError, SwitchboardError, type ErrorCode, type FixLine } from '../errors';
import { raiseTimeoutFix } from '../fix-text';
import { formatSeconds } from './options';
import { proxyAddress, sourceLabel, type ProxyDecision } from './proxy';

interface TransportRule {
  code: ErrorCode;
  describe: (host: string, detail: ErrnoDetail) => string;
  fix: (host: string, detail: ErrnoDetail) => FixLine[];
}

interface ErrnoDetail {
  code: string;
  address?: string;
  port?: number;
  /** Every address that failed with this code, as `host:port`, when a connection tried several. */
  addresses?: string[];
  message: string;
  /** Issuer, subject and end of validity of a rejected certificate, where the connector recorded them. */
  peerIssuer?: string;
  peerSubject?: string;
  peerValidTo?: string;
}

const RULES: Record<string, TransportRule> = {
  ECONNREFUSED: {
    code: 'network.refused',
    describe: (host, detail) => `Connection refused by ${formatAddress(detail) ?? host}: nothing is listening there.`,
    fix: (_host, detail) => {
      const tried = detail.addresses?.length ?? 1;
      return [
        `Start the server, or correct the host and port in the base URL.`,
        ...(tried === 1 && detail.address === '::1' ? ['The server may listen on IPv4 only: use http://127.0.0.1 instead of localhost.'] : []),
        ...(tried === 1 && detail.address?.startsWith('127.') ? ['The server may listen on IPv6 only: try http://[::1].'] : []),
      ];
    },
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
    fix: () => ['Check that the host is reachable from this machine, or set a proxy.', raiseTimeoutFix('connect', '', 'on slow networks')],
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: tlsUntrusted(),
  UNABLE_TO_GET_ISSUER_CERT: tlsUntrusted(),
  SELF_SIGNED_CERT_IN_CHAIN: tlsUntrusted(),
  DEPTH_ZERO_SELF_SIGNED_CERT: tlsUntrusted(),
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: tlsUntrusted(),
  ERR_TLS_NO_PEER_CERTIFICATE: tlsUntrusted(),
  CERT_HAS_EXPIRED: {
    code: 'tls.expired',
    describe: (host, detail) => `The TLS certificate of ${host} has expired${detail.peerValidTo ? ` (valid until ${detail.peerValidTo})` : ''}.`,
    fix: () => ['Check the date and time of this machine.', 'Ask the server\'s operator to renew the certificate.'],
  },
  CERT_NOT_YET_VALID: {
    code: 'tls.expired',
    describe: (host) => `The TLS certificate of ${host} is not valid yet.`,
    fix: () => ['Check the date and time of this machine.'],
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    code: 'tls.hostname',
    describe: (host, detail) => `The TLS certificate presented by ${host} is not valid for that host name${detail.peerSubject ? ` (it was issued to ${detail.peerSubject})` : ''}.`,
    fix: () => ['Use the host name the certificate was issued for in the base URL.', 'A proxy or firewall may be intercepting the connection.'],
  },
};

function tlsUntrusted(): TransportRule {
  return {
    code: 'tls.untrusted',
    describe: (host, detail) =>
      detail.peerIssuer
        ? `The TLS certificate of ${host} is issued by "${detail.peerIssuer}", a certificate authority that is not trusted (${detail.code}).`
        : `The TLS certificate of ${host} is signed by a certificate authority that is not trusted (${detail.code}).`,
    fix: (_host, detail) => [
      {
        editor: `If your company inspects TLS traffic, add ${rootCertificate(detail)} in the switchboard.network.caCertificates setting or NODE_EXTRA_CA_CERTS.`,
        cli: `If your company inspects TLS traffic, name a PEM file with ${rootCertificate(detail)} in NODE_EXTRA_CA_CERTS.`,
      },
      { editor: 'Run "Switchboard: Diagnose Connection" to see the whole certificate chain.', cli: 'Run switchboard diagnose to see the whole certificate chain.' },
      'Certificate checks are never turned off automatically.',
    ],
  };
}

function rootCertificate(detail: ErrnoDetail): string {
  return detail.peerIssuer ? `the root certificate of "${detail.peerIssuer}"` : 'its root certificate';
}

function formatAddress(detail: ErrnoDetail): string | undefined {
  if (detail.addresses && detail.addresses.length > 1) return detail.addresses.join(' and ');
  if (!detail.address) return undefined;
  return formatHostPort(detail.address, detail.port);
}

/** Formats an address and port as `127.0.0.1:11434` or `[::1]:11434`. */
export function formatHostPort(address: string, port?: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

type ErrnoCandidate = { code?: unknown; address?: unknown; port?: unknown; message?: unknown; cause?: unknown; errors?: unknown; peerIssuer?: unknown; peerSubject?: unknown; peerValidTo?: unknown };

/**
 * Finds the first error in a cause chain with a known errno code. For an AggregateError (a
 * connection that tried several addresses) it lists every address that failed the same way.
 */
function findErrno(error: unknown, depth = 0): ErrnoDetail | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  const candidate = error as ErrnoCandidate;
  if (Array.isArray(candidate.errors)) {
    const found = candidate.errors.map((inner) => findErrno(inner, depth + 1)).filter((detail): detail is ErrnoDetail => detail !== undefined);
    if (found.length > 0) {
      const first = found[0]!;
      const addresses = found.filter((detail) => detail.code === first.code && detail.address).map((detail) => formatHostPort(detail.address!, detail.port));
      return { ...first, addresses: addresses.length > 1 ? addresses : undefined };
    }
  }
  if (typeof candidate.code === 'string' && RULES[candidate.code]) {
    return {
      code: candidate.code,
      address: typeof candidate.address === 'string' ? candidate.address : undefined,
      port: typeof candidate.port === 'number' ? candidate.port : undefined,
      message: typeof candidate.message === 'string' ? candidate.message : candidate.code,
      peerIssuer: typeof candidate.peerIssuer === 'string' ? candidate.peerIssuer : undefined,
      peerSubject: typeof candidate.peerSubject === 'string' ? candidate.peerSubject : undefined,
      peerValidTo: typeof candidate.peerValidTo === 'string' ? candidate.peerValidTo : undefined,
    };
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

/** Errno codes of a failed TCP connection; through a tunnel, the only connection made here is to the proxy. */
const PROXY_CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Converts a failure of a request sent through a proxy into `proxy.auth_required` or
 * `proxy.failed`, or returns undefined when the failure lies beyond the proxy (such as a TLS
 * error of the target server). undici 7 reports a CONNECT that got a status other than 200 as RequestAbortedError "Proxy response (407) !== 200 when HTTP Tunneling", and a 407 to a
 * request forwarded without a tunnel as "Proxy Authentication Required (407)".
 * `tunnelTimeoutMs` is the headersTimeout of the network layer's client to the proxy.
 */
export function classifyProxyFailure(error: unknown, decision: ProxyDecision, target: URL, tunnelTimeoutMs?: number): SwitchboardError | undefined {
  if (!decision.proxyUrl) return undefined;
  const proxy = proxyAddress(decision.proxyUrl);
  const from = sourceLabel(decision.source!);
  const status = findProxyStatus(error);
  if (status !== undefined) return proxyStatusError(status, decision, target, error);
  if (tunnelTimeoutMs !== undefined && hasErrorCode(error, HEADERS_TIMEOUT_CODE)) {
    // The message avoids the words "timed out": the OpenAI SDK replaces a fetch failure whose
    // text matches /timed? ?out/ with a connection timeout that drops this error.
    return new SwitchboardError('proxy.failed', `The proxy ${proxy.label} (from ${from}) did not respond within ${formatSeconds(tunnelTimeoutMs)} to the request to open a tunnel to ${tunnelTarget(target)}.`, {
      cause: error,
      // Like timeout.first_byte, not retried: each attempt would wait as long again.
      retryable: false,
      fix: [`Check that the proxy at ${proxy.label} is working, or correct ${from}.`, raiseTimeoutFix('firstByte', '', 'if the proxy is slow to open tunnels')],
    });
  }
  const detail = findErrno(error);
  if (!detail || !PROXY_CONNECT_CODES.has(detail.code)) return undefined;
  return new SwitchboardError('proxy.failed', `Could not connect to the proxy ${proxy.label} (from ${from}): ${RULES[detail.code]!.describe(proxy.label, detail)}`, {
    cause: error,
    fix: [`Check that the proxy at ${proxy.label} is running and reachable, or correct ${from}.`, 'Remove the proxy setting if this network needs none.'],
  });
}

/** Builds the error for a proxy that responded to a CONNECT with a status other than 200. */
export function proxyStatusError(status: number, decision: ProxyDecision, target: URL, cause?: unknown): SwitchboardError {
  const proxy = proxyAddress(decision.proxyUrl!);
  const from = sourceLabel(decision.source!);
  // tinyproxy 1.11 responds with 401 instead of 407 to wrong credentials. A CONNECT never reaches the
  // target, so a 401 to it can only be about the proxy's own authentication too.
  if (status === 407 || status === 401) return proxyAuthError(decision.proxyUrl!, proxy.label, from, status, cause);
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return new SwitchboardError('proxy.failed', `The proxy ${proxy.label} (from ${from}) rejected the request to open a tunnel to ${tunnelTarget(target)} with status ${status}.`, {
    status,
    cause,
    fix: [
      `Check that the proxy can reach ${target.hostname}:${port} and allows CONNECT to port ${port}; many proxies allow only port 443.`,
      'Add the host to NO_PROXY (or http.noProxy in VS Code) if it must be reached directly.',
    ],
  });
}

function proxyAuthError(proxyUrl: string, label: string, from: string, status: number, cause?: unknown): SwitchboardError {
  const url = new URL(proxyUrl);
  const sent = url.username !== '' || url.password !== '';
  const message = sent
    ? `The proxy ${label} (from ${from}) rejected the user name and password in the proxy URL (status ${status}).`
    : `The proxy ${label} (from ${from}) requires a user name and password (status ${status}), and the proxy URL has none.`;
  return new SwitchboardError('proxy.auth_required', message, {
    status,
    cause,
    fix: [
      'Write the proxy as http://user:password@host:port, with special characters percent-encoded (for example @ as %40).',
      'Proxies that accept only NTLM or Kerberos need a local relay such as cntlm or px.',
    ],
  });
}

/** undici's HeadersTimeoutError. Only the network layer's clients to proxies set a headersTimeout. */
const HEADERS_TIMEOUT_CODE = 'UND_ERR_HEADERS_TIMEOUT';

function hasErrorCode(error: unknown, code: string, depth = 0): boolean {
  if (depth > 8 || typeof error !== 'object' || error === null) return false;
  if ((error as { code?: unknown }).code === code) return true;
  return hasErrorCode((error as { cause?: unknown }).cause, code, depth + 1);
}

/** Returns the `host:port` that a CONNECT requests, with the scheme's default port filled in. */
function tunnelTarget(target: URL): string {
  return `${target.hostname}:${target.port || (target.protocol === 'https:' ? '443' : '80')}`;
}

/** Reads the status of a refused CONNECT or forwarded request from undici's error messages. */
function findProxyStatus(error: unknown, depth = 0): number | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string') {
    const match = /Proxy response \((\d{3})\) !== 200|Proxy Authentication Required \((\d{3})\)/.exec(message);
    if (match) return Number(match[1] ?? match[2]);
  }
  return findProxyStatus((error as { cause?: unknown }).cause, depth + 1);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
