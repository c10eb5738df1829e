/**
 * The fault suite: one bounded scenario per fault, run through the real language server
 * (dist/server.js over stdio) against the provider emulator, a real tinyproxy and real TLS.
 * Each scenario checks the error code, the attempts the emulator received, the partial text
 * kept, the status bar's state, the server's health, and that no request outlived its deadline.
 */

import * as assert from 'node:assert/strict';
import * as net from 'node:net';

import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator } from '../emulator/emulator';
import { generateCertificates } from '../emulator/tls';
import { ensureBundles } from '../server/bundles';
import { findFreePort, requireTinyproxy, startProxy, type TestProxy } from '../support/proxy';
import {
  answerPrefix,
  assertPartialKept,
  attemptsOf,
  FaultServer,
  geminiProfile,
  NETWORK,
  openAiProfile,
  RETRY,
  streamedText,
  type ChatRun,
} from './faults-support';

const OPENAI_SERVER_ERROR = { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } };
const GEMINI_INTERNAL_ERROR = { error: { code: 500, message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting', status: 'INTERNAL' } };
const RATE_LIMIT_BODY = { error: { message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
const OVERLOADED_BODY = { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error', param: null, code: null } };

describe('faults below HTTP, through the language server', function () {
  this.timeout(20_000);
  let fault: FaultServer;
  let emulator: Emulator | undefined;
  let proxy: TestProxy | undefined;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    fault = new FaultServer();
    await fault.start();
  });

  afterEach(async () => {
    await fault.stop();
    await emulator?.stop();
    await proxy?.stop();
    emulator = undefined;
    proxy = undefined;
  });


  it('connection refused', async function () {
    const port = await findFreePort();
    await fault.configure(openAiProfile(`http://127.0.0.1:${port}`));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'network.refused');
    assert.match(run.result.error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    // retry.ts allows network.refused 2 attempts in all (MAX_ATTEMPTS_PER_CODE).
    assert.equal(attemptsOf(run), 2);
    assert.equal((await fault.statusState()).kind, 'unreachable');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('reset before the response', async function () {
    emulator = await Emulator.start();
    emulator.script({ resetBeforeResponse: true, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'network.reset');
    assert.equal(attemptsOf(run), RETRY.maxAttempts);
    assert.equal(emulator.requests.length, RETRY.maxAttempts, 'requests the emulator received');
    assert.equal((await fault.statusState()).kind, 'unreachable');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('reset mid-stream', async function () {
    emulator = await Emulator.start();
    // The role chunk and three answer tokens, then a TCP reset.
    emulator.script({ resetAfterChunks: 4 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'stream.interrupted');
    assert.equal(attemptsOf(run), 1, 'a stream that produced text is never retried');
    assert.equal(emulator.requests.length, 1);
    assertPartialKept(run, answerPrefix(3));
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator, answerPrefix(3));
  });

  it('half-open connection that never answers', async function () {
    emulator = await Emulator.start();
    emulator.script({ neverRespond: true, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'timeout.first_byte');
    assert.match(run.result.error.message, /sent no response within 1 s\./);
    assert.equal(attemptsOf(run), 1, 'timeout.first_byte is not retried');
    assert.equal(emulator.requests.length, 1);
    assert.ok(run.elapsedMs >= NETWORK.localFirstByteTimeoutMs, `failed after ${run.elapsedMs} ms, before the first-byte timeout`);
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('slow headers', async function () {
    emulator = await Emulator.start();
    emulator.script({ delayBeforeHeadersMs: 3000 });
    await fault.configure(openAiProfile(emulator.url), { network: { localFirstByteTimeoutMs: 700, firstByteTimeoutMs: 700 } });
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'timeout.first_byte');
    assert.match(run.result.error.message, /within 0\.7 s\./);
    assert.equal(attemptsOf(run), 1);
    assert.ok(run.elapsedMs < 3000, `took ${run.elapsedMs} ms, as long as the server's delay`);
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('stream that stalls mid-way', async function () {
    emulator = await Emulator.start();
    emulator.script({ stallAfterChunks: 3 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'timeout.idle');
    assert.match(run.result.error.message, /stopped sending data for 0\.6 s/);
    assert.equal(attemptsOf(run), 1);
    assertPartialKept(run, answerPrefix(2));
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator, answerPrefix(2));
  });

  it('DNS failure', async function () {
    // RFC 6761 reserves .invalid, and the network layer fails it without asking any resolver.
    await fault.configure(openAiProfile('http://switchboard-fault.invalid:8080'));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'network.dns');
    assert.match(run.result.error.message, /switchboard-fault\.invalid/);
    assert.equal(attemptsOf(run), 1, 'network.dns is not retried');
    assert.equal((await fault.statusState()).kind, 'unreachable');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('untrusted certificate', async function () {
    const certificates = await generateCertificates();
    emulator = await Emulator.start({ tls: certificates });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'tls.untrusted');
    assert.match(run.result.error.message, /Switchboard emulator test CA/);
    assert.equal(attemptsOf(run), 1);
    assert.equal(emulator.requests.length, 0, 'no request passes a failed handshake');
    assert.equal((await fault.statusState()).kind, 'unreachable');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('proxy that never responds to CONNECT', async function () {
    emulator = await Emulator.start();
    // Accepts the TCP connection and reads the CONNECT request, but never responds.
    const silentProxy = net.createServer((socket) => socket.on('data', () => undefined));
    const sockets = new Set<net.Socket>();
    silentProxy.on('connection', (socket: net.Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silentProxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (silentProxy.address() as net.AddressInfo).port;
    try {
      await fault.configure(openAiProfile(emulator.url), { network: { proxy: `http://127.0.0.1:${proxyPort}` } });
      const run = await fault.chat();

      assert.equal(run.result.error?.code, 'proxy.failed');
      assert.match(run.result.error.message, new RegExp(`proxy 127\\.0\\.0\\.1:${proxyPort} \\(from the proxy setting\\) did not respond within 1 s to the request to open a tunnel to 127\\.0\\.0\\.1:${emulator.port}\\.`));
      assert.equal(attemptsOf(run), 1, 'a proxy that let the tunnel timeout pass is not retried');
      assert.equal(emulator.requests.length, 0);
      assert.ok(run.elapsedMs >= NETWORK.firstByteTimeoutMs, `failed after ${run.elapsedMs} ms, before the first-byte timeout`);
      assert.equal((await fault.statusState()).kind, 'unreachable');
      await fault.finish(this.test!.title, run, emulator);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silentProxy.close(resolve));
    }
  });

  describe('proxies', () => {
    before(function () {
      requireTinyproxy();
    });

    it('proxy port refuses connections', async function () {
      emulator = await Emulator.start();
      const proxyPort = await findFreePort();
      await fault.configure(openAiProfile(emulator.url), { network: { proxy: `http://127.0.0.1:${proxyPort}` } });
      const run = await fault.chat();

      assert.equal(run.result.error?.code, 'proxy.failed');
      assert.match(run.result.error.message, new RegExp(`127\\.0\\.0\\.1:${proxyPort}`));
      assert.equal(attemptsOf(run), RETRY.maxAttempts, 'proxy.failed is retried');
      assert.equal(emulator.requests.length, 0);
      assert.equal((await fault.statusState()).kind, 'unreachable');
      await fault.finish(this.test!.title, run, emulator);
    });

    it('tinyproxy denies the CONNECT', async function () {
      emulator = await Emulator.start();
      // The emulator's port is not among the ports tinyproxy allows, so it responds with 403.
      proxy = await startProxy({ connectPorts: [await findFreePort()] });
      await fault.configure(openAiProfile(emulator.url), { network: { proxy: proxy.url } });
      const run = await fault.chat();

      assert.equal(run.result.error?.code, 'proxy.failed');
      assert.equal(run.result.error.status, 403, proxy.output());
      assert.equal(emulator.requests.length, 0);
      assert.equal((await fault.statusState()).kind, 'unreachable');
      await fault.finish(this.test!.title, run, emulator);
    });

    it('proxy asks for credentials', async function () {
      const port = await findFreePort();
      proxy = await startProxy({ connectPorts: [port], basicAuth: { user: 'switchboard', password: 'Fault-Proxy-Pass' } });
      emulator = await Emulator.start({ port });
      await fault.configure(openAiProfile(emulator.url), { network: { proxy: proxy.url } });
      const run = await fault.chat();

      assert.equal(run.result.error?.code, 'proxy.auth_required');
      assert.equal(attemptsOf(run), 1, 'proxy.auth_required is not retried');
      assert.equal(emulator.requests.length, 0);
      assert.equal((await fault.statusState()).kind, 'unreachable');
      await fault.finish(this.test!.title, run, emulator);
    });
  });

  it('pooled socket closed while idle', async function () {
    emulator = await Emulator.start();
    await fault.configure(openAiProfile(emulator.url));
    const first = await fault.chat();
    assert.equal(first.result.error, undefined);
    assert.equal(emulator.openConnections(), 1, 'the first request leaves one pooled connection');

    // The request goes out at once, so it may find the socket in the pool before the client
    // has read the server's FIN; the network layer then retries once on a new connection.
    emulator.closeIdleConnections();
    const run = await fault.chat();

    assert.equal(run.result.error, undefined, JSON.stringify(run.result.error));
    assert.equal(streamedText(run), DEFAULT_ANSWER);
    assert.equal(attemptsOf(run), 1, 'the stale socket costs no retry of the retry policy');
    assert.equal(emulator.requests.length, 2);
    assert.ok(emulator.closedConnections() >= 1, 'the emulator closed the idle connection');
    assert.equal((await fault.statusState()).kind, 'connected');
    await fault.finish(this.test!.title, run, emulator);
  });
});

describe('faults in the answer, through the language server', function () {
  this.timeout(20_000);
  let fault: FaultServer;
  let emulator: Emulator;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    emulator = await Emulator.start();
    fault = new FaultServer();
    await fault.start();
  });

  afterEach(async () => {
    await fault.stop();
    await emulator.stop();
  });


  /** Returns the waits of the retry events, in milliseconds. */
  function retryDelays(run: ChatRun): number[] {
    return run.events.flatMap((event) => (event.type === 'retry' ? [event.delayMs] : []));
  }

  /**
   * Checks the waits against retry.ts: full jitter between half and all of
   * baseDelayMs × scale × 2^(attempt − 1), at most maxBackoffMs. server.overloaded uses scale 4.
   */
  function assertBackoff(run: ChatRun, scale: number): void {
    retryDelays(run).forEach((delay, index) => {
      const ceiling = Math.min(RETRY.maxBackoffMs, RETRY.baseDelayMs * scale * 2 ** index);
      assert.ok(delay >= ceiling / 2, `retry ${index + 1} waited ${delay} ms, less than ${ceiling / 2}`);
      assert.ok(delay <= ceiling, `retry ${index + 1} waited ${delay} ms, more than ${ceiling}`);
    });
  }

  it('malformed chunk', async function () {
    // The role chunk and two answer tokens, then a data line that is not JSON.
    emulator.script({ errorInStream: { afterChunks: 3, data: '{"choices": [{"delta": {"content": "lost' } });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'stream.malformed');
    assert.equal(attemptsOf(run), 1);
    assertPartialKept(run, answerPrefix(2));
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator, answerPrefix(2));
  });

  it('truncated JSON body', async function () {
    // A non-streamed answer whose Content-Length promises the whole body, cut after 40 bytes.
    emulator.script({ splitEveryBytes: 40, closeAfterChunks: 1, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat({ stream: false });

    assert.equal(run.result.error?.code, 'stream.interrupted', JSON.stringify(run.result.error));
    assert.equal(attemptsOf(run), RETRY.maxAttempts, 'a cut body that produced no text is retried');
    assert.equal(emulator.requests.length, RETRY.maxAttempts);
    assert.equal(streamedText(run), '');
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('OpenAI 200 with an error body', async function () {
    emulator.script({ status: 200, body: OPENAI_SERVER_ERROR, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat({ stream: false });

    assert.equal(run.result.error?.code, 'server.error', JSON.stringify(run.result.error));
    assert.match(run.result.error.message, /had an error while processing/);
    assert.equal(attemptsOf(run), RETRY.maxAttempts);
    assert.equal(emulator.requests.length, RETRY.maxAttempts);
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('OpenAI error event in a stream', async function () {
    emulator.script({ errorInStream: { afterChunks: 2, data: OPENAI_SERVER_ERROR } });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'server.error', JSON.stringify(run.result.error));
    assert.equal(attemptsOf(run), 1, 'a stream that produced text is never retried');
    assertPartialKept(run, answerPrefix(1));
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator, answerPrefix(1));
  });

  it('Gemini 200 with an error body', async function () {
    emulator.script({ status: 200, body: GEMINI_INTERNAL_ERROR, times: 5 });
    await fault.configure(geminiProfile(emulator.url));
    const run = await fault.chat({ stream: false });

    assert.equal(run.result.error?.code, 'server.error', JSON.stringify(run.result.error));
    assert.match(run.result.error.message, /internal error has occurred/);
    assert.equal(attemptsOf(run), RETRY.maxAttempts);
    assert.equal(emulator.requests.length, RETRY.maxAttempts);
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('Gemini error event in a stream', async function () {
    emulator.script({ errorInStream: { afterChunks: 2, data: GEMINI_INTERNAL_ERROR } });
    await fault.configure(geminiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'server.error', JSON.stringify(run.result.error));
    assert.equal(attemptsOf(run), 1);
    assertPartialKept(run, answerPrefix(2));
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator, answerPrefix(2));
  });

  it('429 storm with Retry-After, then success', async function () {
    emulator.script({ status: 429, headers: { 'retry-after': '0.2' }, body: RATE_LIMIT_BODY, times: 2 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error, undefined, JSON.stringify(run.result.error));
    assert.equal(streamedText(run), DEFAULT_ANSWER);
    assert.equal(attemptsOf(run), 3);
    assert.equal(emulator.requests.length, 3);
    // The policy waits what the server asked for, plus at most 250 ms of jitter.
    for (const delay of retryDelays(run)) {
      assert.ok(delay >= 200, `waited ${delay} ms, less than the 200 ms asked for`);
      assert.ok(delay <= 450, `waited ${delay} ms, more than 200 ms and the jitter`);
    }
    assert.ok(run.elapsedMs >= 400, `the two waits took only ${run.elapsedMs} ms in all`);
    assert.equal((await fault.statusState()).kind, 'connected');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('429 storm asking for too long a wait', async function () {
    emulator.script({ status: 429, headers: { 'retry-after': '120' }, body: RATE_LIMIT_BODY, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const before = Date.now();
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'rate_limited');
    assert.equal(run.result.error.retryAfterMs, 120_000);
    assert.equal(attemptsOf(run), 1, 'a wait above maxRetryAfterMs is returned, not waited out');
    assert.equal(emulator.requests.length, 1);
    const state = await fault.statusState();
    assert.equal(state.kind, 'rateLimited');
    const retryAt = state.kind === 'rateLimited' ? state.retryAt : 0;
    assert.ok(retryAt >= before + 120_000, `retryAt is only ${retryAt - before} ms after the request`);
    assert.ok(retryAt <= Date.now() + 120_000, `retryAt is ${retryAt - Date.now()} ms from now, more than the 120 s asked for`);
    await fault.finish(this.test!.title, run, emulator);
  });

  it('429 storm without Retry-After', async function () {
    emulator.script({ status: 429, body: RATE_LIMIT_BODY, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'rate_limited');
    assert.equal(attemptsOf(run), RETRY.maxAttempts);
    assert.equal(emulator.requests.length, RETRY.maxAttempts);
    assertBackoff(run, 1);
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('503 burst within the retry budget', async function () {
    emulator.script({ status: 503, body: OVERLOADED_BODY, times: 2 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error, undefined, JSON.stringify(run.result.error));
    assert.equal(streamedText(run), DEFAULT_ANSWER);
    assert.equal(attemptsOf(run), 3);
    assert.equal(emulator.requests.length, 3);
    assertBackoff(run, 4);
    assert.equal((await fault.statusState()).kind, 'connected');
    await fault.finish(this.test!.title, run, emulator);
  });

  it('503 burst beyond the retry budget', async function () {
    emulator.script({ status: 503, body: OVERLOADED_BODY, times: 5 });
    await fault.configure(openAiProfile(emulator.url));
    const run = await fault.chat();

    assert.equal(run.result.error?.code, 'server.overloaded');
    assert.equal(run.result.error.status, 503);
    assert.equal(attemptsOf(run), RETRY.maxAttempts);
    assert.equal(emulator.requests.length, RETRY.maxAttempts);
    assertBackoff(run, 4);
    assert.equal((await fault.statusState()).kind, 'degraded');
    await fault.finish(this.test!.title, run, emulator);
  });
});
