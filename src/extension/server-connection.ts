/**
 * The language server's lifetime. It starts dist/server.js over IPC on first need, pushes
 * settings and keys after every start, and restarts a crashed server with one notification
 * per crash. A server that cannot start becomes an error that commands can explain.
 */

import { once } from 'node:events';
import * as path from 'node:path';

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ProgressType, RequestType } from 'vscode-jsonrpc';

import { statusNotification, type StatusParams } from '../protocol/protocol';
import { CrashBudget, LineTail } from './crash-budget';
import type { createLanguageClient } from './language-client';
import type { ServerPhase } from './status-view';

/** Milliseconds to wait for the exit code after the connection closes. */
const EXIT_WAIT_MS = 1000;

export interface ServerConnectionOptions {
  /** Absolute path of dist/server.js. */
  serverModule: string;
  /** Folder where the server keeps what it learned about models (the extension's global storage). */
  storagePath?: string;
  log: vscode.LogOutputChannel;
  /** Whether to create the LSP trace channel; read each time a client is created. */
  traceEnabled(): boolean;
  /** Pushes settings and keys to a freshly started server; runs before any other request. */
  onStarted(connection: ServerConnection): Promise<void>;
}

/** Raised by requests when the server is not running and cannot be started; identified by `name`. */
export class ServerUnavailableError extends Error {
  override readonly name = 'ServerUnavailableError';
}

export function isServerUnavailable(error: unknown): error is ServerUnavailableError {
  return (error as Error | undefined)?.name === 'ServerUnavailableError';
}

/**
 * Loads dist/language-client.js, a bundle of its own, so that activation does not load
 * vscode-languageclient. The path is built at run time so esbuild leaves the require alone.
 *
 * That bundle has its own copy of vscode-jsonrpc, which compares parameter-structure
 * objects by identity, so messages are passed to the client by method name, never as the
 * RequestType objects of this bundle's copy.
 */
