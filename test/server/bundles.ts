/**
 * Locates dist/server.js and dist/cli.js for the tests that spawn them. `npm test` builds them
 * first. When they are missing or older than the sources, as after a local run without a build,
 * they are rebuilt here with esbuild from the entry points that scripts/build.mjs uses.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root, from out/test/server/. */
export const REPOSITORY = path.resolve(__dirname, '../../..');
export const SERVER_BUNDLE = path.join(REPOSITORY, 'dist/server.js');
export const CLI_BUNDLE = path.join(REPOSITORY, 'dist/cli.js');

const SOURCE_FOLDERS = ['src/engine', 'src/server', 'src/cli', 'src/protocol'];

let ready: Promise<void> | undefined;

/** Makes sure both bundles exist and are newer than every source file they contain. */
export function ensureBundles(): Promise<void> {
  ready ??= buildIfStale();
  return ready;
}

async function buildIfStale(): Promise<void> {
  const newestSource = Math.max(...SOURCE_FOLDERS.map((folder) => newestModification(path.join(REPOSITORY, folder))));
  const fresh = [SERVER_BUNDLE, CLI_BUNDLE].every((bundle) => modificationOf(bundle) >= newestSource);
  if (fresh) return;

  const esbuild = await import('esbuild');
  const { version } = JSON.parse(readFileSync(path.join(REPOSITORY, 'package.json'), 'utf8')) as { version: string };
  const common = {
    absWorkingDir: REPOSITORY,
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'cjs' as const,
    logLevel: 'warning' as const,
    define: { __SWITCHBOARD_VERSION__: JSON.stringify(version) },
  };
  await esbuild.build({ ...common, entryPoints: ['src/server/main.ts'], outfile: SERVER_BUNDLE });
  await esbuild.build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: CLI_BUNDLE, banner: { js: '#!/usr/bin/env node' } });
}

function modificationOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestModification(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(full) : modificationOf(full));
  }
  return newest;
}

/** Builds the environment of a spawned bundle without the keys, proxies and debug flags of the machine that runs the tests. */
export function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/API_KEY|PROXY|^SWITCHBOARD_|^NODE_OPTIONS$/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
