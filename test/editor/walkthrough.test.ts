// The getting-started walkthrough and local-server detection in a real VS Code (code-server),
// with an emulated Ollama on 127.0.0.1. The emulator's port reaches detection through the
// SWITCHBOARD_DETECT_PORTS environment variable, so no other port of this machine is probed.
// Needs `npm run setup:editor` once; the test packages the extension when the .vsix is missing
// or older than the bundles. Screenshots go to test-results/screenshots/. With
// SWITCHBOARD_UPDATE_MEDIA=1 the test also replaces the walkthrough's images in media/walkthrough/
// and the README's media/screenshot.png with the ones it takes.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import type { Locator } from 'playwright-core';

import { Emulator } from '../emulator/emulator';
import { type Editor, repoRoot, startEditor } from './harness';
import { STATUS_ID, eventually, waitForStatus } from './wait';

const ANSWER = 'The sum function adds its two arguments and returns the result.';
const MODELS = ['llama3.2', 'qwen2.5-coder', 'mistral'];
/** Ollama lists models with their tag, which the emulated Ollama adds as Ollama does. */
const CHOSEN_MODEL = 'qwen2.5-coder:latest';
const WALKTHROUGH = 'switchboard.switchboard#switchboard.gettingStarted';
const TEST_TIMEOUT_MS = 120_000;
const UPDATE_MEDIA = process.env.SWITCHBOARD_UPDATE_MEDIA === '1';

const SOURCE = `export function sum(a: number, b: number): number {
  return a + b;
}

export function product(values: number[]): number {
  return values.reduce((total, value) => total * value, 1);
}
`;

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

/** Returns the walkthrough step's entry in the step list. */
function step(editor: Editor, id: string): Locator {
  return editor.page.locator(`.getting-started-step[data-step-id="${WALKTHROUGH}#${id}"]`);
}

async function isStepDone(editor: Editor, id: string): Promise<boolean> {
  return (await step(editor, id).getAttribute('aria-checked', { timeout: 10_000 })) === 'true';
}

async function waitForStepDone(editor: Editor, id: string): Promise<void> {
  await editor.page.locator(`.getting-started-step[data-step-id="${WALKTHROUGH}#${id}"][aria-checked="true"]`).waitFor({ timeout: 30_000 });
}

/** Expands a step unless it is expanded already (a click on an expanded step collapses it), then clicks one of its buttons. */
async function clickStepButton(editor: Editor, id: string, button: string): Promise<void> {
  if ((await step(editor, id).getAttribute('aria-expanded', { timeout: 10_000 })) !== 'true') await step(editor, id).click();
  await step(editor, id).locator('a.monaco-button', { hasText: button }).click({ timeout: 10_000 });
}

/** Dismisses every notification, so a screenshot shows only the ones that follow. */
async function clearNotifications(editor: Editor): Promise<void> {
  await editor.runCommand('Notifications: Clear All Notifications');
  // The workbench gives the focus back a moment later, which would close a command palette opened at once.
  await delay(1000);
}

/** Brings the walkthrough's tab to the front. */
async function showWalkthrough(editor: Editor): Promise<void> {
  await editor.page.locator('.tabs-container .tab', { hasText: 'Walkthrough: Switchboard' }).first().click();
  await editor.page.locator('.gettingStartedContainer').waitFor({ timeout: 10_000 });
}

async function answerText(editor: Editor): Promise<string> {
  await editor.page.locator('.tabs-container .tab', { hasText: /\d+\.md$/ }).last().click();
  const state = await editor.activeEditorState();
  assert.match(state.uri, /^switchboard-answer:/, `the clicked tab shows ${state.uri}, not an answer`);
  return state.text;
}

