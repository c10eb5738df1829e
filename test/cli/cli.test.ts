import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { Engine } from '../../src/engine/engine';
import type { ErrorData } from '../../src/engine/errors';
import type { ChatEvent } from '../../src/engine/types';
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

/** Words of the extension that a command-line user cannot act on. */
const EDITOR_WORDS = /Switchboard: |switchboard\.[a-z]+\.[a-zA-Z]+|in the settings|setting\b/;

/** Gemini's response to a key that is not valid. */
const GEMINI_INVALID_KEY = {
  status: 400,
  body: { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }] } },
};

/** No SSH session, whatever the shell that runs the tests is. */
const NO_SSH = { SSH_CONNECTION: '', SSH_TTY: '' };

/** Returns the `fix:` lines of the error that the command printed on stderr. */
function fixLines(run: CliRun): string[] {
  return run.stderr
    .split('\n')
    .filter((line) => line.startsWith('  fix: '))
    .map((line) => line.slice('  fix: '.length));
}

/** Checks that the command failed with `code` and that no fix line names an editor command or setting. */
function assertCliFailure(run: CliRun, code: string): void {
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`^switchboard: error ${code.replace('.', '\\.')}: `, 'm'));
  assert.ok(fixLines(run).length > 0, `no fix line in: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, EDITOR_WORDS);
}

/** Returns a port on 127.0.0.1 that refuses connections: one a server just let go of. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends one chat request through an in-process engine with VS Code's wording and returns its error. */
async function editorError(profile: Record<string, string>, key: string): Promise<ErrorData> {
  const engine = new Engine();
  try {
    await engine.configure({ profiles: [{ name: 'work', ...profile }] });
    engine.setKey('work', key);
    const events: ChatEvent[] = [];
    for await (const event of engine.chat({ profile: 'work', messages: [{ role: 'user', content: 'hi' }] })) events.push(event);
    const last = events[events.length - 1];
    assert.equal(last?.type, 'error');
    return (last as Extract<ChatEvent, { type: 'error' }>).error;
  } finally {
    await engine.close();
  }
}

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

  // Failures met in the field: a slow local model, fix lines that name editor commands, a
  // loopback base URL in an SSH session, a corrective retry and a rejected key.
  const ollama = () => ['--provider', 'ollama', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2'];

  describe('timeout flags', () => {
    it('first-byte timeout names the local server and the flag', async () => {
      emulator.script({ delayBeforeHeadersMs: 5_000 });
      const run = await runCli(['chat', ...ollama(), '--first-byte-timeout-ms', '500', 'hi'], NO_SSH);

      assertCliFailure(run, 'timeout.first_byte');
      assert.match(run.stderr, new RegExp(`The local server at 127\\.0\\.0\\.1:${emulator.port} sent no response within 0\\.5 s\\.`));
      assert.match(fixLines(run).join('\n'), /--first-byte-timeout-ms/);
    });

    it('idle timeout names its flag', async () => {
      emulator.script({ stallAfterChunks: 2 });
      const run = await runCli(['chat', ...ollama(), '--idle-timeout-ms', '400', 'hi'], NO_SSH);

      assertCliFailure(run, 'timeout.idle');
      assert.match(run.stderr, /stopped sending data for 0\.4 s/);
      assert.match(fixLines(run).join('\n'), /--idle-timeout-ms/);
    });

    it('deadline names its flag', async () => {
      emulator.script({ delayBeforeHeadersMs: 5_000 });
      const run = await runCli(['chat', ...ollama(), '--deadline-ms', '400', 'hi'], NO_SSH);

      assertCliFailure(run, 'timeout.deadline');
      assert.match(run.stderr, /within its 0\.4 s deadline/);
      assert.match(fixLines(run).join('\n'), /--deadline-ms/);
    });

    it('a longer first-byte timeout lets a slow server answer', async () => {
      emulator.script({ delayBeforeHeadersMs: 700 });
      const run = await runCli(['chat', ...ollama(), '--first-byte-timeout-ms', '5000', '--connect-timeout-ms', '2000', 'hi'], NO_SSH);

      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
    });

    const invalid: [string, string][] = [
      ['--connect-timeout-ms', '0x10'],
      ['--first-byte-timeout-ms', '1e3'],
      ['--idle-timeout-ms', '-5'],
      ['--deadline-ms', '99'],
      ['--deadline-ms', '86400001'],
      ['--first-byte-timeout-ms', '2.5'],
    ];
    for (const [flag, value] of invalid) {
      it(`rejects ${flag} ${value}`, async () => {
        const run = await runCli(['chat', ...ollama(), flag, value, 'hi']);

        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`^switchboard: error config\\.invalid: ${flag} is "${value.replace('.', '\\.')}"; it must be a whole number in decimal digits from 100 to 86400000\\.`, 'm'));
        assert.match(run.stderr, new RegExp(`fix: Write it as in ${flag} 600000\\.`));
        assert.equal(emulator.requests.length, 0);
      });
    }

    it('help lists every timeout flag', async () => {
      const run = await runCli(['--help']);

      for (const flag of ['--connect-timeout-ms', '--first-byte-timeout-ms', '--idle-timeout-ms', '--deadline-ms']) {
        assert.match(run.stdout, new RegExp(`${flag} MS`), `help names ${flag}`);
      }
    });
  });

  describe('fix lines in command-line words', () => {
    it('missing key names the variables', async () => {
      await emulator.stop();
      emulator = await Emulator.start({ apiKey: OPENAI_KEY });
      const run = await runCli(['chat', '--provider', 'openai-compatible', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-4o-mini', 'hi']);

      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /^switchboard: error auth\.missing_key: /m);
      assert.match(fixLines(run).join('\n'), /Set SWITCHBOARD_API_KEY \(or SWITCHBOARD_API_KEY_CLI for profile "cli" alone\)/);
      assert.doesNotMatch(run.stderr, EDITOR_WORDS);
    });

    it('unknown model names --model and switchboard models', async () => {
      const run = await runCli(['chat', '--provider', 'openai-compatible', '--base-url', `${emulator.url}/v1`, '--model', 'no-such-model', 'hi']);

      assertCliFailure(run, 'model.not_found');
      assert.match(fixLines(run).join('\n'), /with --model; switchboard models lists/);
    });

    it('diagnose uses the same words', async () => {
      const run = await runCli(['diagnose', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-4o-mini']);

      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stdout, /error auth\.missing_key: /);
      assert.match(run.stdout, /fix: Set OPENAI_API_KEY \(or SWITCHBOARD_API_KEY_CLI for profile "cli" alone\)/);
      assert.doesNotMatch(run.stdout, EDITOR_WORDS);
    });

    it('models errors use the same words', async () => {
      emulator.replayCase('F01');
      const run = await runCli(['models', '--provider', 'openai', '--base-url', `${emulator.url}/v1`], { OPENAI_API_KEY: OPENAI_KEY });

      assertCliFailure(run, 'auth.invalid_key');
      assert.match(fixLines(run).join('\n'), /OPENAI_API_KEY/);
    });
  });

  describe('SSH session with a loopback base URL', () => {
    it('refused connection explains the port forward', async () => {
      const port = await refusedPort();
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'llama3.2', 'hi'], {
        SSH_CONNECTION: '192.0.2.10 50022 192.0.2.20 22',
        SSH_TTY: '',
      });

      assertCliFailure(run, 'network.refused');
      assert.match(run.stderr, /This shell is an SSH session \(SSH_CONNECTION or SSH_TTY is set\), so 127\.0\.0\.1 in the base URL is the remote machine/);
      assert.match(fixLines(run)[0]!, new RegExp(`ssh -R ${port}:127\\.0\\.0\\.1:${port} HOST`));
    });

    it('SSH_TTY alone counts as SSH, in --json too', async () => {
      const port = await refusedPort();
      const run = await runCli(['chat', '--json', '--provider', 'ollama', '--base-url', `http://localhost:${port}/v1`, '--model', 'llama3.2', 'hi'], {
        SSH_CONNECTION: '',
        SSH_TTY: '/dev/pts/3',
      });
      const error = jsonLines(run.stdout).pop()!;

      assert.equal(error.code, 'network.refused');
      assert.match(String(error.message), /SSH session/);
      assert.match((error.fix as string[]).join('\n'), new RegExp(`ssh -R ${port}:127\\.0\\.0\\.1:${port}`));
    });

    it('no hint outside SSH', async () => {
      const port = await refusedPort();
      const run = await runCli(['chat', '--provider', 'ollama', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'llama3.2', 'hi'], NO_SSH);

      assertCliFailure(run, 'network.refused');
      assert.doesNotMatch(run.stderr, /SSH|ssh -R/);
    });
  });

  describe('corrective retry notice', () => {
    it('prints one note on stderr and the answer on stdout', async () => {
      emulator.replayCase('F15');
      const run = await runCli(['chat', '--provider', 'vllm', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', '--max-tokens', '10000', 'hi']);

      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${DEFAULT_ANSWER}\n`);
      const notes = run.stderr.split('\n').filter((line) => line.startsWith('switchboard: note: '));
      assert.equal(notes.length, 1, run.stderr);
      assert.match(notes[0]!, /The prompt \(9591 tokens\) and the output limit \(10000\) exceed the 16384-token context of llama3\.2, so the output limit was lowered to 6629; the request was sent again\./);
    });

    it('prints a correction line in --json', async () => {
      emulator.replayCase('F15');
      const run = await runCli(['chat', '--json', '--provider', 'vllm', '--base-url', `${emulator.url}/v1`, '--model', 'llama3.2', '--max-tokens', '10000', 'hi']);
      const lines = jsonLines(run.stdout);
      const corrections = lines.filter((line) => line.type === 'correction');

      assert.equal(run.status, 0, run.stderr);
      assert.equal(corrections.length, 1);
      assert.equal(corrections[0]!.correction, 'lowerMaxOutputTokens');
      assert.match(String(corrections[0]!.message), /lowered to 6629/);
      assert.equal(lines.indexOf(corrections[0]!), 0, 'the correction comes before the answer');
      assert.equal(lines[lines.length - 1]!.type, 'end');
      assert.equal(run.stderr, '');
    });
  });

  describe('key page in the fix', () => {
    it('OpenAI on the command line', async () => {
      emulator.replayCase('F01');
      const run = await runCli(['chat', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-5', 'hi'], { OPENAI_API_KEY: OPENAI_KEY });

      assertCliFailure(run, 'auth.invalid_key');
      assert.equal(fixLines(run)[0], 'Set OPENAI_API_KEY (or SWITCHBOARD_API_KEY_CLI for profile "cli" alone) to a valid key from https://platform.openai.com/account/api-keys.');
      assert.ok(!run.stderr.includes(OPENAI_KEY), 'the key is not printed');
    });

    it('OpenAI in the editor', async () => {
      emulator.replayCase('F01');
      const error = await editorError({ kind: 'openai', baseUrl: `${emulator.url}/v1`, model: 'gpt-5' }, OPENAI_KEY);

      assert.equal(error.code, 'auth.invalid_key');
      assert.equal(error.fix[0], 'Run "Switchboard: Set API Key" for profile "work" and paste a valid key from https://platform.openai.com/account/api-keys. The standalone server reads OPENAI_API_KEY instead.');
    });

    it('Gemini on the command line', async () => {
      emulator.script(GEMINI_INVALID_KEY);
      const run = await runCli(['chat', '--provider', 'gemini', '--base-url', emulator.url, '--model', 'gemini-2.5-flash', 'hi'], { GEMINI_API_KEY: GEMINI_KEY });

      assertCliFailure(run, 'auth.invalid_key');
      assert.equal(fixLines(run)[0], 'Set GEMINI_API_KEY (or SWITCHBOARD_API_KEY_CLI for profile "cli" alone) to a valid key from https://aistudio.google.com/apikey.');
    });

    it('Gemini in the editor', async () => {
      emulator.script(GEMINI_INVALID_KEY);
      const error = await editorError({ kind: 'gemini', baseUrl: emulator.url, model: 'gemini-2.5-flash' }, GEMINI_KEY);

      assert.equal(error.code, 'auth.invalid_key');
      assert.equal(error.fix[0], 'Run "Switchboard: Set API Key" for profile "work" and paste a valid key from https://aistudio.google.com/apikey. The standalone server reads GEMINI_API_KEY instead.');
    });

    it('other hosts name the host', async () => {
      emulator.replayCase('F01');
      const run = await runCli(['chat', '--provider', 'openai-compatible', '--base-url', `${emulator.url}/v1`, '--model', 'gpt-5', 'hi'], { SWITCHBOARD_API_KEY: OPENAI_KEY });

      assertCliFailure(run, 'auth.invalid_key');
      assert.equal(fixLines(run)[0], `Set SWITCHBOARD_API_KEY (or SWITCHBOARD_API_KEY_CLI for profile "cli" alone) to a valid key for 127.0.0.1:${emulator.port}.`);
    });
  });
});
