/**
 * Quick feedback on answers: Helpful and Not helpful code lenses at the top of each finished
 * answer document, and the Rate Answer command behind them. A rating stores the answer's
 * local id, profile and model; the prompt and answer text only when the user ticks the
 * opt-in item.
 */

import * as vscode from 'vscode';

import { redactText } from '../../engine/redact';
import { ANSWER_SCHEME, type AnswerDocuments } from '../answer-documents';
import { createFeedbackId, RECORD_VERSION, type AnswerRating } from './feedback-record';
import type { FeedbackService } from './feedback-service';

/** The argument the code lenses pass to `switchboard.rateAnswer`. */
export interface RateAnswerArgument {
  answerId: string;
  helpful?: boolean;
}

/** Maximum characters of the optional note. */
const MAX_NOTE_LENGTH = 1000;

export class AnswerRatingLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  /** Ratings given in this session, by answer id, so the lens thanks instead of asking again. */
  private readonly rated = new Map<string, boolean>();

  readonly onDidChangeCodeLenses = this.changeEmitter.event;

  constructor(private readonly answers: AnswerDocuments) {
    this.subscription = answers.onDidChange(() => this.changeEmitter.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const state = this.answers.get(document.uri);
    const metadata = this.answers.metadataOf(document.uri);
    if (!state || !metadata || state.outcome.kind === 'streaming') return [];

    const top = new vscode.Range(0, 0, 0, 0);
    const rating = this.rated.get(metadata.id);
    if (rating !== undefined) {
      const title = rating ? vscode.l10n.t('$(check) Rated helpful, thank you') : vscode.l10n.t('$(check) Rated not helpful, thank you');
      return [new vscode.CodeLens(top, { title, command: '' })];
    }
    return [
      new vscode.CodeLens(top, { title: vscode.l10n.t('$(thumbsup) Helpful'), command: 'switchboard.rateAnswer', arguments: [{ answerId: metadata.id, helpful: true }] }),
      new vscode.CodeLens(top, { title: vscode.l10n.t('$(thumbsdown) Not helpful'), command: 'switchboard.rateAnswer', arguments: [{ answerId: metadata.id, helpful: false }] }),
    ];
  }

  markRated(answerId: string, helpful: boolean): void {
    this.rated.set(answerId, helpful);
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

/** Runs Rate Answer: asks what the argument leaves open, saves the rating, then sends it. */
export async function rateAnswer(answers: AnswerDocuments, feedback: FeedbackService, lenses: AnswerRatingLenses, argument: unknown): Promise<void> {
  const uri = resolveAnswer(answers, argument);
  const state = uri && answers.get(uri);
  const metadata = uri && answers.metadataOf(uri);
  if (!state || !metadata) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a Switchboard answer to rate it; answers closed long ago are no longer kept.'));
    return;
  }

  const helpful = helpfulOf(argument) ?? (await pickHelpful());
  if (helpful === undefined) return;
  const note = await vscode.window.showInputBox({
    title: vscode.l10n.t('Rate Answer'),
    prompt: vscode.l10n.t('Add a note (optional), then press Enter. Escape cancels the rating.'),
    ignoreFocusOut: true,
    validateInput: (value) => (value.length > MAX_NOTE_LENGTH ? vscode.l10n.t('Keep the note under {0} characters.', MAX_NOTE_LENGTH) : undefined),
  });
  if (note === undefined) return;
  const includeContent = await askToIncludeContent();
  if (includeContent === undefined) return;

  const record: AnswerRating = {
    v: RECORD_VERSION,
    type: 'answerRating',
    id: createFeedbackId(),
    createdAt: new Date().toISOString(),
    extensionVersion: feedback.extensionVersion,
    helpful,
    note: note.trim() === '' ? undefined : redactText(note.trim()),
    answerId: metadata.id,
    requestId: state.outcome.kind === 'failed' ? state.outcome.error.requestId : undefined,
    profile: state.profile,
    model: state.model,
    command: state.title,
    outcome: state.outcome.kind,
    prompt: includeContent ? redactText(metadata.messages.map((message) => `${message.role}: ${message.content}`).join('\n\n')) : undefined,
    answerText: includeContent ? redactText(state.text) : undefined,
  };
  await feedback.save(record);
  lenses.markRated(metadata.id, helpful);
  void feedback.dispatch(record);
}

function resolveAnswer(answers: AnswerDocuments, argument: unknown): vscode.Uri | undefined {
  if (argument instanceof vscode.Uri) return argument.scheme === ANSWER_SCHEME ? argument : undefined;
  const answerId = (argument as Partial<RateAnswerArgument> | undefined)?.answerId;
  if (typeof answerId === 'string') return answers.findById(answerId);
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === ANSWER_SCHEME ? active : undefined;
}

function helpfulOf(argument: unknown): boolean | undefined {
  const helpful = (argument as Partial<RateAnswerArgument> | undefined)?.helpful;
  return typeof helpful === 'boolean' ? helpful : undefined;
}

async function pickHelpful(): Promise<boolean | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('$(thumbsup) Helpful'), helpful: true },
      { label: vscode.l10n.t('$(thumbsdown) Not helpful'), helpful: false },
    ],
    { title: vscode.l10n.t('Rate Answer'), placeHolder: vscode.l10n.t('Was this answer helpful?') },
  );
  return choice?.helpful;
}

/** Asks, with an item that starts unticked, whether the prompt and answer text may be stored; undefined when cancelled. */
async function askToIncludeContent(): Promise<boolean | undefined> {
  const item: vscode.QuickPickItem = {
    label: vscode.l10n.t('Include my prompt and the answer text'),
    detail: vscode.l10n.t('The prompt can contain your code. Leave this unticked to send only the rating, the note, the profile and the model.'),
    picked: false,
  };
  const picked = await vscode.window.showQuickPick([item], {
    title: vscode.l10n.t('Rate Answer'),
    placeHolder: vscode.l10n.t('Press Enter to save the rating'),
    canPickMany: true,
    ignoreFocusOut: true,
  });
  return picked === undefined ? undefined : picked.length > 0;
}
