import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { runDoctor, type DoctorOptions } from '../../src/engine/doctor/doctor';
import { renderDoctorJson, renderDoctorMarkdown, renderDoctorText } from '../../src/engine/doctor/render';
import type { DoctorReport, StepId } from '../../src/engine/doctor/report';
import type { ProfileInput } from '../../src/engine/profiles';
import { Emulator, type EmulatorOptions } from '../emulator/emulator';
import { generateCertificates, type TlsMaterial } from '../emulator/tls';
import { findFreePort, startProxy, type TestProxy } from '../support/proxy';

const FAKE_KEY = 'sk-proj-DoctorFakeKey0123456789abcdef';
const PROXY_USER = 'doctor';
const PROXY_PASSWORD = 'Doctor-Proxy-Pass-5d2c';
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS'];
/** Small timeouts, so failing scenarios end in well under a second each. */
const FAST_NETWORK = { connectTimeoutMs: 2000, firstByteTimeoutMs: 1000, localFirstByteTimeoutMs: 1000, idleTimeoutMs: 400 };

function profileAt(baseUrl: string, overrides: Partial<ProfileInput> = {}): ProfileInput {
  return { name: 'doctor-test', kind: 'openai-compatible', baseUrl, model: 'gpt-4o-mini', ...overrides };
}

function stepOf(report: DoctorReport, id: StepId) {
  const step = report.steps.find((candidate) => candidate.id === id);
  assert.ok(step, `the report has a ${id} step`);
  return step;
}

/** Asserts that `id` is the first failing step, with `code`, and that every later step was skipped. */
function assertFailedAt(report: DoctorReport, id: StepId, code: string): void {
  const summary = report.steps.map((step) => `${step.id}=${step.status}${step.error ? `(${step.error.code}: ${step.error.message})` : ''}`).join('\n');
  assert.equal(report.failedStep, id, summary);
  assert.equal(report.ok, false);
  assert.equal(stepOf(report, id).error?.code, code, summary);
  const index = report.steps.findIndex((step) => step.id === id);
  assert.ok(report.steps.slice(index + 1).every((step) => step.status === 'skip'), summary);
}

function assertPassed(report: DoctorReport): void {
  const summary = report.steps.map((step) => `${step.id}=${step.status} ${step.details.join(' | ')} ${step.error?.message ?? ''}`).join('\n');
  assert.equal(report.ok, true, summary);
  assert.equal(report.failedStep, undefined, summary);
}

