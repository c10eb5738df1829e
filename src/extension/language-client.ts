/**
 * Creates the vscode-languageclient client for dist/server.js. This module is built as its
 * own bundle, dist/language-client.js, and loaded on the server's first start: the library
 * is about 430 KB minified, while the code that activation loads stays small.
 */

import * as readline from 'node:readline';
import type { Readable } from 'node:stream';

import type * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, RevealOutputChannelOn, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

import { redactingChannel } from './redacting-channel';

export interface LanguageClientHooks {
  onStarting(): void;
  onRunning(): void;
  /** Decides what to do after the connection closed: start a new server process, or stay stopped. */
  onClosed(): Promise<'restart' | 'stop'>;
  onConnectionError(error: Error, count: number | undefined): 'continue' | 'shutdown';
  onStderrLine(line: string): void;
}

export interface LanguageClientSetup {
  serverModule: string;
  env: NodeJS.ProcessEnv;
  outputChannel: vscode.LogOutputChannel;
  traceOutputChannel?: vscode.LogOutputChannel;
  /** Sent to the server as `initializationOptions` in the initialize request. */
  initializationOptions?: object;
  hooks: LanguageClientHooks;
}

/** A client whose library-made notifications are only logged, because the extension shows its own. */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }
}

export function createLanguageClient(setup: LanguageClientSetup): LanguageClient {
  const { serverModule: module, env, hooks } = setup;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { env } },
    debug: { module, transport: TransportKind.ipc, options: { env, execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  // Both channels are wrapped because the library traces to the output channel when no trace channel is given.
  const clientOptions: LanguageClientOptions = {
    outputChannel: redactingChannel(setup.outputChannel),
    traceOutputChannel: setup.traceOutputChannel && redactingChannel(setup.traceOutputChannel),
    initializationOptions: setup.initializationOptions,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: {
      error: (error, _message, count) => ({ action: hooks.onConnectionError(error, count) === 'shutdown' ? ErrorAction.Shutdown : ErrorAction.Continue, handled: true }),
      closed: async () => ({ action: (await hooks.onClosed()) === 'restart' ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true }),
    },
    initializationFailedHandler: (error) => {
      setup.outputChannel.error(`The language server failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    },
    stdioOptions: {
      stdout: (input, channel) => forEachLine(input, (line) => channel.info(line)),
      stderr: (input, channel) =>
        forEachLine(input, (line) => {
          hooks.onStderrLine(line);
          channel.error(`[server stderr] ${line}`);
        }),
    },
  };

  const client = new QuietLanguageClient('switchboard', 'Switchboard', serverOptions, clientOptions);
  client.onDidChangeState((event) => {
    if (event.newState === State.Starting) hooks.onStarting();
    if (event.newState === State.Running) hooks.onRunning();
  });
  return client;
}

function forEachLine(input: Readable, handler: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', handler);
}
