/**
 * Editor-test harness: installs packaged extensions into a real VS Code and drives it the
 * way a person would. The editor is code-server 4.100.3 (VS Code 1.100.3's server and web
 * client, installed by scripts/setup-editor-tests.sh), shown in Debian's headless Chromium
 * through playwright-core. Everything runs on 127.0.0.1, and requests that the workbench
 * makes to any other host are aborted and recorded.
 */
import { existsSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';
import {
  assertCodeServerInstalled,
  buildServerEnv,
  CodeServer,
  type CodeServerDirs,
  installExtensions,
  packageExtension,
  repoRoot,
} from './code-server';
import {
  installPageHelpers,
  type NotificationInfo,
  type QuickPickItemInfo,
  type QuickPickRowQuery,
  type StatusBarItemInfo,
  toItemQuery,
  toTextQuery,
} from './page-helpers';

export { packageExtension, repoRoot } from './code-server';
export type { NotificationInfo, QuickPickItemInfo, StatusBarItemInfo } from './page-helpers';

const HELPER_EXTENSION_DIR = path.join(repoRoot, 'test/editor/helper-extension');
const HELPER_COMMAND_TITLE = 'Editor Harness: Write Active Editor State';
const HELPER_STATE_FILE = 'active-editor.json';
const SCREENSHOT_DIR = path.join(repoRoot, 'test-results/screenshots');

const CHROMIUM_PATH = '/usr/bin/chromium';
// Without the networking flags Chromium keeps trying to reach Google's services, and the
// machines that run these tests have no route to the internet.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };

const DEFAULT_TIMEOUT_MS = 30_000;
const WORKBENCH_TIMEOUT_MS = 90_000;
const POLL_INTERVAL_MS = 100;
const MAX_CONSOLE_MESSAGES = 500;

/**
 * User settings written before the user's own. They keep the workbench from opening a
 * welcome page or an extension's walkthrough, which takes the focus and closes a command
 * palette opened at that moment. They also keep it from asking the extension gallery, update
 * service or experiment service for anything, because these machines cannot reach them.
 */
const DEFAULT_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.enableExperiments': false,
};

/** Settings of VS Code 1.100 with machine scope that the harness sets. */
const MACHINE_SCOPED_SETTINGS = ['workbench.welcomePage.walkthroughs.openOnInstall'];

/** Keeps an untrusted workspace untrusted without the modal trust dialog covering the editor. */
const UNTRUSTED_WORKSPACE_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
};

export interface EditorOptions {
  /** Packaged extensions to install before the editor starts. */
  vsixPaths: string[];
  /** Files to create in the workspace, keyed by path relative to the workspace folder. */
  workspaceFiles?: Record<string, string>;
  /** Merged over the harness defaults into the user's settings.json. */
  userSettings?: object;
  /** Written to the workspace's .vscode/settings.json when given. */
  workspaceSettings?: object;
  /**
   * Extra environment variables for code-server, which passes them on to the extension
   * hosts, for example the address of a local provider emulator.
   */
  env?: Record<string, string>;
  /** False leaves workspace trust on and the workspace untrusted (Restricted Mode). Default true. */
  trustWorkspace?: boolean;
  /** Time limit for each wait in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

export interface TextPosition {
  /** Zero-based line, as in the VS Code API. */
  line: number;
  /** Zero-based UTF-16 offset in the line, as in the VS Code API. */
  character: number;
}

export interface ActiveEditorState {
  uri: string;
  languageId: string;
  isDirty: boolean;
  text: string;
  selections: { start: TextPosition; end: TextPosition }[];
}

export interface EditorLogs {
  /** code-server's standard output and error. */
  server: string;
  /** The remote extension host logs, joined. */
  extensionHost: string;
  /** Every file under the user-data `logs/` folder, keyed by path relative to it. */
  files: Record<string, string>;
  /** Errors that the workbench page and its frames wrote to the browser console. */
  browserConsole: string[];
  /**
   * Requests to hosts other than 127.0.0.1, ::1 and localhost, which the harness aborted.
   * Requests that a service worker makes, such as a webview's resource loads, are not seen.
   */
  blockedRequests: string[];
}

