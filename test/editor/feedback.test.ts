// The feedback form of the packaged .vsix in a real VS Code (code-server), filled in and sent
// in the browser, against a feedback endpoint this test runs on 127.0.0.1. Needs
// `npm run setup:editor` once. Run under the editor lock, because two editors at once
// overload the machine:
//   flock /tmp/switchboard-editor.lock npx mocha --timeout 180000 out/test/editor/feedback.test.js
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { Emulator } from '../emulator/emulator';
import { fillForm, FORM, openForm, statusText } from './feedback-form';
import { type Editor, repoRoot, startEditor } from './harness';
import { eventually } from './wait';

const TEST_TIMEOUT_MS = 180_000;
const STORAGE_FOLDER = 'switchboard.switchboard';
/** A string that must never reach a log or the store, because it stands for a hostile page's content. */
const HOSTILE_MARKER = 'hostile-content-7f3a';

const API_KEY = 'sk-test-feedback-0123456789abcdef';
const ANSWER = 'The sum function adds its two arguments.';
const SOURCE = `export function sum(a: number, b: number): number {
  return a + b;
}
`;

interface StoredLine {
  id: string;
  type: string;
  helpful?: boolean;
  note?: string;
  answerId?: string;
  profile?: string;
  model?: string;
  prompt?: string;
  answerText?: string;
  kind?: string;
  rating?: number;
  message?: string;
  contact?: string;
  diagnostics?: { extensionVersion: string; status: string; serverPhase: string; recentErrors: unknown[] };
}

/** Returns the packaged extension, running `npm run package` first when it is missing or stale. */
function packagedExtension(): string {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const vsix = path.join(repoRoot, `switchboard-${version}.vsix`);
  const newest = Math.max(...['dist/extension.js', 'media/feedback/feedback.js', 'media/feedback/feedback.css'].map((file) => statSync(path.join(repoRoot, file)).mtimeMs));
  if (!existsSync(vsix) || newest > statSync(vsix).mtimeMs) {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: 'inherit' });
  }
  return vsix;
}

/** A feedback endpoint on a fixed 127.0.0.1 port that can be stopped and started again. */
class FeedbackEndpoint {
  readonly received: { headers: http.IncomingHttpHeaders; body: StoredLine }[] = [];
  private server: http.Server | undefined;

  private constructor(readonly port: number) {}

