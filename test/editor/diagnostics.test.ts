// Diagnose Connection, the rate-limit countdown and Show Performance Report of the packaged
// .vsix in a real VS Code (code-server), against the provider emulator on 127.0.0.1 and a
// loopback port that nothing listens on. Needs `npm run setup:editor` once. Run under the
// editor lock, because two editors at once overload the machine:
//   flock /tmp/switchboard-editor.lock npx mocha --timeout 180000 out/test/editor/diagnostics.test.js
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { Emulator } from '../emulator/emulator';
import { type Editor, repoRoot, startEditor } from './harness';
import { STATUS_ID, eventually, waitForStatus } from './wait';

const API_KEY = 'sk-test-diagnostics-0123456789';
const ANSWER = 'The function adds its two arguments and returns the result.';
const MODEL = 'gpt-4o-mini';
const TEST_TIMEOUT_MS = 150_000;

const SOURCE = `export function sum(a: number, b: number): number {
  return a + b;
}

export function product(values: number[]): number {
  return values.reduce((total, value) => total * value, 1);
}
`;

/** A 429 whose Retry-After (90 s) is above the 60 s that the engine waits out by itself. */
const RATE_LIMITED = {
  match: { path: '/chat/completions' },
  status: 429,
  headers: { 'retry-after': '90' },
  body: { error: { message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', code: 'rate_limit_exceeded' } },
};

/** Returns the packaged extension, running `npm run package` first when it is missing or older than the bundle. */
function packagedExtension(): string {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const vsix = path.join(repoRoot, `switchboard-${version}.vsix`);
  const bundle = path.join(repoRoot, 'dist/extension.js');
  if (!existsSync(vsix) || (existsSync(bundle) && statSync(bundle).mtimeMs > statSync(vsix).mtimeMs)) {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: 'inherit' });
  }
  return vsix;
}

/** Returns a loopback port that nothing listens on: one the system just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reads the newest answer document through its tab, then goes back to sum.ts. */
async function answerText(editor: Editor): Promise<string> {
  await editor.page.locator('.tabs-container .tab', { hasText: /\d+\.md$/ }).last().click();
  const state = await editor.activeEditorState();
  await editor.page.locator('.tabs-container .tab', { hasText: 'sum.ts' }).first().click();
  return state.uri.startsWith('switchboard-answer:') ? state.text : '';
}

async function explainLines(editor: Editor, start: number, end: number): Promise<void> {
  await editor.openFile('src/sum.ts');
  await editor.selectLines(start, end);
  await editor.runCommand('Switchboard: Explain Selection');
}

/** Runs Diagnose Connection and returns the report document's text once it is the active editor. */
async function diagnose(editor: Editor, result: RegExp): Promise<{ text: string; buttons: string[] }> {
  await editor.runCommand('Switchboard: Diagnose Connection');
  const notification = await editor.waitForNotification(result, 60_000);
  const state = await eventually('the report document to become the active editor', async () => {
    const active = await editor.activeEditorState();
    return active.uri.startsWith('switchboard-report:') ? active : undefined;
  });
  assert.match(state.uri, /Connection%20Diagnosis%20\d+\.md$/);
  return { text: state.text, buttons: notification.buttons };
}

async function saveFailureArtifacts(editor: Editor, title: string): Promise<void> {
  await editor.screenshot(`failed-diagnostics-${title}`).catch(() => undefined);
  const logs = await editor.logs().catch(() => undefined);
  if (!logs) return;
  const channel = Object.entries(logs.files).find(([file]) => file.endsWith('Switchboard.log'));
  const name = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await fs.mkdir(path.join(repoRoot, 'test-results/logs'), { recursive: true });
  await fs.writeFile(path.join(repoRoot, `test-results/logs/diagnostics-${name}.log`), `${channel?.[1] ?? '(no Switchboard log)'}\n\n--- extension host ---\n${logs.extensionHost}`);
}

