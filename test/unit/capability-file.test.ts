import * as assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { CapabilityMemory, type CapabilitySnapshot } from '../../src/engine/capability-memory';
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

    assert.equal(await file.load(), undefined);
    const names = await readdir(folder);
    assert.equal(names.length, 1);
    assert.match(names[0] ?? '', /^learned-capabilities\.json\.corrupt-/);
    assert.equal(await readFile(path.join(folder, names[0] ?? ''), 'utf8'), '{"version": 1, "entr');
    assert.match(logger.warnings[0] ?? '', /not valid JSON.*moved the file to/);
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
