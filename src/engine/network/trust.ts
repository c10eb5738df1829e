/**
 * The certificate authorities the network layer trusts, kept per source so the connection
 * doctor can report which source vouched for a server's certificate.
 */

import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

import type { Logger } from '../types';
import type { NetworkOptions } from './options';

export type TrustSourceKind = 'bundled' | 'system' | 'NODE_EXTRA_CA_CERTS' | 'setting' | 'file';

export interface TrustSource {
  kind: TrustSourceKind;
  /** Names the source in a sentence, such as "NODE_EXTRA_CA_CERTS (/etc/ssl/company.pem)". */
  label: string;
  /** One PEM block per certificate. */
  certificates: string[];
  /** The reason a configured source contributes nothing, such as an unreadable file. */
  problem?: string;
}

/**
 * Certificate bundles that Linux and BSD distributions keep in sync with the system's trust
 * store (Debian and Ubuntu, Fedora and RHEL, openSUSE, Alpine and the BSDs), so a company root
 * added with update-ca-certificates or update-ca-trust is trusted without any setting.
 */
export const SYSTEM_BUNDLE_PATHS = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits PEM text into its certificate blocks; anything between them is ignored. */
export function splitPem(text: string): string[] {
  return text.match(PEM_BLOCK) ?? [];
}

/**
 * Collects Node's bundled roots, NODE_EXTRA_CA_CERTS, the PEM text of the setting and the PEM
 * files of `caCertificateFiles`. Node applies NODE_EXTRA_CA_CERTS only to its default context,
 * not to an explicit `ca` list, so it is read here. An unreadable file is logged and skipped.
 */
export function loadTrustSources(options: Pick<NetworkOptions, 'extraCaCertificates' | 'caCertificateFiles'>, env: Readonly<Record<string, string | undefined>>, logger?: Logger): TrustSource[] {
  const sources: TrustSource[] = [{ kind: 'bundled', label: "Node's bundled root certificates", certificates: [...rootCertificates] }];

  // NOTE: Node 20 has no API for the macOS keychain or the Windows certificate store
  // (tls.getCACertificates('system') arrived in Node 22.15), so there only the settings and
  // NODE_EXTRA_CA_CERTS add company roots.
  const systemBundle = SYSTEM_BUNDLE_PATHS.find((file) => existsSync(file));
  if (systemBundle) sources.push(readSourceFile('system', `the system certificate store (${systemBundle})`, systemBundle, logger));

  const extraFile = env.NODE_EXTRA_CA_CERTS;
  if (extraFile) sources.push(readSourceFile('NODE_EXTRA_CA_CERTS', `NODE_EXTRA_CA_CERTS (${extraFile})`, extraFile, logger));

  if (options.extraCaCertificates.length > 0) {
    const certificates = options.extraCaCertificates.flatMap(splitPem);
    const problem = certificates.length === 0 ? 'it contains no PEM certificate' : undefined;
    sources.push({ kind: 'setting', label: 'the extra CA certificates setting', certificates, problem });
  }

  for (const file of options.caCertificateFiles) sources.push(readSourceFile('file', `the CA file ${file}`, file, logger));
  return sources;
}

function readSourceFile(kind: TrustSourceKind, label: string, file: string, logger?: Logger): TrustSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const problem = `it could not be read: ${(error as Error).message}`;
    logger?.warn(`${label} is not used: ${problem}`);
    return { kind, label, certificates: [], problem };
  }
  const certificates = splitPem(text);
  if (certificates.length === 0) {
    const problem = 'it contains no PEM certificate';
    logger?.warn(`${label} is not used: ${problem}.`);
    return { kind, label, certificates, problem };
  }
  return { kind, label, certificates };
}
