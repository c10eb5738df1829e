import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import { SwitchboardError, isSwitchboardError } from '../../src/engine/errors';
import { checkApiKey } from '../../src/engine/keys';
import { Network } from '../../src/engine/network/network';
import { checkProxyUrl } from '../../src/engine/network/options';
import { normalizeBaseUrl, parseProfile } from '../../src/engine/profiles';
import { forgetSecret, redactText, registerSecret } from '../../src/engine/redact';
import { MAX_COMPLETE_BODY_BYTES, MAX_STREAM_LINE_CHARS, readTextUpTo } from '../../src/engine/streams/limits';
import { parseNdjson } from '../../src/engine/streams/ndjson';
import { parseSse } from '../../src/engine/streams/sse';
import { silentLogger } from '../../src/engine/types';
import { collectUntilError } from './support/helpers';

const PLAIN_KEY = 'plainkey-ABCDEF-0987654321';
const PROXY_PASSWORD = 'pr0xyPASS-777';

function thrownBy(action: () => unknown): SwitchboardError {
  try {
    action();
  } catch (error) {
    if (isSwitchboardError(error)) return error;
    throw error;
  }
  assert.fail('expected a SwitchboardError');
}

/** Yields `count` reads of `text` each, without ever ending a line. */
async function* repeated(text: string, count: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let index = 0; index < count; index++) yield bytes;
}

