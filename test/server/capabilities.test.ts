import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { chatRequest, configureRequest, resetCircuitRequest, setKeyRequest, type ChatResult } from '../../src/protocol/protocol';
import type { Script } from '../emulator/emulator';
import { Emulator } from '../emulator/emulator';
import { ensureBundles } from './bundles';
import { startLanguageServer, type LanguageServer } from './language-server';

const KEY = 'sk-proj-CapabilityTestKey0123456789';
const MODEL = 'codex-mini-latest';

/** OpenAI's rejection of `max_tokens` for a reasoning model, which names the field to use instead. */
const MAX_TOKENS_REJECTED: Script = {
  match: { path: '/chat/completions' },
  status: 400,
  body: { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter' } },
};

describe('language server capability storage', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  let folder: string;
  const servers: LanguageServer[] = [];

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    emulator = await Emulator.start({ apiKey: KEY, models: [MODEL] });
    folder = await mkdtemp(path.join(os.tmpdir(), 'switchboard-storage-'));
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    await emulator.stop();
    await rm(folder, { recursive: true, force: true });
  });

  async function startServer(initializationOptions?: object): Promise<LanguageServer> {
    const server = startLanguageServer();
    servers.push(server);
    await server.initialize(initializationOptions);
    const configured = await server.connection.sendRequest(configureRequest, { profiles: [{ name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: MODEL }] });
    assert.equal(configured.ok, true);
    await server.connection.sendRequest(setKeyRequest, { profile: 'emulator', key: KEY });
    return server;
  }

  function chat(server: LanguageServer): Promise<ChatResult> {
    return server.connection.sendRequest(chatRequest, { request: { profile: 'emulator', messages: [{ role: 'user', content: 'Say hello.' }], maxOutputTokens: 64, bypassCache: true } });
  }

  function sentBodies(): { max_tokens?: number; max_completion_tokens?: number }[] {
    return emulator.requests.filter((request) => request.method === 'POST').map((request) => request.json);
  }

  it('keeps a learned field across restarts', async () => {
    const first = await startServer({ storagePath: folder });
    emulator.script(MAX_TOKENS_REJECTED);
    assert.equal((await chat(first)).error, undefined);
    await first.stop();

    const saved = JSON.parse(await readFile(path.join(folder, 'learned-capabilities.json'), 'utf8'));
    assert.deepEqual(saved.entries, [{ baseUrl: `${emulator.url}/v1`, model: MODEL, capabilities: { maxTokensField: 'max_completion_tokens' } }]);

    emulator.reset();
    const second = await startServer({ storagePath: folder });
    assert.equal((await chat(second)).error, undefined);
    const [body] = sentBodies();
    assert.equal(body?.max_completion_tokens, 64, 'the restarted server did not use the learned field');
    assert.equal(body?.max_tokens, undefined);
  });

  it('keeps memory only without a storage path', async () => {
    const first = await startServer();
    emulator.script(MAX_TOKENS_REJECTED);
    assert.equal((await chat(first)).error, undefined);
    await first.stop();

    emulator.reset();
    const second = await startServer();
    await chat(second);
    assert.equal(sentBodies()[0]?.max_tokens, 64, 'a server without storage used a field learned by another process');
  });

  it('resets the circuit of a known profile', async () => {
    const server = await startServer();
    assert.deepEqual(await server.connection.sendRequest(resetCircuitRequest, { profile: 'emulator' }), { ok: true });
    const unknown = await server.connection.sendRequest(resetCircuitRequest, { profile: 'nobody' });
    assert.equal(unknown.ok, false);
    assert.equal(unknown.ok ? undefined : unknown.error.code, 'config.profile_not_found');
  });
});
