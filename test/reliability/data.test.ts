/**
 * Crash tests of everything Switchboard persists: feedback records (`feedback.jsonl`), delivery
 * events (`delivery.jsonl`) and learned model capabilities (`learned-capabilities.json`). A
 * child process (data-writer.ts) writes with the product's code and is killed with SIGKILL;
 * then the store is opened the way the product opens it and checked.
 *
 * VS Code keeps the other state (globalState, SecretStorage) itself, so it is not tested here.
 */

import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import fc from 'fast-check';

import { parseDeliveryEvent, parseFeedbackRecord, type DeliveryEvent } from '../../src/extension/feedback/feedback-record';
import { FeedbackStore } from '../../src/extension/feedback/feedback-store';
import { JsonLinesFile } from '../../src/extension/feedback/json-lines-file';
import { CapabilityMemory, type CapabilitySnapshot } from '../../src/engine/capability-memory';
import { STALE_TEMPORARY_FILE_AGE_MS } from '../../src/engine/durable-files';
import { CapabilityFile } from '../../src/server/capability-file';
import { createRecordingLogger, type RecordingLogger } from '../unit/support/helpers';
import { CAPABILITY_BASE_URL, feedbackRecord, numberOf, openStore, STORE_FILES, STORE_KINDS, TEST_MAX_ENTRIES, type StoreKind } from './data-stores';
import { recordScenario } from './record';

const WRITER = path.join(__dirname, 'data-writer.js');

/** Kill rounds per store, each at a random moment. */
const ROUNDS = 30;
/** Time the kill rounds of one store may take; later rounds are skipped once it is spent. */
const ROUNDS_BUDGET_MS = 60_000;
/** Rounds that must run within the budget for the test to count. */
const MIN_ROUNDS = 10;
/** Time a writer process may run before the test kills it and fails. */
const WRITER_TIMEOUT_MS = 20_000;

