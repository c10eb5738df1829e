/**
 * Settings that every scenario process shares: the repository's paths, the round counts (`--quick`),
 * the test certificates of the HTTPS emulator, and the lines that report targets to run.ts.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { generateCertificates, type TlsMaterial } from '../../test/emulator/tls';

/** The repository root, from out/bench/support/. */
export const REPOSITORY = path.resolve(__dirname, '../../..');
export const SERVER_BUNDLE = path.join(REPOSITORY, 'dist/server.js');

/** Environment variables that run.ts and scripts/profile.mjs set for each scenario process. */
export const ENV = {
  quick: 'SWITCHBOARD_BENCH_QUICK',
  tlsDirectory: 'SWITCHBOARD_BENCH_TLS_DIR',
  profileDirectory: 'SWITCHBOARD_PROFILE_DIR',
  heapSnapshot: 'SWITCHBOARD_PROFILE_HEAP',
} as const;

export const QUICK = process.env[ENV.quick] === '1';

/** Returns the full round count, or a tenth of it (at least `minimum`) with --quick. */
export function rounds(full: number, minimum = 10): number {
  return QUICK ? Math.max(minimum, Math.round(full / 10)) : full;
}

export interface BenchTls extends TlsMaterial {
  caFile: string;
}

/**
 * Writes a private CA and a server certificate for 127.0.0.1 into a new folder. The scenario
 * processes get the folder and NODE_EXTRA_CA_CERTS=ca.pem, so global fetch trusts the emulator.
 */
export async function prepareTls(): Promise<{ directory: string; caFile: string }> {
  const material = await generateCertificates();
  const directory = path.join(tmpdir(), `switchboard-bench-tls-${process.pid}`);
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, 'ca.pem'), material.caPem);
  writeFileSync(path.join(directory, 'cert.pem'), material.certPem);
  writeFileSync(path.join(directory, 'key.pem'), material.keyPem);
  return { directory, caFile: path.join(directory, 'ca.pem') };
}

/** Reads the certificates that run.ts prepared. */
export function benchTls(): BenchTls {
  const directory = process.env[ENV.tlsDirectory];
  if (!directory) throw new Error(`${ENV.tlsDirectory} is not set; run the scenarios through npm run bench or npm run profile.`);
  const read = (name: string) => readFileSync(path.join(directory, name), 'utf8');
  return { caPem: read('ca.pem'), certPem: read('cert.pem'), keyPem: read('key.pem'), caFile: path.join(directory, 'ca.pem') };
}

export interface TargetResult {
  scenario: string;
  target: string;
  /** The measured figure, as printed. */
  measured: string;
  met: boolean;
}

/** Prefix of the lines that carry a target's result from a scenario process to run.ts. */
export const TARGET_LINE = 'TARGET ';

export function reportTarget(result: TargetResult): void {
  console.log(`  target: ${result.target}: ${result.measured} (${result.met ? 'met' : 'NOT met'})`);
  console.log(`${TARGET_LINE}${JSON.stringify(result)}`);
}
