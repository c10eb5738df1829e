/**
 * Keeps the engine's learned model capabilities in a JSON file, so that a corrective retry
 * learned once is not needed again after a restart. The extension names the folder at
 * initialization (`initializationOptions.storagePath`). Until a folder is set, nothing is read
 * or written, and the memory lives only in the process.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

import type { CapabilitySnapshot, CapabilityStore } from '../engine/capability-memory';
import { keepCopy, removeStaleTemporaryFiles, resolveStorePath, syncFolder } from '../engine/durable-files';
import type { Logger } from '../engine/types';

/** The file's name inside the storage folder. */
export const CAPABILITY_FILE_NAME = 'learned-capabilities.json';

/** Temporary files are named `<file name>.<pid>-<8 hex digits>.tmp`, and the group captures the pid. */
const TEMPORARY_SUFFIX = String.raw`\.(\d+)-[0-9a-f]{8}\.tmp`;

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
   * Returns the saved snapshot, or undefined when there is none. A snapshot of a later version
   * is returned as it is, and the file is left alone, because CapabilityMemory.restore() then
   * stops saving. A file that is not valid JSON, or not a version 1 snapshot, is renamed to
   * `<name>.corrupt-<time>` with a warning. The entries that can still be read from it are
   * written to a fresh file and returned. Rejects with an error that names the file and the
   * fix when the file exists but cannot be read.
   *
   * When the file is a symbolic link, its target is read and replaced, and the link stays.
   */
  async load(): Promise<CapabilitySnapshot | undefined> {
    if (!this.file) return undefined;
    let file: string;
    try {
      file = await resolveStorePath(this.file);
    } catch (error) {
      throw readFailure(this.file, error);
    }
    // A server killed during its first save leaves a temporary file and no file, so this runs first.
    await this.removeStaleTemporaryFiles(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // ENOTDIR: a file is in the way of the folder, so no saved file can exist. The first save reports it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw readFailure(file, error);
    }

    const problem = snapshotProblem(text);
    if (problem === undefined) return JSON.parse(text) as CapabilitySnapshot;
    if (problem.futureVersion) return JSON.parse(text) as CapabilitySnapshot;

    const readable: CapabilitySnapshot = { version: 1, entries: readableEntries(text) };
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await this.enqueue(() => replaceKeepingCopy(file, aside, serialize(readable)));
    } catch (error) {
      // The readable entries still reach the memory, and its next save replaces the damaged file.
      this.logger.warn(`The learned model capabilities in ${file} are ${problem.description}, and moving the file aside failed: ${(error as Error).message}. Using its ${readable.entries.length} readable entries.`);
      return readable;
    }
    this.logger.warn(`The learned model capabilities in ${file} are ${problem.description}; moved the file to ${aside} and kept its ${readable.entries.length} readable entries.`);
    return readable;
  }

  /**
   * Writes the snapshot to a temporary file and renames it over the old one, so a crash never
   * leaves half a file. A symbolic link is followed, so the link stays and its target is replaced.
   */
  save(snapshot: CapabilitySnapshot): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    return this.enqueue(async () => writeAtomically(await resolveStorePath(file), serialize(snapshot)));
  }

  /** Waits for the saves already started, so that a shutdown does not cut one off. */
  flush(): Promise<void> {
    return this.saving;
  }

  /** Deletes the temporary files that stopped servers left beside `file`, and logs each one kept. */
  private async removeStaleTemporaryFiles(file: string): Promise<void> {
    for (const stale of await removeStaleTemporaryFiles(file, TEMPORARY_SUFFIX)) {
      if (stale.removed) {
        this.logger.info(`Removed ${stale.file}, a temporary file left behind by server process ${stale.pid}, which stopped while it saved the learned model capabilities.`);
      } else {
        this.logger.warn(`Kept ${stale.file}, which is named like a temporary file of the learned model capabilities, because ${stale.reason}. Delete it by hand if no Switchboard server uses it.`);
      }
    }
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.saving.then(write, write);
    // A failed save must not stop later ones; CapabilityMemory logs the failure from the returned promise.
    this.saving = next.catch(() => undefined);
    return next;
  }
}

