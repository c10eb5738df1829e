/**
 * Scenario 4, cache hit end to end: the language server (dist/server.js over stdio, JSON-RPC
 * as an editor sends it) answers a repeated chat request from its response cache. The time runs
 * from sending the request to its result, with every event delivered as progress before it.
 */

import { listProfilesRequest, configureRequest } from '../../src/protocol/protocol';
import { EmulatorProcess } from '../support/emulator-process';
import { reportTarget, rounds } from '../support/environment';
import { startServer, type BenchServer } from '../support/language-server';
import { distribution, milliseconds, printTable } from '../support/stats';

const LONG_ANSWER_TOKENS = 1000;

export async function runCacheHit(): Promise<void> {
  const long = Array.from({ length: LONG_ANSWER_TOKENS }, (_, index) => `word${index % 50}`).join(' ');
  const emulator = await EmulatorProcess.start();
  const server = await startServer();
  try {
    await server.connection.sendRequest(configureRequest, { profiles: [{ name: 'bench', kind: 'openai-compatible', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }] });
    const count = rounds(1000, 100);
    const floor = await timeRoundTrips(count, () => server.connection.sendRequest(listProfilesRequest, {}));
    const short = await timeHits(server, 'Say hello.', count);
    await emulator.script({ answer: long });
    const longHits = await timeHits(server, 'Count.', count);

    console.log(`\nCache hit through the language server (stdio JSON-RPC), ${count} requests each`);
    printTable([
      ['request', 'p50', 'p99'],
      ['JSON-RPC round trip (switchboard/listProfiles)', milliseconds(floor.p50), milliseconds(floor.p99)],
      ['cache hit, 5-token answer', milliseconds(short.p50), milliseconds(short.p99)],
      [`cache hit, ${LONG_ANSWER_TOKENS}-token answer`, milliseconds(longHits.p50), milliseconds(longHits.p99)],
    ]);
    reportTarget({ scenario: 'cache-hit', target: 'cache hit p50 under 2 ms (5-token answer)', measured: milliseconds(short.p50), met: short.p50 < 2 });
    reportTarget({ scenario: 'cache-hit', target: `cache hit p50 under 2 ms (${LONG_ANSWER_TOKENS}-token answer)`, measured: milliseconds(longHits.p50), met: longHits.p50 < 2 });
  } finally {
    await server.stop();
    await emulator.stop();
  }
}

/** Sends the question once (a miss) and then `count` times from the cache, checking each answer. */
async function timeHits(server: BenchServer, question: string, count: number) {
  const request = { profile: 'bench', messages: [{ role: 'user' as const, content: question }] };
  const miss = await server.chat(request);
  const expected = text(miss.events);
  if (miss.result.error || !expected) throw new Error(`The first request failed: ${JSON.stringify(miss.result.error)}`);
  return timeRoundTrips(count, async () => {
    const hit = await server.chat(request);
    if (hit.result.cached !== true || text(hit.events) !== expected) throw new Error('A repeated request was not answered from the cache with the same text.');
  });
}

async function timeRoundTrips(count: number, send: () => Promise<unknown>) {
  const samples: number[] = [];
  for (let round = -50; round < count; round++) {
    const started = performance.now();
    await send();
    if (round >= 0) samples.push(performance.now() - started);
  }
  return distribution(samples);
}

function text(events: Array<{ type: string; text?: string }>): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}
