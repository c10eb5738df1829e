/**
 * Error notifications with a requested wait: notifications.ts loaded with a fake `vscode`
 * module, because it shows its messages through the VS Code API.
 */

import * as assert from 'node:assert/strict';
import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

import type { ErrorData } from '../../src/engine/errors';
import { MAX_REQUESTED_WAIT_MS } from '../../src/engine/providers/retry-after';
import { formatMessage } from '../../src/extension/l10n';
import { RetryCountdown } from '../../src/extension/retry-countdown';

type Notifications = typeof import('../../src/extension/notifications');

/** The notifications that the fake `vscode` module showed. */
interface ShownMessages {
  warnings: string[];
  errors: string[];
}

function createFakeVscode(messages: ShownMessages): Record<string, unknown> {
  return {
    env: { remoteName: undefined, openExternal: async () => true },
    l10n: { t: formatMessage },
    Uri: { parse: (value: string) => value },
    commands: { executeCommand: async () => undefined },
    window: {
      // Resolving with undefined is what VS Code does when the notification is closed without a choice.
      showWarningMessage: async (message: string) => {
        messages.warnings.push(message);
        return undefined;
      },
      showErrorMessage: async (message: string) => {
        messages.errors.push(message);
        return undefined;
      },
    },
  };
}

/** Loads notifications.ts with `vscode` resolved to a fake that records the notifications into `messages`. */
function loadNotifications(messages: ShownMessages): Notifications {
  const internals = nodeModule.Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const fakePath = path.join(os.tmpdir(), 'switchboard-notifications-fake-vscode.js');
  require.cache[fakePath] = { id: fakePath, filename: fakePath, loaded: true, exports: createFakeVscode(messages) } as NodeJS.Module;
  const load = createRequire(__filename);
  const notificationsPath = load.resolve('../../src/extension/notifications');
  delete require.cache[notificationsPath];
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? fakePath : resolve.call(this, request, ...rest);
  };
  try {
    // Required here, not imported at the top, so that its `vscode` import resolves while the fake is in place.
    return load(notificationsPath) as Notifications;
  } finally {
    internals._resolveFilename = resolve;
    delete require.cache[notificationsPath];
    delete require.cache[fakePath];
  }
}

function recordingLog(): { lines: string[] } & Record<'error' | 'warn' | 'info' | 'debug' | 'trace', (message: string) => void> {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return { lines, error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug'), trace: record('trace') };
}

function rateLimited(retryAfterMs: number): ErrorData {
  return { code: 'rate_limited', message: 'The rate limit was reached.', retryable: true, retryAfterMs, fix: [], actions: [] };
}

describe('extension error notifications', () => {
  it('shows the countdown for any requested wait', async () => {
    // 1e303 is what a Retry-After of 1e300 became before the Gemini adapter clamped it; new Date() rejects values above 8.64e15.
    const cases: [number, number][] = [
      [1e303, MAX_REQUESTED_WAIT_MS],
      [Number.MAX_VALUE, MAX_REQUESTED_WAIT_MS],
      [Number.POSITIVE_INFINITY, MAX_REQUESTED_WAIT_MS],
      [Number.NaN, MAX_REQUESTED_WAIT_MS],
      [9e15, MAX_REQUESTED_WAIT_MS],
      [-5000, 0],
      [90_000, 90_000],
    ];
    for (const [retryAfterMs, expectedWaitMs] of cases) {
      const messages: ShownMessages = { warnings: [], errors: [] };
      const notifications = loadNotifications(messages);
      const timers: number[] = [];
      const countdown = new RetryCountdown({
        onChange: () => undefined,
        onError: () => undefined,
        clock: { now: () => Date.now(), setTimeout: (_callback, ms) => timers.push(ms), clearTimeout: () => undefined },
      });
      notifications.configureErrorNotifications({ activeProfile: () => undefined, countdown });
      const log = recordingLog();

      const before = Date.now();
      await notifications.showEngineError(rateLimited(retryAfterMs), log as never, () => undefined);
      const after = Date.now();

      const context = `retryAfterMs ${retryAfterMs}`;
      assert.equal(messages.warnings.length, 1, `${context}: no countdown notification; errors shown: ${messages.errors.join(' | ')}`);
      assert.match(messages.warnings[0] ?? '', /Switchboard retries in .+, at \d\d:\d\d:\d\d\./, context);
      const retryAt = countdown.scheduled?.retryAt ?? Number.NaN;
      assert.ok(retryAt >= before + expectedWaitMs, `${context}: the retry is scheduled at ${retryAt}, earlier than ${expectedWaitMs} ms from now`);
      assert.ok(retryAt <= after + expectedWaitMs, `${context}: the retry is scheduled at ${retryAt}, later than ${expectedWaitMs} ms from now`);
      assert.ok(log.lines.some((line) => line.startsWith('info: Retrying after rate_limited')), `${context}: ${log.lines.join('\n')}`);
      countdown.dispose();
    }
  });

  it('shows a plain error for a wait that is not a number', async () => {
    const messages: ShownMessages = { warnings: [], errors: [] };
    const notifications = loadNotifications(messages);
    const countdown = new RetryCountdown({ onChange: () => undefined, onError: () => undefined });
    notifications.configureErrorNotifications({ activeProfile: () => undefined, countdown });

    // JSON turns NaN and Infinity into null, so a wait sent over the protocol can arrive as null.
    await notifications.showEngineError(rateLimited(null as unknown as number), recordingLog() as never, () => undefined);
    assert.equal(messages.warnings.length, 0);
    assert.equal(messages.errors.length, 1);
    assert.equal(countdown.scheduled, undefined);
    countdown.dispose();
  });
});
