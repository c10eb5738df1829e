import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator } from '../emulator/emulator';
import { ensureBundles, REPOSITORY } from '../server/bundles';
import { runCli, type CliRun } from './run-cli';

const OPENAI_KEY = 'sk-proj-CliTestKey0123456789';
const AZURE_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const GEMINI_KEY = 'AIzaSyCliTest-0123456789abcdefghijk';

/** True once the Gemini adapter exports createAdapter in the compiled tree. */
async function geminiAdapterExists(): Promise<boolean> {
  try {
    const module = (await import(path.join(REPOSITORY, 'out/src/engine/providers/gemini/index.js'))) as { createAdapter?: unknown };
    return typeof module.createAdapter === 'function';
  } catch {
    return false;
  }
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Checks the shape of a usage failure: exit 2, the value and the fix on stderr, and a usage hint. */
function assertUsageFailure(run: CliRun, value: RegExp, fix: RegExp): void {
  assert.equal(run.status, 2, run.stderr);
  const [first, ...rest] = run.stderr.trim().split('\n');
  assert.match(first!, /^switchboard: error /);
  assert.match(first!, value);
  assert.match(rest.join('\n'), fix);
  assert.match(run.stderr, /switchboard --help/);
  assert.equal(run.stdout, '');
}

describe('command line', function () {
  this.timeout(20_000);
  let emulator: Emulator;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(async () => {
    emulator = await Emulator.start();
  });

  afterEach(async () => {
    await emulator.stop();
  });

  describe('chat per provider kind', () => {
    it('streams an openai-compatible answer to stdout', async () => {
      const run = await runCli(['chat', '--provider', 'openai-compatible', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-4o-mini', 'hi']);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
      assert.equal(emulator.requests[0]!.json.stream, true);
    });

    it('uses OPENAI_API_KEY for openai', async () => {
      await emulator.stop();
      emulator = await Emulator.start({ apiKey: OPENAI_KEY });
      const run = await runCli(['chat', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-4o-mini', 'hi'], { OPENAI_API_KEY: OPENAI_KEY });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
      assert.equal(emulator.requests[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`);
    });

    it('uses AZURE_OPENAI_API_KEY and the API version for azure-openai', async () => {
      await emulator.stop();
      emulator = await Emulator.start({ apiKey: AZURE_KEY });
      const args = ['chat', '--provider', 'azure-openai', '--base-url', emulator.url, '--model', 'gpt-4o-mini', '--api-version', '2024-10-21', 'hi'];
      const run = await runCli(args, { AZURE_OPENAI_API_KEY: AZURE_KEY });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
      assert.equal(emulator.requests[0]!.path, '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21');
    });

    it('fills the ollama preset', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', 'hi']);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
    });

    it('uses GEMINI_API_KEY for gemini', async function () {
      // NOTE: the Gemini adapter is written separately; until it exports createAdapter this test is pending.
      if (!(await geminiAdapterExists())) this.skip();
      await emulator.stop();
      emulator = await Emulator.start({ apiKey: GEMINI_KEY });
      const run = await runCli(['chat', '--provider', 'gemini', '--base-url', emulator.url, '--model', 'gemini-2.5-flash', 'hi'], { GEMINI_API_KEY: GEMINI_KEY });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
    });

    it('reads the prompt from stdin with -', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', '--system', 'Be brief.', '-'], {}, { stdin: 'Explain this error\nTypeError: x is undefined\n' });
      assert.equal(run.status, 0, run.stderr);
      const messages = emulator.requests[0]!.json.messages;
      assert.deepEqual(messages, [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Explain this error\nTypeError: x is undefined\n' },
      ]);
    });

    it('sends --no-stream, --max-tokens and --temperature', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', '--no-stream', '--max-tokens', '3', '--temperature', '0.5', 'hi']);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, 'Hello from the\n');
      const body = emulator.requests[0]!.json;
      assert.equal(body.stream, false);
      assert.equal(body.max_tokens, 3);
      assert.equal(body.temperature, 0.5);
    });
  });

  describe('--json', () => {
    it('prints text lines and one end line', async () => {
      const run = await runCli(['chat', '--json', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', 'hi']);
      assert.equal(run.status, 0, run.stderr);
      const lines = jsonLines(run.stdout);
      const texts = lines.filter((line) => line.type === 'text');
      assert.equal(texts.map((line) => line.text).join(''), DEFAULT_ANSWER);
      assert.ok(texts.every((line) => Object.keys(line).sort().join(',') === 'text,type'), 'text lines hold type and text');
      const end = lines[lines.length - 1]!;
      assert.equal(end.type, 'end');
      assert.equal(end.finishReason, 'stop');
      assert.deepEqual(end.usage, { inputTokens: 1, outputTokens: 5, reasoningTokens: 0 });
    });

    it('prints an error line after 401', async () => {
      emulator.replayCase('F01');
      const run = await runCli(['chat', '--json', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-5', 'hi'], { OPENAI_API_KEY: OPENAI_KEY });
      assert.equal(run.status, 1);
      const error = jsonLines(run.stdout).pop()!;
      assert.equal(error.type, 'error');
      assert.equal(error.code, 'auth.invalid_key');
      assert.equal(error.retryable, false);
      assert.equal(error.retryAfterMs, null);
      assert.match(String(error.message), /401/);
      assert.ok(Array.isArray(error.fix), 'fix is a list');
      assert.ok(error.fix.length > 0, 'fix is not empty');
      assert.ok(!run.stdout.includes(OPENAI_KEY), 'the key is not printed');
      assert.ok(!run.stderr.includes(OPENAI_KEY), 'the key is not logged');
    });

    it('prints retryAfterMs of a rate limit', async () => {
      emulator.script({ status: 429, headers: { 'retry-after': '120' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
      const run = await runCli(['chat', '--json', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', 'hi']);
      assert.equal(run.status, 1);
      const error = jsonLines(run.stdout).pop()!;
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 120_000);
    });
  });

  describe('models', () => {
    it('lists Ollama models with sizes', async () => {
      const run = await runCli(['models', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`]);
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.ok(lines.includes('llama3.2:latest\t2.0 GB'), run.stdout);
    });

    it('lists models as JSON lines', async () => {
      const run = await runCli(['models', '--json', '--provider', 'openai-compatible', '--base-url', `${emulator.url}/v1`]);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(jsonLines(run.stdout).some((model) => model.id === 'gpt-4o-mini'));
    });
  });

  describe('bad input', () => {
    it('rejects an unknown provider naming it', async () => {
      const run = await runCli(['chat', '--provider', 'anthropic', '--base-url', `${emulator.url}/v1`, '--model', 'm', 'hi']);
      assertUsageFailure(run, /"anthropic"/, /openai-compatible.*ollama/);
      assert.equal(emulator.requests.length, 0);
    });

    it('rejects a malformed base URL naming it', async () => {
      const run = await runCli(['chat', '--provider', 'openai-compatible', '--base-url', 'http://local host:11434/v1', '--model', 'm', 'hi']);
      assertUsageFailure(run, /"http:\/\/local host:11434\/v1"/, /fix: .*http:\/\//);
    });

    it('rejects a base URL without scheme', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', 'localhost:11434/v1', '--model', 'm', 'hi']);
      assertUsageFailure(run, /"localhost:11434\/v1"/, /http:\/\/localhost:11434\/v1/);
    });

    it('rejects a missing key naming the variable', async () => {
      const run = await runCli(['chat', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-4o-mini', 'hi']);
      assertUsageFailure(run, /No API key/, /OPENAI_API_KEY/);
      assert.equal(emulator.requests.length, 0);
    });

    it('rejects a missing prompt', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2']);
      assertUsageFailure(run, /Missing PROMPT/, /"-"/);
    });

    it('rejects an unknown command', async () => {
      const run = await runCli(['talk', 'hi']);
      assertUsageFailure(run, /"talk"/, /chat, models or serve/);
    });

    it('rejects a temperature out of range', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', '--temperature', '7', 'hi']);
      assertUsageFailure(run, /--temperature is "7"/, /switchboard --help/);
    });

    it('prints the usage for --help', async () => {
      const run = await runCli(['--help']);
      assert.equal(run.status, 0);
      assert.match(run.stdout, /^Usage:/);
    });
  });

  describe('--profile with a profiles file', () => {
    let folder: string;
    let file: string;

    beforeEach(() => {
      folder = mkdtempSync(path.join(tmpdir(), 'switchboard-cli-'));
      file = path.join(folder, 'profiles.json');
      writeFileSync(
        file,
        JSON.stringify([
          { name: 'first', preset: 'ollama', baseUrl: `${emulator.url}/v1`, model: 'llama3.2' },
          { name: 'second', kind: 'openai-compatible', baseUrl: `${emulator.url}/v1`, model: 'gpt-4o' },
        ]),
      );
    });

    afterEach(() => {
      rmSync(folder, { recursive: true, force: true });
    });

    it('uses the named profile from SWITCHBOARD_PROFILES', async () => {
      const run = await runCli(['chat', '--profile', 'second', 'hi'], { SWITCHBOARD_PROFILES: file });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
      assert.equal(emulator.requests[0]!.json.model, 'gpt-4o');
    });

    it('uses the first profile without --profile', async () => {
      const run = await runCli(['chat', 'hi'], { SWITCHBOARD_PROFILES: file });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(emulator.requests[0]!.json.model, 'llama3.2');
    });

    it('overrides the profile\'s model with --model', async () => {
      const run = await runCli(['chat', '--profile', 'second', '--model', 'gpt-4o-mini', 'hi'], { SWITCHBOARD_PROFILES: file });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(emulator.requests[0]!.json.model, 'gpt-4o-mini');
    });

    it('rejects an unknown profile naming the known ones', async () => {
      const run = await runCli(['chat', '--profile', 'third', 'hi'], { SWITCHBOARD_PROFILES: file });
      assertUsageFailure(run, /"third"/, /first, second/);
    });
  });
});
