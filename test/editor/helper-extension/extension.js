// Installed by the editor-test harness beside the extensions under test. Its one command
// writes the active text editor's document and selections as JSON to the folder named by
// EDITOR_HARNESS_OUTPUT_DIR, so a test reads the editor's buffer, unsaved edits included,
// without touching the selection or the clipboard.
'use strict';
// VS Code loads extensions as CommonJS, and this one has no build step.
/* eslint-disable @typescript-eslint/no-require-imports */

const fs = require('node:fs/promises');
const path = require('node:path');
const vscode = require('vscode');

const STATE_FILE = 'active-editor.json';

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('editorHarness.writeActiveEditorState', writeActiveEditorState),
  );
}

async function writeActiveEditorState() {
  const outputDir = process.env.EDITOR_HARNESS_OUTPUT_DIR;
  if (!outputDir) {
    throw new Error('EDITOR_HARNESS_OUTPUT_DIR is not set; start code-server through the editor-test harness.');
  }

  const state = describeActiveEditor(vscode.window.activeTextEditor);

  // Write to a temporary name first, so the harness never reads a half-written file.
  const target = path.join(outputDir, STATE_FILE);
  const partial = `${target}.partial`;
  await fs.writeFile(partial, JSON.stringify(state));
  await fs.rename(partial, target);
}

/** @param {vscode.TextEditor | undefined} editor */
function describeActiveEditor(editor) {
  if (!editor) {
    return { uri: null };
  }
  const document = editor.document;
  return {
    uri: document.uri.toString(),
    languageId: document.languageId,
    isDirty: document.isDirty,
    text: document.getText(),
    selections: editor.selections.map((selection) => ({
      start: { line: selection.start.line, character: selection.start.character },
      end: { line: selection.end.line, character: selection.end.character },
    })),
  };
}

function deactivate() {}

module.exports = { activate, deactivate };
