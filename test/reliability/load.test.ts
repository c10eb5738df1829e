/**
 * A bounded load run through the real language server (dist/server.js over stdio) against the
 * provider emulator: many concurrent streaming, non-streaming, cached, failing and cancelled
 * chat requests. It checks that every request ends with a result or a code from the closed set,
 * and that the server's sockets, timers and heap return to their level before the load.
 *
 * SWITCHBOARD_LOAD_REQUESTS and SWITCHBOARD_LOAD_CONCURRENCY set the size; `npm run reliability`
 * runs a bigger load than `npm test`.
 */

import * as assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';

import { ERROR_CODES, type ErrorCode } from '../../src/engine/errors';
import { percentile } from '../../src/engine/metrics';
import type { ProfileInput } from '../../src/engine/profiles';
import type { ChatEvent } from '../../src/engine/types';
import { chatProgress, chatRequest, configureRequest, resourcesRequest, setKeyRequest, type ConfigureParams, type ResourcesResult } from '../../src/protocol/protocol';
import { Emulator } from '../emulator/emulator';
import { ensureBundles } from '../server/bundles';
import { findFreePort } from '../support/proxy';
import { startLanguageServer, type LanguageServer } from '../server/language-server';
import { FAST_RETRY } from '../unit/support/harness';
import { answerText } from '../unit/support/helpers';
import { recordScenario } from './record';

const KEY = 'sk-proj-LoadTestKey0123456789';
const REQUESTS = positiveIntegerFromEnvironment('SWITCHBOARD_LOAD_REQUESTS', 400);
const CONCURRENCY = positiveIntegerFromEnvironment('SWITCHBOARD_LOAD_CONCURRENCY', 64);

/** 24 words, so that a stream at 100 tokens per second takes about 240 ms. */
const ANSWER = 'The switchboard routes every call to the right line, keeps the lines apart, and hangs up cleanly when a caller leaves the line early.';
const ANSWER_TOKENS_PER_SECOND = 100;
/** Cancelled requests stream from an emulator this slow, so they are still in flight when the cancellation arrives. */
const SLOW_TOKENS_PER_SECOND = 10;
/** Prompts sent once in the warm-up, so that the run's requests for them are served from the response cache. */
const CACHED_PROMPTS = Array.from({ length: 8 }, (_, index) => `Cached question ${index}.`);

/**
 * Heap growth allowed after the run, with the response cache emptied and a full garbage
 * collection in the server. What legitimately stays does not grow with the number of requests:
 * the metrics sample windows (fixed size per profile), V8's compiled code for paths the warm-up
 * did not reach, and undici's pool bookkeeping. 16 MB leaves room for those and for heap layout
 * noise, and still fails a leak of 16 MB / REQUESTS per request (40 KB at 400 requests, 8 KB at 2000).
 */
const HEAP_GROWTH_LIMIT_BYTES = 16 * 1024 * 1024;

/** Maximum wait for idle sockets and timers to close after the run, in milliseconds. */
const SETTLE_TIMEOUT_MS = 10_000;

/**
 * Resource types whose count must return to the baseline. Node counts only referenced handles
 * here, so the open sockets are also compared as descriptors (see socketsOf).
 */
const COUNTED_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate'] as const;

type Kind = 'stream' | 'complete' | 'cached' | 'serverError' | 'rateLimited' | 'unauthorized' | 'closedPort' | 'cancelled';

/** One request in twenty is of each failing kind, and every 50th request is cancelled in flight instead. */
const KIND_PATTERN: readonly Kind[] = [
  'stream', 'cached', 'complete', 'stream', 'serverError', 'stream', 'cached', 'complete', 'stream', 'rateLimited',
  'stream', 'cached', 'complete', 'stream', 'unauthorized', 'stream', 'cached', 'complete', 'stream', 'closedPort',
];

/** Codes each failing kind may end with: its own, or circuit.open once the profile's breaker has opened. */
const EXPECTED_CODES: Partial<Record<Kind, readonly ErrorCode[]>> = {
  serverError: ['server.error', 'circuit.open'],
  rateLimited: ['rate_limited', 'circuit.open'],
  unauthorized: ['auth.invalid_key'],
  closedPort: ['network.refused', 'circuit.open'],
  cancelled: ['cancelled'],
};