  /** Reserves a free port without listening on it, so the endpoint starts out down. */
  static async reserve(): Promise<FeedbackEndpoint> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new FeedbackEndpoint(port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/feedback`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as StoredLine });
        response.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function storageDir(editor: Editor): string {
  return path.join(path.dirname(editor.workspacePath), 'user-data', 'User', 'globalStorage', STORAGE_FOLDER);
}

async function readJsonLines(file: string): Promise<StoredLine[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as StoredLine);
}

async function storedRecords(editor: Editor): Promise<StoredLine[]> {
  return readJsonLines(path.join(storageDir(editor), 'feedback.jsonl'));
}

async function deliveryEvents(editor: Editor): Promise<{ id: string; status: string }[]> {
  return (await readJsonLines(path.join(storageDir(editor), 'delivery.jsonl'))) as unknown as { id: string; status: string }[];
}

/** Switchboard's log channel: every Switchboard.log under the user-data logs, joined. */
async function switchboardLog(editor: Editor): Promise<string> {
  const logs = await editor.logs();
  return Object.entries(logs.files)
    .filter(([file]) => file.endsWith('Switchboard.log'))
    .map(([, text]) => text)
    .join('\n');
}

/**
 * Returns the pids of the extension hosts of this editor's code-server: processes with
 * `--type=extensionHost` in the process group of the code-server started for `userDataDir`.
 */
function extensionHostPids(userDataDir: string): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), pgid: Number(match[2]), args: match[3] }));
  const server = table.find((row) => row.args.includes('code-server/out/node/entry.js') && row.args.includes(`--user-data-dir ${userDataDir}`));
  if (!server) return [];
  return table.filter((row) => row.pgid === server.pgid && row.args.includes('--type=extensionHost')).map((row) => row.pid);
}

describe('Switchboard feedback form', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let vsix: string;
  let endpoint: FeedbackEndpoint;
  let editor: Editor;

  before(async function () {
    this.timeout(300_000);
    vsix = packagedExtension();
    endpoint = await FeedbackEndpoint.reserve();
    editor = await startEditor({
      vsixPaths: [vsix],
      // The walkthrough that opens on install would take the focus from the command palette.
      userSettings: { 'switchboard.feedback.endpoint': endpoint.url, 'workbench.welcomePage.walkthroughs.openOnInstall': false },
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      await editor.screenshot(`failed-feedback-${this.currentTest.title}`).catch(() => undefined);
      const log = await switchboardLog(editor).catch(() => '');
      await fs.mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
      await fs.writeFile(path.join(repoRoot, 'test-results', `failed-feedback-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-')}.log`), log);
    }
  });

  after(async function () {
    await editor?.stop();
    await endpoint?.stop();
  });

  it('form is saved, then delivered once the endpoint is up', async function () {
    const frame = await openForm(editor);
    const message = 'The connection drops after an hour; form test.';
    await fillForm(frame, message);

    await frame.check('#attach-diagnostics');
    const preview = await eventually('the diagnostics preview', async () => {
      const text = (await frame.textContent('#diagnostics-text')) ?? '';
      return text.includes('"extensionVersion"') ? text : undefined;
    });
    assert.equal(await frame.isVisible('#diagnostics'), true);
    assert.match(preview, /"serverPhase"/);
    const violations = (await editor.logs()).browserConsole.filter((line) => /Content Security Policy|Refused to/i.test(line));
    assert.deepEqual(violations, [], 'the form broke its own Content-Security-Policy');
    await editor.screenshot('feedback-form');

    await frame.click('#submit');
    await eventually('the form to report the save', async () => ((await statusText(frame)).startsWith('Saved') ? true : undefined));

    const stored = (await storedRecords(editor)).find((record) => record.message === message);
    assert.ok(stored, 'the submission is not in feedback.jsonl');
    assert.equal(stored.type, 'form');
    assert.equal(stored.kind, 'connection');
    assert.equal(stored.rating, 4);
    assert.equal(stored.contact, 'tester@example.com');
    assert.ok(stored.diagnostics, 'the diagnostics were not attached');
    assert.equal(JSON.stringify(stored.diagnostics, null, 2), preview, 'the stored report differs from the one shown');

    // The endpoint is down, so the first attempts fail and are retried with backoff.
    await eventually('a logged retry', async () => ((await switchboardLog(editor)).includes(`Feedback ${stored.id}: attempt 1 of 6`) ? true : undefined));
    assert.deepEqual(await deliveryEvents(editor), []);

    await endpoint.start();
    const delivered = await eventually('the endpoint to receive the submission', async () => endpoint.received.find((request) => request.body.id === stored.id), 60_000);
    assert.equal(delivered.body.message, message);
    assert.equal(delivered.headers['idempotency-key'], stored.id);
    const events = await eventually('the delivery event', async () => (await deliveryEvents(editor)).find((event) => event.id === stored.id));
    assert.equal(events.status, 'delivered');
    await eventually('the form to report the delivery', async () => ((await statusText(frame)).startsWith('Sent') ? true : undefined));
    await editor.screenshot('feedback-form-sent');
  });

  it('hostile messages are rejected and logged', async function () {
    const frame = await editor.findFrame(FORM);
    const before = await storedRecords(editor);
    const host = frame.parentFrame();
    assert.ok(host, 'the form frame has no parent frame');

    // acquireVsCodeApi() may be called once per page and the form already did, so the test
    // posts through the function that the API wraps in VS Code 1.100's webview host frame.
    const valid = { kind: 'bug', rating: 3, message: HOSTILE_MARKER, contact: '', attachDiagnostics: false };
    const hostile: unknown[] = [
      { type: 'submit', draft: { ...valid, rating: 9 } },
      { type: 'submit', draft: { ...valid, extra: HOSTILE_MARKER } },
      { type: 'submit', draft: { ...valid, message: HOSTILE_MARKER.repeat(1000) } },
      { type: HOSTILE_MARKER },
      [HOSTILE_MARKER],
    ];
    for (const message of hostile) {
      await host.evaluate((payload) => {
        const post = (window as unknown as Record<string, (channel: string, data: unknown) => void>).__vscode_post_message__;
        post('onmessage', { message: payload });
      }, message);
    }

    const log = await eventually('five logged rejections', async () => {
      const text = await switchboardLog(editor);
      return (text.match(/Feedback form: rejected a message/g) ?? []).length >= 5 ? text : undefined;
    });
    assert.match(log, /rejected a message of type submit: draft\.rating is not a whole number from 1 to 5\. Nothing was stored\./);
    assert.match(log, /rejected a message of type submit: draft: the message has 1 field\(s\) the form does not send/);
    assert.match(log, /rejected a message of type submit: draft\.message is longer than 5000 characters/);
    assert.match(log, /rejected a message of type \(unknown\): the message type is not one the form sends/);
    assert.match(log, /rejected a message of type \(unknown\): the message is an array, not an object/);
    assert.ok(!log.includes(HOSTILE_MARKER), 'the log contains the content of a rejected message');

    await delay(1000);
    const after = await storedRecords(editor);
    assert.equal(after.length, before.length, 'a rejected message was stored');
    assert.ok(!JSON.stringify(after).includes(HOSTILE_MARKER));
  });

  it('killed extension host loses no acknowledged submission', async function () {
    await endpoint.stop();
    const frame = await editor.findFrame(FORM);
    const message = 'Sent just before the extension host was killed.';
    await fillForm(frame, message);
    await frame.click('#submit');
    await eventually('the form to report the save', async () => ((await statusText(frame)) === 'Saved. Sending…' ? true : undefined));

    const userDataDir = path.join(path.dirname(editor.workspacePath), 'user-data');
    const pids = extensionHostPids(userDataDir);
    assert.ok(pids.length > 0, 'no extension host process was found');
    for (const pid of pids) process.kill(pid, 'SIGKILL');

    await endpoint.start();
    // A reload starts a new extension host, as restarting VS Code would.
    await editor.page.reload({ waitUntil: 'domcontentloaded' });
    await editor.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 90_000 });

    const stored = (await storedRecords(editor)).filter((record) => record.message === message);
    assert.equal(stored.length, 1, 'the acknowledged submission is not stored exactly once');
    const delivered = await eventually('the queued submission to be delivered after the restart', async () => endpoint.received.find((request) => request.body.id === stored[0].id), 90_000);
    assert.equal(delivered.body.message, message);
    const event = await eventually('the delivery event', async () => (await deliveryEvents(editor)).find((each) => each.id === stored[0].id));
    assert.equal(event.status, 'delivered');
  });
});

