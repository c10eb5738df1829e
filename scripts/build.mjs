// Builds the bundles: dist/extension.js (the VS Code client, `vscode` left external),
// dist/language-client.js (vscode-languageclient, loaded by the client on first need),
// dist/feedback-panel.js (the feedback form, loaded when it first opens),
// dist/server.js (the language server), dist/cli.js (the command line) and
// media/feedback/feedback.js (the feedback form's page script).
// Usage: node scripts/build.mjs [--watch] [--dev]   (--dev keeps bundles unminified with source maps)
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const dev = process.argv.includes('--dev');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  // VS Code 1.100 runs extensions on Electron 34, whose Node is 20.18.
  target: 'node20',
  format: 'cjs',
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __SWITCHBOARD_VERSION__: JSON.stringify(version) },
  metafile: true,
};

const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // vscode-languageclient, loaded by the extension when the server first starts, not at activation.
  { entryPoints: ['src/extension/language-client.ts'], outfile: 'dist/language-client.js', external: ['vscode'] },
  // The feedback form's extension side, loaded on the first Send Feedback, not at activation.
  { entryPoints: ['src/extension/feedback/feedback-panel.ts'], outfile: 'dist/feedback-panel.js', external: ['vscode'] },
  { entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The feedback form's page script, which the webview loads only when the form opens.
  // VS Code 1.100's webviews run in Electron 34, which is Chromium 132.
  { entryPoints: ['src/webview/feedback-page.ts'], outfile: 'media/feedback/feedback.js', platform: 'browser', format: 'iife', target: 'chrome132' },
];

const contexts = await Promise.all(entries.map((entry) => esbuild.context({ ...common, ...entry })));
if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('Watching for changes.');
} else {
  for (const context of contexts) {
    const result = await context.rebuild();
    for (const [file, output] of Object.entries(result.metafile.outputs)) {
      if (file.endsWith('.js')) console.log(`${file}  ${(output.bytes / 1024).toFixed(1)} KB`);
    }
    await context.dispose();
  }
}
