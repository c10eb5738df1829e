/**
 * The code-server process behind the editor tests: packaging and installing extensions,
 * and starting code-server on a free 127.0.0.1 port and stopping its whole process group.
 * scripts/setup-editor-tests.sh installs code-server under .vscode-test/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** The repository root: the nearest folder above this file that has a package.json. */
export const repoRoot = findRepoRoot(__dirname);

const CODE_SERVER_VERSION = '4.100.3';
const CODE_SERVER_ENTRY = path.join(repoRoot, '.vscode-test/code-server/node_modules/code-server/out/node/entry.js');
const INSTALL_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;
const MAX_SERVER_OUTPUT_CHARS = 1_000_000;

/** The folders that code-server, its extension hosts and the helper extension use. */
export interface CodeServerDirs {
  userData: string;
  extensions: string;
  workspace: string;
  /** Receives the helper extension's reports on the active editor. */
  helperOutput: string;
  /** Receives code-server's config file and logs, VS Code's IPC sockets and temporary files. */
  xdg: string;
}

export function assertCodeServerInstalled(): void {
  if (!existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} is not installed at ${CODE_SERVER_ENTRY}. Run "npm run setup:editor" as root first.`,
    );
  }
}

/**
 * Packages the extension in `extensionDir` into `outputDir` with @vscode/vsce and returns
 * the .vsix path. Dependencies are left out, so the extension must be plain JavaScript or
 * bundled. A missing repository field and license file are allowed.
 */
export async function packageExtension(extensionDir: string, outputDir: string): Promise<string> {
  const manifest = JSON.parse(await fs.readFile(path.join(extensionDir, 'package.json'), 'utf8'));
  const vsixPath = path.join(outputDir, `${manifest.name}-${manifest.version}.vsix`);
  const vsceBin = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  await fs.mkdir(outputDir, { recursive: true });

  const args = [
    vsceBin,
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--skip-license',
    '--out',
    vsixPath,
  ];
  const result = await runProcess(process.execPath, args, { cwd: extensionDir, timeoutMs: INSTALL_TIMEOUT_MS });
  if (result.exitCode !== 0 || !existsSync(vsixPath)) {
    throw new Error(`vsce package failed for ${extensionDir} (exit code ${result.exitCode}):\n${result.output}`);
  }
  return vsixPath;
}

/** A code-server process, started in its own process group so that stopping it ends its children too. */
export class CodeServer {
  private outputText = '';
  private address = '';

  private constructor(private readonly child: ChildProcess) {
    const append = (chunk: Buffer): void => {
      this.outputText = (this.outputText + chunk.toString()).slice(-MAX_SERVER_OUTPUT_CHARS);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  /** The server's base URL, `http://127.0.0.1:PORT`. */
  get url(): string {
    return this.address;
  }

  static async start(dirs: CodeServerDirs, env: NodeJS.ProcessEnv, trustWorkspace: boolean, timeoutMs: number): Promise<CodeServer> {
    const args = [
      CODE_SERVER_ENTRY,
      '--auth',
      'none',
      // Port 0 lets the system choose a free port, which code-server then prints.
      '--bind-addr',
      '127.0.0.1:0',
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      ...(trustWorkspace ? ['--disable-workspace-trust'] : []),
      dirs.workspace,
    ];
    const server = new CodeServer(spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const port = await waitForListeningPort(server.child, () => server.outputText, timeoutMs);
      server.address = `http://127.0.0.1:${port}`;
      await waitForHealthy(server.address, timeoutMs);
      return server;
    } catch (error) {
      await server.stop().catch(() => undefined);
      throw new Error(`code-server did not start: ${(error as Error).message}\nOutput:\n${server.outputText}`, {
        cause: error,
      });
    }
  }

  /** Returns what code-server has written to standard output and error, up to the last million characters. */
  output(): string {
    return this.outputText;
  }

  /** Sends SIGKILL to the process group at once; for process exit, where nothing can be awaited. */
  kill(): void {
    signalGroup(this.child, 'SIGKILL');
  }

  /** Sends SIGTERM to the process group, then SIGKILL to whatever is left after a grace period. */
  async stop(): Promise<void> {
    signalGroup(this.child, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isGroupAlive(this.child) && Date.now() < deadline) {
      await delay(POLL_INTERVAL_MS);
    }
    if (isGroupAlive(this.child)) {
      signalGroup(this.child, 'SIGKILL');
    }
  }
}

/**
 * Returns the environment for code-server and its extension hosts: the caller's, minus
 * variables that would attach the CLI to a VS Code that runs the tests, plus the harness's.
 */
export function buildServerEnv(dirs: CodeServerDirs, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VSCODE_') && name !== 'ELECTRON_RUN_AS_NODE'),
  );
  return {
    ...inherited,
    // Without a configured gallery code-server queries open-vsx.org, and an empty
    // configuration turns the gallery off.
    EXTENSIONS_GALLERY: '{}',
    // code-server writes its config file and logs under these even when given a user-data folder.
    XDG_CONFIG_HOME: path.join(dirs.xdg, 'config'),
    XDG_DATA_HOME: path.join(dirs.xdg, 'data'),
    // VS Code and its Git extension create their IPC sockets here, and extensions such as
    // the TypeScript one their temporary files, so stop() removes them with the rest.
    XDG_RUNTIME_DIR: dirs.xdg,
    TMPDIR: dirs.xdg,
    ...extra,
    EDITOR_HARNESS_OUTPUT_DIR: dirs.helperOutput,
  };
}

/** Installs the .vsix files with code-server's CLI and checks that each one reports success. */
export async function installExtensions(dirs: CodeServerDirs, vsixPaths: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const args = [CODE_SERVER_ENTRY, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
  for (const vsixPath of vsixPaths) {
    args.push('--install-extension', vsixPath);
  }
  const result = await runProcess(process.execPath, args, { env, timeoutMs: INSTALL_TIMEOUT_MS });

  const missing = vsixPaths.filter(
    (vsixPath) => !result.output.includes(`Extension '${path.basename(vsixPath)}' was successfully installed.`),
  );
  if (result.exitCode !== 0 || missing.length > 0) {
    throw new Error(
      `Installing extensions failed (exit code ${result.exitCode}); not installed: ${missing.join(', ') || 'none'}.\n${result.output}`,
    );
  }
}

interface ProcessResult {
  exitCode: number | null;
  output: string;
}

/** Runs a program to completion, collecting its standard output and error together. */
async function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ProcessResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => {
      const suffix = signal ? `\n(ended by ${signal}; the limit is ${options.timeoutMs} ms)` : '';
      resolve({ exitCode, output: output + suffix });
    });
  });
}

async function waitForListeningPort(child: ChildProcess, output: () => string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output());
    if (match) {
      return Number(match[1]);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (code ${child.exitCode}, signal ${child.signalCode}) before listening.`);
    }
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`code-server printed no listening address within ${timeoutMs} ms.`);
}

async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no response';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        return;
      }
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`${url}/healthz did not answer 200 within ${timeoutMs} ms (last result: ${lastError}).`);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error;
    }
  }
}

function isGroupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) {
    return false;
  }
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`No package.json found above ${start}.`);
    }
    dir = parent;
  }
  return dir;
}
