/**
 * Keeps the engine's learned model capabilities in a JSON file, so that a corrective retry
 * learned once is not needed again after a restart. The extension names the folder at
 * initialization (`initializationOptions.storagePath`). Until a folder is set, nothing is read
 * or written, and the memory lives only in the process.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import type { CapabilitySnapshot, CapabilityStore } from '../engine/capability-memory';
import type { Logger } from '../engine/types';

/** The file's name inside the storage folder. */
export const CAPABILITY_FILE_NAME = 'learned-capabilities.json';

export class CapabilityFile implements CapabilityStore {
  private file: string | undefined;
  /** Saves run one after another, so an older snapshot never replaces a newer one. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly logger: Logger) {}

  /** The file in use, or undefined while the memory is not persisted. */
  get path(): string | undefined {
    return this.file;
  }

  /** Persists from now on into `folder`, which is created on the first save. */
  useFolder(folder: string): void {
    this.file = path.join(folder, CAPABILITY_FILE_NAME);
  }

  /**
   * Returns the saved snapshot, or undefined when there is none. A file that is not valid JSON
   * is renamed to `<name>.corrupt-<time>` with a warning, so the next save starts a fresh one
   * and the damaged file can still be inspected.
   */
  async load(): Promise<CapabilitySnapshot | undefined> {
    const file = this.file;
    if (!file) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as CapabilitySnapshot;
    } catch (error) {
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(file, aside);
      this.logger.warn(`The learned model capabilities in ${file} are not valid JSON (${(error as Error).message}); moved the file to ${aside} and starting empty.`);
      return undefined;
    }
  }

  /** Writes the snapshot to a temporary file and renames it over the old one, so a crash never leaves half a file. */
  save(snapshot: CapabilitySnapshot): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const write = () => writeAtomically(file, `${JSON.stringify(snapshot, null, 2)}\n`);
    const next = this.saving.then(write, write);
    // A failed save must not stop later ones; CapabilityMemory logs the failure from the returned promise.
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** Waits for the saves already started, so that a shutdown does not cut one off. */
  flush(): Promise<void> {
    return this.saving;
  }
}

/**
 * NOTE: several VS Code windows share the folder and each runs its own server. Every write is
 * whole, so the file stays valid, but the last window to learn something wins and entries that
 * only another window learned since its start are dropped.
 */
async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
