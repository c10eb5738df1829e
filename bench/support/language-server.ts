/**
 * Starts dist/server.js over stdio for the scenarios that measure the language server, with
 * the CPU profile and heap snapshot flags that `npm run profile` requests.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createProtocolConnection,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { chatProgress, chatRequest, type ChatResult } from '../../src/protocol/protocol';
import type { ChatEvent, ChatRequest } from '../../src/engine/types';
import { ENV, REPOSITORY, SERVER_BUNDLE } from './environment';

export interface BenchServer {
  connection: ProtocolConnection;
  child: ChildProcess;
  /** Milliseconds from spawning the process to the initialize result. */
  initializeMs: number;
  /** Sends a chat request with a progress token and returns its result and the events of its progress batches. */
  chat(request: ChatRequest): Promise<{ result: ChatResult; events: ChatEvent[] }>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra Node flags, such as --expose-gc. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

/** Copies the environment without keys, proxies and Switchboard settings of the machine. */
function serverEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/API_KEY|PROXY|^SWITCHBOARD_|^NODE_OPTIONS$/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Creates and returns `server/` inside the profile folder when profiling, or returns undefined. */
function serverProfileDirectory(): string | undefined {
  const directory = process.env[ENV.profileDirectory];
  if (!directory) return undefined;
  const serverDirectory = path.join(directory, 'server');
  mkdirSync(serverDirectory, { recursive: true });
  return serverDirectory;
}

/** Returns the flags that write a CPU profile, and a heap snapshot on SIGUSR2, into `directory`. */
function profileFlags(directory: string | undefined): string[] {
  if (!directory) return [];
  const flags = ['--cpu-prof', `--cpu-prof-dir=${directory}`];
  if (process.env[ENV.heapSnapshot] === '1') flags.push('--heapsnapshot-signal=SIGUSR2');
  return flags;
}

let tokens = 0;

export async function startServer(options: StartOptions = {}): Promise<BenchServer> {
  const started = performance.now();
  const profileDirectory = serverProfileDirectory();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...profileFlags(profileDirectory), SERVER_BUNDLE, '--stdio'], {
    // A heap snapshot from SIGUSR2 is written to the working folder.
    cwd: profileDirectory ?? REPOSITORY,
    env: serverEnvironment(options.env ?? {}),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
  const initializeMs = performance.now() - started;
  await connection.sendNotification(InitializedNotification.type, {});

  return {
    connection,
    child,
    initializeMs,
    chat: async (request) => {
      const token = `bench-${++tokens}`;
      const events: ChatEvent[] = [];
      const subscription = connection.onProgress(chatProgress, token, (batch) => {
        events.push(...batch);
      });
      try {
        const result = await connection.sendRequest(chatRequest, { request, partialResultToken: token });
        return { result, events };
      } finally {
        subscription.dispose();
      }
    },
    stop: async () => {
      if (process.env[ENV.heapSnapshot] === '1' && profileDirectory) {
        child.kill('SIGUSR2');
        // Writing the snapshot blocks the server; the shutdown request waits for it.
      }
      await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
      await connection.sendNotification(ExitNotification.type).catch(() => undefined);
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
      connection.dispose();
    },
  };
}
