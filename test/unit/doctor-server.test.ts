import * as assert from 'node:assert/strict';

import { configureRequest, diagnoseRequest, setKeyRequest } from '../../src/protocol/protocol';
import { Emulator } from '../emulator/emulator';
import { ensureBundles } from '../server/bundles';
import { startLanguageServer, type LanguageServer } from '../server/language-server';
import { findFreePort } from '../support/proxy';

const KEY = 'sk-proj-DoctorServerKey0123456789';

describe('switchboard/diagnose request', function () {
  this.timeout(60_000);
  let server: LanguageServer | undefined;
  let emulator: Emulator | undefined;

  before(async () => {
    await ensureBundles();
  });

  afterEach(async () => {
    await server?.stop();
    await emulator?.stop();
    server = undefined;
    emulator = undefined;
  });

  async function startConfigured(baseUrl: string, network: Record<string, unknown> = {}): Promise<LanguageServer> {
    server = startLanguageServer();
    await server.initialize();
    const configured = await server.connection.sendRequest(configureRequest, {
      profiles: [{ name: 'emulator', kind: 'openai', baseUrl, model: 'gpt-4o-mini' }],
      network: { connectTimeoutMs: 2000, ...network },
    });
    assert.equal(configured.ok, true);
    await server.connection.sendRequest(setKeyRequest, { profile: 'emulator', key: KEY });
    return server;
  }

  it('returns a passing report with the stored key and settings', async () => {
    emulator = await Emulator.start({ apiKey: KEY });
    const started = await startConfigured(`${emulator.url}/v1`);
    const result = await started.connection.sendRequest(diagnoseRequest, { profile: 'emulator', skipCompletion: true });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.report.ok, true, JSON.stringify(result.report.steps));
    assert.equal(result.report.steps.find((step) => step.id === 'authentication')?.status, 'pass');
    assert.ok(!JSON.stringify(result).includes(KEY), 'the key is not in the response');
    assert.ok(started.logs.some((log) => /Connection doctor for profile "emulator": no step failed/.test(log.message)));
  });

  it('explains a refused loopback port on a remote host', async () => {
    const port = await findFreePort();
    const started = await startConfigured(`http://127.0.0.1:${port}/v1`);
    const result = await started.connection.sendRequest(diagnoseRequest, { profile: 'emulator', remoteName: 'wsl' });
    assert.ok(result.ok);
    assert.equal(result.report.failedStep, 'tcp');
    const error = result.report.steps.find((step) => step.id === 'tcp')?.error;
    assert.equal(error?.code, 'network.refused');
    assert.match(error!.message, /WSL.*not your computer/);
  });

  it('returns config.profile_not_found for an unknown profile', async () => {
    emulator = await Emulator.start();
    const started = await startConfigured(`${emulator.url}/v1`);
    const result = await started.connection.sendRequest(diagnoseRequest, { profile: 'missing' });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'config.profile_not_found');
  });
});
