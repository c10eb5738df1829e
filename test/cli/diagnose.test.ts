import * as assert from 'node:assert/strict';

import type { DoctorReport } from '../../src/engine/doctor/report';
import { Emulator } from '../emulator/emulator';
import { ensureBundles } from '../server/bundles';
import { runCli } from './run-cli';
import { findFreePort, startProxy, type TestProxy } from '../support/proxy';

const OPENAI_KEY = 'sk-proj-DiagnoseCliKey0123456789';
const PROXY_PASSWORD = 'Cli-Proxy-Pass-93e1';

describe('command line diagnose', function () {
  this.timeout(60_000);
  let emulator: Emulator | undefined;
  let proxy: TestProxy | undefined;

  before(async () => {
    await ensureBundles();
  });

  afterEach(async () => {
    await emulator?.stop();
    await proxy?.stop();
    emulator = undefined;
    proxy = undefined;
  });

  it('prints a mark per step and exits 0 when no step fails', async () => {
    emulator = await Emulator.start({ apiKey: OPENAI_KEY });
    const run = await runCli(['diagnose', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-4o-mini'], { OPENAI_API_KEY: OPENAI_KEY });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^✓ Configuration \(\d+ ms\)$/m);
    assert.match(run.stdout, /^✓ TCP connection/m);
    assert.match(run.stdout, /^- Proxy/m);
    assert.match(run.stdout, /^✓ Streaming/m);
    assert.match(run.stdout, /Every step passed/);
    assert.ok(!(run.stdout + run.stderr).includes(OPENAI_KEY), 'the key is not printed');
  });

  it('skips the paid requests with --skip-completion', async () => {
    emulator = await Emulator.start();
    const run = await runCli(['diagnose', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', '--skip-completion']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^- One-token request/m);
    assert.equal(emulator.requests.filter((request) => request.path.includes('/chat/completions')).length, 0);
  });

  it('exits 1 and names the refused address', async () => {
    const port = await findFreePort();
    const run = await runCli(['diagnose', '--provider', 'ollama', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'llama3.2']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^✗ TCP connection/m);
    assert.match(run.stdout, new RegExp(`error network\\.refused: Connection refused by 127\\.0\\.0\\.1:${port}`));
    assert.match(run.stdout, /fix: Start Ollama/);
  });

  it('prints the report as JSON with --json', async () => {
    const run = await runCli(['diagnose', '--json', '--provider', 'openai-compatible', '--base-url', 'http://switchboard-cli.invalid:8080/v1', '--model', 'm']);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    assert.equal(report.failedStep, 'dns');
    assert.equal(report.steps.find((step) => step.id === 'dns')?.error?.code, 'network.dns');
  });

  it('reports a configuration failure as a failed step', async () => {
    const run = await runCli(['diagnose', '--provider', 'openai', '--base-url', 'https://api.openai.com/v1', '--model', 'gpt-4o-mini'], { OPENAI_API_KEY: 'sk-or-v1-0123456789abcdef0123' });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^✗ Configuration/m);
    assert.match(run.stdout, /OpenRouter key/);
  });

  it('uses HTTP_PROXY and masks its password', async () => {
    const port = await findFreePort();
    proxy = await startProxy({ connectPorts: [port], basicAuth: { user: 'cli', password: PROXY_PASSWORD } });
    emulator = await Emulator.start({ port });
    const run = await runCli(['diagnose', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2'], { HTTP_PROXY: proxy.urlWithCredentials() });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    // A proxy on this machine reaches the loopback target, so the step passes.
    assert.match(run.stdout, /^✓ Proxy/m);
    assert.match(run.stdout, /go through the proxy http:\/\/cli:\*\*\*\*@127\.0\.0\.1/);
    assert.ok(!(run.stdout + run.stderr).includes(PROXY_PASSWORD), 'the proxy password is not printed');
    assert.match(proxy.output(), /CONNECT 127\.0\.0\.1/);
  });

  it('exits 2 without --model for an ad-hoc provider', async () => {
    const run = await runCli(['diagnose', '--provider', 'ollama', '--base-url', 'http://127.0.0.1:11434/v1']);
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /diagnose needs --model/);
  });

  it('exits 2 for an unknown profile', async () => {
    const run = await runCli(['diagnose', '--profile', 'nowhere'], { SWITCHBOARD_PROFILES: '' });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /No profile is named "nowhere"/);
  });

  it('lists diagnose in the help', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /switchboard diagnose \[--profile NAME \| --provider KIND --base-url URL --model ID\] \[TIMEOUTS\] \[--skip-completion\] \[--json\]/);
  });
});
