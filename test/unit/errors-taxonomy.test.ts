/** The closed set of error codes: defaults per code, docs anchors, and the data errors carry. */

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { CODE_INFO, docsAnchor, docsUrl, ERROR_CODES, keepPartialText, SwitchboardError, type ErrorCode } from '../../src/engine/errors';

/** out/test/unit → the repository root. */
const ERRORS_DOC = path.resolve(__dirname, '../../../docs/errors.md');

/** GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_ -]/gu, '')
    .replace(/ /g, '-');
}

function docSections(): Map<string, string> {
  const text = readFileSync(ERRORS_DOC, 'utf8');
  const sections = new Map<string, string>();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return sections;
}

describe('error taxonomy', () => {
  describe('defaults per code', () => {
    for (const code of ERROR_CODES) {
      it(`${code} has a retry class and actions`, () => {
        const info = CODE_INFO[code];
        assert.equal(typeof info.retryable, 'boolean');
        assert.ok(Array.isArray(info.actions));
        if (code !== 'cancelled') assert.ok(info.actions.includes('openDocs'), 'openDocs offered');
      });
    }

    it('lists every code once', () => {
      assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
      assert.deepEqual(Object.keys(CODE_INFO).sort(), [...ERROR_CODES].sort());
    });
  });

  describe('docs anchors', () => {
    it('follows GitHub\'s rule for a code heading', () => {
      assert.equal(docsUrl('auth.invalid_key'), 'docs/errors.md#authinvalid_key');
      assert.equal(docsUrl('rate_limited'), 'docs/errors.md#rate_limited');
      assert.equal(docsUrl('request.context_too_long'), 'docs/errors.md#requestcontext_too_long');
    });

    it('matches the anchor GitHub makes', () => {
      for (const code of ERROR_CODES) assert.equal(docsAnchor(code), githubAnchor(`\`${code}\``), code);
    });

    const sections = docSections();

    for (const code of ERROR_CODES) {
      it(`docs/errors.md explains ${code}`, () => {
        const body = sections.get(`\`${code}\``);
        assert.ok(body !== undefined, `a section headed \`${code}\``);
        assert.match(body, /\*\*What happened\.\*\*/);
        assert.match(body, /\*\*Likely causes\.\*\*/);
        assert.match(body, /\*\*Fixes\.\*\*/);
      });
    }

    it('documents no code outside the set', () => {
      const documented = [...sections.keys()].filter((heading) => heading.startsWith('`')).map((heading) => heading.replace(/`/g, ''));
      assert.deepEqual(documented.filter((code) => !(ERROR_CODES as readonly string[]).includes(code)), []);
    });

    it('puts the docs link into error data', () => {
      const data = new SwitchboardError('quota.exhausted', 'No quota left.').toData();
      assert.equal(data.docsUrl, 'docs/errors.md#quotaexhausted');
    });
  });

  describe('partial text', () => {
    it('keeps the text and offers a retry', () => {
      const error = keepPartialText(new SwitchboardError('server.error', 'The server failed.', { actions: ['showLogs'] }), 'Hello from');
      assert.equal(error.partialText, 'Hello from');
      assert.match(error.message, /^The server failed\. The 10 characters received before the failure were kept; retry/);
      assert.deepEqual(error.actions, ['retry', 'showLogs']);
    });

    it('offers no retry for blocked content', () => {
      const error = keepPartialText(new SwitchboardError('content.blocked', 'Blocked.'), 'Here is');
      assert.equal(error.partialText, 'Here is');
      assert.doesNotMatch(error.message, /retry/);
      assert.ok(!error.actions.includes('retry'));
    });

    it('leaves the message of a cancelled request', () => {
      const error = keepPartialText(new SwitchboardError('cancelled', 'The request was cancelled.'), 'Hel');
      assert.equal(error.message, 'The request was cancelled.');
      assert.equal(error.partialText, 'Hel');
    });

    it('returns the error unchanged without text', () => {
      const original = new SwitchboardError('stream.interrupted', 'Cut.');
      assert.equal(keepPartialText(original, ''), original);
    });
  });

  describe('copies', () => {
    it('keep every field but the changed ones', () => {
      const original = new SwitchboardError('rate_limited', 'Slow down.', { retryAfterMs: 1500, status: 429, providerRequestId: 'req_1', providerCode: 'rate_limit_exceeded', fix: ['Wait.'] });
      original.requestId = 'abc123';
      const copy = original.withChanges('Slow down now.', { retryable: false });
      const expected: Partial<Record<keyof SwitchboardError, unknown>> = {
        code: 'rate_limited' satisfies ErrorCode,
        message: 'Slow down now.',
        retryable: false,
        retryAfterMs: 1500,
        status: 429,
        providerRequestId: 'req_1',
        providerCode: 'rate_limit_exceeded',
        requestId: 'abc123',
      };
      for (const [key, value] of Object.entries(expected)) assert.equal(copy[key as keyof SwitchboardError], value, key);
      assert.deepEqual(copy.fix, ['Wait.']);
    });
  });
});
