import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import { forgetSecret, redactHeaders, redactText, redactUrl, registerSecret } from '../../src/engine/redact';

describe('redaction', () => {
  describe('headers', () => {
    it('masks every credential header whatever its case', () => {
      const redacted = redactHeaders({
        Authorization: 'Bearer sk-proj-abc123def456',
        'api-key': '3f2b9c0d4e5a6b7c',
        'X-Goog-Api-Key': 'AIzaSyA-0123456789abcdefghij',
        'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
        Cookie: 'session=abc',
      });
      assert.deepEqual(Object.values(redacted), ['****', '****', '****', '****', '****']);
    });

    it('keeps other headers', () => {
      const redacted = redactHeaders({ 'Content-Type': 'application/json', 'x-request-id': 'req_123' });
      assert.deepEqual(redacted, { 'Content-Type': 'application/json', 'x-request-id': 'req_123' });
    });

    it('masks a token inside another header\'s value', () => {
      const redacted = redactHeaders({ 'X-Forwarded-Auth': 'Bearer abcdefghijklmnop' });
      assert.equal(redacted['X-Forwarded-Auth'], 'Bearer ****');
    });
  });

  describe('URLs', () => {
    it('masks a Gemini key in the query', () => {
      const redacted = redactUrl('https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyA-0123456789abcdefghij&pageSize=50');
      assert.ok(!redacted.includes('AIzaSyA'), redacted);
      assert.match(redacted, /key=\*\*\*\*/);
      assert.match(redacted, /pageSize=50/);
    });

    it('masks api_key and token parameters', () => {
      const redacted = redactUrl('http://127.0.0.1:4000/v1/models?api_key=local-secret&token=t0ken-value');
      assert.ok(!redacted.includes('local-secret'), redacted);
      assert.ok(!redacted.includes('t0ken-value'), redacted);
    });

    it('masks the password of proxy credentials', () => {
      const redacted = redactUrl('http://alice:s3cret-pass@proxy.corp.example:3128');
      assert.ok(!redacted.includes('s3cret-pass'), redacted);
      assert.match(redacted, /alice:\*\*\*\*@proxy\.corp\.example:3128/);
    });

    it('masks a user name without a password', () => {
      const redacted = redactUrl('http://tok9en-Proxy-Token@proxy.corp.example:3128');
      assert.equal(redacted, 'http://****@proxy.corp.example:3128/');
    });

    it('masks an unparsable URL', () => {
      const redacted = redactUrl('not a url ?key=AIzaSyA-0123456789abcdefghij');
      assert.ok(!redacted.includes('AIzaSyA-0123'), redacted);
    });
  });

  describe('free text', () => {
    it('masks proxy credentials in a message', () => {
      const redacted = redactText('Using proxy http://bob:hunter2-long@10.0.0.1:8080 for api.openai.com');
      assert.equal(redacted, 'Using proxy http://bob:****@10.0.0.1:8080 for api.openai.com');
    });

    it('masks bearer tokens and provider key shapes', () => {
      const redacted = redactText('sent Authorization: Bearer abc.def-ghi with sk-proj-0123456789abcdef and AIzaSyA-0123456789abcdefghij');
      assert.ok(!redacted.includes('abc.def-ghi'), redacted);
      assert.ok(!redacted.includes('0123456789abcdef'), redacted);
      assert.ok(!redacted.includes('AIzaSyA-0123'), redacted);
    });

    it('masks a registered secret of any shape', () => {
      const secret = 'zq9-Plain-Secret-Value';
      registerSecret(secret);
      try {
        assert.equal(redactText(`the server said: bad key ${secret}.`), 'the server said: bad key ****.');
      } finally {
        forgetSecret(secret);
      }
    });

    it('stops masking a forgotten secret', () => {
      const secret = 'zq9-Forgotten-Value';
      registerSecret(secret);
      forgetSecret(secret);
      assert.equal(redactText(secret), secret);
    });

    it('ignores secrets shorter than 4 characters', () => {
      registerSecret('ab');
      assert.equal(redactText('a cab and a lab'), 'a cab and a lab');
      forgetSecret('ab');
    });

    it('masks keys stored in the engine', async () => {
      const engine = new Engine();
      engine.setKey('local', 'zq9-First-Engine-Key');
      engine.setKey('local', 'zq9-Second-Engine-Key');
      assert.equal(redactText('zq9-Second-Engine-Key'), '****');
      assert.equal(redactText('zq9-First-Engine-Key'), 'zq9-First-Engine-Key');
      engine.setKey('local', undefined);
      assert.equal(redactText('zq9-Second-Engine-Key'), 'zq9-Second-Engine-Key');
      await engine.close();
    });
  });
});
