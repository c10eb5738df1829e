import * as assert from 'node:assert/strict';

import fc from 'fast-check';

import {
  FEEDBACK_KINDS,
  MAX_CONTACT_LENGTH,
  MAX_MESSAGE_LENGTH,
  validateHostMessage,
  validatePageMessage,
  type FeedbackDraft,
} from '../../src/webview/feedback-messages';

const DRAFT: FeedbackDraft = { kind: 'bug', rating: 4, message: 'The status bar stays on Connecting.', contact: 'me@example.com', attachDiagnostics: true };

function submit(draft: Record<string, unknown>): unknown {
  return { type: 'submit', draft };
}

/** Arbitrary drafts that the validator must accept. */
const validDraft = fc.record(
  {
    kind: fc.constantFrom(...FEEDBACK_KINDS),
    rating: fc.integer({ min: 1, max: 5 }),
    message: fc.string({ minLength: 1, maxLength: 200 }).filter((text) => text.trim() !== '' && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)),
    contact: fc.string({ maxLength: 50 }).filter((text) => !/[\u0000-\u001f\u007f]/.test(text)),
    attachDiagnostics: fc.boolean(),
  },
  { noNullPrototype: true },
);

describe('feedback messages', () => {
  describe('validatePageMessage', () => {
    it('accepts a complete submission', () => {
      const result = validatePageMessage(submit({ ...DRAFT }));
      assert.deepEqual(result, { ok: true, message: { type: 'submit', draft: DRAFT } });
    });

    it('accepts a diagnostics request', () => {
      assert.deepEqual(validatePageMessage({ type: 'collectDiagnostics' }), { ok: true, message: { type: 'collectDiagnostics' } });
    });

    it('accepts every well-formed draft', () => {
      fc.assert(
        fc.property(validDraft, (draft) => {
          const result = validatePageMessage(submit(draft));
          assert.equal(result.ok, true, JSON.stringify(result));
        }),
        { numRuns: 300 },
      );
    });

    it('rejects values that are not message objects', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.anything())), (value) => {
          const result = validatePageMessage(value);
          assert.equal(result.ok, false);
          assert.equal(result.ok === false && result.type, undefined);
        }),
        { numRuns: 200 },
      );
    });

    it('rejects unknown message types', () => {
      fc.assert(
        fc.property(fc.anything().filter((type) => type !== 'submit' && type !== 'collectDiagnostics'), (type) => {
          assert.equal(validatePageMessage({ type, draft: DRAFT }).ok, false);
        }),
        { numRuns: 200 },
      );
    });

    it('rejects a field of the wrong type', () => {
      const wrong = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object());
      fc.assert(
        fc.property(fc.constantFrom(...(Object.keys(DRAFT) as (keyof FeedbackDraft)[])), wrong, (field, value) => {
          fc.pre(typeof value !== typeof DRAFT[field] || field === 'kind' || field === 'rating');
          const draft = { ...DRAFT, [field]: value };
          fc.pre(!(field === 'kind' && FEEDBACK_KINDS.includes(value as never)));
          fc.pre(!(field === 'rating' && Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 5));
          const result = validatePageMessage(submit(draft));
          assert.equal(result.ok, false, `${field} = ${JSON.stringify(value)} was accepted`);
        }),
        { numRuns: 300 },
      );
    });

    it('rejects extra fields in the message and the draft', () => {
      fc.assert(
        fc.property(fc.string({ minLength: 1 }).filter((key) => !['type', 'draft', ...Object.keys(DRAFT)].includes(key)), fc.anything(), (key, value) => {
          assert.equal(validatePageMessage({ type: 'submit', draft: DRAFT, [key]: value }).ok, false);
          assert.equal(validatePageMessage(submit({ ...DRAFT, [key]: value })).ok, false);
          assert.equal(validatePageMessage({ type: 'collectDiagnostics', [key]: value }).ok, false);
        }),
        { numRuns: 200 },
      );
    });

    it('rejects a missing field', () => {
      for (const field of Object.keys(DRAFT)) {
        const draft: Record<string, unknown> = { ...DRAFT };
        delete draft[field];
        assert.equal(validatePageMessage(submit(draft)).ok, false, `a draft without ${field} was accepted`);
      }
    });

    it('rejects ratings that are not whole numbers from 1 to 5', () => {
      const bad = fc.oneof(fc.integer().filter((n) => n < 1 || n > 5), fc.double().filter((n) => !Number.isInteger(n)), fc.constant(Number.NaN), fc.constant(Infinity));
      fc.assert(
        fc.property(bad, (rating) => {
          assert.equal(validatePageMessage(submit({ ...DRAFT, rating })).ok, false);
        }),
        { numRuns: 200 },
      );
    });

    it('rejects huge strings', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('x', ' ', 'é'), (extra, unit) => {
          assert.equal(validatePageMessage(submit({ ...DRAFT, message: unit.repeat(MAX_MESSAGE_LENGTH + extra) })).ok, false);
          assert.equal(validatePageMessage(submit({ ...DRAFT, contact: unit.repeat(MAX_CONTACT_LENGTH + extra) })).ok, false);
        }),
        { numRuns: 50 },
      );
    });

    it('accepts strings at the maximum length', () => {
      const result = validatePageMessage(submit({ ...DRAFT, message: 'x'.repeat(MAX_MESSAGE_LENGTH), contact: 'y'.repeat(MAX_CONTACT_LENGTH) }));
      assert.equal(result.ok, true);
    });

    it('rejects an empty message and control characters', () => {
      assert.equal(validatePageMessage(submit({ ...DRAFT, message: '   \n ' })).ok, false);
      assert.equal(validatePageMessage(submit({ ...DRAFT, message: 'a\u0000b' })).ok, false);
      assert.equal(validatePageMessage(submit({ ...DRAFT, contact: 'a\nb' })).ok, false);
    });

    it('rejects objects that are not plain', () => {
      class Draft {
        constructor(readonly kind = 'bug') {}
      }
      assert.equal(validatePageMessage(submit(new Draft() as unknown as Record<string, unknown>)).ok, false);
      assert.equal(validatePageMessage(Object.assign(Object.create({ inherited: true }), { type: 'collectDiagnostics' })).ok, false);
    });

    it('names the type and reason without the content', () => {
      const secret = 'sk-this-content-must-not-be-logged';
      const result = validatePageMessage(submit({ ...DRAFT, message: secret.repeat(1000) }));
      assert.equal(result.ok, false);
      assert.equal(result.ok === false && result.type, 'submit');
      assert.equal(result.ok === false && result.reason.includes('sk-'), false);
      assert.match(result.ok === false ? result.reason : '', /draft\.message is longer than 5000 characters/);

      const unknown = validatePageMessage({ type: secret });
      assert.equal(unknown.ok === false && unknown.reason.includes(secret), false);
      assert.equal(unknown.ok === false && unknown.type, undefined);
    });
  });

  describe('validateHostMessage', () => {
    it('accepts diagnostics and status messages', () => {
      assert.equal(validateHostMessage({ type: 'diagnostics', text: '{}' }).ok, true);
      assert.equal(validateHostMessage({ type: 'status', state: 'saved', text: 'Saved.' }).ok, true);
    });

    it('rejects unknown states and extra fields', () => {
      assert.equal(validateHostMessage({ type: 'status', state: 'hacked', text: 'x' }).ok, false);
      assert.equal(validateHostMessage({ type: 'diagnostics', text: 'x', html: '<img>' }).ok, false);
      assert.equal(validateHostMessage({ type: 'script', text: 'x' }).ok, false);
    });
  });
});
