import * as assert from 'node:assert/strict';

import { redactingChannel, redactTraceText } from '../../src/extension/redacting-channel';

const SECRET = 'TRACE-SECRET-93f1';

/** Trace texts that carry the secret, as vscode-languageclient or error data may print them. */
const TRACES: Record<string, string> = {
  'setKey parameters': `Params: ${JSON.stringify({ profile: 'p', key: SECRET }, null, 4)}`,
  'a header value with an opening brace': `Params: ${JSON.stringify({ profiles: [{ name: 'p', headers: { 'X-Auth': `{${SECRET}` } }] }, null, 4)}`,
  'a header value with a closing brace': `Params: ${JSON.stringify({ profiles: [{ name: 'p', headers: { 'X-Auth': `a}b`, 'X-Other': SECRET } }] })}`,
  'a header value with quotes': `Params: ${JSON.stringify({ profiles: [{ headers: { 'X-Auth': `a"${SECRET}"` } }] })}`,
  'a header value that is an object': `Params: ${JSON.stringify({ profiles: [{ headers: { 'X-Auth': { value: SECRET } } }] })}`,
  'headers as pairs': `Params: ${JSON.stringify({ headers: [['X-Auth', SECRET]] })}`,
  'a key member in another case': `Params: {"profile":"p","Key":"${SECRET}"}`,
  'a JSON trace message': JSON.stringify({ type: 'send-request', message: JSON.stringify({ method: 'switchboard/setKey', params: { profile: 'p', key: SECRET } }) }),
  'headers inside error data': `Result: ${JSON.stringify({ error: { message: JSON.stringify({ headers: { 'X-Auth': SECRET } }) } })}`,
};

describe('redacting trace channel', () => {
  for (const [name, text] of Object.entries(TRACES)) {
    it(`masks ${name}`, () => {
      assert.ok(text.includes(SECRET), 'the sample carries the secret');
      const masked = redactTraceText(text);
      assert.ok(!masked.includes(SECRET), masked);
      assert.match(masked, /\*\*\*\*/);
    });
  }

  it('keeps header names and other members', () => {
    const masked = redactTraceText(`Params: ${JSON.stringify({ profiles: [{ name: 'work', headers: { 'X-Team': 'a}b' }, model: 'gpt-4o-mini' }] })}`);
    assert.equal(masked, `Params: {"profiles":[{"name":"work","headers":{"X-Team":"****"},"model":"gpt-4o-mini"}]}`);
  });

  it('masks a headers object cut off by the end', () => {
    assert.equal(redactTraceText(`"headers": {"X-Auth": "${SECRET}`), `"headers": {"X-Auth": "****"`);
  });

  it('scans a huge trace in linear time', () => {
    // 25 MB of quoted text: a scan that restarts at every quote would run far past mocha's timeout.
    const huge = `Params: ${JSON.stringify({ content: 'ab"c'.repeat(5_000_000), key: SECRET, headers: { 'X-Auth': SECRET } })}`;
    const masked = redactTraceText(huge);
    assert.ok(!masked.includes(SECRET));
  });

  it('masks what the channel writes', () => {
    const written: string[] = [];
    const channel = redactingChannel({ appendLine: (line: string) => written.push(line), name: 'trace' } as never);
    channel.appendLine(TRACES['setKey parameters']!);
    assert.equal(written.length, 1);
    assert.ok(!written[0]!.includes(SECRET));
  });
});
