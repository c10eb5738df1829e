import * as assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';

import type { ChatEvent } from '../../src/engine/types';
import {
  chatProgress,
  chatRequest,
  configureRequest,
  listModelsRequest,
  listProfilesRequest,
  resourcesRequest,
  setKeyRequest,
  type ChatResult,
} from '../../src/protocol/protocol';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator } from '../emulator/emulator';
import { ensureBundles } from './bundles';
import { startLanguageServer, type LanguageServer } from './language-server';

const KEY = 'sk-proj-ServerTestKey0123456789';

/** Sends a chat request with a partial-result token and records progress and the result in arrival order. */
async function chatWithProgress(server: LanguageServer, token: string, onEvent?: (event: ChatEvent) => void, cancellation?: CancellationTokenSource) {
  const arrivals: Array<'progress' | 'result'> = [];
  const events: ChatEvent[] = [];
  const subscription = server.connection.onProgress(chatProgress, token, (batch) => {
    arrivals.push('progress');
    for (const event of batch) {
      events.push(event);
      onEvent?.(event);
    }
  });
  const result: ChatResult = await server.connection.sendRequest(
    chatRequest,
    { request: { profile: 'emulator', messages: [{ role: 'user', content: 'Say hello.' }] }, partialResultToken: token },
    cancellation?.token,
  );
  arrivals.push('result');
  subscription.dispose();
  return { result, events, arrivals };
}

describe('language server over stdio', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  let server: LanguageServer;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    emulator = await Emulator.start({ apiKey: KEY });
    server = startLanguageServer();
    await server.initialize();
    const configured = await server.connection.sendRequest(configureRequest, {
      profiles: [{ name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }],
    });
    assert.equal(configured.ok, true);
    await server.connection.sendRequest(setKeyRequest, { profile: 'emulator', key: KEY });
  });

  afterEach(async () => {
    await server.stop();
    await emulator.stop();
  });

  it('reports its name on initialize', async () => {
    const other = startLanguageServer();
    try {
      const result = await other.initialize();
      assert.equal(result.serverInfo?.name, 'switchboard');
    } finally {
      await other.stop();
    }
  });

  it('rejects a bad profile and keeps the previous one', async () => {
    const rejected = await server.connection.sendRequest(configureRequest, {
      profiles: [{ name: 'broken', kind: 'openai-compatible', baseUrl: 'http://local host:11434/v1', model: 'llama3.2' }],
    });
    assert.equal(rejected.ok, false);
    assert.equal(!rejected.ok && rejected.error.code, 'config.base_url');
    assert.match(!rejected.ok ? rejected.error.message : '', /local host/);
    const { profiles } = await server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(
      profiles.map((profile) => profile.name),
      ['emulator'],
    );
  });

  it('lists which profiles have a key', async () => {
    const { keys } = await server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(keys, ['emulator']);
    await server.connection.sendRequest(setKeyRequest, { profile: 'emulator' });
    const after = await server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(after.keys, []);
  });

  it('setKey rejects a key that is not a string', async () => {
    for (const key of [12345678, { a: 1 }, ['k'], true]) {
      const outcome = await server.connection.sendRequest(setKeyRequest, { profile: 'emulator', key } as never);
      assert.equal(outcome.ok, false, JSON.stringify(key));
      assert.equal(outcome.ok ? undefined : outcome.error.code, 'config.invalid', JSON.stringify(key));
    }
    const { result } = await chatWithProgress(server, 'chat-after-bad-key');
    assert.equal(result.error, undefined);
    assert.equal(emulator.requests[0]!.headers.authorization, `Bearer ${KEY}`);
  });

  it('setKey rejects a missing profile name', async () => {
    for (const profile of [undefined, '', 7, { toString: 1 }]) {
      const outcome = await server.connection.sendRequest(setKeyRequest, { profile, key: KEY } as never);
      assert.equal(outcome.ok ? undefined : outcome.error.code, 'config.invalid', JSON.stringify(profile));
    }
  });

  it('setKey with a null key removes it', async () => {
    const outcome = await server.connection.sendRequest(setKeyRequest, { profile: 'emulator', key: null } as never);
    assert.equal(outcome.ok, true);
    const { keys } = await server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(keys, []);
  });

  it('streams events as progress before the result', async () => {
    // The server sends the events of one turn of its event loop as one batch, so the tokens are spaced out.
    emulator.script({ delayBetweenChunksMs: 5 });
    const { result, events, arrivals } = await chatWithProgress(server, 'chat-1');
    const text = events.map((event) => (event.type === 'text' ? event.text : '')).join('');
    assert.equal(text, DEFAULT_ANSWER);
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.error, undefined);
    assert.equal(result.usage?.outputTokens, 5);
    assert.ok(arrivals.length > 2, 'several progress notifications');
    assert.equal(arrivals.indexOf('result'), arrivals.length - 1, 'the result arrives last');
    assert.equal(emulator.requests[0]!.headers.authorization, `Bearer ${KEY}`);
  });

  it('returns a chat failure as data', async () => {
    emulator.replayCase('F03');
    const { result, events } = await chatWithProgress(server, 'chat-2');
    assert.equal(result.error?.code, 'quota.exhausted');
    assert.equal(events[events.length - 1]?.type, 'error');
  });

  it('cancels a chat and closes the upstream socket', async () => {
    emulator.script({ delayBetweenChunksMs: 300 });
    const source = new CancellationTokenSource();
    const closed = emulator.waitForClose(5000);
    const { result, events } = await chatWithProgress(server, 'chat-3', (event) => {
      if (event.type === 'text') source.cancel();
    }, source);
    await closed;
    assert.equal(result.error?.code, 'cancelled');
    assert.ok(events.some((event) => event.type === 'text'), 'text arrived before the cancellation');
    assert.ok(!events.some((event) => event.type === 'end'), 'the answer did not finish');
    source.dispose();
  });

  it('reports its resources and memory', async () => {
    const reading = await server.connection.sendRequest(resourcesRequest, { collectGarbage: true });
    assert.equal(reading.collectedGarbage, false, 'no garbage collection without --expose-gc');
    assert.ok(reading.memory.heapUsed > 0, `heapUsed ${reading.memory.heapUsed}`);
    if (process.platform === 'linux') {
      // stdin, stdout and stderr are socket pairs when Node spawns a child with pipes.
      assert.ok((reading.socketDescriptors ?? 0) >= 3, `socketDescriptors ${reading.socketDescriptors}`);
    }
    assert.ok(Object.values(reading.resources).every((count) => Number.isInteger(count) && count > 0), JSON.stringify(reading.resources));
  });

  it('lists models', async () => {
    const result = await server.connection.sendRequest(listModelsRequest, { profile: 'emulator' });
    assert.equal(result.ok, true);
    assert.ok(result.ok && result.models.some((model) => model.id === 'gpt-4o-mini'));
  });

  it('returns a listModels failure as data', async () => {
    const result = await server.connection.sendRequest(listModelsRequest, { profile: 'missing' });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'config.profile_not_found');
  });

  it('sends status notifications', async () => {
    await chatWithProgress(server, 'chat-4');
    const states = server.statuses.map((status) => status.profiles.find((profile) => profile.profile === 'emulator')?.state);
    assert.ok(states.includes('connecting'), `states: ${states.join(', ')}`);
    assert.equal(states[states.length - 1], 'connected');
    assert.equal(server.statuses[server.statuses.length - 1]!.inFlight, 0);
  });

  it('logs one line per request without the key', async () => {
    await chatWithProgress(server, 'chat-5');
    const lines = server.logs.map((log) => log.message);
    assert.ok(lines.some((line) => /openai 127\.0\.0\.1:\d+ gpt-4o-mini ok/.test(line)), lines.join('\n'));
    assert.ok(!server.stdout().includes(KEY), 'the key is not on stdout');
  });

  it('ends the process on shutdown and exit', async () => {
    await server.stop();
    assert.equal(await server.exited, 0);
  });
});

