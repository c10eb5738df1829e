// Switchboard's packaged .vsix in a real VS Code (code-server), driven as a person would,
// against the provider emulator on 127.0.0.1. Needs `npm run setup:editor` once; the test
// packages the extension with `npm run package` when the .vsix is missing or older than
// the bundles. Run with `npm run test:editor`.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { Emulator } from '../emulator/emulator';
import { recordScenario } from '../reliability/record';
import { startProxy, type TestProxy } from '../support/proxy';
import { fillForm, openForm, statusText } from './feedback-form';
import { type Editor, repoRoot, startEditor } from './harness';
import { eventually, waitForStatus } from './wait';

const API_KEY = 'sk-test-switchboard-0123456789';
const ANSWER = 'The sum function adds its two arguments and returns the result.';
const MODEL = 'gpt-4o-mini';
const TEST_TIMEOUT_MS = 120_000;

const SOURCE = `export function sum(a: number, b: number): number {
  return a + b;
}

export function product(values: number[]): number {
  return values.reduce((total, value) => total * value, 1);
}
`;
const EDITED_SUM = `export function sum(a: number, b: number): number {
  // Adds in the other order.
  return b + a;
}`;

/** Returns the packaged extension, running `npm run package` first when it is missing or stale. */
function packagedExtension(): string {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const vsix = path.join(repoRoot, `switchboard-${version}.vsix`);
  const bundle = path.join(repoRoot, 'dist/extension.js');
  if (!existsSync(vsix) || (existsSync(bundle) && statSync(bundle).mtimeMs > statSync(vsix).mtimeMs)) {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: 'inherit' });
  }
  return vsix;
}

function emulatorProfile(emulator: Emulator, name = 'emulator') {
  return { name, kind: 'openai', baseUrl: `${emulator.url}/v1`, model: MODEL };
}

/** Sets the API key by typing it into Set API Key's input box, as a person would. */
async function setApiKey(editor: Editor, key: string): Promise<void> {
  await editor.runCommand('Switchboard: Set API Key');
  await editor.typeInQuickInput(key);
  await editor.waitForNotification(/API key saved for profile/);
}

/**
 * Reads the newest answer document: clicks its tab, reads the active editor's text through
 * the harness, then clicks the tab of `returnTo` so later steps act on the code again.
 */
async function answerText(editor: Editor, returnTo = 'sum.ts'): Promise<string> {
  await editor.page.locator('.tabs-container .tab', { hasText: /\d+\.md$/ }).last().click();
  const state = await editor.activeEditorState();
  assert.match(state.uri, /^switchboard-answer:/, `the clicked tab shows ${state.uri}, not an answer`);
  await editor.page.locator('.tabs-container .tab', { hasText: returnTo }).first().click();
  return state.text;
}

async function waitForAnswer(editor: Editor, pattern: RegExp): Promise<string> {
  return eventually(`an answer matching ${pattern}`, async () => {
    const text = await answerText(editor);
    return pattern.test(text) ? text : undefined;
  });
}

async function closeAllEditors(editor: Editor): Promise<void> {
  await editor.runCommand('View: Close All Editor Groups');
}

