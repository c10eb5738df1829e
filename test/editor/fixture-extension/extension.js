// A minimal extension that the editor-test harness installs to prove that it can drive
// VS Code. It shows a status-bar item and contributes three commands: a notification with
// a button, a quick pick followed by an input box, and a webview form that posts a message
// back. It is plain JavaScript, so it needs no build step.
'use strict';

const crypto = require('node:crypto');
const vscode = require('vscode');

const FORM_OUTPUT_FILE = 'harness-form.txt';

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  const log = vscode.window.createOutputChannel('Harness Fixture', { log: true });
  context.subscriptions.push(log);

  const status = vscode.window.createStatusBarItem('harness.status', vscode.StatusBarAlignment.Left, 100);
  status.name = 'Harness Status';
  status.text = '$(check) Harness ready';
  // The harness passes its environment to code-server and so to this extension host.
  status.tooltip = process.env.HARNESS_FIXTURE_TOOLTIP ?? 'Harness fixture is active';
  status.show();
  context.subscriptions.push(status);

  context.subscriptions.push(
    vscode.commands.registerCommand('harness.sayHello', () => sayHello(log)),
    vscode.commands.registerCommand('harness.openForm', () => openForm(context, log)),
    vscode.commands.registerCommand('harness.chooseColor', () => chooseColor(log)),
  );
  log.info('Harness fixture activated');
}

/** @param {vscode.LogOutputChannel} log */
async function sayHello(log) {
  const choice = await vscode.window.showInformationMessage('Hello from the harness fixture.', 'Reply');
  log.info(`Hello notification closed with choice: ${choice ?? 'none'}`);
  if (choice === 'Reply') {
    await vscode.window.showInformationMessage('Reply received.');
  }
}

/**
 * Asks for a color from a quick pick, then for a reason in an input box, and shows both.
 *
 * @param {vscode.LogOutputChannel} log
 */
async function chooseColor(log) {
  // The icon on Red lets the harness test check that labels come back with `$(name)` icons.
  const color = await vscode.window.showQuickPick(['$(circle-filled) Red', 'Green', 'Blue'], {
    placeHolder: 'Choose a color',
  });
  if (color === undefined) {
    log.info('Color choice cancelled');
    return;
  }
  const reason = await vscode.window.showInputBox({ prompt: `Why ${color}?` });
  await vscode.window.showInformationMessage(`Chose ${color} because ${reason ?? 'no reason given'}.`);
}

/**
 * @param {vscode.ExtensionContext} context
 * @param {vscode.LogOutputChannel} log
 */
function openForm(context, log) {
  const panel = vscode.window.createWebviewPanel('harness.form', 'Harness Form', vscode.ViewColumn.One, {
    enableScripts: true,
  });
  panel.webview.html = renderForm(panel.webview);
  panel.webview.onDidReceiveMessage(
    (message) => handleFormMessage(panel, message, log),
    undefined,
    context.subscriptions,
  );
}

/**
 * Writes the submitted note to the workspace and sends the file name back to the webview.
 * Messages other than `{ type: 'submit', note: string }` are logged and dropped.
 *
 * @param {vscode.WebviewPanel} panel
 * @param {unknown} message
 * @param {vscode.LogOutputChannel} log
 */
async function handleFormMessage(panel, message, log) {
  if (!isSubmitMessage(message)) {
    log.warn(`Ignored an invalid webview message: ${JSON.stringify(message)}`);
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    log.error('Cannot save the form because no workspace folder is open');
    await panel.webview.postMessage({ type: 'failed', reason: 'No workspace folder is open.' });
    return;
  }

  const target = vscode.Uri.joinPath(folder.uri, FORM_OUTPUT_FILE);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(message.note));
  log.info(`Form saved to ${target.fsPath}`);
  await panel.webview.postMessage({ type: 'saved', fileName: FORM_OUTPUT_FILE });
}

/** @param {unknown} message */
function isSubmitMessage(message) {
  return (
    typeof message === 'object' &&
    message !== null &&
    message.type === 'submit' &&
    typeof message.note === 'string'
  );
}

/** @param {vscode.Webview} webview */
function renderForm(webview) {
  const nonce = crypto.randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy"
    content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
  <title>Harness Form</title>
</head>
<body>
  <label for="note">Note</label>
  <input id="note" type="text" value="written by the harness form">
  <button id="submit" type="button">Save note</button>
  <p id="status" role="status"></p>
  <script nonce="${nonce}">
    const vscode = acquireVsCodeApi();
    const status = document.getElementById('status');
    document.getElementById('submit').addEventListener('click', () => {
      vscode.postMessage({ type: 'submit', note: document.getElementById('note').value });
    });
    window.addEventListener('message', (event) => {
      const message = event.data;
      if (message.type === 'saved') {
        status.textContent = 'Saved to ' + message.fileName;
      } else if (message.type === 'failed') {
        status.textContent = 'Not saved: ' + message.reason;
      }
    });
  </script>
</body>
</html>`;
}

function deactivate() {}

module.exports = { activate, deactivate };
