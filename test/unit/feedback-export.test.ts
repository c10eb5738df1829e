import * as assert from 'node:assert/strict';

import { buildConnectionReport, RecentErrors, renderConnectionReport } from '../../src/extension/feedback/connection-report';
import { countFeedback, csvField, feedbackToCsv, feedbackToJson, renderFeedbackSummary } from '../../src/extension/feedback/feedback-export';
import { renderFeedbackHtml, type FeedbackLabels } from '../../src/extension/feedback/feedback-html';
import { issuePageUrl, renderIssue } from '../../src/extension/feedback/feedback-issue';
import { RECORD_VERSION, type AnswerRating, type ConnectionReport, type FormFeedback } from '../../src/extension/feedback/feedback-record';
import type { StoredFeedback } from '../../src/extension/feedback/feedback-store';

/** Fills `{0}`-style placeholders like vscode.l10n.t does for English. */
const english = { t: (message: string, ...args: (string | number | boolean)[]) => message.replace(/\{(\d+)\}/g, (_, index: string) => String(args[Number(index)])) };

const REPORT: ConnectionReport = {
  extensionVersion: '0.1.0',
  editor: 'Visual Studio Code 1.100.3',
  platform: 'linux x64',
  profile: { kind: 'openai', host: 'api.openai.com', model: 'gpt-4o-mini' },
  status: 'authError',
  serverPhase: 'running',
  recentErrors: [
    { code: 'auth.invalid_key', count: 2, lastSeen: '2026-01-01T11:00:00.000Z' },
    { code: 'network.refused', count: 1, lastSeen: '2026-01-01T10:00:00.000Z' },
  ],
};

function form(id: string, change: Partial<FormFeedback> = {}): FormFeedback {
  return { v: RECORD_VERSION, type: 'form', id, createdAt: '2026-01-01T12:00:00.000Z', extensionVersion: '0.1.0', kind: 'connection', rating: 2, message: 'It fails.', ...change };
}

function rating(id: string, helpful: boolean): AnswerRating {
  return { v: RECORD_VERSION, type: 'answerRating', id, createdAt: '2026-01-01T12:00:00.000Z', extensionVersion: '0.1.0', helpful, answerId: 'a1b2c3', profile: 'work', model: 'gpt-4o-mini', command: 'Ask', outcome: 'finished' };
}

