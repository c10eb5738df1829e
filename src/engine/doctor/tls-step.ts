/**
 * The TLS step: the server's certificate chain (subject, issuer, expiry), the host name
 * match, and which trusted source vouched for the chain. It connects with verification off
 * so that it can describe a bad certificate, and then applies the checks itself.
 */

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

import { SwitchboardError } from '../errors';
import { lookupWithLocalhost } from '../network/localhost';
import { isLoopbackHost } from '../network/options';
import { classifyTransportError } from '../network/transport-errors';
import { loadTrustSources, type TrustSource } from '../network/trust';
import type { DoctorContext } from './context';
import { openTunnel } from './proxy-step';
import type { StepStatus } from './report';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates that expire sooner than this many days are reported as a warning. */
const EXPIRY_WARNING_DAYS = 14;
/** OpenSSL's verification codes for a chain that no trusted authority signed. */
const UNTRUSTED_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

export async function checkTls(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const { secure, host, url } = context.target!;
  if (!secure) {
    details.push('The base URL uses http, so there is no TLS to check.');
    if (isLoopbackHost(host) || !context.options.apiKey) return 'skip';
    details.push(`The API key travels unencrypted to ${url.host}; use https unless every network in between is trusted.`);
    return 'warn';
  }

  const sources = loadTrustSources(context.network!, process.env, context.logger);
  const started = context.now();
  const socket = await connectTls(context, sources);
  try {
    details.push(`TLS handshake (${socket.getProtocol() ?? 'unknown version'}) finished in ${Math.round(context.now() - started)} ms.`);
    return inspectCertificate(context, socket, sources, details);
  } finally {
    socket.destroy();
  }
}

function inspectCertificate(context: DoctorContext, socket: TLSSocket, sources: TrustSource[], details: string[]): StepStatus {
  const { host, url } = context.target!;
  const now = context.now();
  const chain = peerChain(socket);
  const leaf = chain[0];
  if (!leaf) throw new SwitchboardError('tls.untrusted', `${url.host} presented no TLS certificate.`, { fix: ['Check that the base URL points at the right server.'] });
  chain.forEach((certificate, index) => details.push(describeCertificate(certificate, index, now)));

  const identityError = checkServerIdentity(host, socket.getPeerCertificate());
  details.push(identityError ? `Host name ${host}: not covered by the certificate (${leaf.subjectAltName ?? 'no subjectAltName'}).` : `Host name ${host}: covered by the certificate.`);
  const trust = findTrustingSource(chain, sources);
  details.push(trust ? `Trusted through ${trust.source.label} (root ${oneLine(trust.anchor.subject)}).` : `Not trusted by any source checked: ${describeSources(sources)}.`);

  const problem = findProblem(context, leaf, socket, Boolean(identityError), sources);
  if (problem) {
    if (context.network!.strictSsl) throw problem;
    details.push(`${problem.message} Certificate checks are off (http.proxyStrictSSL is false), so requests are sent anyway, which is unsafe.`);
    return 'warn';
  }
  const daysLeft = Math.floor((Date.parse(leaf.validTo) - now) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    details.push(`The certificate expires in ${daysLeft} days.`);
    return 'warn';
  }
  return 'pass';
}

function findProblem(context: DoctorContext, leaf: X509Certificate, socket: TLSSocket, hostnameMismatch: boolean, sources: TrustSource[]): SwitchboardError | undefined {
  const { url } = context.target!;
  const code = socket.authorized ? undefined : String(socket.authorizationError);
  const validTo = Date.parse(leaf.validTo);
  if (code === 'CERT_HAS_EXPIRED' || validTo < context.now()) {
    const daysAgo = Math.max(0, Math.floor((context.now() - validTo) / DAY_MS));
    return new SwitchboardError('tls.expired', `The TLS certificate of ${url.host} expired on ${new Date(validTo).toISOString().slice(0, 10)} (${daysAgo} days ago).`, {
      fix: ["Check this machine's date and time.", "Ask the server's operator to renew the certificate."],
    });
  }
  if (code !== undefined && code !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const issuer = oneLine(leaf.issuer);
    const reason = UNTRUSTED_CODES.has(code) ? 'no trusted certificate authority vouches for it' : 'it failed verification';
    return new SwitchboardError('tls.untrusted', `The TLS certificate of ${url.host} is issued by "${issuer}", and ${reason} (${code}). Checked: ${describeSources(sources)}.`, {
      fix: [
        `If your company inspects TLS traffic, get the root certificate of "${issuer}" as a PEM file and add its path to switchboard.network.caCertificates, or set NODE_EXTRA_CA_CERTS to it.`,
        'Certificate checks are never turned off automatically.',
      ],
    });
  }
  if (hostnameMismatch) {
    return new SwitchboardError('tls.hostname', `The TLS certificate presented by ${url.host} is not valid for ${context.target!.host}; it covers ${leaf.subjectAltName ?? oneLine(leaf.subject)}.`, {
      fix: ['Use the host name the certificate was issued for in the base URL.', 'A proxy or firewall may be intercepting the connection.'],
    });
  }
  return undefined;
}

