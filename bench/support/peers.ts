/**
 * Loads the peers from bench/node_modules, which `npm --prefix bench ci` installs; the
 * extension never ships them. The types below cover only the calls the benchmark makes, so the
 * project compiles without bench/node_modules.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import { REPOSITORY } from './environment';

const benchRequire = createRequire(path.join(REPOSITORY, 'bench/package.json'));

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionChunk {
  choices: Array<{ delta?: { content?: string | null }; message?: { content?: string | null } }>;
}

export interface OpenAiClient {
  chat: { completions: { create(body: object, options?: object): Promise<CompletionChunk & AsyncIterable<CompletionChunk>> } };
}

export interface OpenAiModule {
  default: new (options: { apiKey: string; baseURL: string; maxRetries: number }) => OpenAiClient;
}

export interface ContinueApi {
  chatCompletionNonStream(body: object, signal: AbortSignal): Promise<CompletionChunk>;
  chatCompletionStream(body: object, signal: AbortSignal): AsyncIterable<CompletionChunk>;
}

export interface ContinueModule {
  constructLlmApi(config: { provider: string; apiKey: string; apiBase: string; requestOptions?: { caBundlePath?: string } }): ContinueApi | undefined;
}

export interface VercelProvider {
  chatModel(model: string): unknown;
}

export interface VercelCompatibleModule {
  createOpenAICompatible(settings: { name: string; baseURL: string; apiKey: string }): VercelProvider;
}

export interface VercelAiModule {
  generateText(options: { model: unknown; messages: ChatMessage[]; maxRetries: number }): Promise<{ text: string }>;
  streamText(options: { model: unknown; messages: ChatMessage[]; maxRetries: number; onError?: (event: { error: unknown }) => void }): { textStream: AsyncIterable<string> };
}

export interface Peers {
  openai: OpenAiModule;
  continueAdapters: ContinueModule;
  ai: VercelAiModule;
  compatible: VercelCompatibleModule;
  versions: Record<string, string>;
}

/** Imports a peer by package name, whether it ships CommonJS or only ES modules. */
async function importPeer<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(benchRequire.resolve(name)).href)) as T;
}

/** The installed version, from bench/package-lock.json, because some packages do not export their package.json. */
function versionOf(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(REPOSITORY, 'bench/package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  return lock.packages[`node_modules/${name}`]?.version ?? 'unknown';
}

export async function loadPeers(): Promise<Peers> {
  const names = ['openai', '@continuedev/openai-adapters', 'ai', '@ai-sdk/openai-compatible'];
  return {
    openai: await importPeer<OpenAiModule>('openai'),
    continueAdapters: await importPeer<ContinueModule>('@continuedev/openai-adapters'),
    ai: await importPeer<VercelAiModule>('ai'),
    compatible: await importPeer<VercelCompatibleModule>('@ai-sdk/openai-compatible'),
    versions: Object.fromEntries(names.map((name) => [name, versionOf(name)])),
  };
}