/** The editor's temporary folders, all inside `root`, which `stop()` removes. */
interface EditorDirs extends CodeServerDirs {
  root: string;
  chromiumProfile: string;
}

/**
 * Starts code-server with the given extensions installed, opens its workbench in headless
 * Chromium and returns once the workbench is shown. Call `stop()` on the result, also when
 * a test fails. On a failed start everything already started is stopped again.
 */
export async function startEditor(options: EditorOptions): Promise<Editor> {
  return Editor.start(options);
}

/** A running code-server with its workbench open in headless Chromium. */
export class Editor {
  private server: CodeServer | undefined;
  private context: BrowserContext | undefined;
  private openedPage: Page | undefined;
  private readonly browserConsole: string[] = [];
  private readonly blockedRequests: string[] = [];
  private stopped = false;
  private quickPickWaits = 0;
  // Runs when Node exits without `stop()`, for example on Ctrl+C, so only synchronous calls work.
  private readonly cleanUpOnExit = (): void => {
    this.server?.kill();
    rmSync(this.dirs.root, { recursive: true, force: true });
  };

  private constructor(
    private readonly dirs: EditorDirs,
    private readonly timeoutMs: number,
  ) {}

  /** Implements `startEditor`. */
  static async start(options: EditorOptions): Promise<Editor> {
    assertCodeServerInstalled();
    for (const vsixPath of options.vsixPaths) {
      if (!existsSync(vsixPath)) {
        throw new Error(`Extension package not found: ${vsixPath}`);
      }
    }

    const editor = new Editor(await createEditorDirs(), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      await editor.launch(options);
      return editor;
    } catch (error) {
      await editor.stop().catch(() => undefined);
      throw error;
    }
  }

  /** The Playwright page that shows the workbench. */
  get page(): Page {
    if (!this.openedPage) {
      throw new Error('The editor has no page: it was not started or has been stopped.');
    }
    return this.openedPage;
  }

  /** The workspace folder on disk. */
  get workspacePath(): string {
    return this.dirs.workspace;
  }

  private async launch(options: EditorOptions): Promise<void> {
    const trustWorkspace = options.trustWorkspace !== false;
    await writeWorkspace(this.dirs, options, trustWorkspace);

    const helperVsix = await packageExtension(HELPER_EXTENSION_DIR, path.join(this.dirs.root, 'helper-vsix'));
    const env = buildServerEnv(this.dirs, options.env);
    await installExtensions(this.dirs, [...options.vsixPaths, helperVsix], env);

    process.once('exit', this.cleanUpOnExit);
    this.server = await CodeServer.start(this.dirs, env, trustWorkspace, this.timeoutMs);
    await this.openWorkbench(this.server.url);
  }

  /**
   * Runs a command from the command palette: F1, the title typed in, the matching entry
   * chosen. `title` is the palette label, `Category: Title`, matched exactly.
   */
  async runCommand(title: string): Promise<void> {
    const value = `>${title}`;
    await this.openQuickInput(value);
    await this.acceptQuickPickItem(title, `command palette entry "${title}"`);
    await this.waitForQuickInputToLeave(value, `command palette to close after "${title}"`);
  }

  /**
   * Returns the first visible status-bar item whose id is `item` or ends with `.item`
   * (VS Code prefixes the ids of extension items with the extension id), or whose text or
   * accessibility label matches the pattern. Waits up to `timeoutMs` for it to appear.
   */
  async statusBarItem(item: string | RegExp, timeoutMs = this.timeoutMs): Promise<StatusBarItemInfo> {
    const query = toItemQuery(item);
    const target = `status-bar item ${describeItem(item)}`;
    return this.waitFor(
      target,
      async (timeout) => {
        const handle = await this.page.waitForFunction((query) => globalThis.editorHarness.findStatusBarItem(query), query, {
          timeout,
          polling: POLL_INTERVAL_MS,
        });
        return (await handle.jsonValue()) as StatusBarItemInfo;
      },
      timeoutMs,
    );
  }

