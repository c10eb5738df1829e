/**
 * The fault suite's harness: a language server (dist/server.js over stdio) configured with short
 * timeouts, the provider emulator, and the checks every fault scenario ends with.
 */

import * as assert from 'node:assert/strict';

import type { ProfileInput } from '../../src/engine/profiles';
import type { ChatEvent, ChatRequest } from '../../src/engine/types';
import { deriveStatus, renderStatus, type StatusState } from '../../src/extension/status-view';
import { chatProgress, chatRequest, configureRequest, listProfilesRequest, setKeyRequest, type ChatResult, type ConfigureParams } from '../../src/protocol/protocol';
import { DEFAULT_ANSWER, splitTokens } from '../emulator/answer';
import type { Emulator } from '../emulator/emulator';
import { startLanguageServer, type LanguageServer } from '../server/language-server';
import { recordScenario } from './record';

export const PROFILE = 'fault';
export const KEY = 'sk-proj-FaultSuiteKey0123456789';
/** A key in Google's format (AIza and 35 more characters), which Gemini profiles require. */
export const GEMINI_KEY = `AIzaSy${'FaultSuiteKey'.padEnd(33, '0')}`;

/** Short timeouts, so every scenario ends well within mocha's 20 s. */
export const NETWORK = {
  connectTimeoutMs: 1000,
  firstByteTimeoutMs: 1000,
  localFirstByteTimeoutMs: 1000,
  idleTimeoutMs: 600,
  deadlineMs: 6000,
};

/** The retry policy of the suite: the default 3 attempts with waits of tens of milliseconds. */
export const RETRY = { maxAttempts: 3, baseDelayMs: 50, maxBackoffMs: 200, maxRetryAfterMs: 1000 };

/** Time allowed past the deadline for the result to reach the test over stdio. */
const DEADLINE_MARGIN_MS = 1500;

/** Time allowed for the emulator to see a cancelled request's connection close. */
const RELEASE_TIMEOUT_MS = 3000;

export function openAiProfile(url: string): ProfileInput {
  return { name: PROFILE, kind: 'openai', baseUrl: `${url}/v1`, model: 'gpt-4o-mini' };
}

export function geminiProfile(url: string): ProfileInput {
  return { name: PROFILE, kind: 'gemini', baseUrl: url, model: 'gemini-2.5-flash' };
}

/** The text of the first `count` answer tokens of the emulator's default answer. */
export function answerPrefix(count: number): string {
  return splitTokens(DEFAULT_ANSWER).slice(0, count).join('');
}

export interface ChatRun {
  result: ChatResult;
  events: ChatEvent[];
  /** Milliseconds from sending the request to its result, measured by the test. */
  elapsedMs: number;
}

/** A started language server with the suite's settings, and the checks shared by every scenario. */
export class FaultServer {
  readonly server: LanguageServer = startLanguageServer();
  private deadlineMs = NETWORK.deadlineMs;
  private requestCount = 0;

  async start(): Promise<void> {
    await this.server.initialize();
  }

  /** Configures the one profile with the suite's timeouts and retry policy, changed by `overrides`, and stores its key. */
  async configure(profile: ProfileInput, overrides: Pick<ConfigureParams, 'network' | 'retry'> = {}): Promise<void> {
    const network = { ...NETWORK, ...overrides.network };
    this.deadlineMs = network.deadlineMs;
    const configured = await this.server.connection.sendRequest(configureRequest, { profiles: [profile], network, retry: { ...RETRY, ...overrides.retry } });
    assert.equal(configured.ok, true, `configure failed: ${JSON.stringify(configured)}`);
    const key = profile.kind === 'gemini' ? GEMINI_KEY : KEY;
    const stored = await this.server.connection.sendRequest(setKeyRequest, { profile: PROFILE, key });
    assert.equal(stored.ok, true, `setKey failed: ${JSON.stringify(stored)}`);
  }

  /** Sends one chat request and collects its streamed events and result. Each call sends a new question, so no response comes from the cache. */
  async chat(request: Partial<ChatRequest> = {}): Promise<ChatRun> {
    this.requestCount++;
    const token = `fault-${this.requestCount}`;
    const events: ChatEvent[] = [];
    const subscription = this.server.connection.onProgress(chatProgress, token, (batch) => {
      events.push(...batch);
    });
    const started = Date.now();
    try {
      const result = await this.server.connection.sendRequest(chatRequest, {
        request: { profile: PROFILE, messages: [{ role: 'user', content: `Fault question ${this.requestCount}.` }], ...request },
        partialResultToken: token,
      });
      return { result, events, elapsedMs: Date.now() - started };
    } finally {
      subscription.dispose();
    }
  }

