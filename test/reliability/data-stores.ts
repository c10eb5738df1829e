/**
 * The persisted stores that the data tests crash, opened the way the product opens them, and
 * the numbered records they write. The writer process (data-writer.ts) and the checks in
 * data.test.ts share this module, so both agree on what record number `n` contains.
 */

import { CapabilityMemory } from '../../src/engine/capability-memory';
import type { Logger } from '../../src/engine/types';
import { RECORD_VERSION, type FormFeedback } from '../../src/extension/feedback/feedback-record';
import { DELIVERY_FILE, FEEDBACK_FILE, FeedbackStore } from '../../src/extension/feedback/feedback-store';
import { CAPABILITY_FILE_NAME, CapabilityFile } from '../../src/server/capability-file';

export const STORE_KINDS = ['feedback', 'delivery', 'capabilities'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The file each store writes inside its folder. */
export const STORE_FILES: Record<StoreKind, string> = {
  feedback: FEEDBACK_FILE,
  delivery: DELIVERY_FILE,
  capabilities: CAPABILITY_FILE_NAME,
};

/** Server of every learned entry; entry `n` is for model `model-n`. */
export const CAPABILITY_BASE_URL = 'http://127.0.0.1:9/v1';

/**
 * Entries the test memories keep. The product keeps 500; more are kept here, so that a record
 * missing after a crash is a loss and never an eviction of the least recently used entry.
 */
export const TEST_MAX_ENTRIES = 100_000;

/** Feedback record number `n`; `messageLength` pads the message, to make lines long. */
export function feedbackRecord(n: number, messageLength = 0): FormFeedback {
  return {
    v: RECORD_VERSION,
    type: 'form',
    id: `record-${n}`,
    createdAt: '2026-01-01T12:00:00.000Z',
    extensionVersion: '0.1.0',
    kind: 'bug',
    rating: 1 + (n % 5),
    message: `message ${n} ${'x'.repeat(messageLength)}`,
  };
}

/** Returns the number in a record id or model name such as `record-12` or `model-12`, or NaN. */
export function numberOf(name: string): number {
  const match = /^(?:record|model)-(\d+)$/.exec(name);
  return match ? Number(match[1]) : Number.NaN;
}

/** One store opened as the product opens it. */
export interface OpenedStore {
  /**
   * Writes record `n` and resolves once the store acknowledged it, or rejects when the write
   * failed. `padding` makes the record that many characters longer.
   */
  write(n: number, padding?: number): Promise<void>;
}

/**
 * Opens a store. The capability store restores the saved memory first, as the language
 * server does at initialization, so that later saves contain what earlier runs learned.
 */
export async function openStore(kind: StoreKind, folder: string, logger: Logger): Promise<OpenedStore & { memory?: CapabilityMemory; file?: CapabilityFile }> {
  if (kind === 'feedback') {
    const store = new FeedbackStore(folder, logger);
    return { write: (n, padding) => store.add(feedbackRecord(n, padding)) };
  }
  if (kind === 'delivery') {
    const store = new FeedbackStore(folder, logger);
    return { write: (n) => store.setStatus(`record-${n}`, 'delivered', { attempts: n + 1 }) };
  }
  const file = new CapabilityFile(logger);
  file.useFolder(folder);
  // CapabilityMemory logs a failed save and returns nothing, so the last save is kept to await it.
  let lastSave: Promise<void> = Promise.resolve();
  const save = file.save.bind(file);
  file.save = (snapshot) => (lastSave = save(snapshot));
  const memory = new CapabilityMemory({ store: file, logger, maxEntries: TEST_MAX_ENTRIES });
  await memory.restore();
  return {
    memory,
    file,
    write: async (n, padding = 0) => {
      const model = padding > 0 ? `model-${n}-${'x'.repeat(padding)}` : `model-${n}`;
      memory.learn(CAPABILITY_BASE_URL, model, { contextTokens: n + 1 });
      // learn() starts the save on the next microtask.
      await new Promise((resolve) => setImmediate(resolve));
      await lastSave;
    },
  };
}
