/**
 * Scenario 3, connection reuse: sequential short HTTPS requests to one origin, on a pooled
 * keep-alive connection and on a new connection (TCP and TLS handshakes) for every request.
 */

import { Agent } from 'undici';

import { EmulatorProcess } from '../support/emulator-process';
import { continueAdapters, openAiSdk, rawUndici, switchboard, vercelAi, type BenchClient, type ClientTarget } from '../support/clients';
import { benchTls, reportTarget, rounds } from '../support/environment';
import { loadPeers } from '../support/peers';
import { distribution, milliseconds, printTable, ratio, type Distribution } from '../support/stats';

const WARMUP_ROUNDS = 20;

/** A client kept across requests, or a new client (so a new connection) for every request. */
type Variant = { name: string; client: BenchClient } | { name: string; create: () => Promise<BenchClient> };

const pooled = (client: BenchClient, name = `${client.name}, pooled`): Variant => ({ name, client });
const fresh = (name: string, create: () => Promise<BenchClient>): Variant => ({ name: `${name}, new connection each time`, create });

export async function runPooling(): Promise<void> {
  const peers = await loadPeers();
  const tls = benchTls();
  const emulator = await EmulatorProcess.start({ tls: true });
  const target: ClientTarget = { url: emulator.url, caPem: tls.caPem, caFile: tls.caFile };
  const variants: Variant[] = [
    pooled(rawUndici(target)),
    fresh('raw undici', async () => rawUndici(target, new Agent({ connect: { ca: tls.caPem } }))),
    pooled(await switchboard(target)),
    fresh('Switchboard', () => switchboard(target)),
    pooled(openAiSdk(target, peers)),
    // Continue's provider layer creates a new agent, so a new connection, for every request.
    pooled(continueAdapters(target, peers), `${continueAdapters(target, peers).name}, as shipped`),
    pooled(vercelAi(target, peers)),
  ];
  try {
    const results = await measure(variants, rounds(200, 30));
    printResults(variants, results);
  } finally {
    for (const variant of variants) if ('client' in variant) await variant.client.close();
    await emulator.stop();
  }
}

async function measure(variants: Variant[], count: number): Promise<Distribution[]> {
  const samples: number[][] = variants.map(() => []);
  for (let round = -WARMUP_ROUNDS; round < count; round++) {
    for (const [index, variant] of variants.entries()) {
      const prompt = `Say hello, round ${round}.`;
      const elapsed = 'client' in variant ? await time(() => variant.client.complete(prompt)) : await timeFresh(variant.create, prompt);
      if (round >= 0) samples[index]!.push(elapsed);
      // A user's requests come apart; this also lets undici return the connection to its pool.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  return samples.map(distribution);
}

async function time(send: () => Promise<string>): Promise<number> {
  const started = performance.now();
  const text = await send();
  if (!text) throw new Error('A request returned an empty answer.');
  return performance.now() - started;
}

/** Times one request of a new client; the client's set-up is not timed. */
async function timeFresh(create: () => Promise<BenchClient>, prompt: string): Promise<number> {
  const client = await create();
  try {
    return await time(() => client.complete(prompt));
  } finally {
    await client.close();
  }
}

function printResults(variants: Variant[], results: Distribution[]): void {
  console.log(`\nSequential HTTPS requests to one origin, 5-token answers, ${results[0]!.count} requests each (alternating)`);
  printTable([['client', 'p50', 'p99', 'p50 vs raw pooled'], ...variants.map((variant, index) => [variant.name, milliseconds(results[index]!.p50), milliseconds(results[index]!.p99), ratio(results[index]!.p50, results[0]!.p50)])]);
  const [rawPooled, rawFresh, switchboardPooled, switchboardFresh, ...peerResults] = results as [Distribution, Distribution, Distribution, Distribution, ...Distribution[]];
  console.log(`  pooled / new connection: raw undici ${ratio(rawPooled.p50, rawFresh.p50)}, Switchboard ${ratio(switchboardPooled.p50, switchboardFresh.p50)}`);
  const fastestPeer = Math.min(...peerResults.map((peer) => peer.p50));
  reportTarget({
    scenario: 'pooling',
    target: 'HTTPS: Switchboard pooled p50 no worse than any peer',
    measured: `${milliseconds(switchboardPooled.p50)} vs fastest peer ${milliseconds(fastestPeer)}`,
    met: switchboardPooled.p50 <= fastestPeer,
  });
}