function serialize(snapshot: CapabilitySnapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

/** Says what is wrong with the file's text, or returns undefined for a version 1 snapshot. */
function snapshotProblem(text: string): { description: string; futureVersion: boolean } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { description: `not valid JSON (${(error as Error).message})`, futureVersion: false };
  }
  const snapshot = value as Partial<CapabilitySnapshot> | null;
  if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) return { description: 'not a JSON object', futureVersion: false };
  if (typeof snapshot.version === 'number' && snapshot.version > 1) {
    // A later Switchboard wrote it. It stays as it is, so that the later version still finds its entries.
    return { description: `of version ${snapshot.version}, which this version cannot read`, futureVersion: true };
  }
  if (snapshot.version !== 1 || !Array.isArray(snapshot.entries)) return { description: 'not a version 1 snapshot', futureVersion: false };
  return undefined;
}

/**
 * Returns each entry of the `entries` array that is whole JSON, from a file that is not
 * valid JSON as a whole, such as one cut off or overwritten in the middle. The entries are
 * checked field by field later, by CapabilityMemory.restore().
 */
function readableEntries(text: string): CapabilitySnapshot['entries'] {
  const entries: CapabilitySnapshot['entries'] = [];
  // Containers around the current character: '{' the snapshot, then '[' its entries.
  const open: string[] = [];
  let inString = false;
  let escaped = false;
  let entryStart = -1;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (character === '\\') escaped = true;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') {
      inString = true;
    } else if (character === '{' || character === '[') {
      if (character === '{' && open.length === 2 && open[1] === '[') entryStart = index;
      open.push(character);
    } else if (character === '}' || character === ']') {
      open.pop();
      if (character === '}' && open.length === 2 && entryStart >= 0) {
        const entry = parseJson(text.slice(entryStart, index + 1));
        if (entry !== undefined) entries.push(entry as CapabilitySnapshot['entries'][number]);
        entryStart = -1;
      }
    }
  }
  return entries;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Writes `text` to a temporary file, flushes it, renames it over `file` and flushes the
 * folder, so that after a crash or a power loss the file contains either the old text or
 * the new one, whole.
 *
 * NOTE: several VS Code windows share the folder and each runs its own server. Every write is
 * whole, so the file stays valid, but the last window to learn something wins and entries that
 * only another window learned since its start are dropped.
 */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFlushed(temporary, text);
    await rename(temporary, file);
    await syncFolder(path.dirname(file));
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw writeFailure(file, error);
  }
}

/**
 * Replaces a damaged `file` with `text` and keeps the damaged one as `aside`. The damaged file
 * keeps its name until a rename puts the new text there, so a crash at any step leaves a file.
 */
async function replaceKeepingCopy(file: string, aside: string, text: string): Promise<void> {
  try {
    await keepCopy(file, aside);
  } catch (error) {
    throw writeFailure(aside, error);
  }
  await writeAtomically(file, text);
}

async function writeFlushed(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Returns an error that names the file, gives the reason the read failed and the fix, and keeps the system error as `cause`. */
function readFailure(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = (error as Error)?.message ?? String(error);
  let reason = detail;
  if (code === 'EACCES' || code === 'EPERM') reason = `the file is not readable (${detail}); give the user running VS Code read and write access to it`;
  else if (code === 'EISDIR') reason = `a folder has the file's name (${detail}); move that folder away`;
  return new Error(`reading ${file} failed: ${reason}`, { cause: error });
}

/** Returns an error that names the file and gives the reason the write failed, keeping the system error as `cause`. */
function writeFailure(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = (error as Error)?.message ?? String(error);
  let reason = detail;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') reason = `the disk is full or the file size limit is reached (${detail}); free some space`;
  else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') reason = `the folder is read-only or not writable (${detail}); make it writable`;
  return new Error(`writing ${file} failed: ${reason}`, { cause: error });
}