/** Splits RFC 4180 CSV into rows of fields, so the test reads what a spreadsheet would. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index++;
    } else field += char;
  }
  return rows;
}

describe('feedback export', () => {
  describe('CSV', () => {
    it('quotes commas, quotes and line breaks', () => {
      assert.equal(csvField('plain'), 'plain');
      assert.equal(csvField('a,b'), '"a,b"');
      assert.equal(csvField('say "hi"'), '"say ""hi"""');
      assert.equal(csvField('two\nlines'), '"two\nlines"');
      assert.equal(csvField('cr\rhere'), '"cr\rhere"');
      assert.equal(csvField(undefined), '');
      assert.equal(csvField(3), '3');
      assert.equal(csvField(false), 'false');
    });

    it('keeps spreadsheets from running text as formulas', () => {
      assert.equal(csvField('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
      assert.equal(csvField('+1'), "'+1");
      assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    });

    it('writes one row per record that parses back', () => {
      const tricky = 'Line one, with a comma\nLine "two"\r\n=cmd';
      const entries: StoredFeedback[] = [
        { record: form('f1', { message: tricky, contact: 'a@b.c', diagnostics: REPORT }), delivery: { v: RECORD_VERSION, id: 'f1', status: 'delivered', at: '2026-01-01T12:01:00.000Z' } },
        { record: rating('r1', true) },
      ];
      const csv = feedbackToCsv(entries);
      assert.ok(csv.endsWith('\r\n'));
      const rows = parseCsv(csv);
      assert.equal(rows.length, 3);
      const header = rows[0];
      const first = Object.fromEntries(header.map((name, index) => [name, rows[1][index]]));
      assert.equal(first.message, tricky);
      assert.equal(first.errorCodes, 'auth.invalid_key network.refused');
      assert.equal(first.deliveryStatus, 'delivered');
      assert.equal(first.profileHost, 'api.openai.com');
      const second = Object.fromEntries(header.map((name, index) => [name, rows[2][index]]));
      assert.equal(second.helpful, 'true');
      assert.equal(second.deliveryStatus, 'pending');
      assert.equal(second.answerId, 'a1b2c3');
    });
  });

  it('JSON contains every record with its delivery', () => {
    const json = JSON.parse(feedbackToJson([{ record: form('f1') }, { record: rating('r1', false), delivery: { v: RECORD_VERSION, id: 'r1', status: 'keptLocally', at: 'now' } }]));
    assert.equal(json.length, 2);
    assert.equal(json[0].message, 'It fails.');
    assert.equal(json[1].delivery.status, 'keptLocally');
  });

  describe('summary', () => {
    const entries: StoredFeedback[] = [
      { record: form('1', { kind: 'connection', rating: 1, diagnostics: REPORT }) },
      { record: form('2', { kind: 'connection', rating: 2, diagnostics: { ...REPORT, recentErrors: [REPORT.recentErrors[0]] } }) },
      { record: form('3', { kind: 'idea', rating: 5 }) },
      { record: rating('4', true) },
      { record: rating('5', false) },
    ];

    it('counts by kind, rating and error code', () => {
      const counts = countFeedback(entries);
      assert.equal(counts.byKind.get('connection'), 2);
      assert.equal(counts.byKind.get('idea'), 1);
      assert.equal(counts.byRating.get(1), 1);
      assert.equal(counts.byRating.get(5), 1);
      assert.equal(counts.byErrorCode.get('auth.invalid_key'), 2);
      assert.equal(counts.byErrorCode.get('network.refused'), 1);
      assert.equal(counts.helpful, 1);
      assert.equal(counts.notHelpful, 1);
      assert.equal(counts.pending, 5);
    });

    it('ranks error codes by count in Markdown', () => {
      const markdown = renderFeedbackSummary(entries, english);
      assert.match(markdown, /^# Switchboard Feedback Summary\n/);
      assert.match(markdown, /5 stored item\(s\): 3 form submission\(s\) and 2 answer rating\(s\)\. 5 not delivered yet\./);
      assert.match(markdown, /\| connection \| 2 \|/);
      assert.ok(markdown.indexOf('`auth.invalid_key` | 2') < markdown.indexOf('`network.refused` | 1'), markdown);
      assert.match(markdown, /\| Not helpful \| 1 \|/);
    });
  });

  describe('connection report', () => {
    it('keeps only the host and masks every key', () => {
      const key = 'sk-proj-abcdefghijklmnop0123456789';
      const custom = 'my-local-secret-value';
      const report = buildConnectionReport(
        {
          extensionVersion: '0.1.0',
          editor: 'VS Code',
          platform: 'linux x64',
          profile: { kind: 'openai-compatible', baseUrl: `https://user:${custom}@llm.internal:8443/v1?key=${custom}`, model: 'm' },
          status: 'degraded',
          serverPhase: 'running',
          recentErrors: [],
          doctorProblem: `The connection doctor failed: auth.invalid_key: key ${key} and ${custom} rejected`,
        },
        [key, custom],
      );
      const text = renderConnectionReport(report);
      assert.equal(report.profile?.host, 'llm.internal:8443');
      assert.ok(!text.includes(key), text);
      assert.ok(!text.includes(custom), text);
      assert.ok(!text.includes('/v1'), text);
      assert.match(text, /\*\*\*\*/);
    });

    it('counts each new error code once per change', () => {
      const errors = new RecentErrors();
      errors.observe('work', 'rate_limited', Date.parse('2026-01-01T10:00:00Z'));
      errors.observe('work', 'rate_limited', Date.parse('2026-01-01T10:00:01Z'));
      errors.observe('work', undefined);
      errors.observe('work', 'rate_limited', Date.parse('2026-01-01T10:05:00Z'));
      errors.observe('local', 'network.refused', Date.parse('2026-01-01T10:06:00Z'));
      assert.deepEqual(errors.list(), [
        { code: 'network.refused', count: 1, lastSeen: '2026-01-01T10:06:00.000Z' },
        { code: 'rate_limited', count: 2, lastSeen: '2026-01-01T10:05:00.000Z' },
      ]);
    });
  });

  describe('issue', () => {
    it('prefills title and body, shortened in a URL', () => {
      const record = form('f1', { message: `Connection fails every morning\n${'details '.repeat(600)}`, diagnostics: REPORT });
      const issue = renderIssue(record, english);
      assert.equal(issue.title, '[connection] Connection fails every morning');
      assert.match(issue.body, /- Rating: 2 of 5/);
      assert.match(issue.body, /```json\n\{/);

      const url = new URL(issuePageUrl(new URL('https://issues.example.com/new?template=bug.md'), issue, english));
      assert.equal(url.searchParams.get('template'), 'bug.md');
      assert.equal(url.searchParams.get('title'), issue.title);
      assert.match(url.searchParams.get('body') ?? '', /\(Shortened; the full text is in Switchboard: Export Feedback\.\)/);
      assert.ok(url.toString().length < 8000, `URL of ${url.toString().length} characters`);
    });
  });

  describe('form HTML', () => {
    const labels: FeedbackLabels = {
      title: 'Send <Feedback>',
      intro: 'i',
      kindLegend: 'k',
      kinds: { bug: 'Bug', connection: 'C', performance: 'P', documentation: 'D', idea: 'I' },
      ratingLegend: 'Rating',
      ratings: ['1, poor', '2', '3', '4', '5, excellent'],
      message: 'Message',
      messageHint: 'h',
      contact: 'Contact',
      contactHint: 'h',
      attachDiagnostics: 'Attach diagnostics',
      diagnosticsHint: 'h',
      diagnosticsLoading: 'Loading',
      submit: 'Send',
      messageRequired: 'Write "a" message',
      ratingRequired: 'r',
      saving: 's',
    };
    const html = renderFeedbackHtml({ cspSource: 'https://webview.test', nonce: 'bm9uY2U=', scriptUri: 'https://webview.test/feedback.js', styleUri: 'https://webview.test/feedback.css', labels, language: 'en' });

    it('sets a strict Content-Security-Policy with the nonce', () => {
      assert.match(html, /content="default-src 'none'; script-src 'nonce-bm9uY2U='; style-src https:\/\/webview\.test; img-src https:\/\/webview\.test"/);
      assert.match(html, /<script nonce="bm9uY2U=" src="https:\/\/webview\.test\/feedback\.js"><\/script>/);
      assert.equal((html.match(/<script/g) ?? []).length, 1);
      assert.ok(!/style="/.test(html), 'inline style attributes would be blocked by the policy');
    });

    it('groups the rating in a fieldset with a legend and escapes labels', () => {
      assert.match(html, /<fieldset class="field rating"[^>]*>\n<legend>Rating<\/legend>/);
      assert.equal((html.match(/type="radio" name="rating"/g) ?? []).length, 5);
      assert.match(html, /aria-label="1, poor"/);
      assert.match(html, /<title>Send &lt;Feedback&gt;<\/title>/);
      assert.match(html, /data-message-required="Write &quot;a&quot; message"/);
      assert.match(html, /role="status" aria-live="polite"/);
    });
  });
});
