// `npm run profile -- SCENARIO [--heap]`: runs one benchmark scenario under `node --cpu-prof`
// and prints where the profiles are. Scenarios that start the language server profile it too.
// With --heap, the scenario process writes a heap snapshot at its end (v8.writeHeapSnapshot)
// and the language server writes one when it is stopped (--heapsnapshot-signal=SIGUSR2).
// Open .cpuprofile files in Chrome DevTools (Performance tab, "Load profile") or in VS Code,
// and .heapsnapshot files in Chrome DevTools (Memory tab), as docs/benchmarks.md describes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const heap = args.includes('--heap');
const scenario = args.find((arg) => !arg.startsWith('--'));
const { SCENARIOS } = await import(path.join(repository, 'out/bench/scenario.js'));
if (!scenario || !(scenario in SCENARIOS)) {
  console.error(`Usage: npm run profile -- SCENARIO [--heap]\nScenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}

const { prepareTls, ENV } = await import(path.join(repository, 'out/bench/support/environment.js'));
const directory = path.join(repository, 'out/profiles', `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(directory, { recursive: true });
const tls = await prepareTls();
try {
  const result = spawnSync(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${directory}`, path.join(repository, 'out/bench/scenario.js'), scenario],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        [ENV.quick]: '1',
        [ENV.tlsDirectory]: tls.directory,
        [ENV.profileDirectory]: directory,
        [ENV.heapSnapshot]: heap ? '1' : '0',
        NODE_EXTRA_CA_CERTS: tls.caFile,
      },
    },
  );
  if (result.status !== 0) process.exitCode = result.status ?? 1;
} finally {
  rmSync(tls.directory, { recursive: true, force: true });
}

console.log(`\nProfiles of scenario ${scenario} (quick rounds) in ${directory}:`);
for (const file of readdirSync(directory, { recursive: true })) if (/\.(cpuprofile|heapsnapshot)$/.test(file)) console.log(`  ${file}`);
console.log('Files in server/ come from the language server; the others from the benchmark process.');
