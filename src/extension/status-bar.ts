/** The connection indicator: owns the one status-bar item and re-renders it when an input changes. */

import * as vscode from 'vscode';

import type { ProfileStatus } from '../engine/engine';
import { deriveStatus, renderStatus, STATUS_TOOLTIP_COMMANDS, type StatusDetails, type StatusInputs, type StatusState } from './status-view';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private inputs: StatusInputs = { server: 'notStarted', localRequests: 0 };
  private details: StatusDetails = {};
  private countdown: NodeJS.Timeout | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Switchboard Connection';
    this.item.command = 'switchboard.showStatusActions';
    this.render();
    this.item.show();
  }

  /** The state shown now, for callers that act on it (such as the status quick pick). */
  get state(): StatusState {
    return deriveStatus(this.inputs, Date.now());
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

  requestStarted(): void {
    this.update({ localRequests: this.inputs.localRequests + 1 });
  }

  requestEnded(): void {
    this.update({ localRequests: Math.max(0, this.inputs.localRequests - 1) });
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
    this.scheduleCountdown(state);
  }

  /** Re-renders every second while a rate-limit countdown runs. */
  private scheduleCountdown(state: StatusState): void {
    if (this.countdown) clearTimeout(this.countdown);
    this.countdown = state.kind === 'rateLimited' ? setTimeout(() => this.render(), 1000) : undefined;
  }

  dispose(): void {
    if (this.countdown) clearTimeout(this.countdown);
    this.item.dispose();
  }
}