  /** Hovers over a status-bar item and returns the text of the tooltip that opens. */
  async statusBarItemTooltip(item: string | RegExp): Promise<string> {
    const info = await this.statusBarItem(item);
    const element = this.page.locator(`.statusbar-item[id="${cssString(info.id)}"]`);
    return this.waitFor(`tooltip of status-bar item ${describeItem(item)}`, async (timeout) => {
      await element.hover({ timeout });
      const hover = this.page.locator('.workbench-hover, .monaco-hover:not(.hidden)').filter({ visible: true }).first();
      await hover.waitFor({ state: 'visible', timeout });
      const text = (await hover.innerText({ timeout })).trim();
      await this.page.mouse.move(0, 0);
      return text;
    });
  }

  /** Returns the notifications shown now, as toasts (once faded in) or in the open notification center. */
  async notifications(): Promise<NotificationInfo[]> {
    return this.page.evaluate(() => globalThis.editorHarness.listNotifications());
  }

  /** Waits up to `timeoutMs` for a visible notification whose message contains or matches `message`. */
  async waitForNotification(message: string | RegExp, timeoutMs = this.timeoutMs): Promise<NotificationInfo> {
    const query = toTextQuery(message);
    return this.waitFor(
      `notification ${describeItem(message)}`,
      async (timeout) => {
        const handle = await this.page.waitForFunction(
          (query) =>
            globalThis.editorHarness
              .listNotifications()
              .find((notification) => globalThis.editorHarness.matchesText(notification.message, query)),
          query,
          { timeout, polling: POLL_INTERVAL_MS },
        );
        return (await handle.jsonValue()) as NotificationInfo;
      },
      timeoutMs,
    );
  }

  /**
   * Clicks the button labelled `label` on a visible notification, the first one whose
   * message contains `message` when that is given.
   */
  async clickNotificationButton(label: string, message?: string): Promise<void> {
    let notification = this.page.locator('.notification-list-item').filter({ visible: true });
    if (message !== undefined) {
      notification = notification.filter({ hasText: message });
    }
    const button = notification
      .locator('.notification-list-item-buttons-container')
      .getByRole('button', { name: label, exact: true })
      .first();
    await this.waitFor(`notification button "${label}"`, (timeout) => button.click({ timeout }));
  }

  /**
   * Returns the items of the open quick pick. Only rendered rows are listed, which for a
   * long list are the ones in view. Returns an empty list when the pick shows no items
   * within five seconds.
   */
  async quickPickItems(): Promise<QuickPickItemInfo[]> {
    await this.waitForQuickInput('quick pick');
    const handle = await this.page
      .waitForFunction(
        () => {
          const items = globalThis.editorHarness.listQuickPickItems();
          return items.length > 0 ? items : undefined;
        },
        undefined,
        { timeout: Math.min(5_000, this.timeoutMs), polling: POLL_INTERVAL_MS },
      )
      .catch(() => undefined);
    return handle ? ((await handle.jsonValue()) as QuickPickItemInfo[]) : [];
  }

  /** Chooses the quick-pick item whose label equals `label` (icons written as `$(name)`). */
  async pickQuickPickItem(label: string): Promise<void> {
    await this.waitForQuickInput('quick pick');
    await this.acceptQuickPickItem(label, `quick-pick item "${label}"`);
  }

  /** Types `text` into the open quick input or input box and presses Enter. */
  async typeInQuickInput(text: string): Promise<void> {
    const input = await this.waitForQuickInput('input box');
    await input.fill(text);
    await input.press('Enter');
  }

  /**
   * Opens a workspace file through Quick Open and waits until it is the active editor.
   * `relativePath` uses forward slashes.
   */
  async openFile(relativePath: string): Promise<void> {
    const segments = relativePath.split('/');
    const fileName = segments.pop() ?? relativePath;
    const folder = segments.join(path.sep);
    const expectedPath = path.join(this.dirs.workspace, relativePath);

    await this.openQuickInput(relativePath);
    const query = { label: fileName, descriptionSuffix: folder };
    await this.acceptQuickPickRow(query, `Quick Open entry "${relativePath}"`);
    await this.waitFor(`editor for ${relativePath} to become active`, async (timeout) => {
      await this.page.waitForFunction((expected) => globalThis.editorHarness.activeEditorPath() === expected, expectedPath, {
        timeout,
        polling: POLL_INTERVAL_MS,
      });
    });
  }

