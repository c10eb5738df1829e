/**
 * Scenario 2, streaming: a 1,000-token answer sent by the emulator at full speed, read to its
 * end. Reports the time to the first token, the time to the last, the cost per token after the
 * first, and the throughput, over HTTP and HTTPS, clients taking turns round by round.
 */

import { EmulatorProcess } from '../support/emulator-process';
import { allClients, type BenchClient } from '../support/clients';
import { benchTls, reportTarget, rounds } from '../support/environment';
import { loadPeers } from '../support/peers';
import { distribution, milliseconds, printTable, ratio, type Distribution } from '../support/stats';

const TOKENS = 1000;
const WARMUP_ROUNDS = 10;

interface StreamFigures {
  firstToken: Distribution;
  total: Distribution;
  /** Microseconds per token after the first, at the median. */
  perTokenMicroseconds: number;
  tokensPerSecond: number;
}

export async function runStreaming(): Promise<void> {
  const peers = await loadPeers();
  const tls = benchTls();
  const answer = Array.from({ length: TOKENS }, (_, index) => `word${index % 50}`).join(' ');
  for (const secure of [false, true]) {
    const emulator = await EmulatorProcess.start({ answer, tls: secure });
    const clients = await allClients({ url: emulator.url, caPem: secure ? tls.caPem : undefined, caFile: secure ? tls.caFile : undefined }, peers);
    try {
      const figures = await measure(clients, rounds(100, 20));
      printResults(secure ? 'HTTPS' : 'HTTP', clients, figures);
    } finally {
      for (const client of clients) await client.close();
      await emulator.stop();
    }
  }
}

async function measure(clients: BenchClient[], count: number): Promise<StreamFigures[]> {
  const firstTokens: number[][] = clients.map(() => []);
  const totals: number[][] = clients.map(() => []);
  for (let round = -WARMUP_ROUNDS; round < count; round++) {
    for (const [index, client] of clients.entries()) {
      const started = performance.now();
      let firstToken = 0;
      const pieces = await client.stream(`Count, round ${round}.`, () => {
        firstToken ||= performance.now() - started;
      });
      const total = performance.now() - started;
      if (pieces !== TOKENS) throw new Error(`${client.name} read ${pieces} pieces of text instead of ${TOKENS}.`);
      if (round >= 0) {
        firstTokens[index]!.push(firstToken);
        totals[index]!.push(total);
      }
    }
  }
  return clients.map((_, index) => {
    const firstToken = distribution(firstTokens[index]!);
    const total = distribution(totals[index]!);
    return { firstToken, total, perTokenMicroseconds: ((total.p50 - firstToken.p50) / (TOKENS - 1)) * 1000, tokensPerSecond: TOKENS / (total.p50 / 1000) };
  });
}

function printResults(protocol: string, clients: BenchClient[], figures: StreamFigures[]): void {
  const reference = figures[0]!;
  console.log(`\nStreaming, ${TOKENS} tokens at full speed, ${protocol} loopback, ${reference.total.count} answers each (alternating)`);
  printTable([
    ['client', 'first token p50', 'first token vs raw', 'last token p50', 'per token', 'tokens/s', 'throughput vs raw'],
    ...clients.map((client, index) => {
      const own = figures[index]!;
      return [
        client.name,
        milliseconds(own.firstToken.p50),
        `${own.firstToken.p50 - reference.firstToken.p50 >= 0 ? '+' : ''}${milliseconds(own.firstToken.p50 - reference.firstToken.p50)}`,
        milliseconds(own.total.p50),
        `${own.perTokenMicroseconds.toFixed(1)} µs`,
        own.tokensPerSecond.toFixed(0),
        ratio(own.tokensPerSecond, reference.tokensPerSecond),
      ];
    }),
  ]);
  const switchboard = figures[1]!;
  const overhead = switchboard.firstToken.p50 - reference.firstToken.p50;
  reportTarget({ scenario: 'streaming', target: `${protocol}: first-token overhead over raw undici under 1 ms`, measured: milliseconds(overhead), met: overhead < 1 });
  const bestPeer = Math.max(...figures.slice(2).map((peer) => peer.tokensPerSecond));
  reportTarget({
    scenario: 'streaming',
    target: `${protocol}: Switchboard throughput no lower than any peer`,
    measured: `${switchboard.tokensPerSecond.toFixed(0)} tokens/s vs best peer ${bestPeer.toFixed(0)}`,
    met: switchboard.tokensPerSecond >= bestPeer,
  });
}