interface WriterRun {
  /** Record numbers the writer acknowledged. */
  acked: number[];
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface WriterOptions {
  /** Sends SIGKILL this many milliseconds after the writer printed `ready`. */
  killAfterReadyMs?: number;
  /** Runs the writer as this user, so that file permissions apply to it. */
  uid?: number;
  /** Limits the size of files the writer may write (`ulimit -f`, in 1024-byte blocks). */
  fileSizeLimitBlocks?: number;
}

const running = new Set<ChildProcess>();

/** Runs data-writer.js with `args`, kills it as `options` specify or when it pauses, and returns what it printed. */
function runWriter(args: string[], options: WriterOptions = {}): Promise<WriterRun> {
  const child =
    options.fileSizeLimitBlocks === undefined
      ? spawn(process.execPath, [WRITER, ...args], { uid: options.uid, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -f ${options.fileSizeLimitBlocks} && exec "$0" "$@"`, process.execPath, WRITER, ...args], { uid: options.uid, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  const kill = () => child.kill('SIGKILL');
  const timeout = setTimeout(kill, WRITER_TIMEOUT_MS);

  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      lines.push(line);
      if (line === 'paused') kill();
      if (line === 'ready' && options.killAfterReadyMs !== undefined) setTimeout(kill, options.killAfterReadyMs);
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));

  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      running.delete(child);
      const acked = lines.filter((line) => line.startsWith('ack ')).map((line) => Number(line.slice(4)));
      resolve({ acked, lines, stderr, code, signal });
    });
  });
}

/** Describes a writer run for an assertion message. */
function describeRun(run: WriterRun): string {
  return `writer exited with code ${run.code}, signal ${run.signal}; stdout: ${run.lines.slice(-5).join(' | ')}; stderr: ${run.stderr.slice(0, 2000)}`;
}

/** Returns a seeded generator of numbers in [0, 1) (mulberry32), so a failing round can be run again. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Opens the store as the product does and checks it: every record it returns is whole and
 * is the record of its number, and every acknowledged record is there. Returns the numbers present.
 */
async function checkStore(kind: StoreKind, folder: string, acked: ReadonlySet<number>, context: string): Promise<Set<number>> {
  const logger = createRecordingLogger();
  const present = new Set<number>();
  if (kind === 'feedback') {
    for (const { record } of await new FeedbackStore(folder, logger).list()) {
      const n = numberOf(record.id);
      assert.deepEqual(record, feedbackRecord(n), `${context}: record ${record.id} is not intact`);
      present.add(n);
    }
  } else if (kind === 'delivery') {
    // FeedbackStore.list() reads delivery.jsonl through this class, with this parser.
    const events = await new JsonLinesFile<DeliveryEvent>(path.join(folder, STORE_FILES.delivery), parseDeliveryEvent, logger).load();
    for (const event of events.records) {
      const n = numberOf(event.id);
      assert.deepEqual({ ...event, at: 'checked below' }, { v: 1, id: `record-${n}`, status: 'delivered', attempts: n + 1, at: 'checked below' }, `${context}: event ${event.id} is not intact`);
      assert.ok(!Number.isNaN(Date.parse(event.at)), `${context}: event ${event.id} has the invalid time ${event.at}`);
      present.add(n);
    }
  } else {
    const { memory } = await openStore('capabilities', folder, logger);
    for (const entry of memory!.snapshot().entries) {
      const n = numberOf(entry.model);
      assert.deepEqual(entry, { baseUrl: CAPABILITY_BASE_URL, model: `model-${n}`, capabilities: { contextTokens: n + 1 } }, `${context}: entry ${entry.model} is not intact`);
      present.add(n);
    }
  }

  const missing = [...acked].filter((n) => !present.has(n));
  assert.deepEqual(missing, [], `${context}: acknowledged records are missing`);
  const unexpected = logger.lines.filter((line) => line.startsWith('warn:') || line.startsWith('error:')).filter((line) => !line.includes('is incomplete'));
  assert.deepEqual(unexpected, [], `${context}: opening the store logged more than a torn last line`);
  const leftovers = (await fs.readdir(folder)).filter((name) => name !== STORE_FILES[kind] && !(kind === 'delivery' && name === STORE_FILES.feedback));
  assert.deepEqual(leftovers, [], `${context}: files besides the store's file remain after opening it`);
  return present;
}

/** Writes the next record in this process, as the product's next start would, and checks it is stored. */
async function checkNextWrite(kind: StoreKind, folder: string, n: number, context: string): Promise<void> {
  const opened = await openStore(kind, folder, createRecordingLogger());
  await opened.write(n);
  const present = await checkStore(kind, folder, new Set([n]), `${context}, after the next write`);
  assert.ok(present.has(n), `${context}: record ${n} written after the crash is missing`);
}

async function makeFolder(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-data-'));
}

describe('data survives crashes', function () {
  this.timeout(180_000);
  const folders: string[] = [];

  async function folder(): Promise<string> {
    const created = await makeFolder();
    folders.push(created);
    return created;
  }

  afterEach(async () => {
    for (const child of running) child.kill('SIGKILL');
    for (const created of folders.splice(0)) {
      await fs.chmod(created, 0o700).catch(() => undefined);
      await fs.rm(created, { recursive: true, force: true });
    }
  });

  describe('SIGKILL at random moments', () => {
    const seeds: Record<StoreKind, number> = { feedback: 1001, delivery: 2002, capabilities: 3003 };

    for (const kind of ['feedback', 'delivery', 'capabilities'] as const) {
      it(`${kind} keeps acknowledged records`, async () => {
        const dir = await folder();
        const random = seededRandom(seeds[kind]);
        const acked = new Set<number>();
        let next = 0;
        let rounds = 0;
        const started = Date.now();

        while (rounds < ROUNDS && Date.now() - started < ROUNDS_BUDGET_MS) {
          const context = `${kind}, seed ${seeds[kind]}, round ${rounds}`;
          const run = await runWriter([kind, dir, String(next), 'loop'], { killAfterReadyMs: Math.floor(random() * 40) });
          assert.equal(run.signal, 'SIGKILL', `${context}: ${describeRun(run)}`);
          for (const n of run.acked) acked.add(n);
          await ageTemporaryFiles(dir);

          const present = await checkStore(kind, dir, acked, context);
          next = Math.max(next, ...present, ...acked) + 1;
          await checkNextWrite(kind, dir, next, context);
          acked.add(next);
          next += 1;
          rounds += 1;
        }

        assert.ok(rounds >= MIN_ROUNDS, `only ${rounds} kill rounds ran in ${ROUNDS_BUDGET_MS} ms`);
        assert.ok(acked.size > rounds, `the writers acknowledged only ${acked.size - rounds} records in ${rounds} rounds, so the kills hit no writes`);
        recordScenario({ suite: 'data', scenario: `${kind}: SIGKILL during writes`, atRisk: acked.size, lost: 0, figures: { rounds } });
      });
    }
  });

  describe('SIGKILL at a chosen step', () => {
    const cases: { kind: StoreKind; point: string; call: number; scenario: string }[] = [
      { kind: 'feedback', point: 'torn-write', call: 5, scenario: 'feedback: SIGKILL in the middle of an append' },
      { kind: 'feedback', point: 'before-sync', call: 5, scenario: 'feedback: SIGKILL before the fsync of an append' },
      { kind: 'delivery', point: 'torn-write', call: 3, scenario: 'delivery: SIGKILL in the middle of an append' },
      { kind: 'capabilities', point: 'torn-write', call: 5, scenario: 'capabilities: SIGKILL while the temporary file is written' },
      { kind: 'capabilities', point: 'before-sync', call: 6, scenario: 'capabilities: SIGKILL before the fsync of the temporary file' },
      { kind: 'capabilities', point: 'before-rename', call: 5, scenario: 'capabilities: SIGKILL before the temporary file is renamed' },
    ];

    for (const { kind, point, call, scenario } of cases) {
      it(`${kind} at ${point}`, async () => {
        const dir = await folder();
        const run = await runWriter([kind, dir, '0', 'loop', point, String(call)]);
        assert.ok(run.lines.includes('paused'), `the writer never reached ${point}: ${describeRun(run)}`);
        assert.equal(run.signal, 'SIGKILL', describeRun(run));
        assert.ok(run.acked.length >= 3, `only ${run.acked.length} records were acknowledged before ${point}: ${describeRun(run)}`);
        await ageTemporaryFiles(dir);

        const present = await checkStore(kind, dir, new Set(run.acked), scenario);
        await checkNextWrite(kind, dir, Math.max(...present, ...run.acked) + 1, scenario);
        recordScenario({ suite: 'data', scenario, atRisk: run.acked.length, lost: 0 });
      });
    }

    it('feedback while a damaged file is moved aside', async () => {
      for (const point of ['before-link', 'before-rename']) {
        const dir = await folder();
        const file = path.join(dir, STORE_FILES.feedback);
        const lines = [0, 1, 2].map((n) => JSON.stringify(feedbackRecord(n)));
        await fs.writeFile(file, `${lines[0]}\n${lines[1]}\n{"damaged\n${lines[2]}\n`);

        const run = await runWriter(['feedback', dir, '0', 'load', point, '0']);
        assert.ok(run.lines.includes('paused'), `the writer never reached ${point}: ${describeRun(run)}`);
        await ageTemporaryFiles(dir);

        const logger = createRecordingLogger();
        const ids = (await new FeedbackStore(dir, logger).list()).map((entry) => entry.record.id);
        assert.deepEqual(ids, ['record-0', 'record-1', 'record-2'], `after a kill at ${point}`);
        const names = await fs.readdir(dir);
        assert.ok(!names.some((name) => name.includes('.tmp-')), `a temporary file remains after a kill at ${point}: ${names.join(', ')}`);
        const copies = names.filter((name) => name.startsWith(`${STORE_FILES.feedback}.damaged-`));
        assert.ok(copies.length >= 1, `no damaged copy after a kill at ${point}: ${names.join(', ')}`);
        for (const copy of copies) assert.match(await fs.readFile(path.join(dir, copy), 'utf8'), /\{"damaged/);
      }
      recordScenario({ suite: 'data', scenario: 'feedback: SIGKILL while a damaged file is moved aside', atRisk: 3, lost: 0 });
    });

    it('capabilities while a corrupt file is moved aside', async () => {
      for (const point of ['before-link', 'before-rename']) {
        const dir = await folder();
        const text = snapshotText(10);
        const cut = text.indexOf('"model-7"');
        await fs.writeFile(path.join(dir, STORE_FILES.capabilities), text.slice(0, cut));

        const run = await runWriter(['capabilities', dir, '0', 'load', point, '0']);
        assert.ok(run.lines.includes('paused'), `the writer never reached ${point}: ${describeRun(run)}`);
        await ageTemporaryFiles(dir);

        const logger = createRecordingLogger();
        const { memory } = await openStore('capabilities', dir, logger);
        const models = memory!.snapshot().entries.map((entry) => entry.model);
        assert.deepEqual(models, [0, 1, 2, 3, 4, 5, 6].map((n) => `model-${n}`), `after a kill at ${point}`);
        const names = await fs.readdir(dir);
        assert.ok(!names.some((name) => name.endsWith('.tmp')), `a temporary file remains after a kill at ${point}: ${names.join(', ')}`);
        assert.ok(names.some((name) => name.startsWith(`${STORE_FILES.capabilities}.corrupt-`)), `no corrupt copy after a kill at ${point}: ${names.join(', ')}`);
      }
      recordScenario({ suite: 'data', scenario: 'capabilities: SIGKILL while a corrupt file is moved aside', atRisk: 7, lost: 0 });
    });
  });

  describe('damaged files', () => {
    it('feedback cut at every byte offset', async () => {
      const dir = await folder();
      const file = path.join(dir, STORE_FILES.feedback);
      const lines = [0, 1, 2].map((n) => `${JSON.stringify(feedbackRecord(n))}\n`);
      const whole = Buffer.from(lines.join(''));

      for (let offset = 0; offset <= whole.length; offset += 1) {
        await fs.writeFile(file, whole.subarray(0, offset));
        const loaded = await new JsonLinesFile(file, parseFeedbackRecord, createRecordingLogger()).load();
        // A record is readable when all of its JSON is there, with or without its newline.
        const readable = lines.filter((_, index) => lines.slice(0, index + 1).join('').length - 1 <= offset).length;
        assert.deepEqual(loaded.records, [0, 1, 2].slice(0, readable).map((n) => feedbackRecord(n)), `cut at byte ${offset}`);
        assert.equal(loaded.movedAsideTo, undefined, `cut at byte ${offset}: a cut file is no damaged file`);
      }
      recordScenario({ suite: 'data', scenario: 'feedback: file cut at every byte offset', atRisk: whole.length + 1, lost: 0 });
    });

    it('feedback with one byte overwritten', async () => {
      const dir = await folder();
      const file = path.join(dir, STORE_FILES.feedback);
      const lines = [0, 1, 2].map((n) => `${JSON.stringify(feedbackRecord(n))}\n`);
      const whole = Buffer.from(lines.join(''));
      const lineOf = (offset: number) => lines.findIndex((_, index) => lines.slice(0, index + 1).join('').length > offset);

      /** Overwrites one byte, loads the file and checks the records of the other lines; returns the load result. */
      async function overwriteAndLoad(offset: number, byte: number) {
        for (const name of await fs.readdir(dir)) await fs.rm(path.join(dir, name));
        const damaged = Buffer.from(whole);
        damaged[offset] = byte;
        await fs.writeFile(file, damaged);

        const logger = createRecordingLogger();
        const loaded = await new JsonLinesFile(file, parseFeedbackRecord, logger).load();

        // The overwritten byte touches its own line, and the next one when it was a newline.
        const touched = new Set([lineOf(offset), whole[offset] === 0x0a ? lineOf(offset) + 1 : -1]);
        for (const index of [0, 1, 2].filter((line) => !touched.has(line))) {
          const found = loaded.records.some((record) => isDeepStrictEqual(record, feedbackRecord(index)));
          assert.ok(found, `record-${index} is missing or changed after byte ${offset} became ${byte}`);
        }

        if (loaded.movedAsideTo !== undefined) {
          assert.match(path.basename(loaded.movedAsideTo), /^feedback\.jsonl\.damaged-/);
          assert.deepEqual(await fs.readFile(loaded.movedAsideTo), damaged, 'the moved copy is not the damaged file');
          const warning = logger.lines.find((line) => line.includes('damaged line')) ?? '';
          assert.ok(warning.includes(file), `no warning names ${file}: ${logger.lines.join('\n')}`);
          assert.ok(warning.includes(loaded.movedAsideTo), `no warning names ${loaded.movedAsideTo}: ${logger.lines.join('\n')}`);
        }
        const reread = await new JsonLinesFile(file, parseFeedbackRecord, createRecordingLogger()).load();
        assert.deepEqual(reread.records, loaded.records, 'the repaired file does not contain the records that were read');
        assert.equal(reread.movedAsideTo, undefined, 'the repaired file is damaged again');
        return loaded;
      }

      // A NUL byte is invalid anywhere in JSON, so each offset but the last newline damages a whole line.
      for (let offset = 0; offset < whole.length - 1; offset += 1) {
        const loaded = await overwriteAndLoad(offset, 0);
        assert.ok(loaded.movedAsideTo, `a NUL byte at ${offset} did not move the file aside`);
      }
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: whole.length - 1 }), fc.integer({ min: 0, max: 255 }), async (offset, byte) => {
          await overwriteAndLoad(offset, byte);
        }),
        { numRuns: 200, seed: 4004 },
      );
      recordScenario({ suite: 'data', scenario: 'feedback: one byte overwritten', atRisk: 3, lost: 0, figures: { offsets: whole.length - 1, randomRuns: 200 } });
    });

    it('capabilities cut at every byte offset', async () => {
      const dir = await folder();
      const file = path.join(dir, STORE_FILES.capabilities);
      const whole = snapshotText(4);

      for (let offset = 0; offset <= whole.length; offset += 1) {
        for (const name of await fs.readdir(dir)) await fs.rm(path.join(dir, name));
        const cut = whole.slice(0, offset);
        await fs.writeFile(file, cut);

        const logger = createRecordingLogger();
        const memory = new CapabilityMemory({ store: capabilityFile(dir, logger), logger, maxEntries: TEST_MAX_ENTRIES });
        await memory.restore();

        const complete = [0, 1, 2, 3].filter((n) => cut.includes(entryEnd(n)));
        assert.deepEqual(memory.snapshot().entries.map((entry) => entry.model), complete.map((n) => `model-${n}`), `cut at byte ${offset}`);
        if (cut.trim() !== whole.trim()) await checkMovedAside(dir, cut, logger, `cut at byte ${offset}`);
      }
      recordScenario({ suite: 'data', scenario: 'capabilities: file cut at every byte offset', atRisk: whole.length + 1, lost: 0 });
    });

    it('capabilities with one byte overwritten', async () => {
      const dir = await folder();
      const file = path.join(dir, STORE_FILES.capabilities);
      const whole = snapshotText(4);

      /** Overwrites one character, restores a memory from the file and checks the entries before it. */
      async function overwriteAndRestore(offset: number, character: string): Promise<void> {
        for (const name of await fs.readdir(dir)) await fs.rm(path.join(dir, name));
        const damaged = `${whole.slice(0, offset)}${character}${whole.slice(offset + 1)}`;
        await fs.writeFile(file, damaged);

        const logger = createRecordingLogger();
        const memory = new CapabilityMemory({ store: capabilityFile(dir, logger), logger, maxEntries: TEST_MAX_ENTRIES });
        await memory.restore();

        // Entries that end before the overwritten character read the same as before.
        const intact = [0, 1, 2, 3].filter((n) => whole.indexOf(entryEnd(n)) + entryEnd(n).length <= offset);
        const entries = memory.snapshot().entries;
        if (!isLaterVersion(damaged)) {
          for (const n of intact) {
            const found = entries.some((entry) => isDeepStrictEqual(entry, { baseUrl: CAPABILITY_BASE_URL, model: `model-${n}`, capabilities: { contextTokens: n + 1 } }));
            assert.ok(found, `model-${n} is missing or changed after character ${offset} became ${JSON.stringify(character)}`);
          }
        }
        const context = `character ${offset} became ${JSON.stringify(character)}`;
        if (isLaterVersion(damaged)) await checkLeftAlone(dir, damaged, logger, context);
        else if (!isVersionOneSnapshot(damaged)) await checkMovedAside(dir, damaged, logger, context);
      }

      // A NUL character is invalid anywhere in JSON, so each offset makes the file invalid.
      for (let offset = 0; offset < whole.length; offset += 1) {
        assert.ok(!isVersionOneSnapshot(`${whole.slice(0, offset)}\u0000${whole.slice(offset + 1)}`), `a NUL character at ${offset} left a valid snapshot`);
        await overwriteAndRestore(offset, '\u0000');
      }
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: whole.length - 1 }), fc.integer({ min: 0x20, max: 0x7e }), async (offset, code) => {
          await overwriteAndRestore(offset, String.fromCharCode(code));
        }),
        { numRuns: 200, seed: 5005 },
      );
      recordScenario({ suite: 'data', scenario: 'capabilities: one byte overwritten', atRisk: 4, lost: 0, figures: { offsets: whole.length, randomRuns: 200 } });
    });
  });

  describe('unwritable storage', () => {
    // Root ignores file permissions, so as root the writer runs as the unprivileged user "nobody".
    const NOBODY = 65534;

    it('read-only folder keeps stored data', async () => {
      for (const kind of ['feedback', 'capabilities'] as const) {
        const parent = await folder();
        await fs.chmod(parent, 0o755);
        const dir = path.join(parent, 'storage');
        await fs.mkdir(dir);
        const opened = await openStore(kind, dir, createRecordingLogger());
        for (const n of [0, 1, 2]) await opened.write(n);
        const file = path.join(dir, STORE_FILES[kind]);
        const before = await fs.readFile(file);
        await fs.chmod(file, 0o444);
        await fs.chmod(dir, 0o555);

        const run = await runWriter([kind, dir, '3', 'once:0'], { uid: process.getuid?.() === 0 ? NOBODY : undefined });
        assert.equal(run.code, 0, describeRun(run));
        assert.ok(!run.acked.includes(3), `the write into a read-only folder was acknowledged: ${describeRun(run)}`);
        const report = run.lines.find((line) => line.startsWith(kind === 'feedback' ? 'error ' : 'warn "Could not save'));
        assert.ok(report?.includes(file), `no message names ${file}: ${describeRun(run)}`);
        assert.ok(report?.includes('read-only or not writable'), `the message does not say the folder is not writable: ${report}`);
        assert.deepEqual(await fs.readFile(file), before, `${kind}: the stored file changed`);

        await fs.chmod(dir, 0o755);
        await checkStore(kind, dir, new Set([0, 1, 2]), `${kind} after a read-only folder`);
        recordScenario({ suite: 'data', scenario: `${kind}: read-only folder`, atRisk: 3, lost: 0 });
      }
    });

    it('full disk keeps stored data', async () => {
      // `ulimit -f` makes a write past the limit fail with EFBIG after a partial write, as a full disk fails with ENOSPC.
      for (const kind of ['feedback', 'capabilities'] as const) {
        const dir = await folder();
        const opened = await openStore(kind, dir, createRecordingLogger());
        for (const n of [0, 1, 2]) await opened.write(n);
        const file = path.join(dir, STORE_FILES[kind]);
        const before = await fs.readFile(file);
        const limitBlocks = Math.floor(before.length / 1024) + 1;

        // The next record is longer than the room left under the limit, so its write is cut short.
        const run = await runWriter([kind, dir, '3', 'once:3000'], { fileSizeLimitBlocks: limitBlocks });
        assert.equal(run.code, 0, describeRun(run));
        assert.ok(!run.acked.includes(3), `the write past the limit was acknowledged: ${describeRun(run)}`);
        const report = run.lines.find((line) => line.startsWith(kind === 'feedback' ? 'error ' : 'warn "Could not save'));
        assert.ok(report?.includes(file), `no message names ${file}: ${describeRun(run)}`);
        assert.ok(report?.includes('disk is full'), `the message does not say the disk is full: ${report}`);
        assert.deepEqual(await fs.readFile(file), before, `${kind}: the stored file changed`);

        await checkStore(kind, dir, new Set([0, 1, 2]), `${kind} after a full disk`);
        await checkNextWrite(kind, dir, 4, `${kind} after a full disk`);
        recordScenario({ suite: 'data', scenario: `${kind}: full disk`, atRisk: 3, lost: 0 });
      }
    });

    it('file in place of the folder', async () => {
      const dir = await folder();
      const blocker = path.join(dir, 'storage');
      await fs.writeFile(blocker, 'not a folder');

      const store = new FeedbackStore(path.join(blocker, 'globalStorage'), createRecordingLogger());
      await assert.rejects(store.add(feedbackRecord(0)), (error: Error) => {
        assert.match(error.message, /globalStorage[/\\]feedback\.jsonl/);
        assert.match(error.message, /a file is in the way of its folder/);
        return true;
      });

      const logger = createRecordingLogger();
      const memory = new CapabilityMemory({ store: capabilityFile(path.join(blocker, 'globalStorage'), logger), logger });
      await memory.restore();
      memory.learn(CAPABILITY_BASE_URL, 'model-0', { contextTokens: 1 });
      await waitFor(() => logger.lines.some((line) => line.startsWith('warn: Could not save')));
      const warning = logger.lines.find((line) => line.startsWith('warn: Could not save')) ?? '';
      assert.ok(warning.includes(path.join(blocker, 'globalStorage', STORE_FILES.capabilities)), `the warning does not name the file: ${warning}`);
      assert.equal(await fs.readFile(blocker, 'utf8'), 'not a folder');
      recordScenario({ suite: 'data', scenario: 'file in place of the storage folder', atRisk: 0, lost: 0 });
    });
  });

  describe('files a load cannot use', () => {
    // Root ignores file permissions, so as root the writer runs as the unprivileged user "nobody".
    const NOBODY = 65534;

    it('unreadable capability file is not overwritten', async () => {
      const parent = await folder();
      await fs.chmod(parent, 0o755);
      const dir = path.join(parent, 'storage');
      await fs.mkdir(dir);
      const opened = await openStore('capabilities', dir, createRecordingLogger());
      for (const n of [0, 1, 2]) await opened.write(n);
      const file = path.join(dir, STORE_FILES.capabilities);
      const before = await fs.readFile(file);
      // The folder stays writable for the writer, so only the rule in the product keeps it from replacing the file.
      await fs.chmod(file, 0o000);
      const asRoot = process.getuid?.() === 0;
      if (asRoot) await fs.chown(dir, NOBODY, NOBODY);

      const run = await runWriter(['capabilities', dir, '3', 'once:0'], { uid: asRoot ? NOBODY : undefined });
      assert.equal(run.code, 0, describeRun(run));
      const warning = run.lines.find((line) => line.startsWith('warn "Could not load'));
      assert.ok(warning?.includes(file), `no warning names ${file}: ${describeRun(run)}`);
      assert.ok(warning?.includes('give the user running VS Code read and write access'), `the warning gives no fix: ${warning}`);
      assert.ok(warning?.includes('kept in memory only'), `the warning does not say where new entries go: ${warning}`);
      await fs.chmod(file, 0o644);
      assert.deepEqual(await fs.readFile(file), before, 'the unreadable file was overwritten');

      await checkStore('capabilities', dir, new Set([0, 1, 2]), 'after an unreadable file');
      recordScenario({ suite: 'data', scenario: 'capabilities: unreadable file', atRisk: 3, lost: 0 });
    });

    it('folder named like a temporary file', async () => {
      const names: Record<StoreKind, string> = { feedback: `${STORE_FILES.feedback}.tmp-2147483646`, delivery: `${STORE_FILES.delivery}.tmp-2147483646`, capabilities: `${STORE_FILES.capabilities}.2147483646-deadbeef.tmp` };
      for (const kind of STORE_KINDS) {
        const dir = await folder();
        const opened = await openStore(kind, dir, createRecordingLogger());
        for (const n of [0, 1, 2]) await opened.write(n);
        const blocker = path.join(dir, names[kind]);
        await fs.mkdir(blocker);
        await ageTemporaryFiles(dir);

        const logger = createRecordingLogger();
        // Opening the capability store loads it. The feedback store loads both of its files in list().
        const reopened = await openStore(kind, dir, logger);
        if (kind !== 'capabilities') await new FeedbackStore(dir, logger).list();
        await reopened.write(3);
        const warnings = logger.lines.filter((line) => line.startsWith('warn:'));
        assert.ok(warnings.some((line) => line.includes(blocker) && line.includes('not a regular file')), `${kind}: no warning names ${blocker}: ${logger.lines.join('\n')}`);
        assert.ok((await fs.stat(blocker)).isDirectory(), `${kind}: the folder was removed`);

        await fs.rmdir(blocker);
        await checkStore(kind, dir, new Set([0, 1, 2, 3]), `${kind} beside a folder named like a temporary file`);
        recordScenario({ suite: 'data', scenario: `${kind}: folder named like a temporary file`, atRisk: 4, lost: 0 });
      }
    });

    it('capability file of a later version is left alone', async () => {
      const dir = await folder();
      const file = path.join(dir, STORE_FILES.capabilities);
      const later = `${JSON.stringify({ version: 2, entries: [], addedInVersion2: true })}\n`;
      await fs.writeFile(file, later);

      const run = await runWriter(['capabilities', dir, '0', 'once:0']);
      assert.equal(run.code, 0, describeRun(run));
      const warning = run.lines.find((line) => line.startsWith('warn ') && line.includes('of version 2'));
      assert.ok(warning?.includes(file), `no warning names ${file}: ${describeRun(run)}`);
      assert.equal(await fs.readFile(file, 'utf8'), later, "the later version's file changed");
      assert.deepEqual(await fs.readdir(dir), [STORE_FILES.capabilities], 'files were added beside the file');
      recordScenario({ suite: 'data', scenario: 'capabilities: file of a later version', atRisk: 1, lost: 0 });
    });

    it('temporary file of a writer in another PID namespace', async function () {
      // `unshare --pid` needs root or user namespaces; without them the scenario cannot be set up.
      const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { timeout: WRITER_TIMEOUT_MS });
      if (probe.status !== 0) this.skip();

      const dir = await folder();
      const opened = await openStore('capabilities', dir, createRecordingLogger());
      for (const n of [0, 1, 2]) await opened.write(n);
      // This test process plays the writer. It runs, but a process in a new PID namespace cannot see its id.
      const temporary = path.join(dir, `${STORE_FILES.capabilities}.${process.pid}-0badc0de.tmp`);
      await fs.writeFile(temporary, snapshotText(4));

      const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, WRITER, 'capabilities', dir, '0', 'load'], { timeout: WRITER_TIMEOUT_MS, encoding: 'utf8' });
      assert.equal(run.status, 0, `the loader failed: ${run.stdout} ${run.stderr}`);
      assert.match(run.stdout, /^loaded 3$/m);
      assert.equal(await fs.readFile(temporary, 'utf8'), snapshotText(4), 'the temporary file of a running writer was deleted');
      recordScenario({ suite: 'data', scenario: 'capabilities: temporary file of a writer in another PID namespace', atRisk: 4, lost: 0 });
    });
  });
});

