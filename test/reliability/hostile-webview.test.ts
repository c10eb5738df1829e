/**
 * Hostile webview messages: every message type of feedback-messages.ts, with fields missing,
 * of the wrong type, megabytes long, extra fields and prototype keys, and non-objects. The
 * validators reject each with a reason, and the feedback panel, driven through a fake webview
 * with a real FeedbackStore, logs the type and field and stores nothing.
 */

import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as nodeModule from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

import fc from 'fast-check';

import type { FeedbackPanel as FeedbackPanelClass, FeedbackPanelOptions } from '../../src/extension/feedback/feedback-panel';
import type { FeedbackService } from '../../src/extension/feedback/feedback-service';
import { FEEDBACK_FILE, FeedbackStore } from '../../src/extension/feedback/feedback-store';
import { HOST_MESSAGE_TYPES, PAGE_MESSAGE_TYPES, validateHostMessage, validatePageMessage, type HostMessageType, type PageMessageType } from '../../src/webview/feedback-messages';
import { createRecordingLogger } from '../unit/support/helpers';
import { recordScenario } from './record';

const HUGE_TEXT = 'm'.repeat(3 << 20);

/** One valid message per type; typed by the unions, so a new type does not compile until it has one. */
const VALID_PAGE_MESSAGES: Record<PageMessageType, Record<string, unknown>> = {
  collectDiagnostics: { type: 'collectDiagnostics' },
  submit: { type: 'submit', draft: { kind: 'bug', rating: 4, message: 'The status bar stays on Connecting.', contact: 'me@example.com', attachDiagnostics: false } },
};
const VALID_HOST_MESSAGES: Record<HostMessageType, Record<string, unknown>> = {
  diagnostics: { type: 'diagnostics', text: 'Provider: openai' },
  status: { type: 'status', state: 'saved', text: 'Saved.' },
};

interface Mutation {
  /** What was changed, for failure messages, such as "draft.rating = 1.5". */
  label: string;
  /** The key the rejection must name: the changed field, or the message type for an extra key at the top. */
  field: string;
  message: unknown;
}

/** Lists the path of every field of a message, such as ["draft", "rating"], objects included. */
function fieldPaths(value: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, child]) => {
    const fieldPath = [...prefix, key];
    return typeof child === 'object' && child !== null ? [fieldPath, ...fieldPaths(child as Record<string, unknown>, fieldPath)] : [fieldPath];
  });
}