const PROFILE_OF: Record<Kind, string> = {
  stream: 'emulator',
  complete: 'emulator',
  cached: 'emulator',
  serverError: 'server-error',
  rateLimited: 'rate-limited',
  unauthorized: 'unauthorized',
  closedPort: 'closed-port',
  cancelled: 'slow',
};

interface Outcome {
  index: number;
  kind: Kind;
  text: string;
  code?: string;
  cached?: boolean;
  finishReason?: string;
  latencyMs: number;
}

interface Peaks {
  rssBytes: number;
  heapUsedBytes: number;
  /** Maximum number of sockets the server had open at one reading, which shows that the socket check is not vacuous. */
  sockets: number;
}

describe('load over the language server', function () {
  // The bound of the whole run. Setup, warm-up and settling take well under 60 s. A request
  // streams in about 240 ms with dozens in flight at once, so 50 ms per request is many times
  // what the run needs, and only a hang reaches the bound.
  const runBoundMs = 60_000 + REQUESTS * 50;
  this.timeout(runBoundMs);

  let primary: Emulator;
  let failing: Emulator;
  let slow: Emulator;
  let server: LanguageServer;
  let configuration: ConfigureParams & { profiles: Array<ProfileInput & { name: string }> };
  let baseline: ResourcesResult;
  let afterRun: ResourcesResult;
  let outcomes: Outcome[];
  let peaks: Peaks;
  let runMs: number;

  before(async () => {
    await ensureBundles();
    primary = await Emulator.start({ apiKey: KEY, answer: ANSWER, tokensPerSecond: ANSWER_TOKENS_PER_SECOND });
    slow = await Emulator.start({ apiKey: KEY, answer: ANSWER, tokensPerSecond: SLOW_TOKENS_PER_SECOND });
    failing = await Emulator.start({ apiKey: KEY, models: ['server-error', 'rate-limited', 'gpt-4o-mini'] });
    scriptFailures(failing);
    configuration = {
      profiles: profilesFor(primary, slow, failing, await findFreePort()),
      retry: { maxAttempts: 2, ...FAST_RETRY },
      // Idle pooled sockets close after 2 s, so the run can also end without the emulator's help.
      network: { keepAliveMs: 2_000 },
    };

    server = startLanguageServer({}, { nodeArguments: ['--expose-gc'] });
    await server.initialize();
    const configured = await server.connection.sendRequest(configureRequest, configuration);
    assert.equal(configured.ok, true, `configure failed: ${JSON.stringify(configured)}`);
    for (const profile of configuration.profiles) {
      const key = profile.name === 'unauthorized' ? 'sk-proj-WrongKey0000000000' : KEY;
      const stored = await server.connection.sendRequest(setKeyRequest, { profile: profile.name, key });
      assert.equal(stored.ok, true, `setKey failed for ${profile.name}`);
    }

    await warmUp(server);
    closeIdleConnections(primary, slow, failing);
    baseline = await settledResources(server, undefined);

    const started = performance.now();
    const sampler = samplePeaks(server);
    outcomes = await runLoad(server, REQUESTS, CONCURRENCY);
    runMs = performance.now() - started;
    peaks = await sampler.stop();

    // Emptying the response cache (changed bounds replace it) leaves only state that should
    // not grow with the number of requests, so the heap can be compared with the baseline.
    // The request leaves out `network`, because new network settings would close the pool
    // and hide sockets that stayed open.
    const emptied = await server.connection.sendRequest(configureRequest, { profiles: configuration.profiles, cache: { maxBytes: 32 * 1024 * 1024, ttlMs: 29 * 60_000 } });
    assert.equal(emptied.ok, true, `configure to empty the cache failed: ${JSON.stringify(emptied)}`);
    closeIdleConnections(primary, slow, failing);
    afterRun = await settledResources(server, baseline);
  });

  after(async () => {
    await server?.stop();
    await Promise.all([primary?.stop(), slow?.stop(), failing?.stop()]);
  });

  it('ends every request with a result or a known code', () => {
    assert.equal(outcomes.length, REQUESTS, 'every request returned');
    for (const outcome of outcomes) {
      if (outcome.code !== undefined) {
        assert.ok((ERROR_CODES as readonly string[]).includes(outcome.code), `request ${outcome.index} (${outcome.kind}) ended with ${outcome.code}, which is not in the closed set`);
      }
      const expected = EXPECTED_CODES[outcome.kind];
      if (expected) {
        assert.notEqual(outcome.code, undefined, `request ${outcome.index} (${outcome.kind}) succeeded, expected one of ${expected.join(', ')}`);
        assert.ok(expected.includes(outcome.code as ErrorCode), `request ${outcome.index} (${outcome.kind}) ended with ${outcome.code}, expected one of ${expected.join(', ')}`);
      } else {
        assert.equal(outcome.code, undefined, `request ${outcome.index} (${outcome.kind}) failed with ${outcome.code}`);
      }
    }
    const codes = new Set(outcomes.map((outcome) => outcome.code));
    for (const code of ['server.error', 'rate_limited', 'auth.invalid_key', 'network.refused', 'cancelled']) {
      assert.ok(codes.has(code), `no request ended with ${code}; the failing profiles were not exercised`);
    }
    recordScenario({ suite: 'load', scenario: 'every request ends with a result or a known code', figures: countsByCode(outcomes) });
  });

  it('delivers every answer whole', () => {
    const answered = outcomes.filter((outcome) => outcome.code === undefined);
    let lostCharacters = 0;
    for (const outcome of answered) {
      assert.equal(outcome.text, ANSWER, `request ${outcome.index} (${outcome.kind}) received a different text`);
      assert.equal(outcome.finishReason, 'stop', `request ${outcome.index} (${outcome.kind}) finish reason`);
      lostCharacters += ANSWER.length - outcome.text.length;
    }
    recordScenario({ suite: 'load', scenario: 'answers arrive whole under load', atRisk: answered.length * ANSWER.length, lost: lostCharacters });
  });

  it('serves repeated prompts from the cache', () => {
    const cached = outcomes.filter((outcome) => outcome.kind === 'cached');
    assert.ok(cached.length > 0, 'the run had cached requests');
    for (const outcome of cached) assert.equal(outcome.cached, true, `request ${outcome.index} for a repeated prompt was not served from the cache`);
    const fresh = outcomes.filter((outcome) => outcome.kind === 'stream' || outcome.kind === 'complete');
    for (const outcome of fresh) assert.notEqual(outcome.cached, true, `request ${outcome.index} with a new prompt was served from the cache`);
    recordScenario({ suite: 'load', scenario: 'repeated prompts served from the cache', figures: { cachedRequests: cached.length } });
  });

  it('ends cancelled requests as cancelled', () => {
    const cancelled = outcomes.filter((outcome) => outcome.kind === 'cancelled');
    assert.ok(cancelled.length > 0, 'the run cancelled requests');
    for (const outcome of cancelled) {
      assert.equal(outcome.code, 'cancelled', `request ${outcome.index} ended with ${outcome.code ?? 'success'}`);
      assert.ok(outcome.text.length > 0, `request ${outcome.index} was cancelled before any text arrived, so it was not in flight`);
    }
    recordScenario({ suite: 'load', scenario: 'in-flight requests cancelled', figures: { cancelledRequests: cancelled.length } });
  });

  it('returns sockets and timers to the baseline', () => {
    assert.ok(peaks.sockets > socketsOf(baseline), `the server opened no sockets during the run (peak ${peaks.sockets}), so the check below proves nothing`);
    assert.equal(socketsOf(afterRun), socketsOf(baseline), `open sockets after the run (${socketDescription(afterRun)}) against the baseline (${socketDescription(baseline)})`);
    for (const emulator of [primary, slow, failing]) {
      assert.equal(emulator.openConnections(), 0, `the emulator at ${emulator.url} still has a connection open, so a request is still in flight`);
    }
    for (const type of COUNTED_RESOURCES) {
      assert.equal(afterRun.resources[type] ?? 0, baseline.resources[type] ?? 0, `${type} count after the run (baseline ${describeResources(baseline)}, after ${describeResources(afterRun)})`);
    }
    recordScenario({ suite: 'load', scenario: 'sockets and timers back to the baseline', figures: { peakSockets: peaks.sockets, ...resourceFigures(baseline, afterRun) } });
  });

  it('keeps the heap within its bound', () => {
    assert.ok(baseline.collectedGarbage, 'the server ran no garbage collection before the baseline reading (is it started with --expose-gc?)');
    assert.ok(afterRun.collectedGarbage, 'the server ran no garbage collection before the reading after the run (is it started with --expose-gc?)');
    const growth = afterRun.memory.heapUsed - baseline.memory.heapUsed;
    assert.ok(
      growth <= HEAP_GROWTH_LIMIT_BYTES,
      `heap used grew by ${megabytes(growth)} MB (baseline ${megabytes(baseline.memory.heapUsed)} MB, after ${megabytes(afterRun.memory.heapUsed)} MB), over the limit of ${megabytes(HEAP_GROWTH_LIMIT_BYTES)} MB`,
    );
    const latencies = outcomes.map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
    recordScenario({
      suite: 'load',
      scenario: 'load figures',
      figures: {
        requests: REQUESTS,
        concurrency: CONCURRENCY,
        throughputPerSecond: round((REQUESTS * 1000) / runMs),
        p50Ms: round(percentile(latencies, 50) ?? 0),
        p99Ms: round(percentile(latencies, 99) ?? 0),
        peakRssMegabytes: megabytes(peaks.rssBytes),
        peakHeapMegabytes: megabytes(peaks.heapUsedBytes),
        peakSockets: peaks.sockets,
        ...resourceFigures(baseline, afterRun),
      },
    });
  });
});

function positiveIntegerFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Invalid ${name}: "${text}". Use a whole number of at least 1, or leave it unset for ${fallback}.`);
  return value;
}

/** Scripts the failing emulator: its "server-error" deployment returns 500 and its "rate-limited" deployment 429, for every request. */
function scriptFailures(failing: Emulator): void {
  const always = 1_000_000_000;
  failing.script([
    { match: { path: '/deployments/server-error/' }, times: always, status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } } },
    { match: { path: '/deployments/rate-limited/' }, times: always, status: 429, body: { error: { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' } } },
  ]);
}

function profilesFor(emulator: Emulator, slow: Emulator, failing: Emulator, closed: number): Array<ProfileInput & { name: string }> {
  const azure = (name: string, deployment: string) => ({ name, kind: 'azure-openai', baseUrl: failing.url, model: deployment, apiVersion: '2024-10-21' });
  return [
    { name: 'emulator', kind: 'openai', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o-mini' },
    { name: 'slow', kind: 'openai', baseUrl: `${slow.url}/v1`, model: 'gpt-4o-mini' },
    azure('server-error', 'server-error'),
    azure('rate-limited', 'rate-limited'),
    // The failing emulator checks keys on its OpenAI routes, and this profile's key is wrong.
    { name: 'unauthorized', kind: 'openai', baseUrl: `${failing.url}/v1`, model: 'gpt-4o-mini' },
    // NOTE: the port was free when findFreePort closed it; another process on the machine could take it in the meantime.
    { name: 'closed-port', kind: 'openai', baseUrl: `http://127.0.0.1:${closed}/v1`, model: 'gpt-4o-mini' },
  ];
}

