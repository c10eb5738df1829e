// Proves the editor-test harness against a small fixture extension in a real VS Code
// (code-server). Needs `npm run setup:editor` once; run with `npm run test:editor`.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type Editor, packageExtension, repoRoot, startEditor } from './harness';

const FIXTURE_DIR = path.join(repoRoot, 'test/editor/fixture-extension');
// Git-ignored, and each run overwrites the package, so an interrupted run leaves nothing behind.
const FIXTURE_PACKAGE_DIR = path.join(repoRoot, '.vscode-test/fixture-vsix');
const FIXTURE_STATUS_ID = 'switchboard-tests.harness-fixture.harness.status';
const TOOLTIP_FROM_ENV = 'Tooltip from the test environment';
const SAMPLE_TEXT = 'alpha\nbeta\ngamma\ndelta\n';
const TEST_TIMEOUT_MS = 120_000;

/** Polls for a workspace file, because the extension writes it after the webview's message arrives. */
async function readFileWhenPresent(file: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) {
      throw new Error(`${file} was not written within ${timeoutMs} ms.`);
    }
    await delay(100);
  }
  return fs.readFile(file, 'utf8');
}

describe('editor harness', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let fixtureVsix: string;

  before(async function () {
    fixtureVsix = await packageExtension(FIXTURE_DIR, FIXTURE_PACKAGE_DIR);
  });

  describe('in a trusted workspace', function () {
    let editor: Editor;

    before(async function () {
      editor = await startEditor({
        vsixPaths: [fixtureVsix],
        workspaceFiles: { 'notes/sample.txt': SAMPLE_TEXT },
        workspaceSettings: { 'editor.tabSize': 2 },
        env: { HARNESS_FIXTURE_TOOLTIP: TOOLTIP_FROM_ENV },
      });
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && editor) {
        await editor.screenshot(`failed-test-${this.currentTest.title}`).catch(() => undefined);
      }
    });

    after(async function () {
      await editor?.stop();
    });

    it('status-bar item shows its text', async function () {
      const item = await editor.statusBarItem('harness.status');

      assert.equal(item.id, FIXTURE_STATUS_ID);
      assert.equal(item.text, '$(check) Harness ready');
      await editor.screenshot('harness-status-bar');
    });

    it('status-bar item found by text pattern', async function () {
      const item = await editor.statusBarItem(/Harness ready/);

      assert.equal(item.id, FIXTURE_STATUS_ID);
    });

    it('environment reaches the extension host', async function () {
      const item = await editor.statusBarItem('harness.status');
      assert.match(item.ariaLabel, new RegExp(TOOLTIP_FROM_ENV));

      const tooltip = await editor.statusBarItemTooltip('harness.status');
      assert.equal(tooltip, TOOLTIP_FROM_ENV);
    });

    it('palette command shows notification', async function () {
      await editor.runCommand('Harness: Say Hello');
      const hello = await editor.waitForNotification('Hello from the harness fixture.');

      assert.deepEqual(hello.buttons, ['Reply']);
      assert.equal(hello.source, 'Editor Harness Fixture');
      assert.equal(hello.severity, 'info');
      await editor.screenshot('harness-notification');

      await editor.clickNotificationButton('Reply', 'Hello from the harness fixture.');
      const reply = await editor.waitForNotification('Reply received.');
      assert.deepEqual(reply.buttons, []);
      const messages = (await editor.notifications()).map((notification) => notification.message);
      assert.ok(messages.includes('Reply received.'), `notifications shown: ${JSON.stringify(messages)}`);
    });

    it('quick pick and input box', async function () {
      await editor.runCommand('Harness: Choose Color');
      const items = await editor.quickPickItems();
      assert.deepEqual(
        items.map((item) => item.label),
        ['$(circle-filled) Red', 'Green', 'Blue'],
      );

      await editor.pickQuickPickItem('Green');
      await editor.typeInQuickInput('it is calm');
      await editor.waitForNotification('Chose Green because it is calm.');
    });

    it('webview button posts back to the extension', async function () {
      await editor.runCommand('Harness: Open Form');
      const form = await editor.findFrame('#submit');
      await editor.screenshot('harness-webview-form');

      await form.fill('#note', 'saved by the editor test');
      await form.click('#submit');

      const saved = await readFileWhenPresent(path.join(editor.workspacePath, 'harness-form.txt'), 30_000);
      assert.equal(saved, 'saved by the editor test');
      await form.locator('#status', { hasText: 'Saved to harness-form.txt' }).waitFor({ timeout: 30_000 });
    });

    it('opens a file and reads its text', async function () {
      await editor.openFile('notes/sample.txt');

      assert.equal(await editor.activeEditorText(), SAMPLE_TEXT);
    });

    it('selects lines in the active editor', async function () {
      await editor.openFile('notes/sample.txt');
      await editor.selectLines(2, 3);

      const state = await editor.activeEditorState();
      assert.deepEqual(state.selections, [{ start: { line: 1, character: 0 }, end: { line: 2, character: 5 } }]);
      assert.equal(state.languageId, 'plaintext');
      assert.equal(state.isDirty, false);
      await editor.screenshot('harness-selected-lines');
    });

    it('selects the whole document', async function () {
      await editor.openFile('notes/sample.txt');
      await editor.selectAll();

      const state = await editor.activeEditorState();
      assert.deepEqual(state.selections, [{ start: { line: 0, character: 0 }, end: { line: 4, character: 0 } }]);
    });

    it('reads unsaved edits', async function () {
      await editor.openFile('notes/sample.txt');
      await editor.selectLines(1, 1);
      await editor.page.keyboard.type('omega');

      const state = await editor.activeEditorState();
      assert.equal(state.text, 'omega\nbeta\ngamma\ndelta\n');
      assert.equal(state.isDirty, true);
    });

    it('logs include the extension host log', async function () {
      const logs = await editor.logs();

      assert.match(logs.extensionHost, /switchboard-tests\.harness-fixture/);
      const fixtureLog = Object.entries(logs.files).find(([file]) => file.endsWith('Harness Fixture.log'));
      assert.ok(fixtureLog, `log files: ${Object.keys(logs.files).join(', ')}`);
      assert.match(fixtureLog[1], /Harness fixture activated/);
      assert.match(logs.server, /HTTP server listening on http:\/\/127\.0\.0\.1:\d+\//);
    });

    it('workbench makes no requests beyond 127.0.0.1', async function () {
      const logs = await editor.logs();

      assert.deepEqual(logs.blockedRequests, []);
    });

    it('screenshot is written as PNG', async function () {
      const file = await editor.screenshot('harness-workbench');

      assert.equal(file, path.join(repoRoot, 'test-results/screenshots/harness-workbench.png'));
      const bytes = await fs.readFile(file);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(bytes.length > 10_000, `screenshot has only ${bytes.length} bytes`);
    });

    it('failed wait names its target', async function () {
      const screenshot = path.join(repoRoot, 'test-results/screenshots/failed-status-bar-item-harness.missing-item.png');
      await fs.rm(screenshot, { force: true });

      await assert.rejects(
        editor.statusBarItem('harness.missing-item', 2_000),
        /Waiting for status-bar item "harness\.missing-item" failed/,
      );
      assert.ok(existsSync(screenshot), `${screenshot} was not written`);
    });
  });

  describe('in an untrusted workspace', function () {
    let editor: Editor;

    before(async function () {
      editor = await startEditor({ vsixPaths: [fixtureVsix], trustWorkspace: false });
    });

    after(async function () {
      await editor?.stop();
    });

    it('shows Restricted Mode', async function () {
      const trust = await editor.statusBarItem('status.workspaceTrust');

      assert.match(trust.text, /Restricted Mode/);
      await editor.screenshot('harness-restricted-mode');
    });
  });
});