describe('connection doctor', function () {
  this.timeout(30_000);
  let emulator: Emulator | undefined;
  let proxy: TestProxy | undefined;
  const savedEnvironment: Record<string, string | undefined> = {};

  beforeEach(() => {
    for (const name of PROXY_VARIABLES) {
      savedEnvironment[name] = process.env[name];
      delete process.env[name];
    }
  });

  afterEach(async () => {
    await emulator?.stop();
    await proxy?.stop();
    emulator = undefined;
    proxy = undefined;
    for (const name of PROXY_VARIABLES) {
      if (savedEnvironment[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnvironment[name];
    }
  });

  async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
    emulator = await Emulator.start(options);
    return emulator;
  }

  function diagnose(profile: ProfileInput, options: DoctorOptions = {}): Promise<DoctorReport> {
    return runDoctor(profile, { ...options, network: { ...FAST_NETWORK, ...options.network } });
  }

  describe('a healthy server', () => {
    it('passes every step', async () => {
      const server = await startEmulator({ apiKey: FAKE_KEY });
      const report = await diagnose(profileAt(`${server.url}/v1`), { apiKey: FAKE_KEY });
      assertPassed(report);
      assert.deepEqual(
        report.steps.map((step) => [step.id, step.status]),
        [
          ['configuration', 'pass'],
          ['dns', 'pass'],
          ['tcp', 'pass'],
          ['proxy', 'skip'],
          ['tls', 'skip'],
          ['authentication', 'pass'],
          ['model', 'pass'],
          ['completion', 'pass'],
          ['streaming', 'pass'],
        ],
      );
    });

    it('sends one output token and a short stream', async () => {
      const server = await startEmulator();
      await diagnose(profileAt(`${server.url}/v1`));
      const chats = server.requests.filter((request) => request.path.includes('/chat/completions'));
      assert.equal(chats.length, 2);
      assert.equal(chats[0]!.json.max_tokens, 1);
      assert.equal(chats[0]!.json.stream, false);
      assert.equal(chats[1]!.json.stream, true);
    });

    it('skips the paid requests with skipCompletion', async () => {
      const server = await startEmulator();
      const report = await diagnose(profileAt(`${server.url}/v1`), { skipCompletion: true });
      assertPassed(report);
      assert.equal(stepOf(report, 'completion').status, 'skip');
      assert.equal(stepOf(report, 'streaming').status, 'skip');
      assert.equal(server.requests.filter((request) => request.path.includes('/chat/completions')).length, 0);
    });

    it('times each TCP address', async () => {
      const server = await startEmulator();
      const report = await diagnose(profileAt(`${server.url}/v1`), { skipCompletion: true });
      assert.match(stepOf(report, 'tcp').details.join('\n'), new RegExp(`127\\.0\\.0\\.1:${server.port} \\(IPv4\\): connected in \\d+ ms`));
    });

    it('keeps the key out of every form of the report', async () => {
      const server = await startEmulator({ apiKey: FAKE_KEY });
      const report = await diagnose(profileAt(`${server.url}/v1`), { apiKey: FAKE_KEY });
      for (const text of [renderDoctorJson(report), renderDoctorMarkdown(report), renderDoctorText(report)]) {
        assert.ok(!text.includes(FAKE_KEY), 'the key is absent');
        assert.ok(!/Bearer\s+\S{8,}/.test(text.replace(/Bearer \*\*\*\*/g, '')), 'no bearer token');
      }
    });
  });

  describe('configuration', () => {
    it('rejects an OpenRouter key sent to api.openai.com without sending it', async () => {
      const report = await diagnose({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' }, { apiKey: 'sk-or-v1-0123456789abcdef0123' });
      assertFailedAt(report, 'configuration', 'config.invalid');
      assert.match(stepOf(report, 'configuration').error!.message, /OpenRouter key.*api\.openai\.com/);
    });

    it('rejects a Google key in a non-Gemini profile', async () => {
      const report = await diagnose(profileAt('http://127.0.0.1:1/v1'), { apiKey: 'AIzaSyDoctorTest-0123456789abcdefghijk' });
      assertFailedAt(report, 'configuration', 'config.invalid');
      assert.match(stepOf(report, 'configuration').error!.message, /Google API key/);
    });

    it('reports a missing key for OpenAI', async () => {
      const report = await diagnose({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' });
      assertFailedAt(report, 'configuration', 'auth.missing_key');
    });

    it('fails an Ollama URL without /v1', async () => {
      const report = await diagnose({ name: 'local', preset: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'llama3.2' });
      assertFailedAt(report, 'configuration', 'config.base_url');
      assert.match(stepOf(report, 'configuration').error!.fix.join(' '), /http:\/\/127\.0\.0\.1:11434\/v1/);
    });

    it('warns about a doubled /v1 and localhost', async () => {
      const server = await startEmulator();
      const report = await diagnose(profileAt(`http://localhost:${server.port}/v1/v1`), { skipCompletion: true });
      const step = stepOf(report, 'configuration');
      assert.equal(step.status, 'warn');
      assert.match(step.details.join('\n'), /doubled \/v1/);
      assert.match(step.details.join('\n'), /may resolve to ::1/);
      assertPassed(report);
    });

    it('rejects a base URL without a scheme', async () => {
      const report = await diagnose(profileAt('localhost:11434/v1'));
      assertFailedAt(report, 'configuration', 'config.base_url');
    });
  });

  describe('addresses', () => {
    it('finds a refused port and names the address', async () => {
      const port = await findFreePort();
      const report = await diagnose(profileAt(`http://127.0.0.1:${port}/v1`));
      assertFailedAt(report, 'tcp', 'network.refused');
      assert.match(stepOf(report, 'tcp').error!.message, new RegExp(`Connection refused by 127\\.0\\.0\\.1:${port}`));
    });

    it('tries both loopback addresses for localhost', async () => {
      const port = await findFreePort();
      const report = await diagnose(profileAt(`http://localhost:${port}/v1`));
      assertFailedAt(report, 'tcp', 'network.refused');
      const details = stepOf(report, 'tcp').details.join('\n');
      assert.match(details, new RegExp(`127\\.0\\.0\\.1:${port} \\(IPv4\\): failed .*ECONNREFUSED`));
      assert.match(details, new RegExp(`\\[::1\\]:${port} \\(IPv6\\): failed`));
    });

    it('warns when only one loopback address answers', async () => {
      const server = await startEmulator({ host: '127.0.0.1' });
      const report = await diagnose(profileAt(`http://localhost:${server.port}/v1`), { skipCompletion: true });
      assert.equal(stepOf(report, 'tcp').status, 'warn');
      assert.match(stepOf(report, 'tcp').details.join('\n'), new RegExp(`Switchboard connects to 127\\.0\\.0\\.1:${server.port}`));
      assertPassed(report);
    });

    it('finds an .invalid host in the DNS step', async () => {
      const report = await diagnose(profileAt('http://switchboard-doctor.invalid:8080/v1'));
      assertFailedAt(report, 'dns', 'network.dns');
      assert.match(stepOf(report, 'dns').error!.message, /switchboard-doctor\.invalid/);
    });

    it('says which machine localhost is on a remote host', async () => {
      const port = await findFreePort();
      const report = await diagnose(profileAt(`http://127.0.0.1:${port}/v1`), { remoteName: 'ssh-remote' });
      assertFailedAt(report, 'tcp', 'network.refused');
      const error = stepOf(report, 'tcp').error!;
      assert.match(error.message, /remote host over SSH.*not your computer/);
      assert.match(error.fix[0]!, new RegExp(`ssh -R ${port}:127\\.0\\.0\\.1:${port}`));
      assert.equal(report.remoteName, 'ssh-remote');
      assert.match(stepOf(report, 'configuration').details.join('\n'), /not your computer/);
      assert.match(renderDoctorMarkdown(report), /remote host: `ssh-remote`/);
    });

    it('suggests host.docker.internal in a dev container', async () => {
      const port = await findFreePort();
      const report = await diagnose(profileAt(`http://localhost:${port}/v1`), { remoteName: 'dev-container' });
      assert.match(stepOf(report, 'tcp').error!.fix[0]!, new RegExp(`host\\.docker\\.internal:${port}`));
    });
  });

  describe('proxy', () => {
    async function startProxied(basicAuth?: { user: string; password: string }): Promise<{ server: Emulator; started: TestProxy }> {
      const port = await findFreePort();
      proxy = await startProxy({ connectPorts: [port], basicAuth });
      const server = await startEmulator({ port });
      return { server, started: proxy };
    }

    it('passes through an authenticating proxy and masks its password', async () => {
      const { server, started } = await startProxied({ user: PROXY_USER, password: PROXY_PASSWORD });
      const report = await diagnose(profileAt(`${server.url}/v1`), { apiKey: FAKE_KEY, network: { proxy: started.urlWithCredentials() } });
      assertPassed(report);
      const step = stepOf(report, 'proxy');
      assert.equal(step.status, 'pass', 'a proxy on this machine reaches a loopback target');
      assert.match(step.details.join('\n'), /status 200 in \d+ ms/);
      for (const text of [renderDoctorJson(report), renderDoctorMarkdown(report), renderDoctorText(report)]) {
        assert.ok(!text.includes(PROXY_PASSWORD), 'the proxy password is absent');
        assert.ok(!text.includes(FAKE_KEY), 'the key is absent');
      }
      assert.match(renderDoctorJson(report), /doctor:\*\*\*\*@127\.0\.0\.1/);
    });

    it('skips a remote proxy for a loopback target', async () => {
      const server = await startEmulator();
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { proxy: `http://user:${PROXY_PASSWORD}@proxy.example.invalid:3128` } });
      assertPassed(report);
      const step = stepOf(report, 'proxy');
      assert.equal(step.status, 'pass');
      assert.match(step.details.join('\n'), /direct, because the host is on this machine and the proxy http:\/\/user:\*\*\*\*@proxy\.example\.invalid:3128\/ \(from the proxy setting\) could not reach it/);
      assert.ok(!renderDoctorJson(report).includes(PROXY_PASSWORD));
    });

    it('finds a wrong proxy password in the proxy step', async () => {
      const { server, started } = await startProxied({ user: PROXY_USER, password: PROXY_PASSWORD });
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { proxy: started.urlWithCredentials(PROXY_USER, 'not-the-password') } });
      assertFailedAt(report, 'proxy', 'proxy.auth_required');
      assert.ok(!renderDoctorJson(report).includes('not-the-password'));
    });

    it('finds a proxy that requires credentials in the proxy step', async () => {
      const { server, started } = await startProxied({ user: PROXY_USER, password: PROXY_PASSWORD });
      process.env.HTTP_PROXY = started.url;
      const report = await diagnose(profileAt(`${server.url}/v1`));
      assertFailedAt(report, 'proxy', 'proxy.auth_required');
      assert.equal(stepOf(report, 'proxy').error?.status, 407);
      assert.match(stepOf(report, 'proxy').details.join('\n'), /from the HTTP_PROXY environment variable/);
    });

    it('finds a proxy that refuses connections', async () => {
      const server = await startEmulator();
      const deadPort = await findFreePort();
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { proxy: `http://127.0.0.1:${deadPort}` } });
      assertFailedAt(report, 'proxy', 'proxy.failed');
      assert.match(stepOf(report, 'proxy').error!.message, new RegExp(`proxy 127\\.0\\.0\\.1:${deadPort}`));
    });

    it('reports a NO_PROXY bypass', async () => {
      const server = await startEmulator();
      process.env.HTTP_PROXY = `http://127.0.0.1:${await findFreePort()}`;
      process.env.NO_PROXY = '127.0.0.1';
      const report = await diagnose(profileAt(`${server.url}/v1`), { skipCompletion: true });
      assertPassed(report);
      assert.equal(stepOf(report, 'proxy').status, 'pass');
      assert.match(stepOf(report, 'proxy').details.join('\n'), /direct, because the entry "127\.0\.0\.1" of the NO_PROXY environment variable/);
    });
  });

  describe('TLS', () => {
    let valid: TlsMaterial;
    let expired: TlsMaterial;
    let wrongHost: TlsMaterial;
    let directory: string;

    before(async () => {
      [valid, expired, wrongHost] = await Promise.all([generateCertificates(), generateCertificates({ expired: true }), generateCertificates({ hostnames: ['wrong-host.invalid'] })]);
      directory = await mkdtemp(path.join(tmpdir(), 'switchboard-doctor-'));
    });

    after(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('describes a chain trusted through the extra CA setting', async () => {
      const server = await startEmulator({ tls: valid });
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { extraCaCertificates: [valid.caPem] }, skipCompletion: true });
      assertPassed(report);
      const details = stepOf(report, 'tls').details.join('\n');
      assert.match(details, /server certificate: subject "CN=localhost", issuer "CN=Switchboard emulator test CA", valid until \d{4}-\d\d-\d\d \(\d+ days left\)/);
      assert.match(details, /Host name 127\.0\.0\.1: covered/);
      assert.match(details, /Trusted through the extra CA certificates setting \(root CN=Switchboard emulator test CA\)/);
    });

    it('names NODE_EXTRA_CA_CERTS when it decided', async () => {
      const file = path.join(directory, 'extra.pem');
      await writeFile(file, valid.caPem);
      process.env.NODE_EXTRA_CA_CERTS = file;
      const server = await startEmulator({ tls: valid });
      const report = await diagnose(profileAt(`${server.url}/v1`), { skipCompletion: true });
      assertPassed(report);
      assert.match(stepOf(report, 'tls').details.join('\n'), /Trusted through NODE_EXTRA_CA_CERTS/);
    });

    it('names the issuer of an untrusted certificate', async () => {
      const server = await startEmulator({ tls: valid });
      const report = await diagnose(profileAt(`${server.url}/v1`));
      assertFailedAt(report, 'tls', 'tls.untrusted');
      const error = stepOf(report, 'tls').error!;
      assert.match(error.message, /issued by "CN=Switchboard emulator test CA"/);
      assert.match(error.message, /Node's bundled root certificates/);
      assert.match(stepOf(report, 'tls').details.join('\n'), /Not trusted by any source checked/);
    });

    it('finds an expired certificate', async () => {
      const server = await startEmulator({ tls: expired });
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { extraCaCertificates: [expired.caPem] } });
      assertFailedAt(report, 'tls', 'tls.expired');
      assert.match(stepOf(report, 'tls').error!.message, /expired on \d{4}-\d\d-\d\d \(1 days ago\)/);
    });

    it('finds a host name mismatch', async () => {
      const server = await startEmulator({ tls: wrongHost });
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { extraCaCertificates: [wrongHost.caPem] } });
      assertFailedAt(report, 'tls', 'tls.hostname');
      assert.match(stepOf(report, 'tls').error!.message, /wrong-host\.invalid/);
    });

    it('warns instead of failing with strictSsl false', async () => {
      const server = await startEmulator({ tls: valid });
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { strictSsl: false }, skipCompletion: true });
      assertPassed(report);
      assert.equal(stepOf(report, 'tls').status, 'warn');
      assert.match(stepOf(report, 'tls').details.join('\n'), /Certificate checks are off/);
    });

    it('inspects the certificate through a proxy tunnel', async () => {
      const port = await findFreePort();
      proxy = await startProxy({ connectPorts: [port] });
      const server = await startEmulator({ tls: valid, port });
      const report = await diagnose(profileAt(`${server.url}/v1`), { network: { proxy: proxy.url } });
      assertFailedAt(report, 'tls', 'tls.untrusted');
    });
  });

  describe('server answers', () => {
    it('finds a wrong key in the authentication step', async () => {
      const server = await startEmulator({ apiKey: FAKE_KEY });
      const report = await diagnose(profileAt(`${server.url}/v1`), { apiKey: 'sk-proj-SomeOtherKey0123456789' });
      assertFailedAt(report, 'authentication', 'auth.invalid_key');
    });

    it('names the closest models for an unknown model', async () => {
      const server = await startEmulator();
      const report = await diagnose(profileAt(`${server.url}/v1`, { model: 'gpt-4o-mni' }));
      assertFailedAt(report, 'model', 'model.not_found');
      const error = stepOf(report, 'model').error!;
      assert.match(error.message, /"gpt-4o-mni"\. Closest: gpt-4o-mini, gpt-4o/);
    });

    it('finds a server that never answers in the authentication step', async () => {
      const server = await startEmulator();
      server.script({ neverRespond: true, times: 5 });
      const started = Date.now();
      const report = await diagnose(profileAt(`${server.url}/v1`));
      assertFailedAt(report, 'authentication', 'timeout.first_byte');
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    });

    it('finds a stalled stream in the streaming step', async () => {
      const server = await startEmulator();
      // The first chat request (one token, not streamed) gets a normal response, and the stream stalls.
      server.script([{ match: { path: '/chat/completions' } }, { match: { path: '/chat/completions' }, delayBetweenChunksMs: 3000 }]);
      const report = await diagnose(profileAt(`${server.url}/v1`));
      assertFailedAt(report, 'streaming', 'timeout.idle');
    });

    it('finds a stream cut mid-answer in the streaming step', async () => {
      const server = await startEmulator();
      server.script([{ match: { path: '/chat/completions' } }, { match: { path: '/chat/completions' }, closeAfterChunks: 2 }]);
      const report = await diagnose(profileAt(`${server.url}/v1`));
      assertFailedAt(report, 'streaming', 'stream.interrupted');
    });

    it('finds a failing one-token request in the completion step', async () => {
      const server = await startEmulator();
      server.script({ match: { path: '/chat/completions' }, status: 503, body: { error: { message: 'The server is overloaded', type: 'server_error' } } });
      const report = await diagnose(profileAt(`${server.url}/v1`));
      assertFailedAt(report, 'completion', 'server.overloaded');
    });
  });

  describe('rendering', () => {
    it('renders Markdown with a mark per step and the fix', async () => {
      const port = await findFreePort();
      const report = await diagnose(profileAt(`http://127.0.0.1:${port}/v1`));
      const markdown = renderDoctorMarkdown(report);
      assert.match(markdown, /^# Connection diagnosis: doctor-test/);
      assert.match(markdown, /## ✓ Configuration \(passed, \d+ ms\)/);
      assert.match(markdown, /## ✗ TCP connection \(failed, \d+ ms\)/);
      assert.match(markdown, /\*\*Error `network\.refused`:\*\*/);
      assert.match(markdown, /\*\*How to fix it:\*\*/);
      assert.match(markdown, /## - Proxy \(skipped, 0 ms\)/);
    });

    it('renders JSON that parses back to the report', async () => {
      const port = await findFreePort();
      const report = await diagnose(profileAt(`http://127.0.0.1:${port}/v1`));
      assert.deepEqual(JSON.parse(renderDoctorJson(report)), JSON.parse(JSON.stringify(report)));
    });

    it('stops with cancelled when the signal aborts', async () => {
      const server = await startEmulator();
      server.script({ neverRespond: true, times: 5 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const report = await runDoctor(profileAt(`${server.url}/v1`), { signal: controller.signal, network: { localFirstByteTimeoutMs: 60_000 } });
      assert.equal(report.ok, false);
      assert.equal(stepOf(report, report.failedStep!).error?.code, 'cancelled');
    });
  });
});