function closeIdleConnections(...emulators: Emulator[]): void {
  for (const emulator of emulators) emulator.closeIdleConnections();
}

/**
 * Runs each path once before the baseline, so that lazily loaded modules and first-use
 * allocations are not counted as growth, and stores the answers of the cached prompts.
 */
async function warmUp(server: LanguageServer): Promise<void> {
  for (const prompt of CACHED_PROMPTS) {
    const outcome = await sendChat(server, -1, 'stream', prompt);
    assert.equal(outcome.code, undefined, `warm-up request for "${prompt}" failed with ${outcome.code}`);
  }
  const kinds: Kind[] = ['stream', 'complete', 'cached', 'serverError', 'rateLimited', 'unauthorized', 'closedPort', 'cancelled'];
  await Promise.all(kinds.map((kind, index) => sendChat(server, -2 - index, kind, promptFor(-2 - index, kind))));
}

/** Sends REQUESTS chat requests through CONCURRENCY workers, each taking the next index when its request ends. */
async function runLoad(server: LanguageServer, requests: number, concurrency: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const index = next++;
      const kind = kindOf(index);
      outcomes.push(await sendChat(server, index, kind, promptFor(index, kind)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  return outcomes.sort((a, b) => a.index - b.index);
}

function kindOf(index: number): Kind {
  return index % 50 === 25 ? 'cancelled' : KIND_PATTERN[index % KIND_PATTERN.length]!;
}

/** Returns a warm-up prompt for the cached kind, and a prompt of its own for every other request, so that it is not a cache hit. */
function promptFor(index: number, kind: Kind): string {
  if (kind === 'cached') return CACHED_PROMPTS[Math.abs(index) % CACHED_PROMPTS.length]!;
  return `Load question ${index} (${kind}).`;
}

/** Sends one chat request with a progress token. A request of the cancelled kind is cancelled when its first text arrives. */
async function sendChat(server: LanguageServer, index: number, kind: Kind, prompt: string): Promise<Outcome> {
  const token = `load-${index}-${kind}`;
  const events: ChatEvent[] = [];
  const cancellation = kind === 'cancelled' ? new CancellationTokenSource() : undefined;
  const subscription = server.connection.onProgress(chatProgress, token, (batch) => {
    events.push(...batch);
    if (cancellation && batch.some((event) => event.type === 'text')) cancellation.cancel();
  });
  const started = performance.now();
  try {
    const result = await server.connection.sendRequest(
      chatRequest,
      { request: { profile: PROFILE_OF[kind], messages: [{ role: 'user', content: prompt }], stream: kind !== 'complete' }, partialResultToken: token },
      cancellation?.token,
    );
    return { index, kind, text: answerText(events), code: result.error?.code, cached: result.cached, finishReason: result.finishReason, latencyMs: performance.now() - started };
  } finally {
    subscription.dispose();
    cancellation?.dispose();
  }
}

/** Samples the server's memory every 100 ms until stopped, and returns the highest readings. */
function samplePeaks(server: LanguageServer): { stop(): Promise<Peaks> } {
  const peaks: Peaks = { rssBytes: 0, heapUsedBytes: 0, sockets: 0 };
  let running = true;
  const sampling = (async () => {
    while (running) {
      const reading = await server.connection.sendRequest(resourcesRequest, {});
      const { memory } = reading;
      peaks.sockets = Math.max(peaks.sockets, socketsOf(reading));
      peaks.rssBytes = Math.max(peaks.rssBytes, memory.rss);
      peaks.heapUsedBytes = Math.max(peaks.heapUsedBytes, memory.heapUsed);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await sampling;
      return peaks;
    },
  };
}

/**
 * Reads the server's resources after a garbage collection, waiting until the counted types stop
 * changing (for the baseline) or fall to the baseline (after the run), at most SETTLE_TIMEOUT_MS.
 * Idle pooled sockets close when the emulator closes them or when keepAliveMs passes, and
 * per-request timers end with their request, so waiting longer than that only hides a leak.
 */
async function settledResources(server: LanguageServer, target: ResourcesResult | undefined): Promise<ResourcesResult> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let previous = await server.connection.sendRequest(resourcesRequest, { collectGarbage: true });
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const current = await server.connection.sendRequest(resourcesRequest, { collectGarbage: true });
    const settled = target
      ? socketsOf(current) <= socketsOf(target) && COUNTED_RESOURCES.every((type) => (current.resources[type] ?? 0) <= (target.resources[type] ?? 0))
      : socketsOf(current) === socketsOf(previous) && COUNTED_RESOURCES.every((type) => current.resources[type] === previous.resources[type]);
    if (settled) return current;
    previous = current;
  }
  return previous;
}

function countsByCode(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = outcome.code ?? (outcome.cached ? 'cached' : 'answered');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function resourceFigures(baseline: ResourcesResult, after: ResourcesResult): Record<string, number> {
  return {
    baselineSockets: socketsOf(baseline),
    afterSockets: socketsOf(after),
    baselineTimers: baseline.resources.Timeout ?? 0,
    afterTimers: after.resources.Timeout ?? 0,
    baselineHeapMegabytes: megabytes(baseline.memory.heapUsed),
    afterHeapMegabytes: megabytes(after.memory.heapUsed),
  };
}

/**
 * Returns the sockets the server has open: its socket descriptors where /proc exists, which
 * include undici's unreferenced idle sockets, and its referenced TCP handles elsewhere.
 */
function socketsOf(reading: ResourcesResult): number {
  return reading.socketDescriptors ?? reading.resources.TCPSocketWrap ?? 0;
}

function socketDescription(reading: ResourcesResult): string {
  return `${reading.socketDescriptors ?? 'unknown'} socket descriptors, ${reading.resources.TCPSocketWrap ?? 0} referenced TCP sockets`;
}

function describeResources(reading: ResourcesResult): string {
  return COUNTED_RESOURCES.map((type) => `${type} ${reading.resources[type] ?? 0}`).join(', ');
}

function megabytes(bytes: number): number {
  return round(bytes / (1024 * 1024));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
