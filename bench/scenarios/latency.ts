/**
 * Scenario 1, non-streaming latency: one short chat completion (a 5-token answer) per request,
 * sequential on a warm connection, over HTTP and HTTPS. Clients take turns round by round, so
 * drift in the machine's load spreads evenly over all of them.
 */

import { EmulatorProcess } from '../support/emulator-process';
import { allClients, type BenchClient } from '../support/clients';
import { benchTls, reportTarget, rounds } from '../support/environment';
import { loadPeers } from '../support/peers';
import { distribution, milliseconds, printTable, ratio, type Distribution } from '../support/stats';

const WARMUP_ROUNDS = 30;

export async function runLatency(): Promise<void> {
  const peers = await loadPeers();
  const tls = benchTls();
  for (const secure of [false, true]) {
    const emulator = await EmulatorProcess.start({ tls: secure });
    const clients = await allClients({ url: emulator.url, caPem: secure ? tls.caPem : undefined, caFile: secure ? tls.caFile : undefined }, peers);
    try {
      const results = await measure(clients, rounds(300, 40));
      printResults(secure ? 'HTTPS' : 'HTTP', clients, results);
    } finally {
      for (const client of clients) await client.close();
      await emulator.stop();
    }
  }
}

async function measure(clients: BenchClient[], count: number): Promise<Distribution[]> {
  const samples: number[][] = clients.map(() => []);
  for (let round = -WARMUP_ROUNDS; round < count; round++) {
    for (const [index, client] of clients.entries()) {
      // Each request differs, so no client (nor Switchboard's response cache) can reuse an answer.
      const prompt = `Say hello, round ${round}.`;
      const started = performance.now();
      const text = await client.complete(prompt);
      const elapsed = performance.now() - started;
      if (!text) throw new Error(`${client.name} returned an empty answer.`);
      if (round >= 0) samples[index]!.push(elapsed);
    }
  }
  return samples.map(distribution);
}

function printResults(protocol: string, clients: BenchClient[], results: Distribution[]): void {
  const reference = results[0]!;
  console.log(`\nNon-streaming latency, 5-token answer, ${protocol} loopback, ${reference.count} requests each (alternating)`);
  printTable([
    ['client', 'p50', 'p99', 'p50 vs raw', 'p99 vs raw'],
    ...clients.map((client, index) => [client.name, milliseconds(results[index]!.p50), milliseconds(results[index]!.p99), ratio(results[index]!.p50, reference.p50), ratio(results[index]!.p99, reference.p99)]),
  ]);
  const switchboard = results[1]!;
  const peers = results.slice(2);
  reportTarget({
    scenario: 'latency',
    target: `${protocol}: Switchboard p50 and p99 within 10% of raw undici`,
    measured: `p50 ${ratio(switchboard.p50, reference.p50)}, p99 ${ratio(switchboard.p99, reference.p99)}`,
    met: switchboard.p50 <= reference.p50 * 1.1 && switchboard.p99 <= reference.p99 * 1.1,
  });
  const fastestPeer = Math.min(...peers.map((peer) => peer.p50));
  reportTarget({
    scenario: 'latency',
    target: `${protocol}: Switchboard p50 no slower than any peer`,
    measured: `${milliseconds(switchboard.p50)} vs fastest peer ${milliseconds(fastestPeer)}`,
    met: switchboard.p50 <= fastestPeer,
  });
}
