import * as assert from 'node:assert/strict';

import { isSwitchboardError } from '../../src/engine/errors';
import { PROFILE, startHarness, type Harness } from './support/harness';

const FIVE_MINUTES_MS = 5 * 60 * 1000;

describe('model-list cache', function () {
  this.timeout(15_000);
  let harness: Harness;
  let now: number;

  const modelRequests = () => harness.emulator.requests.filter((request) => request.method === 'GET' && request.path.startsWith('/v1/models')).length;

  beforeEach(async () => {
    now = 1_000;
    harness = await startHarness({ engine: { modelListCache: { now: () => now } } });
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('answers a second call from the cache', async () => {
    const first = await harness.engine.listModels(PROFILE);
    const second = await harness.engine.listModels(PROFILE);
    assert.deepEqual(second, first);
    assert.equal(modelRequests(), 1);
  });

  it('asks the server again after the TTL', async () => {
    await harness.engine.listModels(PROFILE);
    now += FIVE_MINUTES_MS - 1;
    await harness.engine.listModels(PROFILE);
    assert.equal(modelRequests(), 1);
    now += 2;
    await harness.engine.listModels(PROFILE);
    assert.equal(modelRequests(), 2);
  });

  it('asks the server again with refresh', async () => {
    await harness.engine.listModels(PROFILE);
    await harness.engine.listModels(PROFILE, undefined, { refresh: true });
    assert.equal(modelRequests(), 2);
  });

  it('coalesces concurrent calls into one request', async () => {
    const lists = await Promise.all([1, 2, 3].map(() => harness.engine.listModels(PROFILE)));
    assert.equal(lists[0]!.length > 0, true);
    assert.deepEqual(lists[1], lists[0]);
    assert.equal(modelRequests(), 1);
  });

  it('coalesces concurrent refreshes into one request', async () => {
    await harness.engine.listModels(PROFILE);
    await Promise.all([1, 2, 3].map(() => harness.engine.listModels(PROFILE, undefined, { refresh: true })));
    assert.equal(modelRequests(), 2);
  });

  it('does not keep a failed list', async () => {
    harness.emulator.script({ match: { path: '/v1/models' }, status: 500, body: { error: { message: 'Server failed.' } } });
    await assert.rejects(harness.engine.listModels(PROFILE), (error: unknown) => isSwitchboardError(error) && error.code === 'server.error');
    const models = await harness.engine.listModels(PROFILE);
    assert.ok(models.length > 0);
    assert.equal(modelRequests(), 2);
  });

  it('keeps a shared request going when one caller cancels', async () => {
    harness.emulator.script({ match: { path: '/v1/models' }, delayBeforeHeadersMs: 150 });
    const leaving = new AbortController();
    const left = harness.engine.listModels(PROFILE, leaving.signal);
    const stayed = harness.engine.listModels(PROFILE);
    setTimeout(() => leaving.abort(), 20);
    await assert.rejects(left, (error: unknown) => isSwitchboardError(error) && error.code === 'cancelled');
    assert.ok((await stayed).length > 0);
    assert.equal(modelRequests(), 1);
  });

  it('returns a copy that callers may change', async () => {
    const first = await harness.engine.listModels(PROFILE);
    first.length = 0;
    assert.ok((await harness.engine.listModels(PROFILE)).length > 0);
  });

  it('forgets lists when the key changes', async () => {
    await harness.engine.listModels(PROFILE);
    harness.engine.setKey(PROFILE, 'sk-another-key-0123456789');
    await harness.engine.listModels(PROFILE);
    assert.equal(modelRequests(), 2);
  });
});