/** Finds the pid of Switchboard's language server started from this editor's extensions folder. */
function serverPid(editor: Editor): number | undefined {
  const extensionsDir = path.join(path.dirname(editor.workspacePath), 'extensions');
  try {
    const output = execFileSync('pgrep', ['-f', `${extensionsDir}/switchboard\\.switchboard-[^/]*/dist/server\\.js`], { encoding: 'utf8' });
    const pids = output.split('\n').filter(Boolean).map(Number);
    return pids.length === 1 ? pids[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Saves a screenshot and Switchboard's log channel under test-results/ when a test fails. */
async function saveFailureArtifacts(editor: Editor, title: string): Promise<void> {
  await editor.screenshot(`failed-switchboard-${title}`).catch(() => undefined);
  const logs = await editor.logs().catch(() => undefined);
  if (!logs) return;
  const channel = Object.entries(logs.files).find(([file]) => file.endsWith('Switchboard.log'));
  const name = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await fs.mkdir(path.join(repoRoot, 'test-results/logs'), { recursive: true });
  await fs.writeFile(path.join(repoRoot, `test-results/logs/switchboard-${name}.log`), `${channel?.[1] ?? '(no Switchboard log)'}\n\n--- extension host ---\n${logs.extensionHost}`);
}

const activationTimes: number[] = [];

async function recordActivationTime(editor: Editor): Promise<number> {
  await editor.runCommand('Switchboard: Show Activation Time');
  const notification = await editor.waitForNotification(/Switchboard activated in [\d.]+ ms/);
  const ms = Number(/activated in ([\d.]+) ms/.exec(notification.message)?.[1]);
  activationTimes.push(ms);
  return ms;
}

describe('Switchboard in VS Code', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let vsix: string;

  before(function () {
    this.timeout(300_000);
    vsix = packagedExtension();
  });

  after(async function () {
    if (activationTimes.length === 0) return;
    const sorted = [...activationTimes].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    const report = { activationTimesMs: activationTimes, medianMs: median, machine: `${process.platform} ${process.arch}, Node ${process.version}` };
    await fs.mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
    await fs.writeFile(path.join(repoRoot, 'test-results/activation-times.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`      activate() took ${activationTimes.map((ms) => ms.toFixed(2)).join(', ')} ms; median ${median.toFixed(2)} ms`);
  });

  describe('with a profile pointing at the emulator', function () {
    let emulator: Emulator;
    let editor: Editor;

    before(async function () {
      emulator = await Emulator.start({ apiKey: API_KEY, answer: ANSWER });
      editor = await startEditor({
        vsixPaths: [vsix],
        workspaceFiles: { 'src/sum.ts': SOURCE },
        userSettings: { 'switchboard.profiles': [emulatorProfile(emulator)] },
      });
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && editor) {
        await saveFailureArtifacts(editor, this.currentTest.title);
      }
    });

    after(async function () {
      await editor?.stop();
      await emulator?.stop();
    });

    it('status bar asks for a key after startup', async function () {
      const text = await waitForStatus(editor, /gpt-4o-mini Set API key/);
      assert.equal(text, '$(key) gpt-4o-mini Set API key');
      assert.equal(serverPid(editor), undefined, 'the language server started before it was needed');
      await editor.screenshot('switchboard-status-no-key');
    });

    it('key input rejects a pasted URL', async function () {
      await editor.runCommand('Switchboard: Set API Key');
      const input = editor.page.locator('.quick-input-widget .quick-input-box input').filter({ visible: true });
      await input.fill(`${emulator.url}/v1`);
      const message = editor.page.locator('.quick-input-widget .quick-input-message').filter({ visible: true });
      await message.filter({ hasText: 'looks like a URL' }).waitFor({ timeout: 10_000 });
      await editor.screenshot('switchboard-key-validation');
      await input.press('Escape');
    });

    it('status bar connects once the key is set', async function () {
      await setApiKey(editor, API_KEY);
      const text = await waitForStatus(editor, /gpt-4o-mini \d+ ms/);
      assert.match(text, /^\$\(pass-filled\) gpt-4o-mini \d+ ms$/);

      const check = emulator.requests.find((request) => request.path === '/v1/models');
      assert.ok(check, `no connection check reached the emulator: ${emulator.requests.map((request) => request.path).join(', ')}`);
      assert.equal(check.headers.authorization, `Bearer ${API_KEY}`);
      assert.ok(!emulator.requests.some((request) => request.path.includes('/chat/completions')), 'the connection check spent tokens');

      const tooltip = await editor.statusBarItemTooltip('switchboard.status');
      assert.match(tooltip, /Profile\s+emulator/);
      assert.match(tooltip, /Set API Key/);
      await editor.screenshot('switchboard-status-connected');
    });

    it('Explain Selection streams the answer beside the code', async function () {
      emulator.reset();
      await editor.openFile('src/sum.ts');
      await editor.selectLines(1, 3);
      await editor.runCommand('Switchboard: Explain Selection');

      const text = await waitForAnswer(editor, /Finished/);
      assert.match(text, /^# Explain Selection\n/);
      assert.match(text, /Profile: \*\*emulator\*\* · Model: `gpt-4o-mini`/);
      assert.ok(text.includes(ANSWER), `the answer document lacks the emulator's answer:\n${text}`);

      const chat = emulator.requests.find((request) => request.path === '/v1/chat/completions');
      assert.ok(chat, 'no chat request reached the emulator');
      const prompt = JSON.stringify(chat.json.messages);
      assert.ok(prompt.includes('return a + b;'), 'the selection was not sent');
      assert.ok(!prompt.includes('values.reduce'), 'text outside the selection was sent');
      await editor.screenshot('switchboard-answer');
    });

    it('Edit Selection applies an accepted diff', async function () {
      await closeAllEditors(editor);
      emulator.script({ match: { path: '/chat/completions' }, answer: `Here is the change:\n\n\`\`\`ts\n${EDITED_SUM}\n\`\`\`\n` });
      await editor.openFile('src/sum.ts');
      await editor.selectLines(1, 3);
      await editor.runCommand('Switchboard: Edit Selection');
      await editor.typeInQuickInput('swap the operands');

      await editor.waitForNotification('Apply the proposed edit to sum.ts?');
      const diffTab = editor.page.locator('.tab', { hasText: 'sum.ts: Proposed Edit' });
      await diffTab.first().waitFor({ timeout: 10_000 });
      await editor.screenshot('switchboard-edit-diff');
      await editor.clickNotificationButton('Accept', 'Apply the proposed edit');
      // Accepting closes the diff and focuses the file; the palette would close if opened before that.
      await diffTab.first().waitFor({ state: 'detached', timeout: 10_000 });
      await editor.page.locator('.tab.active', { hasText: 'sum.ts' }).first().waitFor({ timeout: 10_000 });
      await delay(500);

      const state = await eventually('the edit to be applied', async () => {
        const current = await editor.activeEditorState();
        return current.text.includes('return b + a;') ? current : undefined;
      });
      assert.equal(state.text, SOURCE.replace(/export function sum[\s\S]*?\n}/, EDITED_SUM));
      assert.equal(state.isDirty, true);

      await editor.page.keyboard.press('Control+S');
      const saved = await eventually('the file to be saved', async () => {
        const text = await fs.readFile(path.join(editor.workspacePath, 'src/sum.ts'), 'utf8');
        return text.includes('return b + a;') ? text : undefined;
      });
      assert.equal(saved, state.text);
    });

    it('Cancel stops a slow stream', async function () {
      await closeAllEditors(editor);
      emulator.reset();
      emulator.script({ match: { path: '/chat/completions' }, answer: 'slowly '.repeat(300), delayBetweenChunksMs: 150 });
      await editor.openFile('src/sum.ts');
      await editor.selectLines(5, 7);
      await editor.runCommand('Switchboard: Explain Selection');

      await editor.waitForNotification(/Switchboard: Explain Selection.*Receiving: \d+ characters/);
      await editor.screenshot('switchboard-progress');
      const closed = emulator.waitForClose(15_000);
      await editor.clickNotificationButton('Cancel', 'Switchboard: Explain Selection');
      await closed;

      const text = await waitForAnswer(editor, /Cancelled/);
      assert.match(text, /slowly/);
      assert.match(text, /_Cancelled\. The text above is what arrived before the request was cancelled\._/);
      const chat = emulator.requests.filter((request) => request.path === '/v1/chat/completions');
      assert.equal(chat.length, 1, 'the cancelled request was sent again');
      await editor.screenshot('switchboard-cancelled');
    });

    it('bad key shows an auth error with Set API Key', async function () {
      await closeAllEditors(editor);
      await setApiKey(editor, 'sk-wrong-key-0000000000');
      const text = await waitForStatus(editor, /Auth error/);
      assert.equal(text, '$(key) gpt-4o-mini Auth error');

      await editor.openFile('src/sum.ts');
      await editor.selectLines(1, 3);
      await editor.runCommand('Switchboard: Explain Selection');
      const notification = await editor.waitForNotification(/rejected the API key of profile "emulator"/);
      assert.equal(notification.severity, 'error');
      assert.ok(notification.buttons.includes('Set API Key'), `buttons: ${notification.buttons.join(', ')}`);
      await editor.screenshot('switchboard-auth-error');

      await setApiKey(editor, API_KEY);
      await waitForStatus(editor, /gpt-4o-mini \d+ ms/);
    });

    it('crashed server restarts and serves the next request', async function () {
      await closeAllEditors(editor);
      const pid = await eventually('the language server process', async () => serverPid(editor));
      process.kill(pid, 'SIGKILL');

      const notification = await editor.waitForNotification(/stopped unexpectedly \(signal SIGKILL\) and was restarted/);
      assert.deepEqual(notification.buttons, ['Show Logs']);
      await editor.screenshot('switchboard-server-restarted');
      const restarted = await eventually('a new language server process', async () => {
        const next = serverPid(editor);
        return next !== undefined && next !== pid ? next : undefined;
      });
      assert.notEqual(restarted, pid);

      emulator.reset();
      await editor.openFile('src/sum.ts');
      await editor.selectLines(1, 3);
      await editor.runCommand('Switchboard: Explain Selection');
      const text = await waitForAnswer(editor, /Finished/);
      assert.ok(text.includes(ANSWER), `the request after the restart failed:\n${text}`);
    });

    it('server killed mid-stream keeps the partial text', async function () {
      await closeAllEditors(editor);
      emulator.reset();
      // About seven tokens a second, so the stream is still running when the server is killed.
      emulator.script({ match: { path: '/chat/completions' }, answer: 'partial '.repeat(300), delayBetweenChunksMs: 150 });
      await editor.openFile('src/sum.ts');
      // A selection that no earlier test sent, so the server's response cache cannot serve it.
      await editor.selectLines(1, 8);
      await editor.runCommand('Switchboard: Explain Selection');
      await editor.waitForNotification(/Switchboard: Explain Selection.*Receiving: \d+ characters/);

      const pid = await eventually('the language server process', async () => serverPid(editor));
      process.kill(pid, 'SIGKILL');

      const restartNotice = await editor.waitForNotification(/stopped unexpectedly \(signal SIGKILL\) and was restarted\. Requests in progress were lost/);
      assert.deepEqual(restartNotice.buttons, ['Show Logs']);
      const text = await waitForAnswer(editor, /did not finish/);
      assert.match(text, /partial partial/, `the partial text is missing from the answer:\n${text}`);
      assert.match(text, /\*\*The request did not finish:\*\* The language server stopped before the request finished\./);
      assert.doesNotMatch(text, /Receiving the answer/, `the answer still shows it is streaming:\n${text}`);

      await eventually('the progress notification to close', async () => {
        const open = (await editor.notifications()).filter((notification) => /Switchboard: Explain Selection/.test(notification.message));
        return open.length === 0 ? true : undefined;
      });
      const status = await waitForStatus(editor, /^\$\(pass-filled\) gpt-4o-mini \d+ ms$/, 60_000);
      assert.doesNotMatch(status, /spin/);
      await editor.screenshot('switchboard-server-killed-mid-stream');

      await closeAllEditors(editor);
      emulator.reset();
      await editor.openFile('src/sum.ts');
      await editor.selectLines(1, 3);
      await editor.runCommand('Switchboard: Explain Selection');
      const next = await waitForAnswer(editor, /Finished/);
      assert.ok(next.includes(ANSWER), `the request after the restart failed:\n${next}`);

      const partial = /partial[\s\S]*partial/.exec(text)?.[0] ?? '';
      recordScenario({ suite: 'secrets', scenario: 'server killed mid-stream', atRisk: partial.length, lost: 0 });
    });

    it('activation time is readable', async function () {
      const ms = await recordActivationTime(editor);
      assert.ok(Number.isFinite(ms), `activation time ${ms}`);
      assert.ok(ms > 0, `activation time ${ms}`);

      // Reloads give more samples for the median that the suite reports.
      for (let reload = 0; reload < 2; reload++) {
        const page = editor.page;
        const reloaded = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 60_000 });
        await editor.runCommand('Developer: Reload Window');
        await reloaded;
        await page.waitForLoadState('load', { timeout: 60_000 });
        await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
        await waitForStatus(editor, /gpt-4o-mini/, 60_000);
        await recordActivationTime(editor);
      }
    });
  });

  describe('when the server cannot start', function () {
    let emulator: Emulator;
    let editor: Editor;
    let serverModule: string;

    before(async function () {
      emulator = await Emulator.start({ apiKey: API_KEY, answer: ANSWER });
      editor = await startEditor({ vsixPaths: [vsix], userSettings: { 'switchboard.profiles': [emulatorProfile(emulator)] } });
      const extensionsDir = path.join(path.dirname(editor.workspacePath), 'extensions');
      const installed = (await fs.readdir(extensionsDir)).find((name) => name.startsWith('switchboard.switchboard-'));
      assert.ok(installed, `Switchboard is not installed in ${extensionsDir}`);
      serverModule = path.join(extensionsDir, installed, 'dist/server.js');
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && editor) {
        await saveFailureArtifacts(editor, `no server ${this.currentTest.title}`);
      }
    });

    after(async function () {
      await editor?.stop();
      await emulator?.stop();
    });

    it('commands explain it and Restart Server recovers', async function () {
      // Without a key no connection check runs, so the server has not started yet.
      await waitForStatus(editor, /Set API key/);
      await fs.rename(serverModule, `${serverModule}.hidden`);

      await editor.runCommand('Switchboard: Select Model');
      const notification = await editor.waitForNotification(/language server could not start/);
      assert.match(notification.message, /Cannot find module/);
      assert.deepEqual(notification.buttons, ['Restart Server', 'Show Logs']);
      await editor.screenshot('switchboard-server-cannot-start');

      await fs.rename(`${serverModule}.hidden`, serverModule);
      await editor.clickNotificationButton('Restart Server', 'could not start');
      await editor.waitForNotification('The Switchboard language server was restarted.');
      assert.ok(serverPid(editor), 'no language server runs after Restart Server');
    });
  });

  describe('in an untrusted workspace', function () {
    let emulator: Emulator;
    let otherHost: Emulator;
    let workspaceProxy: TestProxy;
    let editor: Editor;
    let workspaceSettings: Record<string, unknown>;
    /** A certificate file that does not exist: if the workspace's value were read, the log would name it. */
    const workspaceCaFile = path.join(tmpdir(), `switchboard-workspace-ca-${process.pid}.pem`);

    before(async function () {
      emulator = await Emulator.start({ apiKey: API_KEY, answer: ANSWER });
      // "The other host": a second emulator on another port that workspace settings point to.
      otherHost = await Emulator.start({ answer: 'This server should never be asked.' });
      workspaceProxy = await startProxy({ connectPorts: [emulator.port, otherHost.port] });
      workspaceSettings = {
        // The user's profile name with the user's base URL and extra headers, and a profile only the workspace has.
        'switchboard.profiles': [
          { ...emulatorProfile(emulator), headers: { 'X-Workspace-Header': 'from-the-workspace' } },
          emulatorProfile(otherHost, 'workspace-only'),
        ],
        'switchboard.activeProfile': 'workspace-only',
        'switchboard.network.proxy': workspaceProxy.url,
        'switchboard.network.caCertificates': [workspaceCaFile],
        'switchboard.feedback.endpoint': `${otherHost.url}/feedback`,
        'switchboard.feedback.issueUrl': `${otherHost.url}/issues/new`,
      };
      editor = await startEditor({
        vsixPaths: [vsix],
        trustWorkspace: false,
        workspaceFiles: { 'src/sum.ts': SOURCE },
        userSettings: { 'switchboard.profiles': [emulatorProfile(emulator)] },
        workspaceSettings,
      });
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && editor) {
        await saveFailureArtifacts(editor, `untrusted ${this.currentTest.title}`);
      }
    });

    after(async function () {
      await editor?.stop();
      await emulator?.stop();
      await otherHost?.stop();
      await workspaceProxy?.stop();
    });

    /** Fails when anything reached the other host or the workspace's proxy. */
    function assertNothingElsewhere(): void {
      assert.deepEqual(
        otherHost.requests.map((request) => `${request.method} ${request.path}`),
        [],
        'the workspace\'s host received requests',
      );
      // startProxy's own readiness probe connects once without a request, so only request lines count.
      const proxyLines = workspaceProxy.output().split('\n').filter((line) => /Request \(file descriptor/.test(line));
      assert.deepEqual(proxyLines, [], 'the workspace\'s proxy received connections');
    }

    it('every restricted setting is exercised', function () {
      const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } } };
      const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
      assert.ok(restricted.length > 0, 'package.json lists no restricted settings');
      const missing = restricted.filter((setting) => !(setting in workspaceSettings));
      assert.deepEqual(missing, [], 'restricted settings that this test does not set in the workspace');
    });

    it('key goes only to the user\'s profile', async function () {
      // The status item shows that Switchboard has activated, so the palette lists its commands.
      await waitForStatus(editor, /gpt-4o-mini Set API key/);
      await setApiKey(editor, API_KEY);
      // The workspace's activeProfile names a profile that only the workspace has, so only the user's profile can be active.
      await waitForStatus(editor, /gpt-4o-mini \d+ ms/);

      await editor.openFile('src/sum.ts');
      await editor.selectLines(1, 3);
      await editor.runCommand('Switchboard: Explain Selection');
      const text = await waitForAnswer(editor, /Finished/);
      assert.ok(text.includes(ANSWER));
      assert.match(text, /Profile: \*\*emulator\*\*/);
      await editor.screenshot('switchboard-untrusted');

      assert.ok(emulator.requests.some((request) => request.headers.authorization === `Bearer ${API_KEY}`), 'the user\'s profile got no request');
      const withWorkspaceHeader = emulator.requests.filter((request) => request.headers['x-workspace-header'] !== undefined);
      assert.deepEqual(
        withWorkspaceHeader.map((request) => request.path),
        [],
        'requests carried the workspace profile\'s header',
      );
      assertNothingElsewhere();

      const logs = await editor.logs();
      const switchboardLog = Object.entries(logs.files)
        .filter(([file]) => file.endsWith('Switchboard.log'))
        .map(([, logText]) => logText)
        .join('\n');
      assert.ok(!switchboardLog.includes(path.basename(workspaceCaFile)), 'the workspace\'s certificate file was read');
      assert.ok(!switchboardLog.includes(`127.0.0.1:${otherHost.port}`), 'the log names the workspace\'s host');
      await recordActivationTime(editor);
      recordScenario({ suite: 'secrets', scenario: 'untrusted workspace redirects profile, proxy and certificates' });
    });

    it('feedback ignores the workspace endpoint and issue page', async function () {
      const frame = await openForm(editor);
      await fillForm(frame, 'Untrusted workspace feedback test.');
      await frame.click('#submit');
      // The form shows "Saved. Sending…" first, then where the submission went.
      const saved = await eventually('the form to report where the submission went', async () => {
        const status = await statusText(frame);
        return status.startsWith('Saved') && !status.includes('Sending') ? status : undefined;
      });
      assert.match(saved, /No feedback endpoint is set/, `the form used an endpoint: ${saved}`);

      const offer = await editor.waitForNotification(/No feedback endpoint is set, so it was not sent/);
      assert.deepEqual(offer.buttons, ['Open Issue Reporter'], 'the workspace\'s issue page is offered');
      await editor.screenshot('switchboard-untrusted-feedback');
      assertNothingElsewhere();
      recordScenario({ suite: 'secrets', scenario: 'untrusted workspace redirects feedback', atRisk: 1, lost: 0 });
    });
  });
});
