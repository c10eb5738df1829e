/**
 * An append-only file of JSON lines that survives a crash at any moment. Each append is
 * one write of one whole line followed by fsync, so after a crash the file contains every
 * acknowledged line plus at most one torn last line. Reading skips a torn last line and
 * cuts it off. A file with a damaged line elsewhere is moved aside, and its readable lines
 * are kept. Pure Node, so unit tests run it without VS Code.
 */

import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import type { Logger } from '../../engine/types';

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
    await fs.mkdir(directory, { recursive: true });
    const created = !(await exists(this.file));
    const handle = await fs.open(this.file, 'a+');
    try {
      // A line torn by another window's crash would swallow this one, so it is ended first.
      const prefix = (await endsWithNewline(handle)) ? '' : '\n';
      await handle.writeFile(`${prefix}${JSON.stringify(record)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (created) await syncDirectory(directory);
  }

  private async loadNow(): Promise<LoadResult<T>> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], tornBytes: 0, damagedLines: 0 };
      throw error;
    }

    const complete = bytes.lastIndexOf(NEWLINE) + 1;
    const tornBytes = bytes.length - complete;
    if (tornBytes > 0) {
      const removed = await truncateIfUnchanged(this.file, bytes.length, complete);
      this.log.warn(`Feedback store: the last line of ${this.file} is incomplete (${tornBytes} bytes), probably from a write interrupted by a crash; it was skipped${removed ? ' and removed' : ''}.`);
    }

    const { records, damagedLines } = this.parseLines(bytes.subarray(0, complete).toString('utf8'));
    if (damagedLines === 0) return { records, tornBytes, damagedLines };

    const movedAsideTo = await this.replaceDamagedFile(records);
    this.log.warn(`Feedback store: ${this.file} had ${damagedLines} damaged line(s). It was moved to ${movedAsideTo}, and its ${records.length} readable record(s) were kept.`);
    return { records, tornBytes, damagedLines, movedAsideTo };
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
   */
  private async replaceDamagedFile(records: readonly T[]): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const movedAsideTo = `${this.file}.damaged-${stamp}`;
    await fs.rename(this.file, movedAsideTo);

    const temporary = `${this.file}.tmp-${process.pid}`;
    const handle = await fs.open(temporary, 'w');
    try {
      await handle.writeFile(records.map((record) => `${JSON.stringify(record)}\n`).join(''), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, this.file);
    await syncDirectory(path.dirname(this.file));
    return movedAsideTo;
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

/**
 * Flushes a directory, so a newly created or renamed file's entry survives a power loss.
 * Windows cannot open directories, and there the step is skipped.
 */
async function syncDirectory(directory: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}
