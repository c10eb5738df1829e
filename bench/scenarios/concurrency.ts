/**
 * Scenario 5, concurrent streams through the language server: 500 different chat requests at
 * once, each a 200-token answer that the emulator streams at 40 tokens a second (about 5 s).
 * Checks that every answer is complete and correct, and reads the server's memory and
 * event-loop delay from `switchboard/metrics` before, during and after the load.
 */

import { configureRequest, metricsRequest } from '../../src/protocol/protocol';
import type { ProcessMetrics } from '../../src/engine/metrics';
import { EmulatorProcess } from '../support/emulator-process';
import { QUICK, reportTarget } from '../support/environment';
import { startServer, type BenchServer } from '../support/language-server';
import { megabytes, milliseconds, printTable } from '../support/stats';

const STREAMS = 500;
const TOKENS = 200;
const TOKENS_PER_SECOND = 40;
const MEMORY_LIMIT_BYTES = 200 * 1024 * 1024;
const EVENT_LOOP_LIMIT_MS = 20;
/** Heap growth still counted as back to the baseline after the load, in bytes. */
const BASELINE_TOLERANCE_BYTES = 5 * 1024 * 1024;

export async function runConcurrency(): Promise<void> {
  const streams = QUICK ? 100 : STREAMS;
  const answer = Array.from({ length: TOKENS }, (_, index) => `word${index % 50}`).join(' ');
  const emulator = await EmulatorProcess.start({ answer, tokensPerSecond: TOKENS_PER_SECOND });
  const server = await startServer({ nodeFlags: ['--expose-gc'] });
  try {
    const profiles = [{ name: 'bench', kind: 'openai-compatible' as const, baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }];
    // One connection per stream, so all of them run at once instead of 32 at a time.
    await server.connection.sendRequest(configureRequest, { profiles, network: { maxConnectionsPerOrigin: 1024 } });
    await server.chat({ profile: 'bench', messages: [{ role: 'user', content: 'Warm up.' }] });
    const baseline = await processMetrics(server, { collectGarbage: true, resetEventLoopDelay: true });

    const peak = { rss: baseline.rssBytes, heap: baseline.heapUsedBytes };
    const poller = setInterval(() => {
      void processMetrics(server, {}).then((metrics) => {
        peak.rss = Math.max(peak.rss, metrics.rssBytes);
        peak.heap = Math.max(peak.heap, metrics.heapUsedBytes);
      });
    }, 250);
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: streams }, (_, index) => runStream(server, index, answer)));
    const elapsedMs = performance.now() - started;
    clearInterval(poller);
    const underLoad = await processMetrics(server, { resetEventLoopDelay: true });
    peak.rss = Math.max(peak.rss, underLoad.rssBytes);
    peak.heap = Math.max(peak.heap, underLoad.heapUsedBytes);

    const afterWithCache = await processMetrics(server, { collectGarbage: true });
    // Changed bounds empty the response cache, which by design contains every answer of the load.
    await server.connection.sendRequest(configureRequest, { profiles, network: { maxConnectionsPerOrigin: 1024 }, cache: { maxBytes: 32 * 1048576 + 1, ttlMs: 30 * 60_000 } });
    const afterEmptied = await processMetrics(server, { collectGarbage: true });

    const failures = outcomes.filter((outcome) => outcome !== 'ok');
    console.log(`\n${streams} concurrent streams through the language server, ${TOKENS} tokens each at ${TOKENS_PER_SECOND} tokens/s, all done in ${(elapsedMs / 1000).toFixed(1)} s`);
    printTable([
      ['moment', 'rss', 'heap used', 'event-loop delay p50', 'p99', 'max'],
      ['baseline after one request, after GC', megabytes(baseline.rssBytes), megabytes(baseline.heapUsedBytes), '', '', ''],
      ['peak during the load (sampled every 250 ms)', megabytes(peak.rss), megabytes(peak.heap), '', '', ''],
      ['end of the load', megabytes(underLoad.rssBytes), megabytes(underLoad.heapUsedBytes), ...delays(underLoad)],
      ['after GC, answers still cached', megabytes(afterWithCache.rssBytes), megabytes(afterWithCache.heapUsedBytes), '', '', ''],
      ['after GC, cache emptied', megabytes(afterEmptied.rssBytes), megabytes(afterEmptied.heapUsedBytes), '', '', ''],
    ]);
    if (failures.length) console.log(`  failures: ${[...new Set(failures)].slice(0, 5).join('; ')}`);

    reportTarget({ scenario: 'concurrency', target: `${streams} concurrent streams all complete and correct`, measured: `${streams - failures.length} of ${streams}`, met: failures.length === 0 });
    reportTarget({ scenario: 'concurrency', target: 'server memory (rss) at most 200 MB', measured: `peak ${megabytes(peak.rss)}`, met: peak.rss <= MEMORY_LIMIT_BYTES });
    const p99 = underLoad.eventLoopDelayMs.p99 ?? Number.NaN;
    reportTarget({ scenario: 'concurrency', target: `event-loop delay p99 under ${EVENT_LOOP_LIMIT_MS} ms`, measured: milliseconds(p99), met: p99 < EVENT_LOOP_LIMIT_MS });
    const growth = afterEmptied.heapUsedBytes - baseline.heapUsedBytes;
    reportTarget({ scenario: 'concurrency', target: 'heap back to baseline afterwards (within 5 MB, cache emptied)', measured: `${growth >= 0 ? '+' : ''}${megabytes(growth)}`, met: growth <= BASELINE_TOLERANCE_BYTES });
  } finally {
    await server.stop();
    await emulator.stop();
  }
}

async function runStream(server: BenchServer, index: number, expected: string): Promise<string> {
  try {
    const { result, events } = await server.chat({ profile: 'bench', messages: [{ role: 'user', content: `Stream number ${index}.` }] });
    if (result.error) return `${result.error.code}: ${result.error.message}`;
    const text = events.map((event) => (event.type === 'text' ? event.text : '')).join('');
    return text === expected ? 'ok' : `answer of ${text.length} characters instead of ${expected.length}`;
  } catch (error) {
    return (error as Error).message;
  }
}

async function processMetrics(server: BenchServer, params: { collectGarbage?: boolean; resetEventLoopDelay?: boolean }): Promise<ProcessMetrics> {
  const metrics = await server.connection.sendRequest(metricsRequest, params);
  if (!metrics.process) throw new Error('switchboard/metrics returned no process figures.');
  return metrics.process;
}

function delays(metrics: ProcessMetrics): string[] {
  const delay = metrics.eventLoopDelayMs;
  return [milliseconds(delay.p50 ?? Number.NaN), milliseconds(delay.p99 ?? Number.NaN), milliseconds(delay.max ?? Number.NaN)];
}
