// Checks the manifest's walkthrough, its pages and images, the %key% strings of package.json,
// and that l10n/bundle.l10n.json contains every message of the sources.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { formatMessage } from '../../src/extension/l10n';

const run = promisify(execFile);

/** The repository root: this file runs as out/test/unit/*.js. */
const ROOT = path.resolve(__dirname, '../../..');

interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string };
  completionEvents?: string[];
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const strings: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8'));
const walkthrough = manifest.contributes.walkthroughs.find((entry: { id: string }) => entry.id === 'switchboard.gettingStarted');
const steps: WalkthroughStep[] = walkthrough?.steps ?? [];
const commands = new Set<string>(manifest.contributes.commands.map((entry: { command: string }) => entry.command));

/** Returns the text of a `%key%` manifest string, or the value itself. */
function text(value: string): string {
  const key = /^%(.+)%$/.exec(value)?.[1];
  return key === undefined ? value : strings[key];
}

describe('extension walkthrough and l10n', () => {
  describe('walkthrough manifest', () => {
    it('has the six steps in order', () => {
      assert.deepEqual(
        steps.map((step) => step.id),
        ['chooseProvider', 'connect', 'checkConnection', 'firstAction', 'troubleshooting', 'sendFeedback'],
      );
    });

    it('gives each step a page with an existing image', () => {
      for (const step of steps) {
        assert.ok(step.media.markdown, `${step.id}: no markdown page`);
        const page = path.join(ROOT, step.media.markdown);
        assert.ok(existsSync(page), `${step.id}: page ${step.media.markdown} is missing`);
        const images = [...readFileSync(page, 'utf8').matchAll(/!\[([^\]]*)\]\(([^)]+)\)/g)];
        assert.ok(images.length > 0, `${step.id}: the page has no image`);
        for (const [, alt, source] of images) {
          assert.ok(alt.trim().length > 0, `${step.id}: image ${source} has no alt text`);
          assert.ok(existsSync(path.resolve(path.dirname(page), source)), `${step.id}: image ${source} is missing`);
        }
      }
    });

    it('gives each step buttons for contributed commands', () => {
      for (const step of steps) {
        const description = text(step.description);
        const buttons = [...description.matchAll(/^\[[^\]]+\]\(command:([\w.]+)/gm)].map((match) => match[1]);
        assert.ok(buttons.length > 0, `${step.id}: no button line in "${description}"`);
        for (const command of buttons) assert.ok(commands.has(command), `${step.id}: ${command} is not a contributed command`);
      }
    });

    it('gives each step a completion event', () => {
      for (const step of steps) {
        const events = step.completionEvents ?? [];
        assert.ok(events.length > 0, `${step.id}: no completion event`);
        for (const event of events) assert.match(event, /^(onCommand|onContext|onSettingChanged|onLink):\S+$/, step.id);
      }
    });

    it('defines every %key% string', () => {
      const keys = [...JSON.stringify(manifest).matchAll(/"%([^%"]+)%"/g)].map((match) => match[1]);
      assert.ok(keys.length > 0);
      assert.deepEqual(keys.filter((key) => strings[key] === undefined), []);
    });

    it('ships l10n, walkthroughs and the guides', () => {
      assert.equal(manifest.l10n, './l10n');
      const ignore = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
      for (const entry of ['!l10n/**', '!walkthroughs/**', '!media/**', '!docs/privacy.md', '!docs/troubleshooting.md']) {
        assert.ok(ignore.includes(entry), `.vscodeignore lacks ${entry}`);
      }
    });
  });

  describe('l10n', () => {
    it('fills positional placeholders', () => {
      assert.equal(formatMessage('Profile "{0}" uses {1}.', 'local', 'llama3.2'), 'Profile "local" uses llama3.2.');
      assert.equal(formatMessage('{0} ms', 42), '42 ms');
    });

    it('leaves other braces alone', () => {
      assert.equal(formatMessage('Write it as {"name": "local"}.'), 'Write it as {"name": "local"}.');
      assert.equal(formatMessage('{0} of {"a": 1} and {2}', 'x'), 'x of {"a": 1} and {2}');
    });

    it('bundle is up to date', async function () {
      this.timeout(20_000);
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts/l10n-bundle.mjs'), '--check'], { cwd: ROOT });
      assert.match(stdout, /is up to date \(\d+ messages\)/);
    });
  });
});