describe('hardening of secrets and limits', () => {
  describe('registered secrets', () => {
    it('stay masked while another holder remains', () => {
      registerSecret(PLAIN_KEY);
      registerSecret(PLAIN_KEY);
      forgetSecret(PLAIN_KEY);
      assert.equal(redactText(`key ${PLAIN_KEY}`), 'key ****');
      forgetSecret(PLAIN_KEY);
      assert.equal(redactText(`key ${PLAIN_KEY}`), `key ${PLAIN_KEY}`);
    });

    it('survive a second engine dropping the key', async () => {
      const main = new Engine({ logger: silentLogger });
      const doctor = new Engine({ logger: silentLogger });
      main.setKey('a', PLAIN_KEY);
      doctor.setKey('a', PLAIN_KEY);
      doctor.setKey('a', undefined);
      await doctor.close();
      assert.equal(redactText(PLAIN_KEY), '****');
      main.setKey('a', undefined);
      await main.close();
    });
  });

  describe('proxy credentials', () => {
    it('redactText masks a password without a scheme', () => {
      assert.equal(redactText(`http//alice:${PROXY_PASSWORD}@127.0.0.1:3128`), 'http//alice:****@127.0.0.1:3128');
      assert.equal(redactText(`alice:${PROXY_PASSWORD}@proxy:3128`), 'alice:****@proxy:3128');
      assert.equal(redactText(`http://alice:${PROXY_PASSWORD}@proxy:3128`), 'http://alice:****@proxy:3128');
    });

    it('rejects a malformed environment proxy', () => {
      const error = thrownBy(() => checkProxyUrl(`http//alice:${PROXY_PASSWORD}@127.0.0.1:3128`, 'HTTP_PROXY'));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /HTTP_PROXY/);
      assert.doesNotMatch(JSON.stringify(error.toData()), new RegExp(PROXY_PASSWORD));
      assert.match(error.toData().fix.join(' '), /http:\/\/user:password@host:port, or unset it/);
    });

    it('rejects a socks5 environment proxy', () => {
      const error = thrownBy(() => checkProxyUrl('socks5://127.0.0.1:1080', 'HTTPS_PROXY'));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /HTTPS_PROXY/);
      assert.match(error.message, /socks5:/);
    });

    it('fails requests through a malformed environment proxy', async () => {
      const env = { HTTP_PROXY: `http//alice:${PROXY_PASSWORD}@127.0.0.1:3128` };
      const network = new Network({}, silentLogger, env);
      try {
        await assert.rejects(network.fetch('http://127.0.0.1:9/v1/models'), (error: unknown) => {
          assert.ok(isSwitchboardError(error));
          assert.equal(error.code, 'config.invalid');
          assert.match(error.message, /HTTP_PROXY/);
          assert.doesNotMatch(error.message, new RegExp(PROXY_PASSWORD));
          return true;
        });
      } finally {
        await network.close();
      }
    });
  });

  describe('error messages', () => {
    it('toData masks keys in message, fix and cause', () => {
      const error = new SwitchboardError('internal', 'Failed at http://h/v1?key=sk-test-SECRET-1234567890 with 500.', {
        fix: ['Open http://bob:hunter22@h/ again.'],
        cause: new Error('Bearer abcdefghijklmnop rejected'),
      });
      const data = error.toData();
      assert.equal(data.message, 'Failed at http://h/v1?key=**** with 500.');
      assert.deepEqual(data.fix, ['Open http://bob:****@h/ again.']);
      assert.equal(data.cause, 'Bearer **** rejected');
    });

    it('normalizeBaseUrl masks a key in the query', () => {
      const error = thrownBy(() => normalizeBaseUrl('http://127.0.0.1:1/v1?key=AIzaPLAIN-not-a-google-key', 'openai'));
      assert.equal(error.code, 'config.base_url');
      assert.doesNotMatch(error.message, /AIzaPLAIN/);
      assert.match(error.message, /\?key=\*\*\*\*/);
    });
  });

  describe('key and header characters', () => {
    const profile = parseProfile({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' });

    it('checkApiKey rejects a control character', () => {
      const error = thrownBy(() => checkApiKey('sk-\u0000nul-123456789', profile));
      assert.match(error.message, /control character/);
    });

    it('checkApiKey rejects non-Latin-1 characters', () => {
      const error = thrownBy(() => checkApiKey('sk-тест-1234567890', profile));
      assert.match(error.message, /outside Latin-1/);
    });

    it('parseProfile rejects non-Latin-1 header values', () => {
      const error = thrownBy(() => parseProfile({ name: 'p', kind: 'openai', model: 'm', headers: { 'X-Foo': 'héllo€' } }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /X-Foo/);
    });

    it('parseProfile rejects transport headers', () => {
      for (const name of ['Content-Length', 'Transfer-Encoding', 'Host', 'Connection']) {
        const error = thrownBy(() => parseProfile({ name: 'p', kind: 'openai', model: 'm', headers: { [name]: '1' } }));
        assert.equal(error.code, 'config.invalid', name);
        assert.match(error.message, new RegExp(name), name);
      }
    });

    it('parseProfile keeps Latin-1 header values', () => {
      const profileWithHeader = parseProfile({ name: 'p', kind: 'openai', model: 'm', headers: { 'X-Team': 'café\tA' } });
      assert.deepEqual(profileWithHeader.headers, { 'X-Team': 'café\tA' });
    });
  });

  describe('body limits', () => {
    it('SSE rejects a line over the limit', async () => {
      const chunk = 'x'.repeat(1024 * 1024);
      const { items, error } = await collectUntilError(parseSse(repeated(`data: ${chunk}`, MAX_STREAM_LINE_CHARS / chunk.length + 2)));
      assert.equal(items.length, 0);
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.malformed');
      assert.match(error.message, /8 Mi characters/);
    });

    it('SSE rejects an event over the limit', async () => {
      const line = `data: ${'y'.repeat(1024 * 1024)}\n`;
      const { error } = await collectUntilError(parseSse(repeated(line, MAX_STREAM_LINE_CHARS / (1024 * 1024) + 2)));
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.malformed');
    });

    it('NDJSON rejects a line over the limit', async () => {
      const chunk = 'z'.repeat(1024 * 1024);
      const { error } = await collectUntilError(parseNdjson(repeated(chunk, MAX_STREAM_LINE_CHARS / chunk.length + 2)));
      assert.ok(isSwitchboardError(error));
      assert.equal(error.code, 'stream.malformed');
    });

    it('readTextUpTo stops at the limit', async () => {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(1024 * 1024).fill(97));
        },
      });
      const result = await readTextUpTo(new Response(body), 3 * 1024 * 1024 + 5);
      assert.equal(result.truncated, true);
      assert.equal(result.text.length, 3 * 1024 * 1024 + 5);
      assert.ok(pulled <= 6, `pulled ${pulled} chunks`);
    });

    it('readTextUpTo reads a short body whole', async () => {
      const result = await readTextUpTo(new Response('{"ok":true}'), MAX_COMPLETE_BODY_BYTES);
      assert.deepEqual(result, { text: '{"ok":true}', truncated: false });
    });
  });
});
