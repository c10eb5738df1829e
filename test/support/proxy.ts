/**
 * A real HTTP proxy for tests: Debian's tinyproxy (installed by scripts/setup-network-tests.sh),
 * started in the foreground on a free 127.0.0.1 port with a configuration generated in a
 * temporary folder, and stopped by `stop()`.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface ProxyOptions {
  /** Ports that CONNECT may open tunnels to; tinyproxy refuses CONNECT to any other port with 403. */
  connectPorts: number[];
  /** Requires Basic proxy authentication with this user name and password. */
  basicAuth?: { user: string; password: string };
}

export interface TestProxy {
  /** `http://127.0.0.1:PORT`, without credentials. */
  url: string;
  port: number;
  /** The URL with the user name and password of `basicAuth` (or the ones given). */
  urlWithCredentials(user?: string, password?: string): string;
  /** Everything tinyproxy wrote so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 3000;
const START_ATTEMPTS = 3;

/** Throws with the setup command when tinyproxy is not installed. */
export function requireTinyproxy(): void {
  const probe = spawnSync('tinyproxy', ['-v'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(`tinyproxy is not installed (${probe.error.message}). Run: bash scripts/setup-network-tests.sh (as root).`);
  }
}

/**
 * Starts tinyproxy. The free port is found by binding port 0 and closing it, so another
 * process may take it before tinyproxy binds. A start that fails is tried again on a new port.
 */
export async function startProxy(options: ProxyOptions): Promise<TestProxy> {
  requireTinyproxy();
  const directory = await mkdtemp(path.join(tmpdir(), 'switchboard-proxy-'));
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await findFreePort();
    const configFile = path.join(directory, 'tinyproxy.conf');
    await writeFile(configFile, buildConfig(port, options));
    try {
      return await launch(port, configFile, directory, options);
    } catch (error) {
      lastError = error as Error;
    }
  }
  await rm(directory, { recursive: true, force: true });
  throw lastError ?? new Error('tinyproxy did not start.');
}

function buildConfig(port: number, options: ProxyOptions): string {
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    'LogLevel Info',
    'MaxClients 50',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    ...options.connectPorts.map((connectPort) => `ConnectPort ${connectPort}`),
  ];
  if (options.basicAuth) {
    // tinyproxy 1.11 reads the password as one word, so test passwords contain no spaces.
    if (/\s/.test(options.basicAuth.user + options.basicAuth.password)) throw new RangeError('Proxy user names and passwords for tinyproxy cannot contain white space.');
    lines.push(`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`);
  }
  return `${lines.join('\n')}\n`;
}

async function launch(port: number, configFile: string, directory: string, options: ProxyOptions): Promise<TestProxy> {
  // -d keeps tinyproxy in the foreground, so this process owns it and can stop it by its pid.
  const child = spawn('tinyproxy', ['-d', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  try {
    await waitUntilListening(port, exited);
  } catch (error) {
    await stopChild(child, exited);
    throw new Error(`${(error as Error).message}\ntinyproxy output:\n${output.join('')}`);
  }

  const url = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    urlWithCredentials: (user = options.basicAuth?.user ?? '', password = options.basicAuth?.password ?? '') =>
      `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    output: () => output.join(''),
    stop: () => {
      stopping ??= stopChild(child, exited).then(() => rm(directory, { recursive: true, force: true }));
      return stopping;
    },
  };
}

async function waitUntilListening(port: number, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`tinyproxy exited with status ${exitCode} before listening on port ${port}.`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms.`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
