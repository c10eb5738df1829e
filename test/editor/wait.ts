/** Waiting helpers shared by the editor tests. */

import * as assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';

import type { Editor } from './harness';

/** The DOM id of Switchboard's status-bar item: the extension id, then the item's own id. */
export const STATUS_ID = 'switchboard.switchboard.switchboard.status';

/** Polls every 250 ms until `check` returns a value, or fails naming `what` and the last error. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await delay(250);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Waits for Switchboard's status-bar item to show text matching `pattern`, and returns the text. */
export async function waitForStatus(editor: Editor, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const item = await editor.statusBarItem(pattern, timeoutMs);
  assert.equal(item.id, STATUS_ID, `the status-bar item matching ${pattern} is not Switchboard's: ${JSON.stringify(item)}`);
  return item.text;
}
