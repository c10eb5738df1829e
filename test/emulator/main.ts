/**
 * Command line entry of the emulator, for the demo and benchmarks:
 *
 *   node out/test/emulator/main.js [--port N] [--host 127.0.0.1] [--tls] [--tokens-per-second N]
 *                                  [--api-key KEY] [--answer TEXT]
 *
 * Prints one JSON line on stdout once listening, `{"url":"http://127.0.0.1:PORT",...}`, with
 * `caFile` (the CA certificate to trust) when --tls is given. Stops on SIGTERM or SIGINT.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { Emulator, type EmulatorOptions } from './emulator';
import { generateCertificates } from './tls';

const USAGE =
  'Usage: node out/test/emulator/main.js [--port N] [--host ADDRESS] [--tls] [--tokens-per-second N] [--api-key KEY] [--answer TEXT]';

function readNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new RangeError(`Invalid --${name}: ${value}. Use a number.`);
  }
  return number;
}

function readOptions(): { options: EmulatorOptions; tls: boolean } {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean' },
      'tokens-per-second': { type: 'string' },
      'api-key': { type: 'string' },
      answer: { type: 'string' },
    },
    strict: true,
  });
  const options: EmulatorOptions = {
    host: values.host,
    port: readNumber('port', values.port),
    tokensPerSecond: readNumber('tokens-per-second', values['tokens-per-second']),
    apiKey: values['api-key'],
    answer: values.answer,
  };
  return { options, tls: values.tls === true };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof readOptions>;
  try {
    parsed = readOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }

  const { options, tls } = parsed;
  let caDirectory: string | undefined;
  let caFile: string | undefined;
  if (tls) {
    const material = await generateCertificates();
    options.tls = { certPem: material.certPem, keyPem: material.keyPem };
    caDirectory = await mkdtemp(path.join(tmpdir(), 'switchboard-emulator-ca-'));
    caFile = path.join(caDirectory, 'ca.pem');
    await writeFile(caFile, material.caPem);
  }

  const emulator = await Emulator.start(options);
  process.stdout.write(`${JSON.stringify({ url: emulator.url, port: emulator.port, tls, ...(caFile ? { caFile } : {}) })}\n`);

  const stop = async (signal: string) => {
    await emulator.stop();
    if (caDirectory) {
      await rm(caDirectory, { recursive: true, force: true });
    }
    process.stderr.write(`Switchboard emulator stopped on ${signal}; requests served: ${emulator.requests.length}.\n`);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Switchboard emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
