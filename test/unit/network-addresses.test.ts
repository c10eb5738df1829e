import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';

import { lookupWithLocalhost } from '../../src/engine/network/localhost';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { findFreePort } from '../support/proxy';
import { PROFILE, startHarness, type Harness } from './support/harness';
import { answerText, errorOf } from './support/helpers';

/** True when this machine can listen on ::1; some containers have no IPv6 loopback. */
function canBindIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

function lookupAll(hostname: string, family = 0): Promise<Array<{ address: string; family: number }>> {
  return new Promise((resolve, reject) => {
    lookupWithLocalhost(hostname, { all: true, family }, (error, addresses) => (error ? reject(error) : resolve(addresses as never)));
  });
}

const localhostProfile = (port: number) => () => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: `http://localhost:${port}/v1`, model: 'gpt-4o-mini' });

describe('network addresses and timeouts', function () {
  this.timeout(20_000);
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  describe('localhost', () => {
    it('reaches a server that listens on 127.0.0.1 only', async () => {
      const port = await findFreePort();
      harness = await startHarness({ emulator: { host: '127.0.0.1', port }, profile: localhostProfile(port) });
      const events = await harness.chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
    });

    it('reaches a server that listens on ::1 only', async function () {
      if (!(await canBindIpv6Loopback())) {
        // Skipped only where the kernel has no IPv6 loopback address to listen on.
        this.skip();
      }
      const port = await findFreePort('::1');
      harness = await startHarness({ emulator: { host: '::1', port }, profile: localhostProfile(port) });
      const events = await harness.chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
    });

    it('names both loopback addresses when both refuse', async () => {
      const port = await findFreePort();
      harness = await startHarness({ profile: localhostProfile(port) });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'network.refused');
      assert.match(error!.message, new RegExp(`127\\.0\\.0\\.1:${port} and \\[::1\\]:${port}`));
    });

    it('resolves localhost to both loopback addresses', async () => {
      assert.deepEqual(await lookupAll('localhost'), [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ]);
      assert.deepEqual(await lookupAll('api.localhost', 6), [{ address: '::1', family: 6 }]);
    });
  });

  describe('failures', () => {
    it('names the refused address and port', async () => {
      const port = await findFreePort();
      harness = await startHarness({ profile: () => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'gpt-4o-mini' }) });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'network.refused');
      assert.match(error!.message, new RegExp(`Connection refused by 127\\.0\\.0\\.1:${port}`));
    });

    it('reports an .invalid host as network.dns', async () => {
      harness = await startHarness({ profile: () => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: 'http://switchboard-test.invalid:8080/v1', model: 'gpt-4o-mini' }) });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'network.dns');
      assert.match(error!.message, /switchboard-test\.invalid/);
    });

    it('times out a server that accepts and never answers', async () => {
      harness = await startHarness({ engine: { network: { localFirstByteTimeoutMs: 300, firstByteTimeoutMs: 300 } } });
      harness.emulator.script({ neverRespond: true, times: 5 });
      const started = Date.now();
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'timeout.first_byte');
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    });

    it('times out a stream that stalls', async () => {
      harness = await startHarness({ engine: { network: { idleTimeoutMs: 300 } } });
      harness.emulator.script({ delayBetweenChunksMs: 3000 });
      const started = Date.now();
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'timeout.idle');
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
    });

    it('reports a stream cut mid-answer as stream.interrupted', async () => {
      harness = await startHarness();
      harness.emulator.script({ closeAfterChunks: 3 });
      const events = await harness.chat();
      const error = errorOf(events);
      assert.equal(error?.code, 'stream.interrupted');
      assert.ok(error!.partialText, 'the partial answer is kept');
    });
  });
});