describe('Switchboard answer ratings and diagnostics', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let emulator: Emulator;
  let endpoint: FeedbackEndpoint;
  let editor: Editor;

  before(async function () {
    this.timeout(300_000);
    const vsix = packagedExtension();
    emulator = await Emulator.start({ apiKey: API_KEY, answer: ANSWER });
    endpoint = await FeedbackEndpoint.reserve();
    await endpoint.start();
    editor = await startEditor({
      vsixPaths: [vsix],
      workspaceFiles: { 'src/sum.ts': SOURCE },
      userSettings: {
        'switchboard.profiles': [{ name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }],
        'switchboard.feedback.endpoint': endpoint.url,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
      },
    });
    await editor.statusBarItem('switchboard.status', 60_000);
    await delay(2000);
    await editor.runCommand('View: Close All Editor Groups');
    await editor.runCommand('Switchboard: Set API Key');
    await editor.typeInQuickInput(API_KEY);
    await editor.waitForNotification(/API key saved for profile/);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      await editor.screenshot(`failed-feedback-${this.currentTest.title}`).catch(() => undefined);
    }
  });

  after(async function () {
    await editor?.stop();
    await endpoint?.stop();
    await emulator?.stop();
  });

  /** Runs Explain Selection on the first lines of sum.ts and waits for the answer's rating lenses. */
  async function explainAndWaitForLenses(): Promise<void> {
    await editor.runCommand('View: Close All Editor Groups');
    await editor.openFile('src/sum.ts');
    await editor.selectLines(1, 3);
    await editor.runCommand('Switchboard: Explain Selection');
    await editor.page.locator('.codelens-decoration a', { hasText: 'Not helpful' }).first().waitFor({ timeout: 60_000 });
  }

  it('rating stores ids without the prompt', async function () {
    await explainAndWaitForLenses();
    await editor.screenshot('feedback-answer-rating');
    await editor.page.locator('.codelens-decoration a', { hasText: 'Not helpful' }).first().click();
    await editor.typeInQuickInput('Too vague.');
    // The opt-in item starts unticked, so Enter saves the rating without the prompt.
    const items = await editor.quickPickItems();
    assert.deepEqual(items.map((item) => item.label), ['Include my prompt and the answer text']);
    await editor.page.keyboard.press('Enter');

    const rating = await eventually('the stored rating', async () => (await storedRecords(editor)).find((record) => record.type === 'answerRating' && record.note === 'Too vague.'));
    assert.equal(rating.helpful, false);
    assert.equal(rating.profile, 'emulator');
    assert.equal(rating.model, 'gpt-4o-mini');
    assert.match(rating.answerId ?? '', /^[0-9a-f]{6}$/);
    assert.equal(rating.prompt, undefined);
    assert.equal(rating.answerText, undefined);

    const delivered = await eventually('the rating at the endpoint', async () => endpoint.received.find((request) => request.body.id === rating.id));
    assert.equal(delivered.body.answerId, rating.answerId);
    await editor.page.locator('.codelens-decoration', { hasText: 'Rated not helpful' }).first().waitFor({ timeout: 10_000 });
  });

  it('rating includes the prompt after opt-in', async function () {
    await explainAndWaitForLenses();
    await editor.page.locator('.codelens-decoration a', { hasText: /Helpful$/ }).first().click();
    await editor.typeInQuickInput('');
    await editor.quickPickItems();
    await editor.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Include my prompt' }).first().click();
    await editor.page.keyboard.press('Enter');

    const rating = await eventually('the stored rating with its prompt', async () => (await storedRecords(editor)).find((record) => record.type === 'answerRating' && record.helpful === true));
    assert.equal(rating.note, undefined);
    assert.ok(rating.prompt?.includes('return a + b;'), `the prompt lacks the selection: ${rating.prompt}`);
    assert.equal(rating.answerText, ANSWER);
  });

  it('summary counts the stored ratings', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    await editor.runCommand('Switchboard: Show Feedback Summary');
    // The summary is short enough that the editor renders every line, so its text is read from the page.
    const lines = editor.page.locator('.editor-group-container.active .view-lines');
    const text = await eventually('the summary document', async () => {
      const current = (await lines.innerText()).replace(/\u00a0/g, ' ');
      return current.startsWith('# Switchboard Feedback Summary') ? current : undefined;
    });
    assert.match(text, /\| Helpful \| 1 \|/);
    assert.match(text, /\| Not helpful \| 1 \|/);
    assert.match(text, /2 stored item\(s\): 0 form submission\(s\) and 2 answer rating\(s\)\. 0 not delivered yet\./);
  });

  it('export writes CSV through the save dialog', async function () {
    await editor.runCommand('Switchboard: Export Feedback');
    await editor.pickQuickPickItem('CSV');
    // code-server shows VS Code's own save dialog, a quick input prefilled with the default path.
    const target = path.join(editor.workspacePath, 'switchboard-feedback.csv');
    const input = editor.page.locator('.quick-input-widget .quick-input-box input').filter({ visible: true });
    await eventually('the save dialog', async () => ((await input.inputValue()).endsWith('switchboard-feedback.csv') ? true : undefined));
    await input.press('Enter');
    const csv = await eventually('the exported file', async () => fs.readFile(target, 'utf8').catch(() => undefined));
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^id,type,createdAt,kind,rating,helpful,message,/);
    assert.ok(lines.some((line) => line.includes(',answerRating,') && line.includes('Too vague.')), csv);
  });

  it('diagnostics include the doctor without the key', async function () {
    await editor.runCommand('View: Close All Editor Groups');
    await editor.runCommand('Switchboard: Send Feedback');
    const frame = await editor.findFrame(FORM);
    await frame.check('#attach-diagnostics');
    const preview = await eventually(
      'the diagnostics preview with the doctor report',
      async () => {
        const text = (await frame.textContent('#diagnostics-text')) ?? '';
        return text.includes('"doctor"') ? text : undefined;
      },
      90_000,
    );
    const report = JSON.parse(preview) as { profile: { host: string; kind: string }; doctor: { steps: { id: string; status: string }[] } };
    assert.equal(report.profile.host, new URL(emulator.url).host);
    assert.equal(report.profile.kind, 'openai');
    assert.equal(report.doctor.steps.find((step) => step.id === 'authentication')?.status, 'pass');
    assert.ok(!preview.includes(API_KEY), 'the report contains the API key');
    await editor.screenshot('feedback-form-diagnostics');
  });
});

