/** Commands that send code to the model: Ask, Explain Selection, Edit Selection, Generate Documentation, Generate Tests. */

import * as vscode from 'vscode';

import type { ChatMessage } from '../engine/types';
import type { Profile } from '../engine/profiles';
import type { AnswerOutcome } from './answer-markdown';
import { runChat, type ChatRunResult } from './chat-runner';
import { showEngineError } from './notifications';
import { askMessages, documentationMessages, editMessages, explainMessages, extractReplacement, testMessages, type CodeContext } from './prompts';
import { profileForRequest } from './request-profile';
import type { Services } from './services';
import { CONTEXT_KEY, setContextKey } from './walkthrough-context';

export function registerChatCommands(services: Services): void {
  const register = (id: string, handler: () => Promise<void>) => services.context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  register('switchboard.askQuestion', () => askQuestion(services));
  register('switchboard.explainSelection', () => explainSelection(services));
  register('switchboard.editSelection', () => editSelection(services));
  register('switchboard.generateDocumentation', () => generateDocumentation(services));
  register('switchboard.generateTests', () => generateTests(services));
}

async function askQuestion(services: Services): Promise<void> {
  const question = await vscode.window.showInputBox({
    title: vscode.l10n.t('Switchboard: Ask'),
    prompt: vscode.l10n.t('Your question; the selection, or else the open file, is sent with it.'),
    ignoreFocusOut: true,
  });
  if (!question?.trim()) return;
  const editor = vscode.window.activeTextEditor;
  const context = editor ? codeContext(editor, !editor.selection.isEmpty) : undefined;
  const profile = await profileForRequest(services);
  if (!profile) return;
  await streamAnswer(services, profile, vscode.l10n.t('Ask'), askMessages(question, context), () => askQuestion(services));
}

async function explainSelection(services: Services): Promise<void> {
  const editor = editorWithSelection();
  if (!editor) return;
  const profile = await profileForRequest(services);
  if (!profile) return;
  await streamAnswer(services, profile, vscode.l10n.t('Explain Selection'), explainMessages(codeContext(editor, true)), () => explainSelection(services));
}

async function generateTests(services: Services): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open the file to write tests for first.'));
    return;
  }
  const profile = await profileForRequest(services);
  if (!profile) return;
  await streamAnswer(services, profile, vscode.l10n.t('Generate Tests'), testMessages(codeContext(editor, !editor.selection.isEmpty)), () => generateTests(services));
}

async function editSelection(services: Services): Promise<void> {
  const editor = editorWithSelection();
  if (!editor) return;
  const instruction = await vscode.window.showInputBox({
    title: vscode.l10n.t('Switchboard: Edit Selection'),
    prompt: vscode.l10n.t('How should the selected code change? The result opens as a diff to accept or reject.'),
    placeHolder: vscode.l10n.t('For example: handle the empty list'),
    ignoreFocusOut: true,
  });
  if (!instruction?.trim()) return;
  const context = codeContext(editor, true);
  await proposeEdit(services, editor, vscode.l10n.t('Edit Selection'), editMessages(instruction, context), () => editSelection(services));
}

async function generateDocumentation(services: Services): Promise<void> {
  const editor = editorWithSelection();
  if (!editor) return;
  await proposeEdit(services, editor, vscode.l10n.t('Generate Documentation'), documentationMessages(codeContext(editor, true)), () => generateDocumentation(services));
}

/** Streams an answer into a Markdown document beside the code; partial text stays if the request fails. */
async function streamAnswer(services: Services, profile: Profile, title: string, messages: ChatMessage[], retry: () => unknown): Promise<void> {
  const answer = await services.answers.open(title, profile.name, profile.model, messages);
  const result = await runChat(services, { title, request: { profile: profile.name, messages }, onEvents: (events) => answer.append(events) });
  answer.finish(toAnswerOutcome(result));
  if (result.kind === 'finished') setContextKey(CONTEXT_KEY.answerReceived, true, services.log);
  if (result.kind === 'failed') await showEngineError(result.error, services.log, retry);
}

/** Requests replacement code for the selection and shows it as a diff to accept or reject. */
async function proposeEdit(services: Services, editor: vscode.TextEditor, title: string, messages: ChatMessage[], retry: () => unknown): Promise<void> {
  const profile = await profileForRequest(services);
  if (!profile) return;
  const document = editor.document;
  const range = new vscode.Range(editor.selection.start, editor.selection.end);
  const original = document.getText(range);

  const result = await runChat(services, { title, request: { profile: profile.name, messages } });
  if (result.kind === 'failed') {
    await showEngineError(result.error, services.log, retry);
    return;
  }
  if (result.kind !== 'finished') return;
  setContextKey(CONTEXT_KEY.answerReceived, true, services.log);

  const replacement = extractReplacement(result.text, original);
  if (replacement.trim() === '') {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0}: the model returned no code, so there is nothing to apply.', title));
    return;
  }
  await services.edits.propose(document, range, replacement);
}

function toAnswerOutcome(result: ChatRunResult): AnswerOutcome {
  switch (result.kind) {
    case 'finished':
      return { kind: 'finished', finishReason: result.result.finishReason, usage: result.result.usage, cached: result.result.cached };
    case 'failed':
      return { kind: 'failed', error: result.error };
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'lost':
      return { kind: 'lost', message: result.message };
  }
}

/** Returns the active editor when it has a selection, else shows a message. The palette hides these commands without one. */
function editorWithSelection(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Select the code first; this command works on the selection.'));
    return undefined;
  }
  return editor;
}

function codeContext(editor: vscode.TextEditor, selectionOnly: boolean): CodeContext {
  const document = editor.document;
  return {
    fileName: vscode.workspace.asRelativePath(document.uri, false),
    languageId: document.languageId,
    text: selectionOnly ? document.getText(editor.selection) : document.getText(),
    isSelection: selectionOnly,
  };
}
