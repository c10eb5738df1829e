import * as assert from 'node:assert/strict';

import type { ErrorData } from '../../src/engine/errors';
import { parseProfile } from '../../src/engine/profiles';
import { applyEvents, createAnswerState, renderAnswerMarkdown } from '../../src/extension/answer-markdown';
import { CrashBudget, LineTail } from '../../src/extension/crash-budget';
import { errorNotificationText, fixButtonsFor } from '../../src/extension/fix-actions';
import { secretKeyFor, validateApiKeyInput } from '../../src/extension/key-validation';
import { explainMessages, extractReplacement, limitContext, MAX_CONTEXT_CHARACTERS } from '../../src/extension/prompts';

const STARTED = Date.UTC(2026, 0, 1, 12, 0, 0);

function error(change: Partial<ErrorData> = {}): ErrorData {
  return { code: 'auth.invalid_key', message: 'The key was rejected.', retryable: false, fix: ['Set the key again.'], actions: ['setApiKey', 'openDocs'], ...change };
}

describe('extension answers', () => {
  describe('answer markdown', () => {
    it('heads the answer with profile, model and timing', () => {
      const state = createAnswerState('Explain Selection', 'work', 'gpt-4o-mini', STARTED);
      applyEvents(state, [{ type: 'text', text: 'Hello' }], STARTED + 120);
      state.totalMs = 2400;
      const markdown = renderAnswerMarkdown(state);
      assert.match(markdown, /^# Explain Selection\n/);
      assert.match(markdown, /Profile: \*\*work\*\* · Model: `gpt-4o-mini`/);
      assert.match(markdown, /First token: 120 ms · Total: 2\.4 s/);
    });

    it('keeps reasoning out of the answer, in a collapsed section', () => {
      const state = createAnswerState('Ask', 'work', 'm', STARTED);
      applyEvents(state, [{ type: 'reasoning', text: 'thinking it over' }, { type: 'text', text: 'The answer.' }], STARTED);
      const markdown = renderAnswerMarkdown(state);
      assert.equal(state.text, 'The answer.');
      assert.match(markdown, /<details>\n<summary>Reasoning<\/summary>\n\nthinking it over\n\n<\/details>/);
      assert.ok(markdown.indexOf('</details>') < markdown.indexOf('The answer.'));
    });

    it('keeps partial text when the stream fails', () => {
      const state = createAnswerState('Ask', 'work', 'm', STARTED);
      applyEvents(state, [{ type: 'text', text: 'Half an ans' }, { type: 'error', error: error({ code: 'stream.interrupted', message: 'The stream broke.', requestId: 'r1' }) }], STARTED);
      const markdown = renderAnswerMarkdown(state);
      assert.match(markdown, /Half an ans/);
      assert.match(markdown, /\*\*Failed \(stream\.interrupted\):\*\* The stream broke\./);
      assert.match(markdown, /what arrived before the failure/);
      assert.match(markdown, /Request id: `r1`/);
    });

    it('ends as cancelled on a cancelled error event', () => {
      const state = createAnswerState('Ask', 'work', 'm', STARTED);
      applyEvents(state, [{ type: 'text', text: 'Some' }, { type: 'error', error: error({ code: 'cancelled', message: 'The request was cancelled.' }) }], STARTED);
      assert.equal(state.outcome.kind, 'cancelled');
      assert.match(renderAnswerMarkdown(state), /_Cancelled\. The text above is what arrived/);
    });

    it('shows a retry notice while waiting', () => {
      const state = createAnswerState('Ask', 'work', 'm', STARTED);
      applyEvents(state, [{ type: 'retry', attempt: 2, delayMs: 1500, code: 'rate_limited', message: 'slow down' }], STARTED);
      assert.match(renderAnswerMarkdown(state), /Retrying after rate_limited in 2 s \(attempt 2\)/);
    });
  });

  describe('fix buttons', () => {
    it('turns actions into buttons and adds Show Logs', () => {
      assert.deepEqual(fixButtonsFor(error(), false).map((button) => button.title), ['Set API Key', 'Open Docs', 'Show Logs']);
    });

    it('offers Retry only when the action can be rerun', () => {
      const retryable = error({ actions: ['retry', 'showLogs'] });
      assert.deepEqual(fixButtonsFor(retryable, true).map((button) => button.title), ['Retry', 'Show Logs']);
      assert.deepEqual(fixButtonsFor(retryable, false).map((button) => button.title), ['Show Logs']);
    });

    it('shows at most three buttons', () => {
      const many = error({ actions: ['selectModel', 'selectProfile', 'openSettings', 'setApiKey'] });
      assert.equal(fixButtonsFor(many, true).length, 3);
    });

    it('joins the message and the first fix', () => {
      assert.equal(errorNotificationText(error()), 'The key was rejected. Set the key again.');
    });
  });

  describe('API key input', () => {
    const openai = parseProfile({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' });

    it('accepts a plausible key', () => {
      assert.equal(validateApiKeyInput('sk-test-1234567890abcdef', openai), undefined);
    });

    it('rejects white space, quotes and URLs without echoing the key', () => {
      const cases = [' sk-test-1234567890', '"sk-test-1234567890"', 'https://api.openai.com/v1', 'sk-test 1234567890'];
      for (const key of cases) {
        const message = validateApiKeyInput(key, openai);
        assert.ok(message, `accepted ${JSON.stringify(key)}`);
        assert.ok(!message.includes(key.trim()), `message repeats the key: ${message}`);
      }
      assert.match(validateApiKeyInput('https://api.openai.com/v1', openai) ?? '', /looks like a URL/);
      assert.match(validateApiKeyInput('"sk-test-1234567890"', openai) ?? '', /wrapped in quotes/);
    });

    it('asks for a key when the box is empty', () => {
      assert.match(validateApiKeyInput('', openai) ?? '', /Paste the API key/);
    });

    it('stores each profile under its own secret', () => {
      assert.equal(secretKeyFor('work'), 'switchboard.apiKey.work');
    });
  });

  describe('prompts', () => {
    it('takes the code out of a fenced answer', () => {
      assert.equal(extractReplacement('Here it is:\n```ts\nconst a = 1;\n```\nDone.', 'let a = 1;\n'), 'const a = 1;\n');
    });

    it('uses an answer without a fence as it is', () => {
      assert.equal(extractReplacement('\nconst a = 1;\n\n', 'let a = 1;'), 'const a = 1;');
    });

    it('keeps a longer fence that contains a shorter one', () => {
      const answer = '````md\n```js\nx\n```\n````';
      assert.equal(extractReplacement(answer, 'y'), '```js\nx\n```');
    });

    it('fences code with more backticks than it contains', () => {
      const [, user] = explainMessages({ fileName: 'a.md', languageId: 'markdown', text: 'see ```code```', isSelection: true });
      assert.match(user.content, /````markdown\nsee ```code```\n````/);
    });

    it('cuts long context and says so', () => {
      const text = 'x'.repeat(MAX_CONTEXT_CHARACTERS + 10);
      assert.match(limitContext(text), /\[… 10 more characters not sent\]$/);
    });
  });

  describe('crash budget', () => {
    it('allows four restarts in three minutes, then stops', () => {
      const budget = new CrashBudget();
      const results = [0, 1, 2, 3, 4].map((second) => budget.recordCrash(second * 1000));
      assert.deepEqual(results, [true, true, true, true, false]);
    });

    it('forgets crashes older than the window', () => {
      const budget = new CrashBudget(1, 60_000);
      assert.equal(budget.recordCrash(0), true);
      assert.equal(budget.recordCrash(61_000), true);
    });

    it('summarizes stderr by its error line', () => {
      const tail = new LineTail();
      for (const line of ['node:internal/modules/cjs/loader:1210', '  throw err;', "Error: Cannot find module '/x/server.js'", '    at Module._load', '}', '', 'Node.js v20.20.2']) tail.push(line);
      assert.equal(tail.summary(), "Error: Cannot find module '/x/server.js'");
    });

    it('summarizes stderr without an error line by its last line', () => {
      const tail = new LineTail();
      tail.push('starting');
      tail.push('out of memory');
      assert.equal(tail.summary(), 'out of memory');
    });

    it('keeps the last stderr lines', () => {
      const tail = new LineTail(2);
      for (const line of ['a', 'b', 'c']) tail.push(line);
      assert.equal(tail.text, 'b\nc');
    });
  });
});
