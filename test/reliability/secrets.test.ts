// A known API key and a known proxy password go through every path that logs, reports,
// exports or sends feedback. The key may appear only in the provider's own authentication
// header, and the proxy password only in the proxy's Proxy-Authorization.
// Needs tinyproxy (scripts/setup-network-tests.sh).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { Trace } from 'vscode-languageserver-protocol/node';

import { renderDoctorJson, renderDoctorMarkdown, renderDoctorText } from '../../src/engine/doctor';
import type { DoctorReport } from '../../src/engine/doctor/report';
import type { ProfileInput } from '../../src/engine/profiles';
import { buildConnectionReport, renderConnectionReport } from '../../src/extension/feedback/connection-report';
import { deliverFeedback } from '../../src/extension/feedback/feedback-delivery';
import { feedbackToCsv, feedbackToJson, renderFeedbackSummary } from '../../src/extension/feedback/feedback-export';
import { issuePageUrl, renderIssue } from '../../src/extension/feedback/feedback-issue';
import { createFeedbackId, RECORD_VERSION, type FormFeedback } from '../../src/extension/feedback/feedback-record';
import { FeedbackStore } from '../../src/extension/feedback/feedback-store';
import { formatMessage } from '../../src/extension/l10n';
import { renderPerformanceReport } from '../../src/extension/performance-report';
import { redactingChannel } from '../../src/extension/redacting-channel';
import {
  chatProgress,
  chatRequest,
  configureRequest,
  detectServersRequest,
  diagnoseRequest,
  listModelsRequest,
  listProfilesRequest,
  metricsRequest,
  setKeyRequest,
  type ChatResult,
} from '../../src/protocol/protocol';
import { Emulator, type RecordedRequest } from '../emulator/emulator';
import { cleanEnvironment, CLI_BUNDLE, ensureBundles, REPOSITORY } from '../server/bundles';
import { startLanguageServer, type LanguageServer } from '../server/language-server';
import { findFreePort, startProxy, type TestProxy } from '../support/proxy';
import { errorOf, createRecordingLogger } from '../unit/support/helpers';
import { PROFILE, startHarness, type Harness } from '../unit/support/harness';
import { recordScenario } from './record';

const API_KEY = 'sk-test-RELIABILITY-5f3a9c1e77';
/** Gemini profiles reject keys in OpenAI's form, so they get one in Google's form. */
const GEMINI_KEY = 'AIzaSyRELIABILITY-5f3a9c1e77-0123456789';
const PROXY_USER = 'switchboard';
const PROXY_PASSWORD = 'pr0xy-RELIABILITY-4411';
/** A header value that matches none of the key patterns that redactText masks by form. */
const HEADER_SECRET = 'hdrval-RELIABILITY-93d0b7';
/** A key placed in a base URL's query, where providers such as Gemini accept it. */
const QUERY_KEY = 'qkey-RELIABILITY-71c2aa';
const MODEL = 'gpt-4o-mini';
const localizer = { t: formatMessage };

/** Each secret with the forms it could take on the way out: plain, percent-encoded, and inside Basic credentials. */
const SECRET_FORMS: ReadonlyArray<{ name: string; value: string }> = [
  { name: 'the API key', value: API_KEY },
  { name: 'the Gemini API key', value: GEMINI_KEY },
  { name: 'the proxy password', value: PROXY_PASSWORD },
  { name: 'the proxy password, percent-encoded', value: encodeURIComponent(PROXY_PASSWORD) },
  { name: 'the proxy credentials in Basic form', value: Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64') },
  { name: 'the secret header value', value: HEADER_SECRET },
  { name: 'the key in the base URL query', value: QUERY_KEY },
];

/** Names of the paths checked so far, in the order they were checked. */
const coveredPaths: string[] = [];

/**
 * Fails with the path, the secret and the text around it when `text` contains any secret form.
 * `allowed` names forms that may appear, such as a profile's own header value in the profile.
 */
function assertNoSecret(outputPath: string, text: string, allowed: readonly string[] = []): void {
  for (const secret of SECRET_FORMS.filter((form) => !allowed.includes(form.value))) {
    const index = text.indexOf(secret.value);
    assert.equal(index, -1, `${outputPath} contains ${secret.name}: …${text.slice(Math.max(0, index - 120), index + secret.value.length + 40)}…`);
  }
  if (!coveredPaths.includes(outputPath)) coveredPaths.push(outputPath);
}

/** Checks what a provider emulator received: secrets only in the headers that carry them to that provider. */
function assertProviderRequestsClean(emulator: Emulator, allowedHeaders: readonly string[]): void {
  for (const request of emulator.requests) {
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !allowedHeaders.includes(name)));
    assertNoSecret(`request ${request.method} ${request.path} to the provider`, JSON.stringify({ path: request.path, headers, body: request.body }));
    assert.equal(request.headers['proxy-authorization'], undefined, `the provider received Proxy-Authorization on ${request.path}`);
  }
}

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd: REPOSITORY, env: cleanEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}