/** Builds the text CapabilityFile writes for entries 0 to `count - 1`. */
function snapshotText(count: number): string {
  const snapshot: CapabilitySnapshot = {
    version: 1,
    entries: Array.from({ length: count }, (_, n) => ({ baseUrl: CAPABILITY_BASE_URL, model: `model-${n}`, capabilities: { contextTokens: n + 1 } })),
  };
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

/** Returns the last characters of entry `n` in snapshotText(). */
function entryEnd(n: number): string {
  return `"contextTokens": ${n + 1}\n      }\n    }`;
}

function capabilityFile(folder: string, logger: RecordingLogger): CapabilityFile {
  const file = new CapabilityFile(logger);
  file.useFolder(folder);
  return file;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isVersionOneSnapshot(text: string): boolean {
  const value = parsed(text) as Partial<CapabilitySnapshot> | undefined;
  return typeof value === 'object' && value !== null && value.version === 1 && Array.isArray(value.entries);
}

function isLaterVersion(text: string): boolean {
  const value = parsed(text) as { version?: unknown } | undefined;
  return typeof value?.version === 'number' && value.version > 1;
}

/** Checks that a capability file of a later version is unchanged and alone in its folder, and that a warning reports it. */
async function checkLeftAlone(dir: string, text: string, logger: RecordingLogger, context: string): Promise<void> {
  assert.deepEqual(await fs.readdir(dir), [STORE_FILES.capabilities], `${context}: files were added beside a later version's file`);
  assert.equal(await fs.readFile(path.join(dir, STORE_FILES.capabilities), 'utf8'), text, `${context}: a later version's file changed`);
  const warning = logger.lines.find((line) => line.startsWith('warn:') && line.includes('which this version of Switchboard cannot read')) ?? '';
  assert.ok(warning.includes('kept in memory only'), `${context}: no warning says the file is left alone: ${logger.lines.join('\n')}`);
}

/**
 * Sets every file in `dir` a few minutes back. A killed writer leaves its temporary file, and
 * a load deletes it only once it is older than STALE_TEMPORARY_FILE_AGE_MS, because a writer in
 * another PID namespace may still be writing it. Aging the files replaces waiting a minute.
 */
async function ageTemporaryFiles(dir: string): Promise<void> {
  const time = new Date(Date.now() - 2 * STALE_TEMPORARY_FILE_AGE_MS);
  for (const name of await fs.readdir(dir)) await fs.utimes(path.join(dir, name), time, time);
}

/** Checks that a damaged capability file went to a `.corrupt-` sibling with a warning naming both paths, and a valid file replaced it. */
async function checkMovedAside(dir: string, damaged: string, logger: RecordingLogger, context: string): Promise<void> {
  const file = path.join(dir, STORE_FILES.capabilities);
  const names = await fs.readdir(dir);
  const copy = names.find((name) => name.startsWith(`${STORE_FILES.capabilities}.corrupt-`));
  assert.ok(copy, `${context}: no .corrupt- copy among ${names.join(', ')}`);
  assert.equal(await fs.readFile(path.join(dir, copy), 'utf8'), damaged, `${context}: the copy is not the damaged file`);
  const warning = logger.lines.find((line) => line.startsWith('warn:') && line.includes('moved the file to')) ?? '';
  assert.ok(warning.includes(file), `${context}: no warning names ${file}: ${logger.lines.join('\n')}`);
  assert.ok(warning.includes(path.join(dir, copy)), `${context}: no warning names ${copy}: ${logger.lines.join('\n')}`);
  assert.ok(isVersionOneSnapshot(await fs.readFile(file, 'utf8')), `${context}: the file was not replaced by a valid one`);
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'the condition did not become true within 2 seconds');
}
