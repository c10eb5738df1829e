/**
 * The periodic connection check of the active profile. It lists models (no tokens are
 * generated), runs only while the window has focus, and its first run waits a few seconds
 * after activation so that starting the server never slows activation down.
 */

import * as vscode from 'vscode';

export interface HealthCheckOptions {
  /** Milliseconds from start() to the first check. */
  firstDelayMs: number;
  /** Milliseconds between checks while the window has focus. */
  intervalMs: number;
}

export const DEFAULT_HEALTH_CHECK_OPTIONS: HealthCheckOptions = { firstDelayMs: 3000, intervalMs: 5 * 60_000 };

export class HealthCheck implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;
  private running: Promise<void> | undefined;
  private rerun: Promise<void> | undefined;
  private started = false;
  private readonly windowListener: vscode.Disposable;

  /**
   * @param check runs one check; it decides itself whether there is anything to check.
   */
  constructor(
    private readonly check: () => Promise<void>,
    private readonly options: HealthCheckOptions = DEFAULT_HEALTH_CHECK_OPTIONS,
  ) {
    this.windowListener = vscode.window.onDidChangeWindowState((state) => this.onWindowState(state.focused));
  }

  /** Schedules the first check; later ones follow every interval while the window has focus. */
  start(): void {
    this.started = true;
    this.schedule(this.options.firstDelayMs);
  }

  /**
   * Runs a check now. While one is in progress, another follows it once, because the
   * running one may have started before the change that prompted this call.
   */
  runNow(): Promise<void> {
    if (this.running) {
      const next = () => {
        this.rerun = undefined;
        return this.runNow();
      };
      this.rerun ??= this.running.then(next, next);
      return this.rerun;
    }
    this.running = this.check().finally(() => {
      this.running = undefined;
      this.lastRun = Date.now();
      this.schedule(this.options.intervalMs);
    });
    return this.running;
  }

  private onWindowState(focused: boolean): void {
    if (!this.started) return;
    if (!focused) {
      this.cancel();
      return;
    }
    const due = this.lastRun + this.options.intervalMs - Date.now();
    this.schedule(this.lastRun === 0 ? this.options.firstDelayMs : Math.max(0, due));
  }

  private schedule(delayMs: number): void {
    this.cancel();
    if (!vscode.window.state.focused) return;
    this.timer = setTimeout(() => void this.runNow(), delayMs);
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.cancel();
    this.windowListener.dispose();
  }
}