describe('standalone language server', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  let server: LanguageServer | undefined;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    emulator = await Emulator.start({ apiKey: KEY });
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await emulator.stop();
  });

  it('reads initializationOptions and OPENAI_API_KEY', async () => {
    server = startLanguageServer({ OPENAI_API_KEY: KEY, SWITCHBOARD_DEBUG: '1' });
    await server.initialize({ profiles: [{ name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }] });
    const { result, events } = await chatWithProgress(server, 'standalone-1');
    assert.equal(result.error, undefined);
    assert.equal(events.map((event) => (event.type === 'text' ? event.text : '')).join(''), DEFAULT_ANSWER);
    const { keys } = await server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(keys, ['emulator']);
  });

  it('reads SWITCHBOARD_API_KEY for compatible profiles', async () => {
    server = startLanguageServer({ SWITCHBOARD_API_KEY: KEY });
    await server.initialize({ profiles: [{ name: 'emulator', kind: 'openai-compatible', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }] });
    const { result } = await chatWithProgress(server, 'standalone-2');
    assert.equal(result.error, undefined);
    assert.equal(emulator.requests[0]!.headers.authorization, `Bearer ${KEY}`);
  });

  it('never writes the key to stdout or stderr', async () => {
    server = startLanguageServer({ OPENAI_API_KEY: KEY, SWITCHBOARD_DEBUG: '1' });
    await server.initialize({ profiles: [{ name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' }] });
    // A gateway that echoes the whole key in its error, then a normal response.
    emulator.script({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.`, code: 'invalid_api_key' } } });
    const failed = await chatWithProgress(server, 'standalone-3');
    const succeeded = await chatWithProgress(server, 'standalone-4');
    await server.stop();
    assert.equal(failed.result.error?.code, 'auth.invalid_key');
    assert.equal(succeeded.result.error, undefined);
    assert.ok(server.logs.length > 0, 'the server logged');
    assert.ok(!server.stdout().includes(KEY), 'the key is not on stdout');
    assert.ok(!server.stderr().includes(KEY), 'the key is not on stderr');
  });

  it('logs a bad standalone configuration and keeps running', async () => {
    server = startLanguageServer();
    await server.initialize({ profiles: [{ name: 'bad', kind: 'anthropic', model: 'm' }] });
    const { profiles } = await server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(profiles, []);
    assert.ok(server.logs.some((log) => /anthropic/.test(log.message)), 'the log names the bad kind');
  });
});