function loadClientFactory(): typeof createLanguageClient {
  const module = path.join(__dirname, 'language-client.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a run-time path, loaded on first need.
  return (require(module) as { createLanguageClient: typeof createLanguageClient }).createLanguageClient;
}

export class ServerConnection implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private traceChannel: vscode.LogOutputChannel | undefined;
  private notificationSubscription: vscode.Disposable | undefined;
  private phaseValue: ServerPhase = 'notStarted';
  private stoppedReason: string | undefined;
  private synced: Promise<void> = Promise.resolve();
  /** Whether the current server process reached Running, so a close is a crash rather than a failed start. */
  private reachedRunning = false;
  /** The exit code or signal of the last server process, taken from its exit event because the client forgets the process on exit. */
  private lastExit: Promise<string> | undefined;
  private readonly crashBudget = new CrashBudget();
  private readonly stderrTail = new LineTail();
  private readonly phaseEmitter = new vscode.EventEmitter<ServerPhase>();
  private readonly statusEmitter = new vscode.EventEmitter<StatusParams>();

  readonly onDidChangePhase = this.phaseEmitter.event;
  /** The server's connection state of every profile, as it sends it. */
  readonly onStatus = this.statusEmitter.event;

  constructor(private readonly options: ServerConnectionOptions) {}

  get phase(): ServerPhase {
    return this.phaseValue;
  }

  get stopReason(): string | undefined {
    return this.stoppedReason;
  }

  get isRunning(): boolean {
    return this.phaseValue === 'running';
  }

  /** Starts the server if needed and waits until it has its settings and keys. */
  async start(): Promise<LanguageClient> {
    if (this.phaseValue === 'stopped') {
      throw new ServerUnavailableError(this.stoppedReason ?? notRunningMessage());
    }
    const client = (this.client ??= this.createClient());
    try {
      await client.start();
    } catch (error) {
      const reason = this.describeFailedStart(error);
      this.setPhase('stopped', reason);
      throw new ServerUnavailableError(reason);
    }
    await this.synced;
    return client;
  }

  /** Sends a request, starting the server first; the token's cancellation reaches the server as `$/cancelRequest`. */
  async sendRequest<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.start();
    // With a method name, vscode-jsonrpc counts an explicit `undefined` token as a second parameter.
    return token ? client.sendRequest<R>(type.method, params, token) : client.sendRequest<R>(type.method, params);
  }

  /** Sends a request to a server that is already running, as the post-start sync does; never starts one. */
  sendRequestToRunningServer<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    if (!this.client) return Promise.reject(new ServerUnavailableError(notRunningMessage()));
    return this.client.sendRequest<R>(type.method, params);
  }

  /** Registers a handler for `$/progress` with this token; call start() first. */
  onProgress<P>(type: ProgressType<P>, token: string, handler: (value: P) => void): vscode.Disposable {
    if (!this.client) throw new ServerUnavailableError(notRunningMessage());
    return this.client.onProgress(type, token, handler);
  }

  /** Stops the server if it runs and starts a new one, clearing a stop after repeated crashes. */
  async restart(): Promise<void> {
    this.options.log.info('Restarting the language server.');
    await this.disposeClient();
    this.crashBudget.reset();
    this.setPhase('notStarted');
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.disposeClient();
    this.phaseEmitter.dispose();
    this.statusEmitter.dispose();
  }

  private createClient(): LanguageClient {
    const log = this.options.log;
    const debugLogging = log.logLevel === vscode.LogLevel.Trace || log.logLevel === vscode.LogLevel.Debug;
    this.traceChannel = this.options.traceEnabled() ? vscode.window.createOutputChannel('Switchboard LSP Trace', { log: true }) : undefined;
    this.reachedRunning = false;

    const client = loadClientFactory()({
      serverModule: this.options.serverModule,
      env: { ...process.env, ...(debugLogging ? { SWITCHBOARD_DEBUG: '1' } : {}) },
      outputChannel: log,
      traceOutputChannel: this.traceChannel,
      initializationOptions: { storagePath: this.options.storagePath },
      hooks: {
        onStarting: () => this.setPhase('starting'),
        onRunning: () => this.onRunning(client),
        onClosed: () => this.onConnectionClosed(),
        onConnectionError: (error, count) => {
          log.error(`Language server connection error (${count ?? 1} in a row): ${error.message}`);
          return count !== undefined && count > 3 ? 'shutdown' : 'continue';
        },
        onStderrLine: (line) => this.stderrTail.push(line),
      },
    });
    this.notificationSubscription = client.onNotification(statusNotification.method, (params: StatusParams) => this.statusEmitter.fire(params));
    return client;
  }

  private onRunning(client: LanguageClient): void {
    this.reachedRunning = true;
    const process = client.serverProcess;
    this.lastExit = process
      ? once(process, 'exit').then(
          ([code, signal]) => (signal ? vscode.l10n.t('signal {0}', String(signal)) : vscode.l10n.t('exit code {0}', String(code))),
          (error: unknown) => vscode.l10n.t('process error: {0}', describe(error)),
        )
      : undefined;
    this.options.log.info(`Language server started (process ${process?.pid ?? 'unknown'}).`);
    // Requests wait for `synced`, so none reaches a server that lacks its profiles and keys.
    this.synced = this.options
      .onStarted(this)
      .catch((error: unknown) => this.options.log.error(`Sending the settings to the language server failed: ${describe(error)}`))
      .finally(() => {
        if (this.client === client && client.isRunning()) this.setPhase('running');
      });
  }

  /** Decides whether to restart after the connection closed, and shows one notification about it. */
  private async onConnectionClosed(): Promise<'restart' | 'stop'> {
    const stderr = this.stderrTail.text;
    const stderrReport = stderr ? ` Its last stderr lines:\n${stderr}` : ' It wrote nothing to stderr.';
    // A server that never finished starting is reported by start(), which the caller awaits.
    if (!this.reachedRunning) {
      this.options.log.error(`The language server stopped before it finished starting.${stderrReport}`);
      return 'stop';
    }

    const exit = await this.waitForExit();
    this.options.log.error(`The language server stopped (${exit}).${stderrReport}`);
    this.reachedRunning = false;
    if (this.crashBudget.recordCrash(Date.now())) {
      this.stderrTail.clear();
      this.setPhase('starting');
      void this.announce('warning', vscode.l10n.t('The Switchboard language server stopped unexpectedly ({0}) and was restarted. Requests in progress were lost.', exit), ['showLogs']);
      return 'restart';
    }

    const windowMinutes = this.crashBudget.windowMs / 60_000;
    const reason = vscode.l10n.t(
      'The Switchboard language server stopped {0} times in {1} minutes (last: {2}) and was not restarted.',
      this.crashBudget.maxRestarts + 1,
      windowMinutes,
      exit,
    );
    this.setPhase('stopped', reason);
    void this.announce('error', reason, ['restartServer', 'showLogs']);
    return 'stop';
  }

  /** Returns how the server process ended, waiting up to EXIT_WAIT_MS for its exit event. */
  private async waitForExit(): Promise<string> {
    const exit = this.lastExit;
    this.lastExit = undefined;
    if (!exit) return vscode.l10n.t('process unknown');
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(vscode.l10n.t('connection closed, process still running')), EXIT_WAIT_MS));
    return Promise.race([exit, timeout]);
  }

  private describeFailedStart(error: unknown): string {
    return vscode.l10n.t('The Switchboard language server could not start: {0}', this.stderrTail.summary() ?? describe(error));
  }

  private async announce(severity: 'warning' | 'error', message: string, actions: ('showLogs' | 'restartServer')[]): Promise<void> {
    const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const titles = { showLogs: vscode.l10n.t('Show Logs'), restartServer: vscode.l10n.t('Restart Server') };
    const choice = await show(message, ...actions.map((action) => titles[action]));
    if (choice === titles.showLogs) this.options.log.show(true);
    if (choice === titles.restartServer) await vscode.commands.executeCommand('switchboard.restartServer');
  }

  private setPhase(phase: ServerPhase, reason?: string): void {
    this.stoppedReason = phase === 'stopped' ? reason : undefined;
    if (phase === this.phaseValue) return;
    this.phaseValue = phase;
    this.phaseEmitter.fire(phase);
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.notificationSubscription?.dispose();
    this.notificationSubscription = undefined;
    this.stderrTail.clear();
    if (client) {
      try {
        if (client.needsStop()) await client.dispose(2000);
      } catch (error) {
        this.options.log.warn(`Stopping the language server failed: ${describe(error)}`);
      }
    }
    this.traceChannel?.dispose();
    this.traceChannel = undefined;
  }
}

function notRunningMessage(): string {
  return vscode.l10n.t('The Switchboard language server is not running.');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