function withField(message: Record<string, unknown>, fieldPath: string[], replace: (parent: Record<string, unknown>, key: string) => void): Record<string, unknown> {
  const copy = structuredClone(message);
  let parent = copy;
  for (const key of fieldPath.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  replace(parent, fieldPath[fieldPath.length - 1]!);
  return copy;
}

/** Fields whose value comes from a fixed set of names. */
const ENUM_KEYS = new Set(['type', 'kind', 'state']);

/** Values that no field accepts in place of `original`: other types, and out-of-range values of its own type. */
function wrongValuesFor(key: string, original: unknown): unknown[] {
  const byType: unknown[] = [null, undefined, 1.5, Number.NaN, Infinity, 1e309, -1, true, 'text', [], {}, [original], { value: original }];
  const wrong = byType.filter((value) => typeof value !== typeof original || (typeof value === 'number' && !Number.isInteger(value)) || (typeof value === 'number' && value === -1) || (typeof value === 'object' && typeof original === 'object'));
  if (typeof original === 'string') wrong.push(HUGE_TEXT, `${original}\u0000`);
  // Names of Object.prototype members, for fields that select from a fixed set; free text may contain them.
  if (ENUM_KEYS.has(key)) wrong.push('constructor', '__proto__', 'toString', 'hasOwnProperty');
  if (typeof original === 'number') wrong.push(0, 6, 4.0000001, Number.MAX_SAFE_INTEGER);
  return wrong.filter((value) => value !== original && !(typeof original === 'object' && typeof value === 'string'));
}

/** Every mutation of `valid` that must be rejected, field by field. */
function mutationsOf(valid: Record<string, unknown>): Mutation[] {
  const mutations: Mutation[] = [];
  const type = String(valid.type);
  for (const fieldPath of fieldPaths(valid)) {
    const label = fieldPath.join('.');
    const field = fieldPath[fieldPath.length - 1]!;
    mutations.push({ label: `${label} missing`, field, message: withField(valid, fieldPath, (parent, key) => delete parent[key]) });
    const original = fieldPath.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], valid);
    for (const wrong of wrongValuesFor(field, original)) {
      const shown = typeof wrong === 'string' && wrong.length > 40 ? `a string of ${wrong.length} characters` : JSON.stringify(wrong) ?? String(wrong);
      // A wrong `type` makes the message unknown, so the rejection can only name the type field's problem.
      mutations.push({ label: `${label} = ${shown}`, field: field === 'type' ? 'type' : field, message: withField(valid, fieldPath, (parent, key) => (parent[key] = wrong)) });
    }
  }
  const objects = [[], ...fieldPaths(valid).filter((fieldPath) => typeof fieldPath.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], valid) === 'object')];
  for (const objectPath of objects) {
    for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'extra', HUGE_TEXT.slice(0, 100_000)]) {
      const message = structuredClone(valid);
      const target = objectPath.reduce<Record<string, unknown>>((value, step) => value[step] as Record<string, unknown>, message);
      // defineProperty makes an own key named "__proto__", as JSON.parse and structured cloning of page data do.
      Object.defineProperty(target, key, { value: 'hostile-value', enumerable: true, configurable: true, writable: true });
      mutations.push({ label: `${[...objectPath, key.slice(0, 20)].join('.')} added`, field: key.slice(0, 20), message });
    }
  }
  mutations.push({ label: 'type with a null prototype object', field: 'type', message: { ...valid, type: Object.create(null) } });
  mutations.push({ label: `class instance of ${type}`, field: 'type', message: Object.assign(Object.create({ inherited: true }), valid) });
  return mutations;
}

/** Messages that are not objects of the form at all. */
const NON_OBJECTS: unknown[] = [null, undefined, 0, 'submit', true, [], [{ type: 'submit' }], new Date(0), HUGE_TEXT, () => undefined, Symbol('hostile'), 10n];

// ---------------------------------------------------------------------------------------------
// A fake `vscode` module with the parts the feedback panel uses

interface FakeWebview {
  html: string;
  cspSource: string;
  posted: unknown[];
  deliver(message: unknown): void;
}

class FakeEvent<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (listener: (value: T) => void) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}

let lastWebview: FakeWebview | undefined;

function createFakeVscode(): Record<string, unknown> {
  const uri = (fsPath: string) => ({ fsPath, path: fsPath, toString: () => `file://${fsPath}` });
  return {
    Uri: { joinPath: (base: { fsPath: string }, ...parts: string[]) => uri(path.join(base.fsPath, ...parts)), file: uri },
    ViewColumn: { Active: -1 },
    env: { language: 'en' },
    l10n: { t: (message: string, ...args: unknown[]) => message.replace(/\{(\d+)\}/g, (_, index: string) => String(args[Number(index)])) },
    window: {
      createWebviewPanel: () => {
        const received = new FakeEvent<unknown>();
        const disposed = new FakeEvent<void>();
        const webview = {
          html: '',
          cspSource: 'vscode-resource:',
          posted: [] as unknown[],
          asWebviewUri: (value: unknown) => value,
          onDidReceiveMessage: received.event,
          postMessage: async (message: unknown) => {
            webview.posted.push(message);
            return true;
          },
          deliver: (message: unknown) => received.fire(message),
        };
        lastWebview = webview;
        return { webview, iconPath: undefined, reveal: () => undefined, onDidDispose: disposed.event, dispose: () => disposed.fire() };
      },
    },
  };
}