/** Saves a PNG of one part of the page into media/ when SWITCHBOARD_UPDATE_MEDIA=1. */
async function saveMedia(editor: Editor, file: string, region: Locator | Locator[], padding = 8): Promise<void> {
  if (!UPDATE_MEDIA) return;
  const boxes = await Promise.all((Array.isArray(region) ? region : [region]).map((locator) => locator.first().boundingBox()));
  const found = boxes.filter((box) => box !== null);
  assert.ok(found.length > 0, `nothing to capture for ${file}`);
  const viewport = editor.page.viewportSize() ?? { width: 1280, height: 800 };
  const left = Math.max(0, Math.min(...found.map((box) => box.x)) - padding);
  const top = Math.max(0, Math.min(...found.map((box) => box.y)) - padding);
  const right = Math.min(viewport.width, Math.max(...found.map((box) => box.x + box.width)) + padding);
  const bottom = Math.min(viewport.height, Math.max(...found.map((box) => box.y + box.height)) + padding);
  const target = path.join(repoRoot, 'media', file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await editor.page.screenshot({ path: target, clip: { x: left, y: top, width: right - left, height: bottom - top } });
}

async function saveFailureArtifacts(editor: Editor, title: string): Promise<void> {
  await editor.screenshot(`failed-walkthrough-${title}`).catch(() => undefined);
  const logs = await editor.logs().catch(() => undefined);
  if (!logs) return;
  const channel = Object.entries(logs.files).find(([file]) => file.endsWith('Switchboard.log'));
  const name = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await fs.mkdir(path.join(repoRoot, 'test-results/logs'), { recursive: true });
  await fs.writeFile(path.join(repoRoot, `test-results/logs/walkthrough-${name}.log`), `${channel?.[1] ?? '(no Switchboard log)'}\n\n--- extension host ---\n${logs.extensionHost}`);
}

describe('Switchboard walkthrough in VS Code', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let vsix: string;
  let emulator: Emulator;
  let editor: Editor;
  let profileName: string;

  before(async function () {
    this.timeout(300_000);
    vsix = packagedExtension();
    emulator = await Emulator.start({ identity: 'ollama', models: MODELS, answer: ANSWER });
    const port = emulator.port;
    profileName = `ollama-local-${port}`;
    editor = await startEditor({
      vsixPaths: [vsix],
      workspaceFiles: { 'src/sum.ts': SOURCE },
      // The harness turns this off for other tests; Switchboard opens its walkthrough only when it is on.
      userSettings: { 'workbench.welcomePage.walkthroughs.openOnInstall': true },
      env: { SWITCHBOARD_DETECT_PORTS: JSON.stringify({ ollama: port, lmstudio: port, llamacpp: port, vllm: port }) },
    });
    // Without the Explorer the walkthrough shows its steps and pages side by side, as in a wider window.
    await editor.runCommand('View: Close Primary Side Bar');
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

  it('opens on first start', async function () {
    const container = editor.page.locator('.gettingStartedContainer');
    await container.waitFor({ timeout: 30_000 });
    await editor.page.locator('.gettingStartedContainer h2.category-title', { hasText: 'Get started with Switchboard' }).waitFor({ timeout: 10_000 });
    const titles = await editor.page.locator('.getting-started-step .step-title').allInnerTexts();
    assert.deepEqual(titles, [
      'Choose a provider',
      'Store a key, or connect a local server',
      'Test the connection',
      'Run a first action on your code',
      'Read the troubleshooting guide',
      'Send feedback',
    ]);
    for (const id of ['chooseProvider', 'connect', 'checkConnection', 'firstAction']) {
      assert.equal(await isStepDone(editor, id), false, `${id} is ticked before anything was done`);
    }
    assert.equal(await waitForStatus(editor, /Not configured/), '$(gear) Switchboard Not configured');

    // The step's page is a webview whose image comes from media/walkthrough/ in the installed package.
    const page = await editor.findFrame('img[src*="choose-provider.png"]');
    await page.waitForFunction(() => {
      const image = document.querySelector<HTMLImageElement>('img[src*="choose-provider.png"]');
      return image !== null && image.complete && image.naturalWidth > 0;
    }, undefined, { timeout: 10_000 });
    await editor.screenshot('walkthrough-first-start');
  });

  it('detection button adds the emulated Ollama', async function () {
    await clearNotifications(editor);
    await clickStepButton(editor, 'connect', 'Detect Local Servers');
    const items = await eventually('the detected servers', async () => {
      const listed = await editor.quickPickItems();
      return listed.some((item) => item.label.startsWith('Use ')) ? listed : undefined;
    });
    assert.deepEqual(
      items.map((item) => item.label),
      ['Use Ollama (3 models)'],
    );
    assert.match(items[0].description, new RegExp(`^http://127\\.0\\.0\\.1:${emulator.port}/v1 · version `));
    await editor.screenshot('walkthrough-detected-servers');
    await saveMedia(editor, 'walkthrough/connect.png', editor.page.locator('.quick-input-widget'), 0);
    await editor.pickQuickPickItem('Use Ollama (3 models)');

    const models = await eventually('the model list', async () => {
      const listed = await editor.quickPickItems();
      return listed.some((item) => item.label === CHOSEN_MODEL) ? listed : undefined;
    });
    assert.equal(models[0].label, 'llama3.2:latest');
    await editor.pickQuickPickItem(CHOSEN_MODEL);

    const notification = await editor.waitForNotification(`Added the profile "${profileName}" for Ollama with model ${CHOSEN_MODEL}`);
    assert.deepEqual(notification.buttons, ['Check Connection']);
    const settingsFile = path.join(path.dirname(editor.workspacePath), 'user-data', 'User', 'settings.json');
    const settings = JSON.parse(await fs.readFile(settingsFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(settings['switchboard.profiles'], [{ name: profileName, preset: 'ollama', baseUrl: `http://127.0.0.1:${emulator.port}/v1`, model: CHOSEN_MODEL }]);
    assert.equal(settings['switchboard.activeProfile'], profileName);

    await waitForStepDone(editor, 'chooseProvider');
    await waitForStepDone(editor, 'connect');
    assert.equal(await isStepDone(editor, 'checkConnection'), false, 'the connection step ticked before any check');
    await editor.screenshot('walkthrough-after-detection');
  });

  it('step ticks after the connection check', async function () {
    emulator.reset();
    await clearNotifications(editor);
    await clickStepButton(editor, 'checkConnection', 'Check Connection');
    const notification = await editor.waitForNotification(new RegExp(`Profile "${profileName}" is reachable: 3 models listed in \\d+ ms`));
    assert.equal(notification.severity, 'info');
    // Ollama profiles list their models through Ollama's own /api/tags.
    const paths = emulator.requests.map((request) => request.path);
    assert.ok(paths.includes('/api/tags'), `the check did not list the emulator's models: ${paths.join(', ')}`);
    await waitForStepDone(editor, 'checkConnection');
    await waitForStatus(editor, /qwen2\.5-coder:latest \d+ ms/);
    await editor.screenshot('walkthrough-connection-checked');
    const toast = editor.page.locator('.notification-toast-container').filter({ hasText: 'is reachable' }).first();
    if (UPDATE_MEDIA) {
      // A long message is cut to one line until the toast is expanded.
      await toast.hover();
      await toast.locator('.codicon-notifications-expand').click({ timeout: 2000 }).catch(() => undefined);
      await editor.page.mouse.move(0, 0);
    }
    await saveMedia(editor, 'walkthrough/check-connection.png', [toast, editor.page.locator(`.statusbar-item[id="${STATUS_ID}"]`)]);
  });

  it('created profile answers Explain Selection', async function () {
    emulator.reset();
    await clearNotifications(editor);
    // The walkthrough's page can take the focus while it loads, which closes Quick Open.
    await editor.runCommand('View: Close All Editor Groups');
    await editor.openFile('src/sum.ts');
    await editor.selectLines(1, 3);
    await editor.runCommand('Switchboard: Explain Selection');

    const text = await eventually('the finished answer', async () => {
      const current = await answerText(editor);
      return /Finished/.test(current) ? current : undefined;
    });
    assert.ok(text.includes(ANSWER), `the answer document lacks the emulator's answer:\n${text}`);
    assert.match(text, new RegExp(`Profile: \\*\\*${profileName}\\*\\* · Model: \`${CHOSEN_MODEL.replace('.', '\\.')}\``));
    const chat = emulator.requests.find((request) => request.path === '/v1/chat/completions');
    assert.ok(chat, 'no chat request reached the emulator');
    assert.equal(chat.json.model, CHOSEN_MODEL);

    await editor.page.locator('.tabs-container .tab', { hasText: 'sum.ts' }).first().click();
    await clearNotifications(editor);
    await editor.page.mouse.move(0, 0);
    await delay(500);
    await editor.screenshot('walkthrough-first-answer');
    await saveMedia(editor, 'walkthrough/first-action.png', editor.page.locator('.part.editor'), 0);
    await saveMedia(editor, 'screenshot.png', editor.page.locator('.monaco-workbench'), 0);

    await editor.runCommand('Switchboard: Get Started');
    await editor.page.locator('.gettingStartedContainer').waitFor({ timeout: 30_000 });
    await waitForStepDone(editor, 'firstAction');
  });

  it('troubleshooting button opens the guide', async function () {
    assert.equal(await isStepDone(editor, 'troubleshooting'), false);
    await clickStepButton(editor, 'troubleshooting', 'Open the Troubleshooting Guide');
    await editor.page.locator('.tabs-container .tab', { hasText: 'Preview troubleshooting.md' }).first().waitFor({ timeout: 30_000 });
    await editor.screenshot('walkthrough-troubleshooting-guide');
    await showWalkthrough(editor);
    await waitForStepDone(editor, 'troubleshooting');
  });

  it('captures the other walkthrough images', async function () {
    if (!UPDATE_MEDIA) this.skip();
    await editor.runCommand('Switchboard: Select Profile');
    await eventually('the profile list', async () => ((await editor.quickPickItems()).some((item) => item.label === profileName) ? true : undefined));
    await saveMedia(editor, 'walkthrough/choose-provider.png', editor.page.locator('.quick-input-widget'), 0);
    await editor.page.keyboard.press('Escape');

    const status = editor.page.locator(`.statusbar-item[id="${STATUS_ID}"]`);
    await status.hover();
    const hover = editor.page.locator('.workbench-hover, .monaco-hover:not(.hidden)').filter({ visible: true }).first();
    await hover.waitFor({ timeout: 10_000 });
    await delay(300);
    await saveMedia(editor, 'walkthrough/troubleshooting.png', [hover, status]);
    await editor.page.mouse.move(0, 0);

    await clearNotifications(editor);
    await clickStepButton(editor, 'sendFeedback', 'Send Feedback');
    await editor.page.locator('.tabs-container .tab', { hasText: 'Switchboard Feedback' }).first().waitFor({ timeout: 30_000 });
    await editor.findFrame('#feedback-form');
    await delay(500);
    await saveMedia(editor, 'walkthrough/send-feedback.png', editor.page.locator('.editor-group-container.active'), 0);
    await showWalkthrough(editor);
    await waitForStepDone(editor, 'sendFeedback');
  });

  it('opens again only on request', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    const page = editor.page;
    const reloaded = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 60_000 });
    await editor.runCommand('Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await waitForStatus(editor, /qwen2\.5-coder:latest/, 60_000);
    // The first-start opening runs right after activate() returns, which the status-bar item shows has happened.
    await delay(3000);
    assert.equal(await page.locator('.gettingStartedContainer').count(), 0, 'the walkthrough opened again by itself');

    await editor.runCommand('Switchboard: Get Started');
    await page.locator('.gettingStartedContainer').waitFor({ timeout: 30_000 });
    for (const id of ['chooseProvider', 'connect', 'checkConnection', 'firstAction', 'troubleshooting']) {
      assert.equal(await isStepDone(editor, id), true, `${id} lost its tick`);
    }
    await editor.screenshot('walkthrough-get-started');
  });
});

describe('Switchboard walkthrough with openOnInstall off', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let editor: Editor;

  before(async function () {
    this.timeout(300_000);
    // The harness's default user settings set workbench.welcomePage.walkthroughs.openOnInstall to false.
    editor = await startEditor({ vsixPaths: [packagedExtension()] });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      await saveFailureArtifacts(editor, `off ${this.currentTest.title}`);
    }
  });

  after(async function () {
    await editor?.stop();
  });

  it('stays closed on first start', async function () {
    await waitForStatus(editor, /Not configured/);
    const log = await eventually('the log line about the walkthrough', async () => {
      const logs = await editor.logs();
      const channel = Object.entries(logs.files).find(([file]) => file.endsWith('Switchboard.log'))?.[1] ?? '';
      return channel.includes('walkthrough') ? channel : undefined;
    });
    assert.match(log, /The getting-started walkthrough was not opened, because workbench\.welcomePage\.walkthroughs\.openOnInstall is false\./);
    assert.equal(await editor.page.locator('.gettingStartedContainer').count(), 0, 'the walkthrough opened');
  });
});
