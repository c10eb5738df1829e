/**
 * File steps that the persisted stores (feedback in the extension, learned capabilities in
 * the language server) share to survive crashes and power loss. Pure Node.
 */

import { constants } from 'node:fs';
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
 * file systems without hard links get a copy.
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
 * Deletes the temporary files in `folder` that processes killed while writing them left
 * behind. `pattern` matches a temporary file's name and captures the writer's process id in
 * its first group. Files of this process and of processes that still run are kept, because
 * they may be written now. Returns each deleted path with its writer's process id.
 */
export async function removeStaleTemporaryFiles(folder: string, pattern: RegExp): Promise<{ file: string; pid: number }[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const removed: { file: string; pid: number }[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isProcessRunning(pid)) continue;
    const file = path.join(folder, name);
    await fs.rm(file, { force: true });
    removed.push({ file, pid });
  }
  return removed;
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
