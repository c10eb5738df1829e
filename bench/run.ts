/**
 * `npm run bench`: measures Switchboard against a reference in the same run, on loopback
 * against the emulator, and prints ratios with the machine, Node version and command.
 *
 * Scenario "streaming overhead": a 1,000-token answer streamed at the emulator's full speed,
 * read to its end (a) with a raw undici request and a minimal SSE split, the physical limit,
 * and (b) through Switchboard's engine (SDK, network layer, SSE parser, event conversion).
 */

import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

import { Engine } from '../src/engine/engine';
import { Emulator } from '../test/emulator/emulator';

const TOKENS = 1000;
const WARMUP = 20;
const ROUNDS = Number(process.env.SWITCHBOARD_BENCH_ROUNDS ?? 200);

interface Sample {
  firstTokenMs: number;
  totalMs: number;
  tokens: number;
}

async function main(): Promise<void> {
  printMachine();
  const answer = Array.from({ length: TOKENS }, (_, index) => `word${index % 50}`).join(' ');
  const emulator = await Emulator.start({ answer });
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const engine = new Engine();
  await engine.configure({ profiles: [{ name: 'bench', preset: 'ollama', baseUrl: `${emulator.url}/v1`, model: 'llama3.2' }] });
  try {
    const body = JSON.stringify({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'Count.' }] });
    const raw = () => rawStream(agent, `${emulator.url}/v1/chat/completions`, body);
    const viaEngine = () => engineStream(engine);
    await checkSameAnswer(raw, viaEngine);
    for (let round = 0; round < WARMUP; round++) {
      await raw();
      await viaEngine();
    }
    const rawSamples: Sample[] = [];
    const engineSamples: Sample[] = [];
    // Alternating rounds spread drift in machine load evenly over both sides.
    for (let round = 0; round < ROUNDS; round++) {
      rawSamples.push(await raw());
      engineSamples.push(await viaEngine());
    }
    report('Streaming, 1,000 tokens, HTTP loopback', rawSamples, engineSamples);
  } finally {
    await engine.close();
    await agent.close();
    await emulator.stop();
  }
}

async function rawStream(agent: Agent, url: string, body: string): Promise<Sample> {
  const started = performance.now();
  let firstTokenMs = 0;
  let tokens = 0;
  const response = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/"content":"[^"]/.test(event) && tokens++ === 0) firstTokenMs = performance.now() - started;
      end = buffer.indexOf('\n\n');
    }
  }
  return { firstTokenMs, totalMs: performance.now() - started, tokens };
}

async function engineStream(engine: Engine): Promise<Sample> {
  const started = performance.now();
  let firstTokenMs = 0;
  let tokens = 0;
  for await (const event of engine.chat({ profile: 'bench', messages: [{ role: 'user', content: 'Count.' }] })) {
    if (event.type === 'text' && tokens++ === 0) firstTokenMs = performance.now() - started;
    if (event.type === 'error') throw new Error(`${event.error.code}: ${event.error.message}`);
  }
  return { firstTokenMs, totalMs: performance.now() - started, tokens };
}

/** Fails the run when the two paths do not deliver the same number of tokens. */
async function checkSameAnswer(raw: () => Promise<Sample>, viaEngine: () => Promise<Sample>): Promise<void> {
  const [reference, subject] = [await raw(), await viaEngine()];
  if (reference.tokens !== subject.tokens || subject.tokens < 2) {
    throw new Error(`The raw request read ${reference.tokens} tokens but the engine read ${subject.tokens}; the comparison would be unfair.`);
  }
}

function report(title: string, reference: Sample[], subject: Sample[]): void {
  const row = (name: string, pick: (sample: Sample) => number) => {
    const base = percentile(reference.map(pick), 50);
    const value = percentile(subject.map(pick), 50);
    const base99 = percentile(reference.map(pick), 99);
    const value99 = percentile(subject.map(pick), 99);
    console.log(
      `  ${name.padEnd(22)} raw undici p50 ${base.toFixed(2)} ms, p99 ${base99.toFixed(2)} ms | Switchboard p50 ${value.toFixed(2)} ms, p99 ${value99.toFixed(2)} ms | ratio p50 ${(value / base).toFixed(2)}x, overhead ${(value - base).toFixed(2)} ms`,
    );
  };
  console.log(`\n${title} (${subject.length} rounds each, alternating)`);
  row('time to first token', (sample) => sample.firstTokenMs);
  row('time to last token', (sample) => sample.totalMs);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function printMachine(): void {
  const cpu = cpus();
  console.log(`Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`Command: npm run bench (SWITCHBOARD_BENCH_ROUNDS=${ROUNDS})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
