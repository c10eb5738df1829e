import * as assert from 'node:assert/strict';

import type { ChatEvent } from '../../src/engine/types';
import { chatProgress, chatRequest, configureRequest, listModelsRequest, metricsRequest, warmUpRequest, type ChatResult } from '../../src/protocol/protocol';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator } from '../emulator/emulator';
import { ensureBundles } from './bundles';
import { startLanguageServer, type LanguageServer } from './language-server';

const PROFILES = (url: string) => [{ name: 'emulator', kind: 'openai-compatible' as const, baseUrl: `${url}/v1`, model: 'gpt-4o-mini' }];

let tokens = 0;

/** Sends one chat request and returns its result and the events of its progress batches. */
async function chat(server: LanguageServer, bypassCache?: boolean): Promise<{ result: ChatResult; events: ChatEvent[] }> {
  const token = `cache-${++tokens}`;
  const events: ChatEvent[] = [];
  const subscription = server.connection.onProgress(chatProgress, token, (batch) => {
    events.push(...batch);
  });
  const result = await server.connection.sendRequest(chatRequest, {
    request: { profile: 'emulator', messages: [{ role: 'user', content: 'Say hello.' }], bypassCache },
    partialResultToken: token,
  });
  subscription.dispose();
  return { result, events };
}

const text = (events: ChatEvent[]) => events.map((event) => (event.type === 'text' ? event.text : '')).join('');

describe('language server caches and performance requests', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  let server: LanguageServer;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    emulator = await Emulator.start();
    server = startLanguageServer();
    await server.initialize();
    const configured = await server.connection.sendRequest(configureRequest, { profiles: PROFILES(emulator.url), cache: { maxBytes: 8 * 1048576, ttlMs: 600_000 } });
    assert.equal(configured.ok, true);
  });

  afterEach(async () => {
    await server.stop();
    await emulator.stop();
  });

  it('answers a repeated chat from the cache', async () => {
    const first = await chat(server);
    const second = await chat(server);
    assert.equal(first.result.cached, undefined);
    assert.equal(second.result.cached, true);
    assert.equal(text(second.events), DEFAULT_ANSWER);
    assert.equal(emulator.requests.length, 1);
  });

  it('sends a chat with bypassCache upstream', async () => {
    await chat(server);
    const regenerated = await chat(server, true);
    assert.equal(regenerated.result.cached, undefined);
    assert.equal(emulator.requests.length, 2);
  });

  it('returns metrics with cache figures, memory and event-loop delay', async () => {
    await chat(server);
    await chat(server);
    const metrics = await server.connection.sendRequest(metricsRequest, {});
    const profile = metrics.profiles.find((entry) => entry.profile === 'emulator');
    assert.equal(profile?.requests, 2);
    assert.equal(profile?.cache.hits, 1);
    assert.equal(profile?.firstTokenMs.count, 1);
    assert.equal(metrics.caches.responses.entries, 1);
    assert.equal(metrics.caches.responses.maxBytes, 8 * 1048576);
    assert.ok((metrics.process?.rssBytes ?? 0) > 0);
    assert.ok((metrics.process?.eventLoopDelayMs.count ?? 0) >= 0);
    assert.deepEqual(metrics.loadedProviders, ['openai-compatible']);
  });

  it('warms up a connection without a chat request', async () => {
    const result = await server.connection.sendRequest(warmUpRequest, { profile: 'emulator' });
    assert.equal(result.ok, true);
    assert.deepEqual(
      emulator.requests.map((request) => `${request.method} ${request.path}`),
      ['GET /v1'],
    );
    assert.equal(emulator.openConnections(), 1);
  });

  it('reports a warm-up of an unknown profile', async () => {
    const result = await server.connection.sendRequest(warmUpRequest, { profile: 'missing' });
    assert.equal(result.ok, false);
    assert.equal(result.code, 'config.profile_not_found');
  });

  it('rejects a cache bound of zero', async () => {
    const rejected = await server.connection.sendRequest(configureRequest, { profiles: PROFILES(emulator.url), cache: { maxBytes: 0, ttlMs: 600_000 } });
    assert.equal(rejected.ok, false);
    assert.equal(!rejected.ok && rejected.error.code, 'config.invalid');
  });

  it('lists models from the cache unless refresh is set', async () => {
    await server.connection.sendRequest(listModelsRequest, { profile: 'emulator' });
    await server.connection.sendRequest(listModelsRequest, { profile: 'emulator' });
    await server.connection.sendRequest(listModelsRequest, { profile: 'emulator', refresh: true });
    assert.equal(emulator.requests.filter((request) => request.path === '/v1/models').length, 2);
  });
});
