/**
 * A connector that verifies server certificates itself, so a rejected certificate's error can
 * name its issuer, subject and expiry. Node's own rejection reports only an OpenSSL code.
 */

import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';

/** The error a rejected certificate fails with; transport-errors.ts reads its extra fields. */
export interface CertificateError extends Error {
  code: string;
  /** The certificate's issuer and subject as `CN=…, O=…`. */
  peerIssuer?: string;
  peerSubject?: string;
  /** The end of the certificate's validity, as the certificate states it. */
  peerValidTo?: string;
}

/**
 * Builds a connector that hands a TLS socket to undici only after the chain and the host name
 * passed verification. It connects with `rejectUnauthorized: false` and then rejects by
 * itself, before undici writes anything.
 *
 * TLS session resumption is off (`maxCachedSessions: 0`). On a resumed session Node 20 skips
 * its host name check and returns an empty peer certificate, and undici caches a session
 * before this connector has accepted the connection, so a session of a rejected connection
 * could otherwise be resumed without any check. Pooled keep-alive connections make the cost
 * of full handshakes small.
 */
export function buildVerifiedConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connector = buildConnector({ ...options, rejectUnauthorized: false, maxCachedSessions: 0 });
  return (connectOptions, callback) => {
    connector(connectOptions, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error('The connection failed without an error.'), null);
        return;
      }
      const rejection = verifySocket(socket as TLSSocket, connectOptions.servername || connectOptions.hostname);
      if (rejection) {
        socket.destroy();
        callback(rejection, null);
        return;
      }
      callback(null, socket);
    });
  };
}

function verifySocket(socket: TLSSocket, hostname: string): CertificateError | undefined {
  // A plain TCP socket (http) has no certificate to check.
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const certificate = socket.getPeerCertificate();
  if (!socket.authorized) return certificateError(String(socket.authorizationError), certificate);
  if (Object.keys(certificate).length === 0) return certificateError('ERR_TLS_NO_PEER_CERTIFICATE', certificate, 'The server presented no certificate.');
  const host = hostname.replace(/^\[|\]$/g, '');
  const identityError = checkServerIdentity(isIP(host) ? host : host.toLowerCase(), certificate);
  return identityError ? certificateError('ERR_TLS_CERT_ALTNAME_INVALID', certificate, identityError.message) : undefined;
}

function certificateError(code: string, certificate: PeerCertificate, message = `The server certificate failed verification (${code}).`): CertificateError {
  const error = new Error(message) as CertificateError;
  error.code = code;
  if (certificate && Object.keys(certificate).length > 0) {
    error.peerIssuer = formatName(certificate.issuer);
    error.peerSubject = formatName(certificate.subject);
    error.peerValidTo = certificate.valid_to;
  }
  return error;
}

function formatName(name: PeerCertificate['issuer'] | undefined): string | undefined {
  if (!name) return undefined;
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}
