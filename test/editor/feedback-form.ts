/** Steps on Switchboard's feedback form that the editor tests share: open, fill in, read the status line. */

import * as assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';

import type { Frame } from 'playwright-core';

import type { Editor } from './harness';

/** The form element of the Send Feedback webview. */
export const FORM = '#feedback-form';

export async function openForm(editor: Editor): Promise<Frame> {
  // Switchboard's status item appears once it has activated, and its walkthrough may open then.
  // Closing the editors after a pause keeps the form in front.
  await editor.statusBarItem('switchboard.status', 60_000);
  await delay(2000);
  await editor.runCommand('View: Close All Editor Groups');
  await editor.runCommand('Switchboard: Send Feedback');
  return editor.findFrame(FORM);
}

export async function statusText(frame: Frame): Promise<string> {
  return ((await frame.textContent('#status')) ?? '').trim();
}

/** Fills the form through the page as a person would: keyboard for the rating, typing for the text. */
export async function fillForm(frame: Frame, message: string): Promise<void> {
  await frame.selectOption('#kind', 'connection');
  await frame.click('label[for="rating-3"]');
  // Arrow keys move the choice inside the radio group, as screen-reader users expect.
  await frame.focus('#rating-3');
  await frame.press('#rating-3', 'ArrowRight');
  assert.equal(await frame.isChecked('#rating-4'), true, 'ArrowRight did not move the rating to 4');
  await frame.fill('#message', message);
  await frame.fill('#contact', 'tester@example.com');
}
