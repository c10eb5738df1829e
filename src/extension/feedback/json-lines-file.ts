/**
 * An append-only file of JSON lines that survives a crash at any moment. Each append is
 * one write of one whole line followed by fsync, so after a crash the file contains every
 * acknowledged line plus at most one torn last line. An append that fails, as on a full
 * disk, is cut off again and rejects with an error that names the file. Reading skips a torn
 * last line and cuts it off. A file with a damaged line elsewhere is moved aside, and its
 * readable lines are kept. Pure Node, so unit tests run it without VS Code.
 */

import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { keepCopy, removeStaleTemporaryFiles, resolveStorePath, syncFolder } from '../../engine/durable-files';
import type { Logger } from '../../engine/types';
import { l10n } from '../l10n';

const NEWLINE = 0x0a;

export interface LoadResult<T> {
  records: T[];
  /** Bytes of an incomplete last line that was skipped and cut off, 0 when there was none. */
  tornBytes: number;
  /** Lines that were not JSON or not of the expected shape. */
  damagedLines: number;
  /** The path the damaged file was moved to, when it had damaged lines. */
  movedAsideTo?: string;
}

/** The fresh file that replaces a damaged one is named `<name>.tmp-<pid>`, and the group captures the pid. */
const TEMPORARY_SUFFIX = String.raw`\.tmp-(\d+)`;

export class JsonLinesFile<T> {
  /** Serializes appends and loads in this process; another window's writes are only whole lines. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param parse returns the record for a parsed JSON value, or undefined when its shape is wrong.
   */
  constructor(
    readonly file: string,
    private readonly parse: (value: unknown) => T | undefined,
    private readonly log: Logger,
  ) {}

  /** Appends one record as one line and returns once the line is flushed to disk. */
  append(record: T): Promise<void> {
    return this.enqueue(() => this.appendNow(record));
  }

  /** Reads every record, repairing a torn last line and moving a damaged file aside. */
  load(): Promise<LoadResult<T>> {
    return this.enqueue(() => this.loadNow());
  }

  private enqueue<R>(work: () => Promise<R>): Promise<R> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async appendNow(record: T): Promise<void> {
    const directory = path.dirname(this.file);
    try {
      await fs.mkdir(directory, { recursive: true });
      const created = !(await exists(this.file));
      await appendLine(this.file, JSON.stringify(record));
      if (created) await syncFolder(directory);
    } catch (error) {
      throw writeFailure(this.file, error);
    }
  }

  /** Reads the file. When it is a symbolic link, the target is read, repaired and replaced, and the link stays. */
  private async loadNow(): Promise<LoadResult<T>> {
    const file = await resolveStorePath(this.file);
    await this.removeStaleTemporaryFiles(file);

    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], tornBytes: 0, damagedLines: 0 };
      throw error;
    }

    const { complete, tornBytes } = await this.repairLastLine(file, bytes);
    const { records, damagedLines } = this.parseLines(complete.toString('utf8'));
    if (damagedLines === 0) return { records, tornBytes, damagedLines };

    const movedAsideTo = await this.replaceDamagedFile(file, records);
    this.log.warn(`Feedback store: ${file} had ${damagedLines} damaged line(s). It was moved to ${movedAsideTo}, and its ${records.length} readable record(s) were kept.`);
    return { records, tornBytes, damagedLines, movedAsideTo };
  }

  /** Deletes the temporary files that stopped processes left beside `file`, and logs each one kept. */
  private async removeStaleTemporaryFiles(file: string): Promise<void> {
    for (const stale of await removeStaleTemporaryFiles(file, TEMPORARY_SUFFIX)) {
      if (stale.removed) this.log.info(`Feedback store: removed ${stale.file}, left behind by process ${stale.pid}, which stopped while it wrote the file.`);
      else this.log.warn(`Feedback store: kept ${stale.file}, which is named like a temporary file of the store, because ${stale.reason}. Delete it by hand if no VS Code window uses it.`);
    }
  }

  /**
   * Handles a last line without its newline. A torn line is cut off. A whole record that only
   * lacks its newline was cut by damage, not by a crash during an append (an append writes
   * the newline in the same write), so it gets its newline and is kept. Returns the bytes up
   * to the last newline after the repair.
   */
  private async repairLastLine(file: string, bytes: Buffer): Promise<{ complete: Buffer; tornBytes: number }> {
    const end = bytes.lastIndexOf(NEWLINE) + 1;
    const tornBytes = bytes.length - end;
    if (tornBytes === 0) return { complete: bytes, tornBytes };

    if (this.parseLine(bytes.subarray(end).toString('utf8')) !== undefined && (await appendNewlineIfUnchanged(file, bytes.length))) {
      this.log.warn(`Feedback store: the last line of ${file} lacked its newline; the newline was added.`);
      return { complete: Buffer.concat([bytes, Buffer.from('\n')]), tornBytes: 0 };
    }
    const removed = await truncateIfUnchanged(file, bytes.length, end);
    this.log.warn(`Feedback store: the last line of ${file} is incomplete (${tornBytes} bytes), probably from a write interrupted by a crash; it was skipped${removed ? ' and removed' : ''}.`);
    return { complete: bytes.subarray(0, end), tornBytes };
  }

  private parseLines(text: string): { records: T[]; damagedLines: number } {
    const records: T[] = [];
    let damagedLines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const record = this.parseLine(line);
      if (record === undefined) damagedLines += 1;
      else records.push(record);
    }
    return { records, damagedLines };
  }

  private parseLine(line: string): T | undefined {
    try {
      return this.parse(JSON.parse(line));
    } catch {
      return undefined;
    }
  }

  /**
   * Moves the file aside under a new name and writes the readable records to a fresh file in
   * its place. A line that another window appends during the move stays in the moved copy.
   * The fresh file is complete on disk before the damaged one leaves its name, so a crash at
   * any step leaves either the old file or the fresh one under the store's name, never none.
   */
  private async replaceDamagedFile(file: string, records: readonly T[]): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const movedAsideTo = `${file}.damaged-${stamp}`;
    const temporary = `${file}.tmp-${process.pid}`;
    const handle = await fs.open(temporary, 'w');
    try {
      await handle.writeFile(records.map((record) => `${JSON.stringify(record)}\n`).join(''), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await keepCopy(file, movedAsideTo);
    await fs.rename(temporary, file);
    await syncFolder(path.dirname(file));
    return movedAsideTo;
  }
}

