/**
 * The saving of lazy loading: the time to load each provider SDK in a fresh Node process, which
 * the language server skips at start and pays on the first request of that provider kind.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { configureRequest } from '../../src/protocol/protocol';
import { EmulatorProcess } from '../support/emulator-process';
import { REPOSITORY, rounds } from '../support/environment';
import { startServer } from '../support/language-server';
import { distribution, milliseconds, printTable } from '../support/stats';

const run = promisify(execFile);

const MODULES = ['openai', '@google/genai', 'undici', 'vscode-languageserver/node'];

const MEASURE_REQUIRE = `
const started = process.hrtime.bigint();
require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
`;

export async function runLazyLoading(): Promise<void> {
  const count = rounds(10, 3);
  const rows: string[][] = [['module', 'require p50', 'p99']];
  for (const name of MODULES) {
    const samples: number[] = [];
    for (let round = 0; round < count; round++) {
      const { stdout } = await run(process.execPath, ['-e', MEASURE_REQUIRE, name], { cwd: REPOSITORY });
      samples.push(Number(stdout));
    }
    const figures = distribution(samples);
    rows.push([name, milliseconds(figures.p50), milliseconds(figures.p99)]);
  }
  console.log(`\nTime to load a module in a fresh process (require), ${count} processes each`);
  printTable(rows);
  await firstRequestCost(count);
}

/** Times the first chat of new servers, which loads the OpenAI adapter and its SDK, and the second, which finds them loaded. */
async function firstRequestCost(count: number): Promise<void> {
  const emulator = await EmulatorProcess.start();
  const first: number[] = [];
  const second: number[] = [];
  try {
    for (let round = 0; round < count; round++) {
      const server = await startServer();
      try {
        await server.connection.sendRequest(configureRequest, { profiles: [{ name: 'bench', kind: 'openai-compatible', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }] });
        for (const samples of [first, second]) {
          const started = performance.now();
          await server.chat({ profile: 'bench', messages: [{ role: 'user', content: `Request ${samples.length} of round ${round}.` }] });
          samples.push(performance.now() - started);
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await emulator.stop();
  }
  console.log(`\nFirst and second chat request of a new language server, ${count} servers`);
  printTable([
    ['request', 'p50'],
    ['first (loads the OpenAI adapter and SDK)', milliseconds(distribution(first).p50)],
    ['second', milliseconds(distribution(second).p50)],
  ]);
}
