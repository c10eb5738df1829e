/**
 * A child process for the data tests. It opens one persisted store with the product's code
 * from out/ and writes numbered records, printing one line to stdout per event. The test
 * kills it with SIGKILL at any moment and then checks what survived.
 *
 * Usage: node data-writer.js KIND FOLDER FIRST MODE [PAUSE_POINT PAUSE_CALL]
 *   KIND         feedback, delivery or capabilities (see data-stores.ts)
 *   MODE         loop: write FIRST, FIRST+1, … until killed
 *                once:PADDING: write FIRST, made PADDING characters longer, then exit
 *                load: open and read the store (which repairs it), then exit
 *   PAUSE_POINT  torn-write, before-sync, before-rename or before-link: at that step of the
 *                store's code, stop for good and print `paused`, so that the kill lands there
 *   PAUSE_CALL   how many calls of that step run normally before the one that stops (default 0)
 *
 * Output lines: `ready`, `ack N` once record N was acknowledged, `loaded COUNT`,
 * `error JSON_MESSAGE`, `warn JSON_MESSAGE` for each warning the store logs, `paused`.
 * stdout is a pipe, and on Linux Node writes to pipes synchronously, so a printed
 * acknowledgement is in the pipe before the next write starts.
 */

import * as fs from 'node:fs/promises';

import type { Logger } from '../../src/engine/types';
import { FeedbackStore } from '../../src/extension/feedback/feedback-store';
import { openStore, STORE_KINDS, type StoreKind } from './data-stores';

const PAUSE_POINTS = ['torn-write', 'before-sync', 'before-rename', 'before-link'] as const;
type PausePoint = (typeof PAUSE_POINTS)[number];

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const logger: Logger = {
  error: (message) => print(`warn ${JSON.stringify(message)}`),
  warn: (message) => print(`warn ${JSON.stringify(message)}`),
  info: () => undefined,
  debug: () => undefined,
};

/** Stops this process's work for good; only SIGKILL ends it then. */
function pause(): Promise<never> {
  print('paused');
  setInterval(() => undefined, 60_000);
  return new Promise<never>(() => undefined);
}

/**
 * Replaces one step of the file system API with one that runs `pauseCall` times and then
 * pauses. A torn write first writes half of its data, as a crash in the middle of it would.
 */
async function installPause(point: PausePoint, pauseCall: number): Promise<void> {
  let calls = 0;
  const due = () => calls++ === pauseCall;

  const handle = await fs.open(__filename, 'r');
  const fileHandle = Object.getPrototypeOf(handle) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await handle.close();

  if (point === 'torn-write') {
    const writeFile = fileHandle.writeFile;
    fileHandle.writeFile = async function (this: fs.FileHandle, data: unknown, ...rest: unknown[]) {
      if (!due()) return writeFile.call(this, data, ...rest);
      const bytes = Buffer.from(data as string);
      await this.write(bytes.subarray(0, Math.ceil(bytes.length / 2)));
      return pause();
    };
  } else if (point === 'before-sync') {
    const sync = fileHandle.sync;
    fileHandle.sync = function (this: fs.FileHandle, ...args: unknown[]) {
      return due() ? pause() : sync.call(this, ...args);
    };
  } else {
    // The stores look rename and link up on the module object at each call, so replacing them there reaches them.
    const name = point === 'before-rename' ? 'rename' : 'link';
    const module = process.getBuiltinModule('node:fs/promises') as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = module[name];
    module[name] = (...args: unknown[]) => (due() ? pause() : original(...args));
  }
}

async function main(): Promise<void> {
  const [kind, folder, firstText, mode = 'loop', pausePoint, pauseCallText = '0'] = process.argv.slice(2);
  if (!STORE_KINDS.includes(kind as StoreKind) || !folder || !/^\d+$/.test(firstText ?? '')) {
    throw new Error(`Invalid arguments ${JSON.stringify(process.argv.slice(2))}. Use: KIND FOLDER FIRST MODE [PAUSE_POINT PAUSE_CALL], with KIND one of ${STORE_KINDS.join(', ')}.`);
  }
  if (pausePoint !== undefined) {
    if (!PAUSE_POINTS.includes(pausePoint as PausePoint)) throw new Error(`Invalid pause point ${JSON.stringify(pausePoint)}. Use one of ${PAUSE_POINTS.join(', ')}.`);
    await installPause(pausePoint as PausePoint, Number(pauseCallText));
  }

  const first = Number(firstText);
  if (mode === 'load') {
    if (kind === 'capabilities') {
      const opened = await openStore('capabilities', folder, logger);
      print(`loaded ${opened.memory?.snapshot().entries.length ?? 0}`);
    } else {
      print(`loaded ${(await new FeedbackStore(folder, logger).list()).length}`);
    }
    return;
  }

  const store = await openStore(kind as StoreKind, folder, logger);
  print('ready');
  if (mode.startsWith('once:')) {
    try {
      await store.write(first, Number(mode.slice('once:'.length)));
      print(`ack ${first}`);
    } catch (error) {
      print(`error ${JSON.stringify((error as Error).message)}`);
    }
    return;
  }
  for (let n = first; ; n += 1) {
    await store.write(n);
    print(`ack ${n}`);
  }
}

main().catch((error: unknown) => {
  print(`error ${JSON.stringify((error as Error)?.stack ?? String(error))}`);
  process.exitCode = 1;
});