  /** Selects the whole document in the active text editor. */
  async selectAll(): Promise<void> {
    await this.focusActiveTextEditor();
    await this.page.keyboard.press('Control+A');
  }

  /**
   * Selects lines `start` to `end` (one-based, inclusive) in the active text editor, from
   * the start of `start` to the end of `end`, and checks the result through the helper
   * extension. Wrapped lines make the check fail, because Shift+Down moves by screen line.
   */
  async selectLines(start: number, end: number): Promise<void> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) {
      throw new Error(`Invalid line range ${start}-${end}: expected whole numbers with 1 <= start <= end.`);
    }
    await this.focusActiveTextEditor();
    await this.openQuickInput(`:${start}`);
    await this.page.keyboard.press('Enter');
    await this.waitForQuickInputToLeave(`:${start}`, `Go to Line ${start}`);

    for (let line = start; line < end; line++) {
      await this.page.keyboard.press('Shift+ArrowDown');
    }
    await this.page.keyboard.press('Shift+End');

    const selection = (await this.activeEditorState()).selections[0];
    if (selection?.start.line !== start - 1 || selection.start.character !== 0 || selection.end.line !== end - 1) {
      throw new Error(`Selecting lines ${start}-${end} produced the selection ${JSON.stringify(selection)}.`);
    }
  }

  /**
   * Returns the active text editor's document and selections, read by the helper
   * extension's command, so unsaved changes are included and the selection is untouched.
   */
  async activeEditorState(): Promise<ActiveEditorState> {
    const stateFile = path.join(this.dirs.helperOutput, HELPER_STATE_FILE);
    await fs.rm(stateFile, { force: true });
    await this.runCommand(HELPER_COMMAND_TITLE);
    const state = await this.waitFor('helper extension to write the active editor state', (timeout) =>
      readWhenPresent(stateFile, timeout),
    );

    const parsed = JSON.parse(state) as ActiveEditorState | { uri: null };
    if (parsed.uri === null) {
      throw new Error('There is no active text editor: the active editor is missing or is not a text editor.');
    }
    return parsed;
  }

  /** Returns the full text of the active text editor, unsaved changes included. */
  async activeEditorText(): Promise<string> {
    return (await this.activeEditorState()).text;
  }

  /**
   * Returns the first frame that contains an element matching `selector`. Webview content
   * sits in nested frames whose names change, so every frame of the page is searched.
   */
  async findFrame(selector: string): Promise<Frame> {
    return this.waitFor(`a frame containing ${selector}`, async (timeout) => {
      const deadline = Date.now() + timeout;
      while (Date.now() < deadline) {
        for (const frame of this.page.frames()) {
          const found = await frame.$(selector).catch(() => null);
          if (found) {
            return frame;
          }
        }
        await delay(POLL_INTERVAL_MS);
      }
      throw new Error(`No frame contained ${selector} after ${timeout} ms.`);
    });
  }

  /** Saves a PNG of the page to test-results/screenshots/NAME.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(SCREENSHOT_DIR, `${toFileName(name)}.png`);
    await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
    await this.page.screenshot({ path: file, timeout: this.timeoutMs });
    return file;
  }

  /** Collects code-server's output, the extension host log and every other log file. */
  async logs(): Promise<EditorLogs> {
    const logsDir = path.join(this.dirs.userData, 'logs');
    const files = await readTextFiles(logsDir);
    const extensionHost = Object.entries(files)
      .filter(([file]) => /(^|\/)exthost\d*\/remoteexthost\.log$/.test(file))
      .map(([, text]) => text)
      .join('\n');
    return {
      server: this.server?.output() ?? '',
      extensionHost,
      files,
      browserConsole: [...this.browserConsole],
      blockedRequests: [...this.blockedRequests],
    };
  }

  /**
   * Closes Chromium, stops code-server and every process in its process group, and
   * removes the temporary folders. Safe to call more than once.
   */
  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    const errors: unknown[] = [];

    await this.context?.close().catch((error: unknown) => errors.push(error));
    this.openedPage = undefined;
    await this.server?.stop().catch((error: unknown) => errors.push(error));
    process.off('exit', this.cleanUpOnExit);
    await fs.rm(this.dirs.root, { recursive: true, force: true }).catch((error: unknown) => errors.push(error));

    if (errors.length > 0) {
      throw new AggregateError(errors, `Stopping the editor failed in ${errors.length} step(s).`);
    }
  }

  private async openWorkbench(serverUrl: string): Promise<void> {
    this.context = await chromium.launchPersistentContext(this.dirs.chromiumProfile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      viewport: VIEWPORT,
      timeout: WORKBENCH_TIMEOUT_MS,
    });
    await this.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serverUrl });
    await this.context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLoopbackUrl(url)) {
        return route.continue();
      }
      this.blockedRequests.push(url);
      return route.abort('blockedbyclient');
    });
    await this.context.addInitScript(installPageHelpers);

    const page = this.context.pages()[0] ?? (await this.context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') {
        this.recordConsoleMessage(message.text());
      }
    });
    page.on('pageerror', (error) => this.recordConsoleMessage(`Uncaught: ${error.message}`));
    this.openedPage = page;

    const url = `${serverUrl}/?${new URLSearchParams({ folder: this.dirs.workspace })}`;
    await this.waitFor(
      'the workbench (.monaco-workbench and its status bar)',
      async (timeout) => {
        await page.goto(url, { timeout, waitUntil: 'domcontentloaded' });
        await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout });
      },
      WORKBENCH_TIMEOUT_MS,
    );
  }

  private recordConsoleMessage(text: string): void {
    if (this.browserConsole.length < MAX_CONSOLE_MESSAGES) {
      this.browserConsole.push(text);
    }
  }

  /**
   * Opens the command palette and replaces its text with `value`. F1 can land before the
   * workbench takes keyboard focus, so the palette is asked for again a few times.
   */
  private async openQuickInput(value: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await this.waitFor('the command palette to open', async (timeout) => {
      const deadline = Date.now() + timeout;
      for (const key of ['F1', 'Control+Shift+P', 'F1']) {
        await this.page.keyboard.press(key);
        const opened = await input
          .filter({ visible: true })
          .waitFor({ state: 'visible', timeout: Math.max(1, Math.min(3_000, deadline - Date.now())) })
          .then(() => true)
          .catch(() => false);
        if (opened) {
          return;
        }
        await this.page.keyboard.press('Escape');
      }
      throw new Error('Neither F1 nor Ctrl+Shift+P opened the command palette.');
    });
    await input.fill(value);
  }

  private async waitForQuickInput(target: string): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input').filter({ visible: true });
    await this.waitFor(target, (timeout) => input.waitFor({ state: 'visible', timeout }));
    return input;
  }

  private async acceptQuickPickItem(label: string, target: string): Promise<void> {
    await this.acceptQuickPickRow({ label }, target);
  }

  /**
   * Chooses the quick-pick row that matches `query` once the list has stopped changing,
   * because the list is filtered asynchronously after each keystroke and Enter pressed too
   * early takes whichever row was focused before.
   */
  private async acceptQuickPickRow(rowQuery: QuickPickRowQuery, target: string): Promise<void> {
    const query = { ...rowQuery, waitId: ++this.quickPickWaits };
    const row = await this.waitFor(target, async (timeout) => {
      const handle = await this.page.waitForFunction((query) => globalThis.editorHarness.findStableQuickPickRow(query), query, {
        timeout,
        polling: POLL_INTERVAL_MS,
      });
      return (await handle.jsonValue()) as { index: number; focused: boolean };
    });

    if (row.focused) {
      await this.page.keyboard.press('Enter');
      return;
    }
    const element = this.page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[data-index="${row.index}"]`);
    await this.waitFor(target, (timeout) => element.click({ timeout }));
  }

  private async waitForQuickInputToLeave(value: string, target: string): Promise<void> {
    await this.waitFor(target, async (timeout) => {
      await this.page.waitForFunction((value) => !globalThis.editorHarness.quickInputShows(value), value, {
        timeout,
        polling: POLL_INTERVAL_MS,
      });
    });
  }

  /** Focuses the active text editor without moving its cursor. */
  private async focusActiveTextEditor(): Promise<void> {
    const textArea = this.page.locator('.editor-group-container.active .monaco-editor textarea.inputarea').first();
    await this.waitFor('the active text editor', async (timeout) => {
      await textArea.waitFor({ state: 'attached', timeout });
      await textArea.focus({ timeout });
    });
  }

  /**
   * Runs `wait` with the time limit and, when it fails, saves a screenshot named after
   * `target`, the thing awaited, and throws an error that names it.
   */
  private async waitFor<T>(target: string, wait: (timeoutMs: number) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      return await wait(timeoutMs);
    } catch (error) {
      const screenshot = this.openedPage
        ? await this.screenshot(`failed-${target}`).catch(() => 'not saved')
        : 'not saved, no page yet';
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new Error(`Waiting for ${target} failed (limit ${timeoutMs} ms): ${reason} [screenshot: ${screenshot}]`, {
        cause: error,
      });
    }
  }
}

function describeItem(item: string | RegExp): string {
  return typeof item === 'string' ? `"${item}"` : String(item);
}

/** Escapes a value for a double-quoted CSS attribute selector. */
function cssString(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}

function toFileName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned.slice(0, 100) || 'screenshot';
}

function isLoopbackUrl(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:' && protocol !== 'ws:' && protocol !== 'wss:') {
    return true;
  }
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
}

async function createEditorDirs(): Promise<EditorDirs> {
  // A short prefix, because VS Code's IPC socket paths inside it must stay under 108 bytes.
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-editor-'));
  const dirs: EditorDirs = {
    root,
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    workspace: path.join(root, 'workspace'),
    chromiumProfile: path.join(root, 'chromium'),
    helperOutput: path.join(root, 'helper-output'),
    xdg: path.join(root, 'xdg'),
  };
  for (const dir of Object.values(dirs)) {
    await fs.mkdir(dir, { recursive: true });
  }
  return dirs;
}

async function writeWorkspace(dirs: EditorDirs, options: EditorOptions, trustWorkspace: boolean): Promise<void> {
  const userSettings = {
    ...DEFAULT_USER_SETTINGS,
    ...(trustWorkspace ? {} : UNTRUSTED_WORKSPACE_SETTINGS),
    ...options.userSettings,
  };
  await writeJson(path.join(dirs.userData, 'User', 'settings.json'), userSettings);
  // code-server's extension host is a remote one, which reads machine-scoped settings only from
  // the Machine folder, so those are written there as well.
  const machineSettings = Object.fromEntries(MACHINE_SCOPED_SETTINGS.filter((key) => key in userSettings).map((key) => [key, (userSettings as Record<string, unknown>)[key]]));
  await writeJson(path.join(dirs.userData, 'Machine', 'settings.json'), machineSettings);
  if (options.workspaceSettings) {
    await writeJson(path.join(dirs.workspace, '.vscode', 'settings.json'), options.workspaceSettings);
  }

  for (const [relativePath, content] of Object.entries(options.workspaceFiles ?? {})) {
    const target = path.resolve(dirs.workspace, relativePath);
    if (path.isAbsolute(relativePath) || !target.startsWith(dirs.workspace + path.sep)) {
      throw new Error(`Workspace file path must stay inside the workspace: ${relativePath}`);
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, content);
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

async function readWhenPresent(file: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`${file} did not appear within ${timeoutMs} ms.`);
}

async function readTextFiles(dir: string): Promise<Record<string, string>> {
  if (!existsSync(dir)) {
    return {};
  }
  const files: Record<string, string> = {};
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files[path.relative(dir, file)] = await fs.readFile(file, 'utf8');
    }
  }
  return files;
}
