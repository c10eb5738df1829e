/**
 * Runs one benchmark scenario in this process: `node out/bench/scenario.js NAME`. run.ts and
 * scripts/profile.mjs start it with the environment that support/environment.ts describes.
 */

import * as path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

import { runCacheHit } from './scenarios/cache-hit';
import { runColdStart } from './scenarios/cold-start';
import { runConcurrency } from './scenarios/concurrency';
import { runLatency } from './scenarios/latency';
import { runLazyLoading } from './scenarios/lazy-loading';
import { runPooling } from './scenarios/pooling';
import { runStreaming } from './scenarios/streaming';
import { runStringAccumulation } from './scenarios/string-accumulation';
import { ENV } from './support/environment';

export const SCENARIOS: Record<string, () => Promise<void>> = {
  latency: runLatency,
  streaming: runStreaming,
  pooling: runPooling,
  'cache-hit': runCacheHit,
  concurrency: runConcurrency,
  'cold-start': runColdStart,
  'lazy-loading': runLazyLoading,
  'string-accumulation': runStringAccumulation,
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`Unknown scenario "${name}". Use one of: ${Object.keys(SCENARIOS).join(', ')}.`);
  await scenario();
  const profileDirectory = process.env[ENV.profileDirectory];
  if (profileDirectory && process.env[ENV.heapSnapshot] === '1') {
    const file = writeHeapSnapshot(path.join(profileDirectory, `bench-${name}-${process.pid}.heapsnapshot`));
    console.log(`Heap snapshot of the benchmark process: ${file}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
