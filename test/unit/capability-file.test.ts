import * as assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { CapabilityMemory, type CapabilitySnapshot } from '../../src/engine/capability-memory';
import { STALE_TEMPORARY_FILE_AGE_MS } from '../../src/engine/durable-files';
import type { Logger } from '../../src/engine/types';
import { CAPABILITY_FILE_NAME, CapabilityFile } from '../../src/server/capability-file';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (message: string) => warnings.push(message), error: () => undefined };
}

const SNAPSHOT: CapabilitySnapshot = { version: 1, entries: [{ baseUrl: 'https://api.openai.com/v1', model: 'o3', capabilities: { omitTemperature: true } }] };

describe('capability file', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'switchboard-capabilities-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps nothing without a folder', async () => {
    const file = new CapabilityFile(recordingLogger());
    await file.save(SNAPSHOT);
    assert.equal(await file.load(), undefined);
    assert.equal(file.path, undefined);
  });

  it('saves and loads a snapshot', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(path.join(folder, 'created-on-save'));
    await file.save(SNAPSHOT);
    assert.deepEqual(await file.load(), SNAPSHOT);
    assert.deepEqual(await readdir(path.join(folder, 'created-on-save')), [CAPABILITY_FILE_NAME], 'a temporary file was left behind');
  });

  it('returns nothing before the first save', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    assert.equal(await file.load(), undefined);
  });

  it('moves a corrupted file aside with a warning', async () => {
    const logger = recordingLogger();
    const file = new CapabilityFile(logger);
    file.useFolder(folder);
    await writeFile(path.join(folder, CAPABILITY_FILE_NAME), '{"version": 1, "entr');

    assert.deepEqual(await file.load(), { version: 1, entries: [] });
    const names = (await readdir(folder)).sort();
    assert.equal(names.length, 2);
    assert.equal(names[0], CAPABILITY_FILE_NAME);
    assert.match(names[1] ?? '', /^learned-capabilities\.json\.corrupt-/);
    assert.equal(await readFile(path.join(folder, names[1] ?? ''), 'utf8'), '{"version": 1, "entr');
    assert.deepEqual(JSON.parse(await readFile(path.join(folder, CAPABILITY_FILE_NAME), 'utf8')), { version: 1, entries: [] });
    assert.match(logger.warnings[0] ?? '', /not valid JSON.*moved the file to/);
  });

  it('keeps the readable entries of a cut file', async () => {
    const logger = recordingLogger();
    const file = new CapabilityFile(logger);
    file.useFolder(folder);
    const two: CapabilitySnapshot = { version: 1, entries: [SNAPSHOT.entries[0]!, { baseUrl: 'http://127.0.0.1:8080/v1', model: 'qwen', capabilities: { foldSystemMessages: true } }] };
    const text = JSON.stringify(two, null, 2);
    await writeFile(path.join(folder, CAPABILITY_FILE_NAME), text.slice(0, text.indexOf('"qwen"')));

    const expected = { version: 1, entries: [SNAPSHOT.entries[0]] };
    assert.deepEqual(await file.load(), expected);
    assert.deepEqual(JSON.parse(await readFile(path.join(folder, CAPABILITY_FILE_NAME), 'utf8')), expected, 'the readable entry was not written back');
    assert.match(logger.warnings[0] ?? '', /kept its 1 readable entries/);
  });

  it('leaves a later version untouched', async () => {
    const logger = recordingLogger();
    const file = new CapabilityFile(logger);
    file.useFolder(folder);
    const later = JSON.stringify({ version: 2, models: [] });
    await writeFile(path.join(folder, CAPABILITY_FILE_NAME), later);

    const memory = new CapabilityMemory({ store: file, logger });
    await memory.restore();
    memory.learn('http://127.0.0.1:11434/v1', 'llama3.2', { foldSystemMessages: true });
    await new Promise((resolve) => setImmediate(resolve));
    await file.flush();

    assert.equal(await readFile(path.join(folder, CAPABILITY_FILE_NAME), 'utf8'), later);
    assert.deepEqual(await readdir(folder), [CAPABILITY_FILE_NAME], 'a copy or temporary file was written');
    assert.deepEqual(memory.get('http://127.0.0.1:11434/v1', 'llama3.2'), { foldSystemMessages: true }, 'the memory did not keep what it learned');
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0] ?? '', /of version 2, which this version of Switchboard cannot read.*kept in memory only/);
    assert.ok(logger.warnings[0]?.includes(path.join(folder, CAPABILITY_FILE_NAME)), `the warning does not name the file: ${logger.warnings[0]}`);
  });

  it('never overwrites a file it could not read', async () => {
    const logger = recordingLogger();
    const file = new CapabilityFile(logger);
    file.useFolder(folder);
    const saved = `${JSON.stringify(SNAPSHOT)}\n`;
    await writeFile(path.join(folder, CAPABILITY_FILE_NAME), saved);

    // Root reads any file whatever its mode, so EACCES is raised by a stand-in for readFile.
    const memory = new CapabilityMemory({ store: file, logger });
    await withReadFileFailing('EACCES', () => memory.restore());
    memory.learn('http://127.0.0.1:11434/v1', 'llama3.2', { foldSystemMessages: true });
    await new Promise((resolve) => setImmediate(resolve));
    await file.flush();

    assert.equal(await readFile(path.join(folder, CAPABILITY_FILE_NAME), 'utf8'), saved, 'the unreadable file was overwritten');
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    const warning = logger.warnings[0] ?? '';
    assert.ok(warning.includes(path.join(folder, CAPABILITY_FILE_NAME)), `the warning does not name the file: ${warning}`);
    assert.match(warning, /give the user running VS Code read and write access/);
    assert.match(warning, /kept in memory only/);
    assert.deepEqual(memory.get('http://127.0.0.1:11434/v1', 'llama3.2'), { foldSystemMessages: true });
  });

  it('skips a folder named like a temporary file', async () => {
    const logger = recordingLogger();
    const file = new CapabilityFile(logger);
    file.useFolder(folder);
    await file.save(SNAPSHOT);
    const blocker = path.join(folder, `${CAPABILITY_FILE_NAME}.2147483646-deadbeef.tmp`);
    await mkdir(blocker);
    await ageBy(blocker, 2 * STALE_TEMPORARY_FILE_AGE_MS);

    assert.deepEqual(await file.load(), SNAPSHOT);
    assert.ok((await stat(blocker)).isDirectory(), 'the folder was removed');
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.ok(logger.warnings[0]?.includes(blocker), `the warning does not name the folder: ${logger.warnings[0]}`);
    assert.match(logger.warnings[0] ?? '', /not a regular file/);
  });

  it('follows a symbolic link', async () => {
    const logger = recordingLogger();
    const file = new CapabilityFile(logger);
    file.useFolder(folder);
    const elsewhere = path.join(folder, 'elsewhere');
    await mkdir(elsewhere);
    const target = path.join(elsewhere, 'target.json');
    const damaged = '{"version": 1, "entr';
    await writeFile(target, damaged);
    const link = path.join(folder, CAPABILITY_FILE_NAME);
    await symlink(target, link);

    assert.deepEqual(await file.load(), { version: 1, entries: [] });
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link was replaced by a file');
    const copies = (await readdir(elsewhere)).filter((name) => name.startsWith('target.json.corrupt-'));
    assert.equal(copies.length, 1, `no single copy beside the target: ${(await readdir(elsewhere)).join(', ')}`);
    const copy = path.join(elsewhere, copies[0]!);
    assert.ok((await lstat(copy)).isFile(), 'the copy is not a regular file');

    await file.save(SNAPSHOT);
    assert.ok((await lstat(link)).isSymbolicLink(), 'the save replaced the link by a file');
    assert.deepEqual(JSON.parse(await readFile(target, 'utf8')), SNAPSHOT);
    assert.equal(await readFile(copy, 'utf8'), damaged, 'the copy changed with the store');
    assert.match(logger.warnings[0] ?? '', /moved the file to/);
  });

  it('flushes the temporary file before the rename', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    const steps = await recordSteps(() => file.save(SNAPSHOT));
    const rename = steps.indexOf('rename');
    assert.ok(rename > 0, `no rename among ${steps.join(', ')}`);
    assert.equal(steps.slice(0, rename).filter((step) => step === 'sync').length, 1, `steps: ${steps.join(', ')}`);
    assert.equal(steps.slice(rename).filter((step) => step === 'sync').length, 1, `the folder was not flushed after the rename: ${steps.join(', ')}`);
  });

  it('removes temporary files of stopped servers', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    await file.save(SNAPSHOT);
    // No process has this id: Linux allows at most 2^22 processes.
    const stale = `${CAPABILITY_FILE_NAME}.2147483646-0badc0de.tmp`;
    const ours = `${CAPABILITY_FILE_NAME}.${process.pid}-0badc0de.tmp`;
    await writeFile(path.join(folder, stale), '{"version": 1, "ent');
    await writeFile(path.join(folder, ours), '{"version": 1, "ent');
    // A temporary file counts as left behind only once it is older than the minimum age.
    for (const name of [stale, ours]) await ageBy(path.join(folder, name), 2 * STALE_TEMPORARY_FILE_AGE_MS);

    assert.deepEqual(await file.load(), SNAPSHOT);
    assert.deepEqual((await readdir(folder)).sort(), [CAPABILITY_FILE_NAME, ours].sort());
  });

  it('removes a temporary file without a file', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    const stale = path.join(folder, `${CAPABILITY_FILE_NAME}.2147483646-0badc0de.tmp`);
    await writeFile(stale, '{"version": 1, "ent');
    await ageBy(stale, 2 * STALE_TEMPORARY_FILE_AGE_MS);

    assert.equal(await file.load(), undefined);
    assert.deepEqual(await readdir(folder), []);
  });

  it('keeps a recent temporary file of an unknown process', async () => {
    // A writer in another PID namespace, such as a dev container sharing the folder, has a process id this process cannot see.
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    const recent = `${CAPABILITY_FILE_NAME}.2147483646-0badc0de.tmp`;
    await writeFile(path.join(folder, recent), '{"version": 1, "ent');
    await ageBy(path.join(folder, recent), STALE_TEMPORARY_FILE_AGE_MS / 2);

    assert.equal(await file.load(), undefined);
    assert.deepEqual(await readdir(folder), [recent]);
  });

  it('names the file when a save fails', async () => {
    const blocker = path.join(folder, 'blocker');
    await writeFile(blocker, 'a file where the folder should be');
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(path.join(blocker, 'storage'));
    await assert.rejects(file.save(SNAPSHOT), new RegExp(`writing ${escapeRegExp(path.join(blocker, 'storage', CAPABILITY_FILE_NAME))} failed`));
  });

  it('warns once for repeated save failures', async () => {
    const logger = recordingLogger();
    let failing = true;
    let saves = 0;
    const store = {
      load: () => undefined,
      save: () => {
        saves += 1;
        if (failing) throw new Error('writing /storage/learned-capabilities.json failed: the folder is read-only');
      },
    };
    const memory = new CapabilityMemory({ store, logger });
    for (const model of ['a', 'b', 'c']) memory.learn('http://127.0.0.1:11434/v1', model, { omitTemperature: true });
    await waitUntil(() => saves === 3);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0] ?? '', /Could not save the learned model capabilities: writing \/storage\/learned-capabilities\.json failed/);

    failing = false;
    memory.learn('http://127.0.0.1:11434/v1', 'd', { omitTemperature: true });
    await waitUntil(() => saves === 4);
    failing = true;
    for (const model of ['e', 'f']) memory.learn('http://127.0.0.1:11434/v1', model, { omitTemperature: true });
    await waitUntil(() => saves === 6);
    assert.equal(logger.warnings.length, 2, `a new run of failures after a working save is not warned once: ${logger.warnings.join('\n')}`);
  });

  it('writes the last of several saves', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    const later: CapabilitySnapshot = { version: 1, entries: [] };
    await Promise.all([file.save(SNAPSHOT), file.save(later)]);
    assert.deepEqual(await file.load(), later);
  });

  it('lets a new memory restore what an earlier one learned', async () => {
    const file = new CapabilityFile(recordingLogger());
    file.useFolder(folder);
    const first = new CapabilityMemory({ store: file });
    first.learn('http://127.0.0.1:11434/v1', 'llama3.2', { foldSystemMessages: true });
    await file.save(first.snapshot());

    const second = new CapabilityMemory({ store: file });
    await second.restore();
    assert.deepEqual(second.get('http://127.0.0.1:11434/v1', 'llama3.2'), { foldSystemMessages: true });
  });
});