/**
 * Writes one line with the O_APPEND flag and flushes it. When the write or the flush fails,
 * as on a full disk, the part already written is cut off again, so no torn line is left.
 */
async function appendLine(file: string, json: string): Promise<void> {
  const handle = await fs.open(file, 'a+');
  try {
    const sizeBefore = (await handle.stat()).size;
    // A line torn by another window's crash would swallow this one, so it is ended first.
    const prefix = (await endsWithNewline(handle)) ? '' : '\n';
    const line = Buffer.from(`${prefix}${json}\n`, 'utf8');
    try {
      await handle.writeFile(line);
      await handle.sync();
    } catch (error) {
      await cutPartialAppend(handle, sizeBefore, line.length);
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Cuts a failed append back to the size before it, unless the file grew by more than the
 * line, because then another window appended after it.
 */
async function cutPartialAppend(handle: fs.FileHandle, sizeBefore: number, lineLength: number): Promise<void> {
  try {
    const { size } = await handle.stat();
    if (size > sizeBefore && size <= sizeBefore + lineLength) await handle.truncate(sizeBefore);
  } catch {
    // The caller reports the write failure. A torn line left here is cut on the next load.
  }
}

/**
 * Returns an error for a failed append that names the file, gives the reason in plain words
 * and what to do, and keeps the system error as its `cause`.
 */
function writeFailure(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = (error as Error)?.message ?? String(error);
  let message: string;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    message = l10n.t('Could not write {0}: the disk is full or the file size limit is reached ({1}). Free some space and try again.', file, detail);
  } else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    message = l10n.t('Could not write {0}: the folder is read-only or not writable ({1}). Make it writable and try again.', file, detail);
  } else if (code === 'ENOTDIR' || code === 'EEXIST') {
    message = l10n.t('Could not write {0}: a file is in the way of its folder ({1}). Move that file away and try again.', file, detail);
  } else {
    message = l10n.t('Could not write {0}: {1}', file, detail);
  }
  return new Error(message, { cause: error });
}

/** Adds the missing newline after a whole last record, unless the file changed since it was read. */
async function appendNewlineIfUnchanged(file: string, expectedSize: number): Promise<boolean> {
  const handle = await fs.open(file, 'r+');
  try {
    if ((await handle.stat()).size !== expectedSize) return false;
    await handle.write('\n', expectedSize);
    await handle.sync();
    return true;
  } finally {
    await handle.close();
  }
}

/**
 * Cuts the file to `length` bytes unless it grew since it was read, because then another
 * window appended a line after the torn one, and the next append ends the torn line instead.
 *
 * NOTE: a line that another window appends between the size check and the cut is lost. The
 * window between the two calls is a few microseconds.
 */
async function truncateIfUnchanged(file: string, expectedSize: number, length: number): Promise<boolean> {
  const handle = await fs.open(file, 'r+');
  try {
    if ((await handle.stat()).size !== expectedSize) return false;
    await handle.truncate(length);
    await handle.sync();
    return true;
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function endsWithNewline(handle: fs.FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === NEWLINE;
}
