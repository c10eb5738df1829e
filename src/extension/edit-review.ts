/**
 * Proposed edits shown as a diff before they touch a file. The proposal is a read-only
 * virtual document (`switchboard-proposed:` scheme) that contains the whole file with the
 * edit applied. Accepting applies the change to the real document as one undoable WorkspaceEdit.
 */

import * as path from 'node:path';

import * as vscode from 'vscode';

export const PROPOSED_SCHEME = 'switchboard-proposed';

interface PendingEdit {
  document: vscode.TextDocument;
  range: vscode.Range;
  originalText: string;
  replacement: string;
  proposedText: string;
}

export class ProposedEdits implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly pending = new Map<string, PendingEdit>();
  private counter = 0;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pending.get(uri.toString())?.proposedText ?? '';
  }

  /**
   * Opens the diff between the document and the proposal, then shows a notification with Accept and Reject.
   * The editor title's Accept and Reject buttons do the same as the notification's.
   */
  async propose(document: vscode.TextDocument, range: vscode.Range, replacement: string): Promise<void> {
    this.counter += 1;
    // The proposal keeps the file's path, so the diff shows the same name and language.
    const uri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: document.uri.path, query: `edit=${this.counter}` });
    const originalText = document.getText(range);
    const whole = document.getText();
    const proposedText = whole.slice(0, document.offsetAt(range.start)) + replacement + whole.slice(document.offsetAt(range.end));
    this.pending.set(uri.toString(), { document, range, originalText, replacement, proposedText });

    const name = path.basename(document.uri.path);
    await vscode.commands.executeCommand('vscode.diff', document.uri, uri, vscode.l10n.t('{0}: Proposed Edit', name), { preview: false });
    const accept = vscode.l10n.t('Accept');
    const reject = vscode.l10n.t('Reject');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Apply the proposed edit to {0}?', name), accept, reject);
    if (choice === accept) await this.accept(uri);
    else if (choice === reject) await this.reject(uri);
  }

  /** Applies a pending edit; a proposal the user already accepted or rejected is ignored. */
  async accept(uri: vscode.Uri | undefined = this.activeProposal()): Promise<boolean> {
    const edit = uri && this.pending.get(uri.toString());
    if (!uri || !edit) return false;
    this.pending.delete(uri.toString());

    if (edit.document.isClosed || edit.document.getText(edit.range) !== edit.originalText) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('{0} changed after the edit was proposed, so it was not applied. Run the command again on the current text.', path.basename(edit.document.uri.path)),
      );
      await closeDiff(uri);
      return false;
    }
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.replace(edit.document.uri, edit.range, edit.replacement);
    const applied = await vscode.workspace.applyEdit(workspaceEdit);
    this.log.info(`Proposed edit ${applied ? 'applied to' : 'could not be applied to'} ${edit.document.uri.fsPath}.`);
    await closeDiff(uri);
    if (applied) await selectReplacement(edit);
    else void vscode.window.showErrorMessage(vscode.l10n.t('The edit could not be applied to {0}; VS Code rejected it.', path.basename(edit.document.uri.path)));
    return applied;
  }

  async reject(uri: vscode.Uri | undefined = this.activeProposal()): Promise<void> {
    if (!uri || !this.pending.delete(uri.toString())) return;
    this.log.info('Proposed edit rejected.');
    await closeDiff(uri);
  }

  /** Returns the proposal shown in the active diff editor, for the editor title buttons. */
  private activeProposal(): vscode.Uri | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputTextDiff && input.modified.scheme === PROPOSED_SCHEME) return input.modified;
    return undefined;
  }

  dispose(): void {
    this.pending.clear();
  }
}

/** Selects the applied text, in the editor that already shows the file when there is one, so focus stays where it is. */
async function selectReplacement(edit: PendingEdit): Promise<void> {
  const start = edit.range.start;
  const end = edit.document.positionAt(edit.document.offsetAt(start) + edit.replacement.length);
  const selection = new vscode.Selection(start, end);
  const editor = vscode.window.visibleTextEditors.find((candidate) => candidate.document === edit.document);
  if (editor) {
    editor.selection = selection;
    editor.revealRange(selection);
  } else {
    await vscode.window.showTextDocument(edit.document, { selection });
  }
}

async function closeDiff(proposal: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === proposal.toString());
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}