/** Sets the access and modification times of `file` back by `ms`. */
async function ageBy(file: string, ms: number): Promise<void> {
  const time = new Date(Date.now() - ms);
  await utimes(file, time, time);
}

/** Runs `work` while readFile of node:fs/promises rejects with a system error of `code`. */
async function withReadFileFailing(code: string, work: () => Promise<void>): Promise<void> {
  const fileSystem = process.getBuiltinModule('node:fs/promises') as unknown as { readFile: (...args: unknown[]) => Promise<unknown> };
  const original = fileSystem.readFile;
  fileSystem.readFile = async (file: unknown) => {
    throw Object.assign(new Error(`${code}: permission denied, open '${String(file)}'`), { code });
  };
  try {
    await work();
  } finally {
    fileSystem.readFile = original;
  }
}

/** Records the order of FileHandle.sync and rename calls while `work` runs. */
async function recordSteps(work: () => Promise<void>): Promise<string[]> {
  const steps: string[] = [];
  const handle = await open(__filename, 'r');
  const prototype = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
  await handle.close();
  const fileSystem = process.getBuiltinModule('node:fs/promises') as unknown as { rename: (...args: unknown[]) => Promise<void> };
  const sync = prototype.sync;
  const rename = fileSystem.rename;
  prototype.sync = function (this: unknown) {
    steps.push('sync');
    return sync.call(this);
  };
  fileSystem.rename = (...args: unknown[]) => {
    steps.push('rename');
    return rename(...args);
  };
  try {
    await work();
  } finally {
    prototype.sync = sync;
    fileSystem.rename = rename;
  }
  return steps;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'the condition did not become true within a second');
}
