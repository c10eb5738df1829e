/**
 * Test certificates made at run time with the openssl command line: a private CA and a server
 * certificate signed by it, valid, expired, or issued for other host names. Keys are EC P-256,
 * which openssl generates in milliseconds.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertificateOptions {
  /** Makes the server certificate's validity end yesterday. */
  expired?: boolean;
  /**
   * Host names and IP addresses in the server certificate's subjectAltName; default
   * localhost, 127.0.0.1 and ::1. Other names, such as `wrong-host.invalid`, give a
   * certificate that does not match the emulator's address.
   */
  hostnames?: string[];
}

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const DEFAULT_HOSTNAMES = ['localhost', '127.0.0.1', '::1'];

/** Formats a date as openssl ca's -startdate and -enddate expect: YYYYMMDDHHMMSSZ. */
function opensslDate(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function subjectAltName(hostnames: readonly string[]): string {
  return hostnames.map((name) => `${isIP(name) ? 'IP' : 'DNS'}:${name}`).join(',');
}

/** Builds a minimal `openssl ca` configuration: any subject name, extensions from the server section. */
function caConfig(hostnames: readonly string[]): string {
  return [
    '[ ca ]',
    'default_ca = emulator_ca',
    '[ emulator_ca ]',
    'database = index.txt',
    'new_certs_dir = .',
    'serial = serial',
    'default_md = sha256',
    'policy = any_name',
    'unique_subject = no',
    '[ any_name ]',
    'commonName = supplied',
    '[ server ]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${subjectAltName(hostnames)}`,
    '',
  ].join('\n');
}

async function openssl(directory: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: directory });
  } catch (error) {
    const failure = error as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${failure.stderr?.trim() || failure.message}`);
  }
}

/** Generates a CA and a server certificate in a temporary folder, which is removed afterwards. */
export async function generateCertificates(options: CertificateOptions = {}): Promise<TlsMaterial> {
  const hostnames = options.hostnames ?? DEFAULT_HOSTNAMES;
  if (hostnames.length === 0) {
    throw new RangeError('Invalid certificate option hostnames: []. Give at least one host name or IP address.');
  }

  const directory = await mkdtemp(path.join(tmpdir(), 'switchboard-tls-'));
  try {
    await writeFile(path.join(directory, 'ca.cnf'), caConfig(hostnames));
    await writeFile(path.join(directory, 'index.txt'), '');
    await writeFile(path.join(directory, 'serial'), '01\n');
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

    // The CA: self-signed and allowed to sign certificates.
    await openssl(directory, [
      'req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30',
      '-subj', '/CN=Switchboard emulator test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);

    // The server certificate, with explicit dates so an expired one can be issued.
    const now = Date.now();
    const start = options.expired ? now - 30 * DAY_MS : now - DAY_MS;
    const end = options.expired ? now - DAY_MS : now + 30 * DAY_MS;
    await openssl(directory, ['req', '-new', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hostnames[0]}`]);
    await openssl(directory, [
      'ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'server.csr', '-out', 'server.pem',
      '-startdate', opensslDate(new Date(start)), '-enddate', opensslDate(new Date(end)), '-extensions', 'server', '-notext',
    ]);

    const [caPem, certPem, keyPem] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(path.join(directory, name), 'utf8')),
    );
    return { caPem, certPem, keyPem };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
