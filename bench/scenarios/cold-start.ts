/**
 * Scenario 6, cold start: from spawning dist/server.js to the result of `initialize`, against
 * spawning `node -e ''` to its exit, the floor that Node itself sets on this machine.
 */

import { spawn } from 'node:child_process';

import { reportTarget, rounds } from '../support/environment';
import { startServer } from '../support/language-server';
import { distribution, milliseconds, printTable, ratio } from '../support/stats';

const TARGET_MS = 150;

export async function runColdStart(): Promise<void> {
  const count = rounds(20, 5);
  const bare: number[] = [];
  const server: number[] = [];
  for (let round = -2; round < count; round++) {
    const bareMs = await timeBareNode();
    const started = await startServer();
    await started.stop();
    if (round >= 0) {
      bare.push(bareMs);
      server.push(started.initializeMs);
    }
  }
  const bareFigures = distribution(bare);
  const serverFigures = distribution(server);
  console.log(`\nCold start, ${count} starts each (alternating)`);
  printTable([
    ['process', 'p50', 'p99', 'vs node -e \'\''],
    ["node -e '' (spawn to exit)", milliseconds(bareFigures.p50), milliseconds(bareFigures.p99), '1.00x'],
    ['dist/server.js (spawn to initialize result)', milliseconds(serverFigures.p50), milliseconds(serverFigures.p99), ratio(serverFigures.p50, bareFigures.p50)],
  ]);
  reportTarget({
    scenario: 'cold-start',
    target: `server spawn to initialize result under ${TARGET_MS} ms`,
    measured: `${milliseconds(serverFigures.p50)} (${ratio(serverFigures.p50, bareFigures.p50)} of a bare node start)`,
    met: serverFigures.p50 < TARGET_MS,
  });
}

function timeBareNode(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - started));
  });
}
