/** The connection indicator: owns the one status-bar item and re-renders it when an input changes. */

import * as vscode from 'vscode';

import type { ProfileStatus } from '../engine/engine';
import { deriveStatus, nextRefreshMs, renderStatus, STATUS_TOOLTIP_COMMANDS, type StatusDetails, type StatusInputs, type StatusState } from './status-view';

/** One request that the indicator counts, from the moment it is sent until it ends. */
export interface TrackedRequest {
  /** Records the request's first event, which ends its wait for a first byte. */
  firstEvent(): void;
  end(): void;
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private inputs: StatusInputs = { server: 'notStarted', localRequests: 0 };
  private details: StatusDetails = {};
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Send times of the requests to loopback servers that have received no event yet. */
  private readonly awaitingLocal = new Set<{ since: number }>();

  constructor() {
    this.item = vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = vscode.l10n.t('Switchboard Connection');
    this.item.command = 'switchboard.showStatusActions';
    this.render();
    this.item.show();
  }

  /** The state shown now, for callers that act on it (such as the status quick pick). */
  get state(): StatusState {
    return deriveStatus(this.inputs, Date.now());
  }

  /** The engine's latest status of the active profile. */
  get engineStatus(): ProfileStatus | undefined {
    return this.inputs.engine;
  }

  update(change: Partial<StatusInputs>): void {
    this.inputs = { ...this.inputs, ...change };
    this.render();
  }

  setDetails(details: StatusDetails): void {
    this.details = details;
    this.render();
  }

  /** Records the engine's status of the active profile and keeps its last error for the tooltip. */
  setEngineStatus(status: ProfileStatus | undefined): void {
    if (status?.lastErrorCode) {
      this.details = { ...this.details, lastError: `${status.lastErrorCode}: ${status.lastErrorMessage ?? ''}` };
    } else if (status?.state === 'connected') {
      this.details = { ...this.details, lastError: undefined };
    }
    this.update({ engine: status });
  }

  /**
   * Counts a request until `end()`. A request to a loopback server that has no event after
   * a few seconds turns the indicator to "Warming up", because local servers load the model
   * on first use.
   */
  requestStarted(options: { loopback?: boolean } = {}): TrackedRequest {
    const waiting = options.loopback ? { since: Date.now() } : undefined;
    if (waiting) this.awaitingLocal.add(waiting);
    this.update({ localRequests: this.inputs.localRequests + 1, awaitingLocalSince: this.oldestAwaitingLocal() });
    let ended = false;
    const stopWaiting = () => {
      if (!waiting || !this.awaitingLocal.delete(waiting)) return;
      this.update({ awaitingLocalSince: this.oldestAwaitingLocal() });
    };
    return {
      firstEvent: stopWaiting,
      end: () => {
        if (ended) return;
        ended = true;
        stopWaiting();
        this.update({ localRequests: Math.max(0, this.inputs.localRequests - 1) });
      },
    };
  }

  /** Shows the countdown of a retry this window scheduled, or removes it. */
  setScheduledRetry(retryAt: number | undefined): void {
    this.update({ scheduledRetry: retryAt === undefined ? undefined : { retryAt } });
  }

  /** Hides the engine's current rate-limit countdown, after the user cancelled it. */
  dismissRateLimit(): void {
    this.update({ dismissedRetryAt: this.inputs.engine?.retryAt });
  }

  private oldestAwaitingLocal(): number | undefined {
    let oldest: number | undefined;
    for (const { since } of this.awaitingLocal) oldest = oldest === undefined ? since : Math.min(oldest, since);
    return oldest;
  }

  private render(): void {
    const now = Date.now();
    const state = deriveStatus(this.inputs, now);
    const view = renderStatus(state, this.details, now);
    this.item.text = view.text;
    this.item.backgroundColor = view.backgroundColor ? new vscode.ThemeColor(view.backgroundColor) : undefined;
    this.item.accessibilityInformation = { label: view.accessibilityLabel, role: 'button' };
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = { enabledCommands: [...STATUS_TOOLTIP_COMMANDS] };
    this.item.tooltip = tooltip;
    this.scheduleRefresh(state, now);
  }

  /** Renders again when the state changes by itself: each second of a countdown, or when a local request starts warming up. */
  private scheduleRefresh(state: StatusState, now: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const delayMs = nextRefreshMs(this.inputs, state, now);
    this.refreshTimer = delayMs === undefined ? undefined : setTimeout(() => this.render(), delayMs);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.item.dispose();
  }
}
