// Writes l10n/bundle.l10n.json, the English message bundle that translations start from: the
// message of every `l10n.t(...)` and `vscode.l10n.t(...)` call under src/. VS Code looks a
// message up by its text, or by `text/comment` when the call passes a comment, so each message
// must be a string literal. A call whose message is not one fails the run, unless its line
// contains `l10n-bundle: forwards` (a wrapper that passes on messages written elsewhere).
// Usage: node scripts/l10n-bundle.mjs [--check]
//   --check writes nothing and exits with status 1 when the bundle is out of date.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(root, 'src');
const bundleFile = path.join(root, 'l10n', 'bundle.l10n.json');
const FORWARD_MARKER = 'l10n-bundle: forwards';

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** True for `l10n.t` and `<anything>.l10n.t`. */
function isTranslateCall(node) {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
  const callee = node.expression;
  if (callee.name.text !== 't') return false;
  const target = callee.expression;
  return (ts.isIdentifier(target) && target.text === 'l10n') || (ts.isPropertyAccessExpression(target) && target.name.text === 'l10n');
}

function literalText(node) {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** Returns the bundle entry of one call: [key, value], or an error message. */
function entryOf(call) {
  const [first] = call.arguments;
  const message = literalText(first);
  if (message !== undefined) return { key: message, value: message };
  if (first && ts.isObjectLiteralExpression(first)) {
    const property = (name) => first.properties.find((item) => ts.isPropertyAssignment(item) && item.name.getText() === name)?.initializer;
    const text = literalText(property('message'));
    const comment = property('comment');
    const comments = comment && ts.isArrayLiteralExpression(comment) ? comment.elements.map(literalText) : [literalText(comment)];
    if (text !== undefined && comments.every((line) => line !== undefined)) {
      return { key: `${text}/${comments.join('')}`, value: { message: text, comment: comments } };
    }
  }
  return { error: 'its message is not a string literal, so it cannot be extracted; write the text in the call and pass values as {0}, {1} arguments' };
}

function collect() {
  const entries = new Map();
  const errors = [];
  for (const file of sourceFiles(sourceDir).sort()) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('l10n.t(')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const lines = text.split('\n');
    const visit = (node) => {
      if (isTranslateCall(node)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        const found = entryOf(node);
        if ('error' in found) {
          if (!lines[line].includes(FORWARD_MARKER)) errors.push(`${path.relative(root, file)}:${line + 1}: ${found.error}`);
        } else if (!entries.has(found.key)) {
          entries.set(found.key, found.value);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { entries, errors };
}

const { entries, errors } = collect();
if (errors.length > 0) {
  console.error(errors.join('\n'));
  process.exit(1);
}
// Sorted by UTF-16 code unit, as JavaScript compares strings, so the order does not depend on the locale.
const keys = [...entries.keys()].sort();
const sorted = Object.fromEntries(keys.map((key) => [key, entries.get(key)]));
const bundle = `${JSON.stringify(sorted, null, 2)}\n`;
const relativeBundle = path.relative(root, bundleFile);

if (process.argv.includes('--check')) {
  const current = existsSync(bundleFile) ? readFileSync(bundleFile, 'utf8') : '';
  if (current !== bundle) {
    console.error(`${relativeBundle} is out of date; run npm run l10n.`);
    process.exit(1);
  }
  console.log(`${relativeBundle} is up to date (${entries.size} messages).`);
} else {
  mkdirSync(path.dirname(bundleFile), { recursive: true });
  writeFileSync(bundleFile, bundle);
  console.log(`${relativeBundle}: ${entries.size} messages.`);
}