/**
 * A new-issue page under the reserved `.invalid` domain (RFC 2606), which never resolves. The
 * harness aborts the browser's request to it before any lookup and records the URL, so the
 * test reads the prefilled URL from there. A loopback issue page does not work here, because
 * code-server rewrites localhost links to its own port proxy.
 */
const ISSUE_URL = 'https://issues.example.invalid/new';

describe('Switchboard feedback without an endpoint', function () {
  this.timeout(TEST_TIMEOUT_MS);
  let editor: Editor;

  before(async function () {
    this.timeout(300_000);
    const vsix = packagedExtension();
    editor = await startEditor({ vsixPaths: [vsix], userSettings: { 'switchboard.feedback.issueUrl': ISSUE_URL, 'workbench.welcomePage.walkthroughs.openOnInstall': false } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      await editor.screenshot(`failed-feedback-${this.currentTest.title}`).catch(() => undefined);
    }
  });

  after(async function () {
    await editor?.stop();
  });

  it('submission is kept and offered as an issue', async function () {
    const frame = await openForm(editor);
    const message = 'No endpoint is set; this becomes an issue.';
    await fillForm(frame, message);
    await frame.click('#submit');
    await eventually('the form to report local storage', async () => ((await statusText(frame)).startsWith('Saved on this computer. No feedback endpoint') ? true : undefined));

    const stored = (await storedRecords(editor)).find((record) => record.message === message);
    assert.ok(stored, 'the submission is not in feedback.jsonl');
    const event = await eventually('the delivery event', async () => (await deliveryEvents(editor)).find((each) => each.id === stored.id));
    assert.equal(event.status, 'keptLocally');

    const notification = await editor.waitForNotification('No feedback endpoint is set');
    assert.deepEqual(notification.buttons, ['Open Issue Page', 'Open Issue Reporter']);
    await editor.clickNotificationButton('Open Issue Page', 'No feedback endpoint is set');
    // VS Code asks before opening a link to a domain the user has not trusted.
    await editor.page.locator('.monaco-dialog-box').getByRole('button', { name: 'Open', exact: true }).click({ timeout: 15_000 });
    const opened = await eventually('the issue page to be opened', async () => (await editor.logs()).blockedRequests.find((url) => url.startsWith(ISSUE_URL)));
    const query = new URL(opened).searchParams;
    assert.equal(query.get('title'), `[connection] ${message}`);
    assert.match(query.get('body') ?? '', /- Rating: 4 of 5/);
    assert.match(query.get('body') ?? '', new RegExp(`- Feedback id: ${stored.id}`));
  });
});