describe('Switchboard diagnostics in VS Code', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let emulator: Emulator;
  let editor: Editor;

  before(async function () {
    this.timeout(400_000);
    const vsix = packagedExtension();
    emulator = await Emulator.start({ apiKey: API_KEY, answer: ANSWER });
    const refusedPort = await closedPort();
    editor = await startEditor({
      vsixPaths: [vsix],
      workspaceFiles: { 'src/sum.ts': SOURCE },
      userSettings: {
        'switchboard.profiles': [
          { name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: MODEL },
          { name: 'refused', kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${refusedPort}/v1`, model: 'llama3.2' },
        ],
        'switchboard.activeProfile': 'emulator',
        // The walkthrough would open on the first start and cover the editor.
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
      },
    });
    try {
      // Activation has finished once the status bar asks for the key. The walkthrough can still
      // open on the first start despite the setting above, and it would close the command palette.
      await waitForStatus(editor, /gpt-4o-mini Set API key/, 60_000);
      await delay(1000);
      await editor.runCommand('View: Close All Editor Groups');
      await editor.runCommand('Switchboard: Set API Key');
      // With two profiles, Set API Key asks which one first.
      await editor.pickQuickPickItem('emulator');
      await editor.typeInQuickInput(API_KEY);
      await editor.waitForNotification(/API key saved for profile/);
      await waitForStatus(editor, /gpt-4o-mini \d+ ms/);
    } catch (error) {
      await saveFailureArtifacts(editor, 'setup');
      throw error;
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) await saveFailureArtifacts(editor, this.currentTest.title);
  });

  after(async function () {
    await editor?.stop();
    await emulator?.stop();
  });

  it('Diagnose Connection passes every step', async function () {
    emulator.reset();
    const { text, buttons } = await diagnose(editor, /Every step of the connection diagnosis of profile "emulator" passed/);
    assert.deepEqual(buttons, ['Copy Report']);
    assert.match(text, /^# Connection diagnosis: emulator\n/);
    assert.match(text, /Every step passed/);
    // code-server runs extensions on its server, so VS Code reports a remote name, and the
    // configuration step warns that 127.0.0.1 is the server's machine.
    assert.match(text, /^## (✓|!) Configuration \((passed|warning), \d+ ms\)$/m);
    for (const step of ['TCP connection', 'Authentication', 'Model availability', 'One-token request', 'Streaming']) {
      assert.match(text, new RegExp(`^## ✓ ${step} \\(passed, \\d+ ms\\)$`, 'm'), `step "${step}" did not pass:\n${text}`);
    }
    assert.doesNotMatch(text, /## ✗/);
    assert.ok(!text.includes(API_KEY), 'the report shows the API key');
    await editor.screenshot('diagnostics-report-passing');
  });

  it('Show Performance Report counts requests', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    emulator.reset();
    await explainLines(editor, 1, 3);
    await eventually('the first answer', async () => ((await answerText(editor)).includes('Finished') ? true : undefined));
    await explainLines(editor, 5, 7);
    await eventually('the second answer', async () => ((await answerText(editor)).includes('Finished') ? true : undefined));
    const sent = emulator.requests.filter((request) => request.path === '/v1/chat/completions').length;
    assert.equal(sent, 2, 'both explanations should reach the emulator');

    await editor.runCommand('Switchboard: Show Performance Report');
    const frame = await editor.findFrame('svg[aria-label^="Time to first token"]');
    const table = (await frame.locator('table').first().innerText()).replace(/\s+/g, ' ');
    const row = /emulator (\d+) (\d+) (\d+) ms \/ (\d+) ms (\d+) ms \/ (\d+) ms/.exec(table);
    assert.ok(row, `no row for profile "emulator" in the report's table: ${table}`);
    const [requests, completed, firstByteP50, , firstTokenP50] = row.slice(1).map(Number);
    assert.ok(requests! >= 2, `requests: ${requests}`);
    assert.ok(completed! >= 2, `completed: ${completed}`);
    assert.ok(firstByteP50! > 0, `first byte p50: ${firstByteP50}`);
    assert.ok(firstTokenP50! > 0, `first token p50: ${firstTokenP50}`);
    const body = await frame.locator('body').innerText();
    assert.match(body, /Resident memory \(RSS\)\s+\d+\.\d MiB/);
    assert.match(body, /Activation took \d+\.\d ms in this window\./);
    await editor.screenshot('diagnostics-performance-report');
  });

  it('429 with a long Retry-After counts down', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    emulator.reset();
    emulator.script(RATE_LIMITED);
    // A selection not explained before, so the response cache cannot answer it.
    await explainLines(editor, 1, 7);

    const notification = await editor.waitForNotification(/Switchboard retries in 1 min \d+ s, at \d\d:\d\d:\d\d\./);
    assert.equal(notification.severity, 'warning');
    assert.deepEqual(notification.buttons, ['Retry now', 'Cancel']);
    const first = await waitForStatus(editor, /Rate limited 1 min \d+ s/);
    assert.match(first, /^\$\(watch\) gpt-4o-mini Rate limited 1 min (2\d|30) s$/);
    // The countdown moves while nothing else happens.
    await eventually('the countdown to tick', async () => {
      const text = (await editor.statusBarItem('switchboard.status')).text;
      return text !== first && /Rate limited 1 min \d+ s/.test(text) ? text : undefined;
    });
    const chats = emulator.requests.filter((request) => request.path === '/v1/chat/completions').length;
    assert.equal(chats, 1, 'the engine retried a 429 that asked for more than 60 s');
    await editor.screenshot('diagnostics-rate-limited-countdown');

    await editor.clickNotificationButton('Cancel', 'Switchboard retries in');
    const after = await waitForStatus(editor, /gpt-4o-mini (Error|\d+ ms)$/);
    assert.doesNotMatch(after, /Rate limited/);
  });

  it('Retry now from the status bar sends the request again', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    emulator.reset();
    emulator.script(RATE_LIMITED);
    await explainLines(editor, 2, 6);
    await waitForStatus(editor, /Rate limited 1 min \d+ s/);

    await editor.page.locator(`.statusbar-item[id="${STATUS_ID}"]`).click();
    const items = await editor.quickPickItems();
    assert.deepEqual(items.slice(0, 2).map((item) => item.label), ['$(sync) Retry now', '$(close) Cancel']);
    await editor.pickQuickPickItem('$(sync) Retry now');

    await eventually('the retried answer', async () => ((await answerText(editor)).includes(ANSWER) ? true : undefined), 60_000);
    const chats = emulator.requests.filter((request) => request.path === '/v1/chat/completions').length;
    assert.equal(chats, 2, 'Retry now should send exactly one more request');
    await waitForStatus(editor, /gpt-4o-mini \d+ ms$/);
  });

  it('Diagnose Connection names the refused port\'s failing step', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    await editor.runCommand('Switchboard: Select Profile');
    await editor.pickQuickPickItem('refused');
    await waitForStatus(editor, /llama3\.2/);

    const { text, buttons } = await diagnose(editor, /Connection diagnosis of profile "refused": the TCP connection step failed with network\.refused/);
    assert.deepEqual(buttons, ['Copy Report', 'Open Docs']);
    assert.match(text, /The TCP connection step failed with network\.refused; the steps after it did not run\./);
    assert.match(text, /^## ✗ TCP connection \(failed, \d+ ms\)$/m);
    assert.match(text, /\*\*Error `network\.refused`:\*\* Connection refused by 127\.0\.0\.1:\d+/);
    assert.match(text, /^## - Authentication \(skipped/m);
    await editor.screenshot('diagnostics-report-refused');
  });
});