/** Loads feedback-panel.ts with `vscode` resolved to the fake, and restores the resolver afterwards. */
function loadPanelWithFakeVscode(): typeof FeedbackPanelClass {
  const internals = nodeModule.Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const fakePath = path.join(os.tmpdir(), 'switchboard-hostile-fake-vscode.js');
  require.cache[fakePath] = { id: fakePath, filename: fakePath, loaded: true, exports: createFakeVscode() } as NodeJS.Module;
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? fakePath : resolve.call(this, request, ...rest);
  };
  try {
    // Required here, not imported at the top, so that its `vscode` import resolves while the fake is in place.
    const load = createRequire(__filename);
    return (load('../../src/extension/feedback/feedback-panel') as { FeedbackPanel: typeof FeedbackPanelClass }).FeedbackPanel;
  } finally {
    internals._resolveFilename = resolve;
  }
}

/** Waits until queued promise callbacks and I/O callbacks have run, so the panel's async handler is done. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('hostile webview messages', function () {
  this.timeout(60_000);

  it('has a valid example of every message type', () => {
    const missingPage = PAGE_MESSAGE_TYPES.filter((type) => !(type in VALID_PAGE_MESSAGES));
    const missingHost = HOST_MESSAGE_TYPES.filter((type) => !(type in VALID_HOST_MESSAGES));
    assert.deepEqual(missingPage, [], `page message types not covered by this test: ${missingPage.join(', ')}`);
    assert.deepEqual(missingHost, [], `host message types not covered by this test: ${missingHost.join(', ')}`);
    for (const type of PAGE_MESSAGE_TYPES) assert.ok(validatePageMessage(VALID_PAGE_MESSAGES[type]).ok, `the example of ${type} is rejected`);
    for (const type of HOST_MESSAGE_TYPES) assert.ok(validateHostMessage(VALID_HOST_MESSAGES[type]).ok, `the example of ${type} is rejected`);
  });

  for (const [side, validate, examples] of [
    ['page', validatePageMessage, VALID_PAGE_MESSAGES],
    ['host', validateHostMessage, VALID_HOST_MESSAGES],
  ] as const) {
    describe(`${side} messages`, () => {
      for (const [type, valid] of Object.entries(examples)) {
        it(`rejects every mutation of ${type}`, () => {
          const mutations = mutationsOf(valid);
          for (const { label, field, message } of mutations) {
            const result = (validate as (value: unknown) => { ok: boolean; reason?: string })(message);
            assert.equal(result.ok, false, `${type} with ${label} was accepted`);
            assert.ok(result.reason, `${type} with ${label}: no reason`);
            assert.ok(result.reason.length < 300, `${type} with ${label}: reason ${result.reason.slice(0, 300)}`);
            if (field !== 'type') assert.ok(result.reason.includes(JSON.stringify(field).slice(1, -1)) || result.reason.includes(field), `${type} with ${label}: the reason "${result.reason}" does not name ${field}`);
          }
          recordScenario({ suite: 'hostile', scenario: `${side} message ${type} mutations`, figures: { mutations: mutations.length } });
        });

        // A message without fields besides `type` has nothing to generate values for.
        const paths = fieldPaths(valid).filter((fieldPath) => fieldPath.join('.') !== 'type');
        if (paths.length === 0) continue;
        it(`rejects generated wrong values in ${type}`, () => {
          fc.assert(
            fc.property(
              fc.constantFrom(...paths),
              fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
              (fieldPath, value) => {
                const original = fieldPath.reduce<unknown>((current, key) => (current as Record<string, unknown>)[key], valid);
                fc.pre(typeof value !== typeof original || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype));
                const message = withField(valid, fieldPath, (parent, key) => (parent[key] = value));
                assert.equal((validate as (value: unknown) => { ok: boolean })(message).ok, false, `${fieldPath.join('.')} = ${fc.stringify(value)} was accepted`);
              },
            ),
            { numRuns: 1000 },
          );
        });
      }

      it('rejects values that are not objects', () => {
        for (const value of NON_OBJECTS) {
          const result = (validate as (value: unknown) => { ok: boolean; reason?: string })(value);
          assert.equal(result.ok, false, `${typeof value} was accepted`);
          assert.ok(result.reason, `${typeof value}: no reason`);
          assert.ok(result.reason.length < 200, `${typeof value}: a reason of ${result.reason.length} characters`);
        }
      });
    });
  }

  describe('feedback panel', () => {
    let directory: string;
    let FeedbackPanel: typeof FeedbackPanelClass;

    before(() => {
      FeedbackPanel = loadPanelWithFakeVscode();
    });

    beforeEach(() => {
      directory = mkdtempSync(path.join(os.tmpdir(), 'switchboard-hostile-webview-'));
    });

    afterEach(() => {
      FeedbackPanel.disposeCurrent();
      rmSync(directory, { recursive: true, force: true });
    });

    /** Opens a fresh panel over a real store in the temp directory and returns its webview and log. */
    function openPanel(): { webview: FakeWebview; warnings: string[]; store: FeedbackStore } {
      FeedbackPanel.disposeCurrent();
      const logger = createRecordingLogger();
      const store = new FeedbackStore(directory, logger);
      const service = {
        extensionVersion: '0.0.0-test',
        save: (record: Parameters<FeedbackService['save']>[0]) => store.add(record),
        dispatch: async () => ({ state: 'keptLocally' as const, text: 'Kept.' }),
      } as unknown as FeedbackService;
      const warnings: string[] = [];
      const log = { ...logger, warn: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message) };
      const options = {
        extensionUri: { fsPath: directory, path: directory },
        log,
        service,
        collectReport: async () => {
          throw new Error('no report in this test');
        },
      } as unknown as FeedbackPanelOptions;
      FeedbackPanel.show(options);
      assert.ok(lastWebview, 'the panel made no webview');
      return { webview: lastWebview, warnings, store };
    }

    function storeBytes(): string | undefined {
      const file = path.join(directory, FEEDBACK_FILE);
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    }

    it('rejects and logs every hostile message and stores nothing', async () => {
      let rejected = 0;
      for (const [type, valid] of Object.entries(VALID_PAGE_MESSAGES)) {
        for (const { label, field, message } of [...mutationsOf(valid), ...NON_OBJECTS.map((value) => ({ label: String(typeof value), field: 'type', message: value }))]) {
          const { webview, warnings } = openPanel();
          const before = storeBytes();
          webview.deliver(message);
          await settle();
          assert.equal(storeBytes(), before, `${type} with ${label} changed the store`);
          assert.equal(warnings.length, 1, `${type} with ${label}: ${warnings.length} log lines: ${warnings.join(' | ')}`);
          const line = warnings[0]!;
          assert.match(line, /^Feedback form: rejected a message of type (collectDiagnostics|submit|\(unknown\)): .+ Nothing was stored\.$/s, line.slice(0, 300));
          if (typeof message === 'object' && message !== null && !Array.isArray(message) && (message as { type?: unknown }).type === type && field !== 'type') {
            assert.ok(line.includes(`of type ${type}:`), `${type} with ${label}: the log line does not name the type: ${line.slice(0, 300)}`);
          }
          if (field !== 'type') assert.ok(line.includes(field), `${type} with ${label}: the log line does not name ${field}: ${line.slice(0, 300)}`);
          assert.ok(line.length < 400, `${type} with ${label}: a log line of ${line.length} characters`);
          assert.ok(!line.includes('hostile-value'), 'the log line repeats the content');
          assert.deepEqual(webview.posted, [], `${type} with ${label} got an answer`);
          rejected += 1;
        }
      }
      recordScenario({ suite: 'hostile', scenario: 'feedback panel rejects hostile messages', atRisk: rejected, lost: 0, figures: { messages: rejected } });
    });

    it('stores a valid submission', async () => {
      const { webview, warnings, store } = openPanel();
      webview.deliver(VALID_PAGE_MESSAGES.submit);
      for (let attempt = 0; attempt < 100 && (await store.list()).length === 0; attempt++) await settle();
      const stored = await store.list();
      assert.equal(stored.length, 1, `warnings: ${warnings.join(' | ')}`);
      assert.equal(stored[0]!.record.type, 'form');
      assert.deepEqual(warnings, []);
    });

    it('limits logged rejections per form', async () => {
      const { webview, warnings } = openPanel();
      for (let index = 0; index < 100; index++) webview.deliver({ type: 'submit' });
      await settle();
      assert.equal(warnings.length, 20);
      assert.match(warnings[19]!, /Further rejections from this form are not logged\./);
    });
  });
});
