import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import type { ChatRequest } from '../../src/engine/types';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator } from '../emulator/emulator';
import { generateCertificates } from '../emulator/tls';
import { answerText, collect, errorOf } from './support/helpers';
import { compatibleProfile, FAST_RETRY, PROFILE } from './support/harness';

/** Connections the emulator accepted so far, open or closed. */
const connectionsSeen = (emulator: Emulator) => emulator.openConnections() + emulator.closedConnections();

/**
 * Waits until the previous response has given its connection back to the pool. undici 7 does
 * that a turn of the event loop after the body ends. The network layer also reads the end of an
 * SSE body in the background after the adapter stops at `data: [DONE]`. A request sent sooner
 * opens a second connection, while a user's requests come seconds apart.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** A fresh question each time, so the response cache never answers it. */
let questions = 0;
function question(): ChatRequest {
  questions++;
  return { profile: PROFILE, messages: [{ role: 'user', content: `Say hello, number ${questions}.` }] };
}

describe('connection pool', function () {
  this.timeout(15_000);

  for (const tls of [false, true]) {
    describe(tls ? 'over HTTPS' : 'over HTTP', () => {
      let emulator: Emulator;
      let engine: Engine;

      beforeEach(async () => {
        const certificates = tls ? await generateCertificates() : undefined;
        emulator = await Emulator.start(certificates ? { tls: certificates } : {});
        // Retries of the engine are off, so only the network layer's stale-socket retry can save a request.
        engine = new Engine({ retry: { ...FAST_RETRY, maxAttempts: 1 }, network: certificates ? { extraCaCertificates: [certificates.caPem] } : {} });
        await engine.configure({ profiles: [compatibleProfile(emulator.url)] });
      });

      afterEach(async () => {
        await emulator.stop();
        await engine.close();
      });

      it('reuses one connection for sequential requests', async () => {
        for (let round = 0; round < 3; round++) {
          assert.equal(answerText(await collect(engine.chat(question()))), DEFAULT_ANSWER);
          await settle();
        }
        assert.equal(connectionsSeen(emulator), 1);
      });

      it('replaces a pooled socket the server closed while idle', async () => {
        await collect(engine.chat(question()));
        await settle();
        const closed = emulator.waitForClose();
        emulator.closeIdleConnections();
        await closed;
        const events = await collect(engine.chat(question()));
        assert.equal(errorOf(events), undefined);
        assert.equal(answerText(events), DEFAULT_ANSWER);
        assert.equal(connectionsSeen(emulator), 2);
      });

      it('replaces a pooled socket closed just before it is reused', async () => {
        await collect(engine.chat(question()));
        await settle();
        // No await between the close and the request: the client has not read the close yet.
        emulator.closeIdleConnections();
        const events = await collect(engine.chat(question()));
        assert.equal(errorOf(events), undefined);
        assert.equal(answerText(events), DEFAULT_ANSWER);
        assert.equal(connectionsSeen(emulator), 2);
      });

      it('replaces a pooled socket reset as the request arrives', async () => {
        await collect(engine.chat(question()));
        await settle();
        emulator.script({ resetBeforeResponse: true });
        const events = await collect(engine.chat(question()));
        assert.equal(errorOf(events), undefined);
        assert.equal(answerText(events), DEFAULT_ANSWER);
        assert.equal(connectionsSeen(emulator), 2);
      });

      it('warms up a connection without a chat request', async () => {
        const result = await engine.warmUp(PROFILE);
        assert.equal(result.ok, true);
        assert.equal(connectionsSeen(emulator), 1);
        assert.deepEqual(
          emulator.requests.map((request) => request.method),
          ['GET'],
        );
      });

      it('sends the next request on the warmed-up connection', async () => {
        await engine.warmUp(PROFILE);
        await settle();
        await collect(engine.chat(question()));
        assert.equal(connectionsSeen(emulator), 1);
      });

      it('sends no API key with a warm-up', async () => {
        engine.setKey(PROFILE, 'sk-warm-up-key-0123456789');
        await engine.warmUp(PROFILE);
        assert.equal(emulator.requests[0]?.headers.authorization, undefined);
      });
    });
  }

  it('reports a warm-up that cannot connect', async () => {
    const emulator = await Emulator.start();
    const url = emulator.url;
    await emulator.stop();
    const engine = new Engine();
    try {
      await engine.configure({ profiles: [compatibleProfile(url)] });
      const result = await engine.warmUp(PROFILE);
      assert.equal(result.ok, false);
      assert.equal(result.code, 'network.refused');
    } finally {
      await engine.close();
    }
  });
});
