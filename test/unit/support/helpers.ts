/** Small helpers shared by the unit tests: byte sources, collectors and a logger that records lines. */

import type { ErrorData } from '../../../src/engine/errors';
import type { ChatEvent, Logger } from '../../../src/engine/types';

/** Yields each part as one read, the way a response body arrives in separate network reads. */
export async function* readsOf(parts: ReadonlyArray<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
  }
}

/** Splits bytes at the given offsets (sorted, each between 1 and length - 1). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    parts.push(bytes.subarray(start, offset));
    start = offset;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Runs an async iterable to its end and returns what it yielded and what it threw. */
export async function collectUntilError<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items };
}

/** The response text: every `text` event joined. */
export function answerText(events: readonly ChatEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}

export function reasoningText(events: readonly ChatEvent[]): string {
  return events.map((event) => (event.type === 'reasoning' ? event.text : '')).join('');
}

/** The error of the final `error` event, or undefined when the response ended normally. */
export function errorOf(events: readonly ChatEvent[]): ErrorData | undefined {
  const last = events[events.length - 1];
  return last?.type === 'error' ? last.error : undefined;
}

export function eventsOfType<K extends ChatEvent['type']>(events: readonly ChatEvent[], type: K): Extract<ChatEvent, { type: K }>[] {
  return events.filter((event): event is Extract<ChatEvent, { type: K }> => event.type === type);
}

export interface RecordingLogger extends Logger {
  /** Every line logged, prefixed with its level, such as `warn: …`. */
  readonly lines: string[];
}

/** Creates a logger that keeps each line with its details, to check what reaches the log. */
export function createRecordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (message: string, ...details: unknown[]) => {
      const rest = details.map((detail) => (typeof detail === 'string' ? detail : JSON.stringify(detail))).join(' ');
      lines.push(`${level}: ${message}${rest ? ` ${rest}` : ''}`);
    };
  return { lines, error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') };
}