/** Starts a local feedback endpoint that records every request and responds with 204. */
async function startFeedbackEndpoint(): Promise<{ url: URL; received: Array<{ headers: http.IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/feedback`),
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** VS Code's LogOutputChannel, named through the wrapper because only src/extension may import `vscode`. */
type LogChannel = Parameters<typeof redactingChannel>[0];

/** Builds a log channel that only records what is written to it, to stand in for the language client's trace channel. */
function recordingChannel(lines: string[]): LogChannel {
  const write = (message: unknown) => {
    lines.push(String(message));
  };
  const channel = { name: 'trace', logLevel: 1, trace: write, debug: write, info: write, warn: write, error: write, append: write, appendLine: write, replace: write };
  return channel as unknown as LogChannel;
}

/**
 * Sends a chat request with a progress token and returns the result and the streamed events as
 * JSON text. The prompt names the token, so the response cache never serves it.
 */
async function chatThroughServer(server: LanguageServer, profile: string, token: string): Promise<{ result: ChatResult; progress: string }> {
  const batches: unknown[] = [];
  const subscription = server.connection.onProgress(chatProgress, token, (batch) => {
    batches.push(batch);
  });
  try {
    const result = await server.connection.sendRequest(chatRequest, { request: { profile, messages: [{ role: 'user', content: `Say hello to ${token}.` }] }, partialResultToken: token });
    return { result, progress: JSON.stringify(batches) };
  } finally {
    subscription.dispose();
  }
}

describe('secrets in logs, reports, exports and feedback', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let proxy: TestProxy;

  before(async function () {
    this.timeout(120_000);
    await ensureBundles();
    // tinyproxy allows CONNECT only to listed ports, so the emulator's port is chosen first.
    const port = await findFreePort();
    proxy = await startProxy({ connectPorts: [port], basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } });
    emulator = await Emulator.start({ port, apiKey: API_KEY });
  });

  after(async () => {
    await emulator?.stop();
    await proxy?.stop();
  });

  describe('language server', () => {
    let server: LanguageServer;
    const traces: string[] = [];
    const clientTrace: string[] = [];
    const unredactedClientTrace: string[] = [];
    let doctorReport: DoctorReport | undefined;
    let echoedError = '';

    before(async function () {
      this.timeout(60_000);
      emulator.reset();
      server = startLanguageServer({ SWITCHBOARD_DEBUG: '1' });
      server.connection.onNotification('$/logTrace', (params: unknown) => {
        traces.push(JSON.stringify(params));
      });
      await server.initialize();
      // What `switchboard.trace.server: verbose` does: the server receives $/setTrace, and the
      // client traces every message with its parameters the way vscode-languageclient does.
      await server.connection.sendNotification('$/setTrace', { value: 'verbose' });
      const traceChannel = redactingChannel(recordingChannel(clientTrace));
      await server.connection.trace(Trace.Verbose, {
        log: (message: unknown, data?: string) => {
          const text = typeof message === 'string' ? (data ? `${message}\n${data}` : message) : JSON.stringify(message);
          unredactedClientTrace.push(text);
          traceChannel.trace(text);
        },
      });

      const profiles: ProfileInput[] = [
        { name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: MODEL, headers: { 'X-Team-Token': HEADER_SECRET } },
      ];
      const configured = await server.connection.sendRequest(configureRequest, { profiles, network: { proxy: proxy.urlWithCredentials() } });
      assert.equal(configured.ok, true, JSON.stringify(configured));
      // Both results return the profiles that the client sent, headers included.
      assertNoSecret('configure result', JSON.stringify(configured), [HEADER_SECRET]);
      await server.connection.sendRequest(setKeyRequest, { profile: 'emulator', key: API_KEY });
      assertNoSecret('listProfiles result', JSON.stringify(await server.connection.sendRequest(listProfilesRequest, {})), [HEADER_SECRET]);
    });

    after(async () => {
      await server?.stop();
    });

    it('chat through the proxy', async () => {
      const { result, progress } = await chatThroughServer(server, 'emulator', 'secrets-chat');
      assert.equal(result.error, undefined, JSON.stringify(result.error));
      assertNoSecret('chat result', JSON.stringify(result));
      assertNoSecret('chat progress events', progress);

      const chat = emulator.requests.find((request) => request.path.includes('/chat/completions'));
      assert.ok(chat, `no chat request reached the emulator: ${emulator.requests.map((request) => request.path).join(', ')}`);
      assert.equal(chat.headers.authorization, `Bearer ${API_KEY}`);
      assert.equal(chat.headers['x-team-token'], HEADER_SECRET);
      assert.match(proxy.output(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${emulator.port}`), 'the chat did not go through the proxy');
      recordScenario({ suite: 'secrets', scenario: 'chat through an authenticating proxy' });
    });

    it('provider error that echoes the key', async () => {
      emulator.script({
        match: { path: '/chat/completions' },
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${API_KEY}. Proxy said ${PROXY_USER}:${PROXY_PASSWORD}@proxy, header ${HEADER_SECRET}.`, type: 'invalid_request_error', code: 'invalid_api_key' } },
      });
      const { result } = await chatThroughServer(server, 'emulator', 'secrets-echo');
      assert.equal(result.error?.code, 'auth.invalid_key', JSON.stringify(result.error));
      echoedError = `${result.error.code}: ${result.error.message}`;
      assertNoSecret('chat error data', JSON.stringify(result.error));
      recordScenario({ suite: 'secrets', scenario: 'provider error echoes the key' });
    });

    it('models, metrics and detection', async () => {
      const models = await server.connection.sendRequest(listModelsRequest, { profile: 'emulator', refresh: true });
      assert.equal(models.ok, true, JSON.stringify(models));
      assertNoSecret('listModels result', JSON.stringify(models));

      const snapshot = await server.connection.sendRequest(metricsRequest, {});
      assertNoSecret('metrics snapshot', JSON.stringify(snapshot));
      assertNoSecret('performance report', renderPerformanceReport({ snapshot, activationTimeMs: 12.5 }));

      const detected = await server.connection.sendRequest(detectServersRequest, { ports: { ollama: emulator.port } });
      assertNoSecret('detectServers result', JSON.stringify(detected));
    });

    it('connection doctor and its renderings', async () => {
      const outcome = await server.connection.sendRequest(diagnoseRequest, { profile: 'emulator' });
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      doctorReport = outcome.report;
      assert.ok(doctorReport.steps.some((step) => step.id === 'proxy'), `the doctor did not check the proxy: ${doctorReport.steps.map((step) => step.id).join(', ')}`);
      assertNoSecret('diagnose result', JSON.stringify(outcome));
      assertNoSecret('doctor Markdown', renderDoctorMarkdown(doctorReport));
      assertNoSecret('doctor JSON', renderDoctorJson(doctorReport));
      assertNoSecret('doctor text', renderDoctorText(doctorReport));
    });

    it('feedback record, store, exports, delivery and issue URL', async () => {
      assert.ok(doctorReport, 'the doctor test did not run first');
      const report = buildConnectionReport(
        {
          extensionVersion: '0.0.0-test',
          editor: 'Visual Studio Code 1.100.3',
          platform: `${process.platform} ${process.arch}`,
          profile: { kind: 'openai', baseUrl: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${emulator.port}/v1?key=${QUERY_KEY}`, model: MODEL },
          status: 'authError',
          serverPhase: 'running',
          recentErrors: [{ code: 'auth.invalid_key', count: 1, lastSeen: new Date().toISOString() } as never],
          doctor: doctorReport,
        },
        [API_KEY],
      );
      assertNoSecret('connection report', renderConnectionReport(report));

      // The message is what a person pastes: the error text that the editor showed them.
      const record: FormFeedback = {
        v: RECORD_VERSION,
        id: createFeedbackId(),
        createdAt: new Date().toISOString(),
        extensionVersion: '0.0.0-test',
        type: 'form',
        kind: 'bug',
        rating: 2,
        message: `The chat failed with ${echoedError}`,
        diagnostics: report,
      };
      assertNoSecret('feedback record', JSON.stringify(record));

      const directory = await mkdtemp(path.join(tmpdir(), 'switchboard-secrets-'));
      const endpoint = await startFeedbackEndpoint();
      try {
        const logger = createRecordingLogger();
        const store = new FeedbackStore(directory, logger);
        await store.add(record);
        await store.setStatus(record.id, 'delivered', { attempts: 1 });
        for (const file of await readdir(directory)) assertNoSecret(`feedback file ${file}`, await readFile(path.join(directory, file), 'utf8'));
        const stored = await store.list();
        assert.equal(stored.length, 1);
        assertNoSecret('feedback export JSON', feedbackToJson(stored));
        assertNoSecret('feedback export CSV', feedbackToCsv(stored));
        assertNoSecret('feedback summary', renderFeedbackSummary(stored, localizer));

        const outcome = await deliverFeedback(endpoint.url, record.id, record, logger);
        assert.equal(outcome.kind, 'delivered', JSON.stringify(outcome));
        assert.equal(endpoint.received.length, 1);
        assertNoSecret('feedback delivery request', JSON.stringify(endpoint.received[0]));
        assertNoSecret('feedback log', logger.lines.join('\n'));

        const issue = renderIssue(record, localizer);
        const url = issuePageUrl(new URL('https://github.com/switchboard-dev/switchboard/issues/new'), issue, localizer);
        assertNoSecret('issue draft', JSON.stringify(issue));
        assertNoSecret('issue URL', url);
        assertNoSecret('issue URL, decoded', decodeURIComponent(url));
      } finally {
        await endpoint.close();
        await rm(directory, { recursive: true, force: true });
      }
      recordScenario({ suite: 'secrets', scenario: 'feedback with a connection report', atRisk: 1, lost: 0 });
    });

    it('key in the base URL query', async () => {
      const rejected = await server.connection.sendRequest(configureRequest, {
        profiles: [{ name: 'query-key', kind: 'gemini', baseUrl: `${emulator.url}/v1beta?key=${QUERY_KEY}`, model: 'gemini-2.5-flash' }],
      });
      assertNoSecret('configure rejection of a key in the query', JSON.stringify(rejected));
    });

    it('logs, trace, stderr and statuses stay clean', async () => {
      assert.ok(server.logs.length > 0, 'the server logged nothing, so the check below proves nothing');
      assert.ok(
        server.logs.some((line) => line.type === 4),
        'no debug line was logged although SWITCHBOARD_DEBUG=1',
      );
      assertNoSecret('server log messages', JSON.stringify(server.logs));
      assertNoSecret('server $/logTrace', traces.join('\n'));
      // Without the redacting channel the verbose trace would show the key that setKey carries.
      assert.ok(unredactedClientTrace.join('\n').includes(API_KEY), 'the verbose trace never carried the key, so the check below proves nothing');
      assert.match(clientTrace.join('\n'), /switchboard\/setKey[\s\S]*"key": "\*\*\*\*"/);
      assertNoSecret('client LSP trace at verbose', clientTrace.join('\n'));
      assertNoSecret('server status notifications', JSON.stringify(server.statuses));
      assertNoSecret('server stderr', server.stderr());
      assertNoSecret('server stdout (every message it sent)', server.stdout(), [HEADER_SECRET]);
      assertProviderRequestsClean(emulator, ['authorization', 'x-team-token']);
      recordScenario({ suite: 'secrets', scenario: 'language server output at debug and verbose trace' });
    });
  });

  describe('command line', () => {
    let directory: string;
    let profilesFile: string;
    let env: Record<string, string>;

    before(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'switchboard-secrets-cli-'));
      profilesFile = path.join(directory, 'profiles.json');
      await writeFile(profilesFile, JSON.stringify([{ name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: MODEL, headers: { 'X-Team-Token': HEADER_SECRET } }]));
      env = { OPENAI_API_KEY: API_KEY, HTTP_PROXY: proxy.urlWithCredentials(), SWITCHBOARD_DEBUG: '1', SWITCHBOARD_DETECT_PORTS: JSON.stringify({ ollama: emulator.port }) };
    });

    after(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    const commands: Array<{ name: string; args: (file: string) => string[] }> = [
      { name: 'chat', args: (file) => ['chat', '--profiles', file, '--profile', 'emulator', 'Say hello.'] },
      { name: 'chat --json', args: (file) => ['chat', '--profiles', file, '--profile', 'emulator', '--json', 'Say hello.'] },
      { name: 'models', args: (file) => ['models', '--profiles', file, '--profile', 'emulator'] },
      { name: 'models --json', args: (file) => ['models', '--profiles', file, '--profile', 'emulator', '--json'] },
      { name: 'diagnose', args: (file) => ['diagnose', '--profiles', file, '--profile', 'emulator'] },
      { name: 'diagnose --json', args: (file) => ['diagnose', '--profiles', file, '--profile', 'emulator', '--json'] },
      { name: 'detect', args: () => ['detect'] },
      { name: 'detect --json', args: () => ['detect', '--json'] },
    ];

    for (const command of commands) {
      it(`${command.name} with SWITCHBOARD_DEBUG=1`, async () => {
        const run = await runCli(command.args(profilesFile), env);
        assert.ok(run.stdout.length + run.stderr.length > 0, `switchboard ${command.name} wrote nothing`);
        assertNoSecret(`switchboard ${command.name} stdout`, run.stdout);
        assertNoSecret(`switchboard ${command.name} stderr`, run.stderr);
      });
    }

    it('chat error that echoes the key', async () => {
      emulator.script({ match: { path: '/chat/completions' }, status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}.`, code: 'invalid_api_key' } } });
      const run = await runCli(['chat', '--profiles', profilesFile, '--profile', 'emulator', 'Say hello.'], env);
      assert.notEqual(run.status, 0, 'the chat succeeded although the provider rejected the key');
      assertNoSecret('switchboard chat error stderr', run.stderr);
      assertNoSecret('switchboard chat error stdout', run.stdout);
    });

    it('malformed HTTP_PROXY with a password', async () => {
      const run = await runCli(['chat', '--profiles', profilesFile, '--profile', 'emulator', 'Say hello.'], { ...env, HTTP_PROXY: `http//${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}` });
      assert.notEqual(run.status, 0, `a malformed HTTP_PROXY was accepted: ${run.stdout}`);
      assert.match(run.stderr, /HTTP_PROXY/);
      assertNoSecret('switchboard chat with a malformed HTTP_PROXY', run.stdout + run.stderr);
    });

    it('serve logs over stdio', async () => {
      const server = startStandaloneServer(profilesFile, env);
      try {
        await server.initialize();
        const { result } = await chatThroughServer(server, 'emulator', 'secrets-serve');
        assert.equal(result.error, undefined, JSON.stringify(result.error));
      } finally {
        await server.stop();
      }
      assertNoSecret('switchboard serve log messages', JSON.stringify(server.logs));
      assertNoSecret('switchboard serve stderr', server.stderr());
      assertNoSecret('switchboard serve stdout', server.stdout(), [HEADER_SECRET]);
      assertProviderRequestsClean(emulator, ['authorization', 'x-team-token']);
      recordScenario({ suite: 'secrets', scenario: 'command line and serve output' });
    });
  });

  describe('redirects', () => {
    const STATUSES = [301, 302, 303, 307, 308];
    const CREDENTIAL_HEADERS = ['authorization', 'api-key', 'x-goog-api-key', 'proxy-authorization'];
    const PROVIDERS: Array<{ kind: string; key: string; keyHeader: string; expectedHeader: string; profile: (url: string) => ProfileInput }> = [
      { kind: 'openai-compatible', key: API_KEY, keyHeader: 'authorization', expectedHeader: `Bearer ${API_KEY}`, profile: (url) => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: `${url}/v1`, model: MODEL }) },
      { kind: 'azure-openai', key: API_KEY, keyHeader: 'api-key', expectedHeader: API_KEY, profile: (url) => ({ name: PROFILE, kind: 'azure-openai', baseUrl: url, model: MODEL, apiVersion: '2024-10-21' }) },
      { kind: 'gemini', key: GEMINI_KEY, keyHeader: 'x-goog-api-key', expectedHeader: GEMINI_KEY, profile: (url) => ({ name: PROFILE, kind: 'gemini', baseUrl: url, model: 'gemini-2.5-flash' }) },
    ];
    let other: Emulator;
    let chats = 0;

    /** Sends a prompt that no earlier chat sent, so the response cache cannot answer it. */
    function freshChat(harness: Harness) {
      chats += 1;
      return harness.chat({ messages: [{ role: 'user', content: `Say hello, number ${chats}.` }] });
    }

    before(async () => {
      other = await Emulator.start({ answer: 'This server should never be asked.' });
    });

    after(async () => {
      await other?.stop();
    });

    /** Runs one chat unscripted and returns the path of its request, so a redirect can point back at it. */
    async function chatPath(harness: Harness): Promise<string> {
      const events = await freshChat(harness);
      assert.equal(errorOf(events), undefined, JSON.stringify(errorOf(events)));
      const request = harness.emulator.requests.at(-1) as RecordedRequest;
      harness.emulator.reset();
      return request.path;
    }

    for (const provider of PROVIDERS) {
      it(`${provider.kind} refuses cross-origin redirects`, async () => {
        const harness = await startHarness({ key: provider.key, profile: provider.profile });
        try {
          const chatRequestPath = await chatPath(harness);
          const targets = [
            { name: 'another port', origin: other.url },
            { name: 'the localhost alias', origin: `http://localhost:${harness.emulator.port}` },
          ];
          for (const target of targets) {
            for (const status of STATUSES) {
              harness.emulator.reset();
              other.reset();
              const where = `${provider.kind} ${status} to ${target.name}`;
              harness.emulator.script({ status, headers: { location: `${target.origin}${chatRequestPath}` }, body: '' });
              const error = errorOf(await freshChat(harness));
              assert.equal(error?.code, 'config.base_url', `${where}: ${JSON.stringify(error)}`);
              assert.match(error.message, /redirected the request to another host/, where);
              assert.equal(harness.emulator.requests.length, 1, `${where}: the redirect was followed or retried: ${harness.emulator.requests.map((request) => request.path).join(', ')}`);
              assert.equal(other.requests.length, 0, `${where}: the other origin received a request`);
              assertNoSecret(`${where} error`, JSON.stringify(error));
            }
          }
          assertNoSecret(`${provider.kind} redirect log`, harness.logger.lines.join('\n'));
        } finally {
          await harness.stop();
        }
        for (const header of CREDENTIAL_HEADERS) assert.equal(other.requests.some((request) => request.headers[header] !== undefined), false, `other origin got ${header}`);
        recordScenario({ suite: 'secrets', scenario: `${provider.kind} cross-origin redirects`, figures: { redirects: STATUSES.length * 2 } });
      });

      it(`${provider.kind} follows same-origin redirects`, async () => {
        const harness = await startHarness({ key: provider.key, profile: provider.profile });
        try {
          const chatRequestPath = await chatPath(harness);
          for (const status of STATUSES) {
            harness.emulator.reset();
            const where = `${provider.kind} ${status} to the same origin`;
            const location = `${chatRequestPath}${chatRequestPath.includes('?') ? '&' : '?'}hop=1`;
            harness.emulator.script({ status, headers: { location }, body: '' });
            const events = await freshChat(harness);
            assert.equal(errorOf(events), undefined, `${where}: ${JSON.stringify(errorOf(events))}`);
            const requests = harness.emulator.requests;
            assert.equal(requests.length, 2, `${where}: ${requests.map((request) => request.path).join(', ')}`);
            assert.equal(requests[1]!.path, location, where);
            assert.equal(requests[1]!.headers[provider.keyHeader], provider.expectedHeader, `${where}: the followed request lacks the key`);
          }
        } finally {
          await harness.stop();
        }
        recordScenario({ suite: 'secrets', scenario: `${provider.kind} same-origin redirects`, figures: { redirects: STATUSES.length } });
      });
    }
  });

  describe('covered paths', () => {
    it('every listed path was checked', () => {
      const expected = [
        'server log messages',
        'server $/logTrace',
        'client LSP trace at verbose',
        'server stderr',
        'server status notifications',
        'chat error data',
        'metrics snapshot',
        'performance report',
        'diagnose result',
        'doctor Markdown',
        'doctor JSON',
        'detectServers result',
        'switchboard detect stdout',
        'switchboard chat stderr',
        'switchboard models stdout',
        'switchboard diagnose stdout',
        'switchboard diagnose --json stdout',
        'switchboard serve log messages',
        'feedback record',
        'feedback export JSON',
        'feedback delivery request',
        'issue URL',
        'connection report',
        'configure rejection of a key in the query',
        'switchboard chat with a malformed HTTP_PROXY',
      ];
      const missing = expected.filter((name) => !coveredPaths.includes(name));
      assert.deepEqual(missing, [], `paths not checked (run the whole file): ${missing.join(', ')}\nchecked: ${coveredPaths.join(', ')}`);
      recordScenario({ suite: 'secrets', scenario: 'paths checked for secrets', figures: { paths: coveredPaths.length } });
    });
  });
});

/**
 * Starts the standalone language server with the profiles file and environment given.
 * `switchboard serve --stdio` imports and runs the same startServer({ standalone: true }).
 */
function startStandaloneServer(profilesFile: string, env: Record<string, string>): LanguageServer {
  return startLanguageServer({ ...env, SWITCHBOARD_PROFILES: profilesFile });
}