/** Connects with verification off (to inspect any certificate), through the proxy when one applies. */
async function connectTls(context: DoctorContext, sources: TrustSource[]): Promise<TLSSocket> {
  const { host, port, url } = context.target!;
  const options: ConnectionOptions = {
    ca: sources.flatMap((source) => source.certificates),
    rejectUnauthorized: false,
    // RFC 6066 does not allow an IP address as the server name.
    servername: isIP(host) ? undefined : host,
  };
  const socket = context.proxy?.proxyUrl
    ? tlsConnect({ ...options, socket: (await openTunnel(context)).socket })
    : tlsConnect({ ...options, host, port, lookup: lookupWithLocalhost, autoSelectFamily: true } as ConnectionOptions);
  return handshake(socket, context).catch((error: unknown) => {
    throw classifyHandshakeError(error, url);
  });
}

function handshake(socket: TLSSocket, context: DoctorContext): Promise<TLSSocket> {
  const timeoutMs = context.network!.connectTimeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SwitchboardError('timeout.connect', `The TLS handshake with ${context.target!.url.host} did not finish within ${timeoutMs} ms.`, { fix: ['Check that the host is reachable from this machine, or set a proxy.'] }));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function classifyHandshakeError(error: unknown, url: URL): SwitchboardError {
  const known = classifyTransportError(error, url.href);
  if (known) return known;
  const message = (error as Error)?.message ?? String(error);
  if (/wrong version number|packet length too long|EPROTO/i.test(message)) {
    return new SwitchboardError('config.base_url', `${url.host} did not respond with TLS (${message}); it may serve plain http.`, {
      cause: error,
      fix: [`Try http://${url.host} in the base URL if the server has no TLS.`],
    });
  }
  return new SwitchboardError('network.reset', `The TLS handshake with ${url.host} failed: ${message}`, { cause: error });
}

/** Returns the presented chain, leaf first, as X509Certificate objects. */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let certificate = socket.getPeerCertificate(true);
  while (certificate?.raw && !seen.has(certificate.fingerprint256)) {
    seen.add(certificate.fingerprint256);
    chain.push(new X509Certificate(certificate.raw));
    certificate = certificate.issuerCertificate;
  }
  return chain;
}

function describeCertificate(certificate: X509Certificate, index: number, now: number): string {
  const validTo = Date.parse(certificate.validTo);
  const days = Math.floor((validTo - now) / DAY_MS);
  const lifetime = days >= 0 ? `${days} days left` : `expired ${-days} days ago`;
  const role = index === 0 ? 'server certificate' : `chain certificate ${index}`;
  return `${role}: subject "${oneLine(certificate.subject)}", issuer "${oneLine(certificate.issuer)}", valid until ${new Date(validTo).toISOString().slice(0, 10)} (${lifetime}).`;
}

/** Finds the first source that contains a certificate of the chain or the issuer of its last certificate. */
function findTrustingSource(chain: X509Certificate[], sources: TrustSource[]): { source: TrustSource; anchor: X509Certificate } | undefined {
  const top = chain[chain.length - 1]!;
  const fingerprints = new Set(chain.map((certificate) => certificate.fingerprint256));
  for (const source of sources) {
    for (const pem of source.certificates) {
      const candidate = parseCertificate(pem);
      if (!candidate) continue;
      if (fingerprints.has(candidate.fingerprint256)) return { source, anchor: candidate };
      if (top.checkIssued(candidate) && top.verify(candidate.publicKey)) return { source, anchor: candidate };
    }
  }
  return undefined;
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function describeSources(sources: TrustSource[]): string {
  const parts = sources.map((source) => (source.problem ? `${source.label}, not used because ${source.problem}` : `${source.label} (${source.certificates.length} certificates)`));
  if (!sources.some((source) => source.kind === 'NODE_EXTRA_CA_CERTS')) parts.push('NODE_EXTRA_CA_CERTS (not set)');
  if (!sources.some((source) => source.kind === 'setting' || source.kind === 'file')) parts.push('the extra CA certificates setting (empty)');
  return parts.join('; ');
}

/** X509Certificate writes a distinguished name one attribute per line. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
