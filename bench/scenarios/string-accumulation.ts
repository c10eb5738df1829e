/**
 * Whether the engine's `produced += text` (the partial text kept for a failed stream) costs
 * more than collecting the pieces in an array and joining them once, for long answers.
 */

import { rounds } from '../support/environment';
import { distribution, milliseconds, printTable } from '../support/stats';

const SIZES = [1_000, 100_000];

export async function runStringAccumulation(): Promise<void> {
  const count = rounds(50, 10);
  const rows: string[][] = [['tokens', 'string +=', 'array push and join']];
  for (const size of SIZES) {
    const pieces = Array.from({ length: size }, (_, index) => ` word${index % 50}`);
    const concatenated = distribution(repeat(count, () => concatenate(pieces)));
    const joined = distribution(repeat(count, () => join(pieces)));
    rows.push([String(size), milliseconds(concatenated.p50), milliseconds(joined.p50)]);
  }
  console.log(`\nAccumulating streamed text, each way read once at the end, ${count} runs each (p50)`);
  printTable(rows);
}

function repeat(count: number, work: () => number): number[] {
  const samples: number[] = [];
  for (let round = 0; round < count; round++) {
    const started = performance.now();
    if (work() < 0) throw new Error('unreachable');
    samples.push(performance.now() - started);
  }
  return samples;
}

function concatenate(pieces: readonly string[]): number {
  let text = '';
  for (const piece of pieces) text += piece;
  // Reading a character flattens V8's rope into one string, as `partialText` would.
  return text.charCodeAt(text.length - 1);
}

function join(pieces: readonly string[]): number {
  const parts: string[] = [];
  for (const piece of pieces) parts.push(piece);
  const text = parts.join('');
  return text.charCodeAt(text.length - 1);
}
