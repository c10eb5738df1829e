/**
 * File steps that the persisted stores (feedback in the extension, learned capabilities in
 * the language server) share to survive crashes and power loss. Pure Node.
 */

import { constants, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Flushes a folder, so that a newly created or renamed file's entry survives a power loss.
 * Windows cannot open folders, and there the step is skipped.
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Gives `file` the second name `copy` and keeps its own name, so that a damaged file can be
 * kept for inspection before a fresh one replaces it. A hard link does it without copying, and
 * file systems without hard links get a copy. `file` must not be a symbolic link, because
 * link() would link the link itself, so callers pass the path that resolveStorePath() returns.
 */
export async function keepCopy(file: string, copy: string): Promise<void> {
  try {
    await fs.link(file, copy);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
    await fs.copyFile(file, copy, constants.COPYFILE_EXCL);
  }
}

/**
 * Returns the file that a store's path names once symbolic links are followed, or the path
 * itself when it does not exist yet. Stores replace the returned file and write its temporary
 * files and copies beside it. So a store reached through a link keeps the link, and a kept
 * copy is a snapshot of the data, not a second link to a file that changes.
 *
 * NOTE: a link whose target does not exist counts as no file, so the first save replaces the
 * link with a plain file.
 */
export async function resolveStorePath(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return file;
    throw error;
  }
}

/**
 * Minimum time since a temporary file last changed before it counts as left behind. The
 * process id alone cannot tell, because a writer in another PID namespace (a dev container
 * sharing the folder) or on another host has an id that this process cannot see, so it looks
 * stopped. The stores rename a temporary file right after writing and flushing it, so a file
 * unchanged for a minute is not being written, unless one write and flush take longer.
 */
export const STALE_TEMPORARY_FILE_AGE_MS = 60_000;

/** A temporary file that removeStaleTemporaryFiles() deleted, or left because deleting it failed. */
export type StaleTemporaryFile =
  | { file: string; pid: number; removed: true }
  | { file: string; pid: number; removed: false; reason: string };

/**
 * Deletes the temporary files beside `file` that processes killed while writing them left
 * behind. A temporary file is named `file`'s name followed by `suffix`, a regular expression
 * source whose first group captures the writer's process id. Files of this process, of
 * processes that still run, and files changed in the last STALE_TEMPORARY_FILE_AGE_MS are
 * kept, because they may be written now. An entry that is not a regular file, or that cannot
 * be deleted, is kept and returned with the reason, so that one odd entry never stops a store
 * from loading. Returns each stale entry found.
 */
export async function removeStaleTemporaryFiles(file: string, suffix: string, now = Date.now()): Promise<StaleTemporaryFile[]> {
  const folder = path.dirname(file);
  const pattern = new RegExp(`^${escapeRegExp(path.basename(file))}${suffix}$`);
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const stale: StaleTemporaryFile[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isProcessRunning(pid)) continue;
    const temporary = path.join(folder, name);
    const result = await removeIfStale(temporary, now);
    if (result !== undefined) stale.push({ file: temporary, pid, ...result });
  }
  return stale;
}

/** Deletes `file` when it is a regular file older than the minimum age. Returns undefined when it is kept because it is recent or already gone. */
async function removeIfStale(file: string, now: number): Promise<{ removed: true } | { removed: false; reason: string } | undefined> {
  let stats: Stats;
  try {
    stats = await fs.lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { removed: false, reason: `reading its attributes failed (${(error as Error).message})` };
  }
  if (!stats.isFile()) return { removed: false, reason: 'it is not a regular file, so no store wrote it' };
  if (now - stats.mtimeMs < STALE_TEMPORARY_FILE_AGE_MS) return undefined;
  try {
    await fs.rm(file, { force: true });
  } catch (error) {
    return { removed: false, reason: `deleting it failed (${(error as Error).message})` };
  }
  return { removed: true };
}

function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
