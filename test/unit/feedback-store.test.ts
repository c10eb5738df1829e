import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { STALE_TEMPORARY_FILE_AGE_MS } from '../../src/engine/durable-files';
import { RECORD_VERSION, type AnswerRating, type FormFeedback } from '../../src/extension/feedback/feedback-record';
import { DELIVERY_FILE, FEEDBACK_FILE, FeedbackStore } from '../../src/extension/feedback/feedback-store';
import { JsonLinesFile } from '../../src/extension/feedback/json-lines-file';
import { createRecordingLogger } from './support/helpers';

function form(id: string, change: Partial<FormFeedback> = {}): FormFeedback {
  return { v: RECORD_VERSION, type: 'form', id, createdAt: '2026-01-01T12:00:00.000Z', extensionVersion: '0.1.0', kind: 'bug', rating: 2, message: `message ${id}`, ...change };
}

function rating(id: string): AnswerRating {
  return { v: RECORD_VERSION, type: 'answerRating', id, createdAt: '2026-01-01T12:00:00.000Z', extensionVersion: '0.1.0', helpful: false, answerId: 'a1b2c3', profile: 'work', model: 'gpt-4o-mini', command: 'Ask', outcome: 'finished' };
}

describe('feedback store', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-feedback-'));
  });

  afterEach(async () => {
    await fs.rm(directory, { recursive: true, force: true });
  });

  it('appends one line per record and flushes it', async () => {
    const store = new FeedbackStore(directory, createRecordingLogger());
    const sync = await spyOnSync(async () => {
      await store.add(form('one'));
      await store.add(rating('two'));
    });

    const text = await fs.readFile(path.join(directory, FEEDBACK_FILE), 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.deepEqual(JSON.parse(lines[0]), form('one'));
    assert.deepEqual(JSON.parse(lines[1]), rating('two'));
    assert.ok(sync.calls >= 2, `fsync ran ${sync.calls} time(s)`);
  });

  it('keeps appends from one process in order', async () => {
    const store = new FeedbackStore(directory, createRecordingLogger());
    await Promise.all(Array.from({ length: 25 }, (_, index) => store.add(form(`id-${index}`))));
    const ids = (await store.list()).map((entry) => entry.record.id);
    assert.deepEqual(ids, Array.from({ length: 25 }, (_, index) => `id-${index}`));
  });

  it('lists records with their delivery status', async () => {
    const store = new FeedbackStore(directory, createRecordingLogger());
    await store.add(form('one'));
    await store.add(form('two'));
    await store.setStatus('one', 'delivered', { detail: 'HTTP 204', attempts: 2 });

    const entries = await store.list();
    assert.equal(entries[0].delivery?.status, 'delivered');
    assert.equal(entries[0].delivery?.attempts, 2);
    assert.equal(entries[1].delivery, undefined);
    assert.deepEqual((await store.pending()).map((record) => record.id), ['two']);
  });

  it('skips and removes a torn last line', async () => {
    const logger = createRecordingLogger();
    const file = path.join(directory, FEEDBACK_FILE);
    const whole = `${JSON.stringify(form('one'))}\n`;
    const torn = JSON.stringify(form('two')).slice(0, 40);
    await fs.writeFile(file, whole + torn);

    const store = new FeedbackStore(directory, logger);
    const entries = await store.list();
    assert.deepEqual(entries.map((entry) => entry.record.id), ['one']);
    assert.ok(logger.lines.some((line) => line.startsWith('warn:') && line.includes('incomplete (40 bytes)')), logger.lines.join('\n'));
    assert.equal(await fs.readFile(file, 'utf8'), whole);
  });

  it('appends after a torn line without joining it', async () => {
    const file = path.join(directory, FEEDBACK_FILE);
    await fs.writeFile(file, `${JSON.stringify(form('one'))}\n{"v":1,"type":"fo`);

    // Another window's crash leaves the torn line after this store last read the file.
    const store = new FeedbackStore(directory, createRecordingLogger());
    await store.add(form('two'));
    const ids = (await store.list()).map((entry) => entry.record.id);
    assert.deepEqual(ids, ['one', 'two']);
  });

  it('moves a damaged file aside and keeps its readable records', async () => {
    const logger = createRecordingLogger();
    const file = path.join(directory, FEEDBACK_FILE);
    await fs.writeFile(file, [JSON.stringify(form('one')), '\u0000\u0000garbage{', JSON.stringify({ v: 99, id: 'x' }), JSON.stringify(form('two')), ''].join('\n'));

    const store = new FeedbackStore(directory, logger);
    const entries = await store.list();
    assert.deepEqual(entries.map((entry) => entry.record.id), ['one', 'two']);

    const names = await fs.readdir(directory);
    const aside = names.find((name) => name.startsWith(`${FEEDBACK_FILE}.damaged-`));
    assert.ok(aside, `no damaged copy among ${names.join(', ')}`);
    assert.match(await fs.readFile(path.join(directory, aside), 'utf8'), /garbage/);
    assert.equal(await fs.readFile(file, 'utf8'), `${JSON.stringify(form('one'))}\n${JSON.stringify(form('two'))}\n`);
    assert.ok(logger.lines.some((line) => line.startsWith('warn:') && line.includes('2 damaged line(s)')), logger.lines.join('\n'));
  });

  it('keeps a last record without its newline', async () => {
    const logger = createRecordingLogger();
    const file = path.join(directory, FEEDBACK_FILE);
    await fs.writeFile(file, `${JSON.stringify(form('one'))}\n${JSON.stringify(form('two'))}`);

    const store = new FeedbackStore(directory, logger);
    assert.deepEqual((await store.list()).map((entry) => entry.record.id), ['one', 'two']);
    assert.equal(await fs.readFile(file, 'utf8'), `${JSON.stringify(form('one'))}\n${JSON.stringify(form('two'))}\n`);
    assert.ok(logger.lines.some((line) => line.startsWith('warn:') && line.includes('lacked its newline')), logger.lines.join('\n'));
  });

  it('cuts off an append whose flush failed', async () => {
    const store = new FeedbackStore(directory, createRecordingLogger());
    await store.add(form('one'));
    const file = path.join(directory, FEEDBACK_FILE);
    const before = await fs.readFile(file, 'utf8');

    await assert.rejects(
      failSync(Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC' }), () => store.add(form('two'))),
      (error: Error) => {
        assert.match(error.message, new RegExp(`^Could not write ${escapeRegExp(file)}: the disk is full`));
        assert.match(error.message, /Free some space and try again\.$/);
        return true;
      },
    );
    assert.equal(await fs.readFile(file, 'utf8'), before, 'the line that was not flushed stayed in the file');
    await store.add(form('three'));
    assert.deepEqual((await store.list()).map((entry) => entry.record.id), ['one', 'three']);
  });

  it('names the file when its folder cannot be created', async () => {
    const blocker = path.join(directory, 'blocker');
    await fs.writeFile(blocker, 'a file where the folder should be');
    const store = new FeedbackStore(path.join(blocker, 'storage'), createRecordingLogger());
    await assert.rejects(store.add(form('one')), new RegExp(`^Error: Could not write ${escapeRegExp(path.join(blocker, 'storage', FEEDBACK_FILE))}: a file is in the way of its folder`));
  });

  it('removes temporary files of stopped processes', async () => {
    const store = new FeedbackStore(directory, createRecordingLogger());
    await store.add(form('one'));
    // No process has this id: Linux allows at most 2^22 processes.
    const stale = `${FEEDBACK_FILE}.tmp-2147483646`;
    const ours = `${FEEDBACK_FILE}.tmp-${process.pid}`;
    const recent = `${FEEDBACK_FILE}.tmp-2147483645`;
    await fs.writeFile(path.join(directory, stale), JSON.stringify(form('one')));
    await fs.writeFile(path.join(directory, ours), JSON.stringify(form('one')));
    await fs.writeFile(path.join(directory, recent), JSON.stringify(form('one')));
    // A temporary file counts as left behind only once it is older than the minimum age,
    // because a writer in another PID namespace has an id that this process cannot see.
    for (const name of [stale, ours]) await ageBy(path.join(directory, name), 2 * STALE_TEMPORARY_FILE_AGE_MS);

    assert.deepEqual((await store.list()).map((entry) => entry.record.id), ['one']);
    assert.deepEqual((await fs.readdir(directory)).sort(), [FEEDBACK_FILE, ours, recent].sort());
  });

  it('loads beside a folder named like a temporary file', async () => {
    const logger = createRecordingLogger();
    const store = new FeedbackStore(directory, logger);
    await store.add(form('one'));
    const blocker = path.join(directory, `${FEEDBACK_FILE}.tmp-2147483646`);
    await fs.mkdir(blocker);
    await ageBy(blocker, 2 * STALE_TEMPORARY_FILE_AGE_MS);

    assert.deepEqual((await store.list()).map((entry) => entry.record.id), ['one']);
    assert.ok((await fs.stat(blocker)).isDirectory(), 'the folder was removed');
    const warning = logger.lines.find((line) => line.startsWith('warn:') && line.includes(blocker));
    assert.ok(warning, `no warning names the folder: ${logger.lines.join('\n')}`);
    assert.match(warning, /not a regular file/);
  });

  it('repairs the target of a symbolic link', async () => {
    const elsewhere = path.join(directory, 'elsewhere');
    await fs.mkdir(elsewhere);
    const target = path.join(elsewhere, 'target.jsonl');
    const damaged = `${JSON.stringify(form('one'))}\nnot json\n${JSON.stringify(form('two'))}\n`;
    await fs.writeFile(target, damaged);
    const link = path.join(directory, FEEDBACK_FILE);
    await fs.symlink(target, link);

    const loaded = await new JsonLinesFile(link, (value) => value as FormFeedback, createRecordingLogger()).load();
    assert.equal(loaded.damagedLines, 1);
    assert.ok(loaded.movedAsideTo, 'the damaged file was not moved aside');
    assert.ok((await fs.lstat(link)).isSymbolicLink(), 'the link was replaced by a file');
    assert.equal(await fs.readFile(target, 'utf8'), `${JSON.stringify(form('one'))}\n${JSON.stringify(form('two'))}\n`);
    assert.ok((await fs.lstat(loaded.movedAsideTo)).isFile(), 'the moved copy is not a regular file');
    assert.equal(await fs.readFile(loaded.movedAsideTo, 'utf8'), damaged, 'the moved copy is not the damaged file');

    const store = new FeedbackStore(directory, createRecordingLogger());
    await store.add(form('three'));
    assert.ok((await fs.lstat(link)).isSymbolicLink(), 'an append replaced the link');
    assert.equal(await fs.readFile(loaded.movedAsideTo, 'utf8'), damaged, 'the moved copy changed with the store');
  });

  it('treats a missing file as empty', async () => {
    const store = new FeedbackStore(path.join(directory, 'not-created-yet'), createRecordingLogger());
    assert.deepEqual(await store.list(), []);
  });

  it('drains the queue across a restart', async () => {
    const first = new FeedbackStore(directory, createRecordingLogger());
    await first.add(form('sent'));
    await first.add(form('queued'));
    await first.add(rating('rated'));
    await first.setStatus('sent', 'delivered');

    // A new store on the same folder stands for the next start of the extension.
    const second = new FeedbackStore(directory, createRecordingLogger());
    const pending = await second.pending();
    assert.deepEqual(pending.map((record) => record.id), ['queued', 'rated']);
    for (const record of pending) await second.setStatus(record.id, 'delivered');
    assert.deepEqual(await new FeedbackStore(directory, createRecordingLogger()).pending(), []);

    const events = (await fs.readFile(path.join(directory, DELIVERY_FILE), 'utf8')).trim().split('\n');
    assert.equal(events.length, 3);
  });

  it('lists a record stored twice once', async () => {
    const store = new FeedbackStore(directory, createRecordingLogger());
    await store.add(form('same'));
    await store.add(form('same', { message: 'second copy' }));
    const entries = await store.list();
    assert.equal(entries.length, 1);
    assert.equal(entries[0].record.type === 'form' && entries[0].record.message, 'message same');
  });

  it('rejects lines of the wrong shape through the parser', async () => {
    const file = path.join(directory, 'plain.jsonl');
    const lines = new JsonLinesFile<number>(file, (value) => (typeof value === 'number' ? value : undefined), createRecordingLogger());
    await lines.append(1);
    await lines.append(2);
    await fs.appendFile(file, '"text"\n');
    const loaded = await lines.load();
    assert.deepEqual(loaded.records, [1, 2]);
    assert.equal(loaded.damagedLines, 1);
    assert.ok(loaded.movedAsideTo);
  });
});

/** Sets the access and modification times of `file` back by `ms`. */
async function ageBy(file: string, ms: number): Promise<void> {
  const time = new Date(Date.now() - ms);
  await fs.utimes(file, time, time);
}

/** Counts FileHandle.sync calls made while `work` runs. */
async function spyOnSync(work: () => Promise<void>): Promise<{ calls: number }> {
  const handle = await fs.open(__filename, 'r');
  const prototype = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
  await handle.close();
  const original = prototype.sync;
  const counts = { calls: 0 };
  prototype.sync = function (this: unknown) {
    counts.calls += 1;
    return original.call(this);
  };
  try {
    await work();
  } finally {
    prototype.sync = original;
  }
  return counts;
}

/** Makes FileHandle.sync fail with `error` while `work` runs. */
async function failSync(error: Error, work: () => Promise<void>): Promise<void> {
  const handle = await fs.open(__filename, 'r');
  const prototype = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
  await handle.close();
  const original = prototype.sync;
  prototype.sync = () => Promise.reject(error);
  try {
    await work();
  } finally {
    prototype.sync = original;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
