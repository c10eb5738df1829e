/**
 * Answers shown as read-only Markdown documents beside the code. Each answer is a virtual
 * document (`switchboard-answer:` scheme) whose content is re-rendered from its state; a
 * change event, at most every UPDATE_INTERVAL_MS, lets VS Code re-read it while events stream in.
 */

import * as vscode from 'vscode';

import { createRequestId } from '../engine/request-id';
import type { ChatEvent, ChatMessage } from '../engine/types';
import { applyEvents, createAnswerState, renderAnswerMarkdown, type AnswerOutcome, type AnswerState } from './answer-markdown';

export const ANSWER_SCHEME = 'switchboard-answer';

/** Milliseconds between two content updates while an answer streams. */
const UPDATE_INTERVAL_MS = 50;

/** Answers kept in memory; the oldest closed ones are dropped past this. */
const MAX_ANSWERS = 50;

/** What a rating of the answer links to: its local id and the messages that were sent. */
export interface AnswerMetadata {
  /** Six hex characters, created when the document opens, the same way as the engine's request ids. */
  id: string;
  messages: readonly ChatMessage[];
}

export class AnswerDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly answers = new Map<string, AnswerState>();
  private readonly metadata = new Map<string, AnswerMetadata>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  private counter = 0;

  readonly onDidChange = this.changeEmitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    const state = this.answers.get(uri.toString());
    return state ? renderAnswerMarkdown(state) : `_${vscode.l10n.t('This answer is no longer available.')}_\n`;
  }

  /** Creates an answer document and shows it beside the active editor without taking focus. */
  async open(title: string, profile: string, model: string, messages: readonly ChatMessage[] = []): Promise<AnswerHandle> {
    this.counter += 1;
    const uri = vscode.Uri.from({ scheme: ANSWER_SCHEME, path: `/${title} ${this.counter}.md` });
    this.answers.set(uri.toString(), createAnswerState(title, profile, model, Date.now()));
    this.metadata.set(uri.toString(), { id: createRequestId(), messages });
    this.dropOldAnswers();
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
    return new AnswerHandle(uri, this);
  }

  /** Changes an answer's state and schedules a content update. */
  update(uri: vscode.Uri, change: (state: AnswerState) => void, immediately = false): void {
    const key = uri.toString();
    const state = this.answers.get(key);
    if (!state) return;
    change(state);
    if (immediately) {
      clearTimeout(this.pending.get(key));
      this.pending.delete(key);
      this.changeEmitter.fire(uri);
    } else if (!this.pending.has(key)) {
      this.pending.set(key, setTimeout(() => {
        this.pending.delete(key);
        this.changeEmitter.fire(uri);
      }, UPDATE_INTERVAL_MS));
    }
  }

  get(uri: vscode.Uri): AnswerState | undefined {
    return this.answers.get(uri.toString());
  }

  metadataOf(uri: vscode.Uri): AnswerMetadata | undefined {
    return this.metadata.get(uri.toString());
  }

  /** Returns the URI of the answer with this local id, while it is kept in memory. */
  findById(id: string): vscode.Uri | undefined {
    for (const [key, metadata] of this.metadata) {
      if (metadata.id === id) return vscode.Uri.parse(key, true);
    }
    return undefined;
  }

  private dropOldAnswers(): void {
    const open = new Set(vscode.workspace.textDocuments.map((document) => document.uri.toString()));
    for (const key of this.answers.keys()) {
      if (this.answers.size <= MAX_ANSWERS) break;
      if (open.has(key)) continue;
      this.answers.delete(key);
      this.metadata.delete(key);
    }
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.changeEmitter.dispose();
  }
}

/** One answer's document, for the code that streams into it. */
export class AnswerHandle {
  constructor(
    readonly uri: vscode.Uri,
    private readonly documents: AnswerDocuments,
  ) {}

  get state(): AnswerState | undefined {
    return this.documents.get(this.uri);
  }

  append(events: readonly ChatEvent[]): void {
    this.documents.update(this.uri, (state) => applyEvents(state, events, Date.now()));
  }

  /** Records how the request ended, unless an error event already did. */
  finish(outcome: AnswerOutcome): void {
    this.documents.update(
      this.uri,
      (state) => {
        state.totalMs = Date.now() - state.startedAt;
        state.retry = undefined;
        if (state.outcome.kind === 'streaming') state.outcome = outcome;
      },
      true,
    );
  }
}
