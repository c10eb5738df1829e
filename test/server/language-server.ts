/** Starts dist/server.js over stdio and talks to it as an editor would, recording what it sends. */

import { spawn, type ChildProcess } from 'node:child_process';
import {
  createProtocolConnection,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type InitializeResult,
  type LogMessageParams,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { statusNotification, type StatusParams } from '../../src/protocol/protocol';
import { cleanEnvironment, REPOSITORY, SERVER_BUNDLE } from './bundles';

export interface LanguageServer {
  connection: ProtocolConnection;
  child: ChildProcess;
  logs: LogMessageParams[];
  statuses: StatusParams[];
  /** Every byte the server wrote to stdout, JSON-RPC framing included. */
  stdout(): string;
  stderr(): string;
  initialize(initializationOptions?: unknown): Promise<InitializeResult>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Sends shutdown and exit, and kills the process if it is still running after that. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Arguments for node before the script, such as `--expose-gc`. */
  nodeArguments?: string[];
}

export function startLanguageServer(env: Record<string, string> = {}, options: StartOptions = {}): LanguageServer {
  const child = spawn(process.execPath, [...(options.nodeArguments ?? []), SERVER_BUNDLE, '--stdio'], { cwd: REPOSITORY, env: cleanEnvironment(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const logs: LogMessageParams[] = [];
  const statuses: StatusParams[] = [];
  connection.onNotification(LogMessageNotification.type, (params: LogMessageParams) => {
    logs.push(params);
  });
  connection.onNotification(statusNotification, (params: StatusParams) => {
    statuses.push(params);
  });
  connection.listen();

  let running = true;
  let disposed = false;
  void exited.then(() => {
    running = false;
  });

  return {
    connection,
    child,
    logs,
    statuses,
    exited,
    stdout: () => Buffer.concat(stdout).toString('utf8'),
    stderr: () => Buffer.concat(stderr).toString('utf8'),
    initialize: async (initializationOptions) => {
      const result = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions,
      });
      await connection.sendNotification(InitializedNotification.type, {});
      return result;
    },
    stop: async () => {
      if (running) {
        await Promise.race([shutDown(connection), exited]).catch(() => undefined);
        const timer = setTimeout(() => child.kill(), 3000);
        await exited;
        clearTimeout(timer);
      }
      if (!disposed) connection.dispose();
      disposed = true;
    },
  };
}

async function shutDown(connection: ProtocolConnection): Promise<void> {
  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
}
