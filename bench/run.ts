/**
 * `npm run bench [-- --quick] [-- SCENARIO…]`: runs every benchmark scenario, each in its own
 * Node process, against the emulator on loopback, and prints the machine, the Node version, the
 * command, the load average and a summary of the targets. Installs the peers into
 * bench/node_modules first when they are missing.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

import { SCENARIOS } from './scenario';
import { ENV, prepareTls, REPOSITORY, TARGET_LINE, type TargetResult } from './support/environment';

/** In the order they run, each in a new process of out/bench/scenario.js. */
const SCENARIO_NAMES = Object.keys(SCENARIOS);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const chosen = args.filter((arg) => !arg.startsWith('--'));
  const unknown = chosen.filter((name) => !SCENARIO_NAMES.includes(name));
  if (unknown.length) throw new Error(`Unknown scenario ${unknown.join(', ')}. Use any of: ${SCENARIO_NAMES.join(', ')}.`);
  const names = chosen.length ? chosen : SCENARIO_NAMES;

  installPeers();
  printMachine(args);
  const tls = await prepareTls();
  const targets: TargetResult[] = [];
  try {
    for (const name of names) {
      const started = Date.now();
      await runScenario(name, { ...process.env, [ENV.quick]: quick ? '1' : '0', [ENV.tlsDirectory]: tls.directory, NODE_EXTRA_CA_CERTS: tls.caFile }, targets);
      console.log(`  (${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    rmSync(tls.directory, { recursive: true, force: true });
  }
  printSummary(targets);
}

/** Runs `npm --prefix bench ci` when bench/node_modules is missing. */
function installPeers(): void {
  if (existsSync(path.join(REPOSITORY, 'bench/node_modules'))) return;
  console.log('Installing the benchmark peers: npm --prefix bench ci');
  const result = spawnSync('npm', ['--prefix', path.join(REPOSITORY, 'bench'), 'ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm --prefix bench ci failed with exit code ${String(result.status)}.`);
}

function printMachine(args: string[]): void {
  const cpu = cpus();
  console.log(`Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`Command: npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`);
  console.log(`Started ${new Date().toISOString()}, load average ${formatLoad()}`);
}

function formatLoad(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
}

/** Runs one scenario process, printing its output and collecting its target lines. */
function runScenario(name: string, env: NodeJS.ProcessEnv, targets: TargetResult[]): Promise<void> {
  const child = spawn(process.execPath, [path.join(__dirname, 'scenario.js'), name], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line.startsWith(TARGET_LINE)) targets.push(JSON.parse(line.slice(TARGET_LINE.length)) as TargetResult);
    else console.log(line);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`Scenario ${name} failed with exit code ${String(code)}.`))));
  });
}

function printSummary(targets: TargetResult[]): void {
  console.log(`\nTargets (load average at the end ${formatLoad()})`);
  for (const target of targets) console.log(`  ${target.met ? 'met    ' : 'NOT met'}  ${target.target}: ${target.measured}`);
  const missed = targets.filter((target) => !target.met).length;
  console.log(`${targets.length - missed} of ${targets.length} targets met.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