  /** Asserts that the result arrived before the configured deadline plus a small margin. */
  assertWithinDeadline(run: ChatRun): void {
    assert.ok(run.elapsedMs < this.deadlineMs + DEADLINE_MARGIN_MS, `the result took ${run.elapsedMs} ms, past the ${this.deadlineMs} ms deadline`);
  }

  /**
   * Waits until the server's last status notification shows no request in flight, then feeds
   * it through the status bar's `deriveStatus` and `renderStatus`, as the extension does.
   */
  async statusState(): Promise<StatusState> {
    const last = await waitFor(() => {
      const notification = this.server.statuses[this.server.statuses.length - 1];
      const status = notification?.profiles.find((profile) => profile.profile === PROFILE);
      return status && status.inFlight === 0 ? status : undefined;
    }, 'a status notification with no request in flight');
    const now = Date.now();
    const state = deriveStatus({ server: 'running', engine: last, localRequests: 0 }, now);
    const presentation = renderStatus(state, { profile: PROFILE, lastError: last.lastErrorMessage }, now);
    assert.ok(presentation.text.length > 0, 'the status bar renders a text');
    return state;
  }

  /**
   * Asserts that the server wrote nothing about unhandled rejections to stderr, is still
   * running, and responds to another request.
   */
  async assertHealthy(): Promise<void> {
    const stderr = this.server.stderr();
    assert.doesNotMatch(stderr, /Unhandled|unhandledRejection/i, `the server's stderr:\n${stderr}`);
    assert.equal(this.server.child.exitCode, null, `the server exited with ${this.server.child.exitCode}:\n${stderr}`);
    const { profiles } = await this.server.connection.sendRequest(listProfilesRequest, {});
    assert.deepEqual(
      profiles.map((profile) => profile.name),
      [PROFILE],
    );
  }

  /**
   * Runs the checks every scenario ends with: the deadline, no request left open in the
   * emulator, the server's health. Then records the scenario, with `sent` as the text at risk.
   */
  async finish(scenario: string, run: ChatRun, emulator: Emulator | undefined, sent?: string): Promise<void> {
    this.assertWithinDeadline(run);
    if (emulator) await assertReleased(emulator);
    await this.assertHealthy();
    recordFault(scenario, run, sent);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** Counts the attempts a request made: one plus the `retry` events it streamed. */
export function attemptsOf(run: ChatRun): number {
  return 1 + run.events.filter((event) => event.type === 'retry').length;
}

/** Joins the text events that streamed to the client. */
export function streamedText(run: ChatRun): string {
  return run.events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}

/** Waits until the emulator has no request open, so no request outlived its result. */
export async function assertReleased(emulator: Emulator): Promise<void> {
  await waitFor(() => (emulator.activeRequests() === 0 ? true : undefined), `the emulator to hold no open request (it holds ${emulator.activeRequests()})`, RELEASE_TIMEOUT_MS);
}

/** Asserts that the error kept exactly the text the emulator sent before the fault. */
export function assertPartialKept(run: ChatRun, sent: string): void {
  assert.ok(sent.length > 0, 'the scenario must stream some text before its fault');
  assert.equal(streamedText(run), sent, 'streamed text');
  assert.equal(run.result.error?.partialText, sent, 'partial text kept in the error');
}

/**
 * Records a scenario whose assertions passed. With `sent`, the characters that streamed before
 * the fault were at risk, and those missing from the error's partial text were lost.
 */
export function recordFault(scenario: string, run?: ChatRun, sent?: string): void {
  if (sent === undefined) {
    recordScenario({ suite: 'faults', scenario });
    return;
  }
  const keptText = run?.result.error?.partialText ?? '';
  recordScenario({ suite: 'faults', scenario, atRisk: sent.length, lost: sent.startsWith(keptText) ? sent.length - keptText.length : sent.length });
}

/** Polls `read` every 20 ms until it returns a value, or fails naming what it waited for. */
export async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
