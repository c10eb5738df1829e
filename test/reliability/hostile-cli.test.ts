/**
 * Hostile command-line arguments and profile files: through the built CLI for each known
 * defect, and unit-level with generated input. Bad input exits with status 2 and a message
 * naming the flag or the file field, never a stack trace.
 */

import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import fc from 'fast-check';

import { parseCliArguments } from '../../src/cli/args';
import { isSwitchboardError } from '../../src/engine/errors';
import { parseProfile, presetNames, type ProfileInput } from '../../src/engine/profiles';
import { readProfilesFile } from '../../src/engine/standalone-config';
import { runCli, type CliRun } from '../cli/run-cli';
import { ensureBundles } from '../server/bundles';
import { recordScenario } from './record';

/** A line of a JavaScript stack trace, which the CLI must never print for bad input. */
const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

function assertUsageError(run: CliRun, message: RegExp): void {
  assert.equal(run.status, 2, `exit status ${run.status}, stderr: ${run.stderr}`);
  assert.match(run.stderr, /^switchboard: error config\.[a-z_]+: /, run.stderr);
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, STACK_LINE, 'stderr contains a stack trace');
  assert.doesNotMatch(run.stderr, /\.\.(\n|$)/m, 'a message ends in ".."');
}

/** Fails unless `action` throws a SwitchboardError with one of `codes`, and returns it. */
function thrownBy(action: () => unknown, codes: readonly string[] = ['config.invalid']): Error & { code: string; fix: string[] } {
  try {
    action();
  } catch (error) {
    assert.ok(isSwitchboardError(error), `expected a SwitchboardError, got ${error instanceof Error ? error.stack : String(error)}`);
    assert.ok(codes.includes(error.code), `expected one of ${codes.join(', ')}, got ${error.code}: ${error.message}`);
    return error;
  }
  assert.fail('expected an error');
}

/** Starts a TCP server that accepts connections, never responds, and reports the first connection. */
async function startSilentServer(): Promise<{ port: number; connected: Promise<void>; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let onConnection!: () => void;
  const connected = new Promise<void>((resolve) => {
    onConnection = resolve;
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connected,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('hostile command-line input', function () {
  this.timeout(60_000);
  let directory: string;

  before(async () => {
    await ensureBundles();
    directory = mkdtempSync(path.join(os.tmpdir(), 'switchboard-hostile-cli-'));
  });

  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function profilesFile(name: string, content: unknown): string {
    const file = path.join(directory, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  describe('built CLI', () => {
    for (const provider of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      it(`rejects --provider ${provider}`, async () => {
        const run = await runCli(['chat', '--provider', provider, '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', 'hi']);
        assertUsageError(run, new RegExp(`Unknown provider kind "${provider}" for --provider, expected one of: openai, .*ollama`));
        recordScenario({ suite: 'hostile', scenario: `--provider ${provider}` });
      });
    }

    for (const value of ['0x10', '1e3', '-1', '1.5', '+7', ' 7', '0', '1000001', '']) {
      it(`rejects --max-tokens "${value}"`, async () => {
        const run = await runCli(['chat', '--provider', 'ollama', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--max-tokens', value, 'hi']);
        assertUsageError(run, new RegExp(`--max-tokens is "${value.replace(/[+.]/g, '\\$&')}"; it must be a whole number in decimal digits from 1 to 1000000\\.\\n`));
      });
    }

    it('rejects --temperature -1 naming the option', async () => {
      const run = await runCli(['chat', '--provider', 'ollama', '--model', 'm', '--temperature', '-1', 'hi']);
      assertUsageError(run, /--temperature is "-1"; it must be a decimal number from 0 to 2\./);
    });

    it('rejects an unknown option with one full stop', async () => {
      const run = await runCli(['chat', '--bogus', 'hi']);
      assertUsageError(run, /Unknown option '--bogus'/);
    });

    it('rejects credentials in --base-url with the password masked', async () => {
      const run = await runCli(['chat', '--provider', 'openai-compatible', '--base-url', 'http://alice:Secret-Pass-42@127.0.0.1:1/v1', '--model', 'm', 'hi']);
      assertUsageError(run, /error config\.base_url: The base URL "http:\/\/alice:\*\*\*\*@127\.0\.0\.1:1\/v1" in --base-url contains a user name or password/);
      assert.match(run.stderr, /SWITCHBOARD_API_KEY/);
      assert.match(run.stderr, /headers/);
      assert.ok(!run.stderr.includes('Secret-Pass-42'), 'the password is printed');
      recordScenario({ suite: 'hostile', scenario: 'credentials in --base-url' });
    });

    for (const preset of ['__proto__', 'constructor', 'toString']) {
      it(`rejects the preset "${preset}" in a profile file`, async () => {
        const file = profilesFile(`preset-${preset}.json`, `[{"name": "p", "preset": "${preset}", "model": "m"}]`);
        const run = await runCli(['chat', '--profiles', file, 'hi']);
        assertUsageError(run, new RegExp(`Unknown preset "${preset}" in .*preset-${preset}\\.json\\[0\\]\\.preset`));
        assert.match(run.stderr, /fix: Use one of: openai, .*ollama/);
      });
    }

    const fileCases: Array<{ name: string; content: unknown; message: RegExp }> = [
      { name: 'not JSON', content: '[{"name": ', message: /is not valid JSON/ },
      { name: 'an object without profiles', content: { profile: [] }, message: /must be an array of profile objects/ },
      { name: 'a string entry', content: ['local'], message: /Profile 0 in .* is "local", not a profile object/ },
      { name: 'a key in the file', content: [{ name: 'p', preset: 'ollama', model: 'm', apiKey: 'sk-hostile' }], message: /Profile 0 in .* contains an API key/ },
      { name: 'a number as base URL', content: [{ name: 'p', kind: 'openai-compatible', baseUrl: 42, model: 'm' }], message: /\[0\]\.baseUrl \(profile "p"\) is 42 \(a number\); it must be a string/ },
      { name: 'an unknown kind', content: [{ name: 'p', kind: 'anthropic', model: 'm' }], message: /Unknown provider kind "anthropic" in .*\[0\]\.kind/ },
      { name: 'a missing name', content: [{ preset: 'ollama', model: 'm' }], message: /Missing .*\[0\]\.name/ },
      { name: 'a megabyte model', content: [{ name: 'p', preset: 'ollama', model: 'm' }, { name: 'q', preset: 'ollama', model: ['x'.repeat(1 << 20)] }], message: /\[1\]\.model \(profile "q"\) is \["x+… \(\d+ characters\) \(an array\); it must be a string/ },
      { name: 'a Host header', content: [{ name: 'p', preset: 'ollama', model: 'm', headers: { Host: 'evil' } }], message: /The header "Host" in .*\[0\]\.headers .*cannot be set/ },
      { name: 'credentials in the base URL', content: [{ name: 'p', kind: 'openai-compatible', baseUrl: 'http://u:pw-hostile@127.0.0.1:1/v1', model: 'm' }], message: /u:\*\*\*\*@.*\[0\]\.baseUrl/ },
    ];
    for (const { name, content, message } of fileCases) {
      it(`rejects a profile file with ${name}`, async () => {
        const file = profilesFile(`${name.replace(/\W+/g, '-')}.json`, content);
        const run = await runCli(['chat', '--profiles', file, 'hi']);
        assertUsageError(run, message);
        assert.ok(run.stderr.length < 4000, `stderr has ${run.stderr.length} characters`);
        assert.ok(!run.stderr.includes('pw-hostile'), 'a password is printed');
      });
    }

    for (const command of ['chat', 'diagnose']) {
      it(`rejects duplicate names in ${command}`, async () => {
        const file = profilesFile(`duplicate-${command}.json`, [
          { name: 'local', preset: 'ollama', model: 'm' },
          { name: ' local ', preset: 'ollama', model: 'm' },
        ]);
        const run = await runCli(command === 'chat' ? ['chat', '--profiles', file, 'hi'] : ['diagnose', '--profiles', file]);
        assertUsageError(run, /Two profiles in .* are named "local"/);
      });
    }

    for (const [signal, status] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      it(`ends detect on ${signal} with ${status}`, async () => {
        const server = await startSilentServer();
        try {
          const ports = { ollama: server.port, lmstudio: server.port, llamacpp: server.port, vllm: server.port };
          const run = await runCli(['detect'], { SWITCHBOARD_DETECT_PORTS: JSON.stringify(ports) }, { onStart: (child) => void server.connected.then(() => child.kill(signal)) });
          assert.equal(run.status, status, run.stderr);
          assert.match(run.stderr, /detect was cancelled/);
          recordScenario({ suite: 'hostile', scenario: `detect ended by ${signal}` });
        } finally {
          await server.stop();
        }
      });

      it(`ends diagnose on ${signal} with ${status}`, async () => {
        const server = await startSilentServer();
        try {
          const run = await runCli(['diagnose', '--provider', 'openai-compatible', '--base-url', `http://127.0.0.1:${server.port}/v1`, '--model', 'm'], {}, { onStart: (child) => void server.connected.then(() => child.kill(signal)) });
          assert.equal(run.status, status, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
          assert.doesNotMatch(run.stderr, STACK_LINE);
          recordScenario({ suite: 'hostile', scenario: `diagnose ended by ${signal}` });
        } finally {
          await server.stop();
        }
      });
    }
  });

  describe('argument parser', () => {
    const flags = ['--profile', '--profiles', '--provider', '--base-url', '--model', '--api-version', '--system', '--max-tokens', '--temperature', '--no-stream', '--json', '--skip-completion', '--stdio', '--help', '--version', '--', '-'];
    const word = fc.oneof(fc.constantFrom(...flags, 'chat', 'models', 'detect', 'diagnose', 'serve', '__proto__', 'constructor'), fc.string({ maxLength: 12 }));

    it('returns arguments or config.invalid for any argv', () => {
      fc.assert(
        fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
          try {
            parseCliArguments(argv);
          } catch (error) {
            assert.ok(isSwitchboardError(error), `argv ${JSON.stringify(argv)} threw ${error instanceof Error ? error.stack : String(error)}`);
            assert.equal(error.code, 'config.invalid');
            assert.doesNotMatch(error.message, /\.\.$/, error.message);
            assert.ok(error.fix.length > 0, 'the error has a fix');
          }
        }),
        { numRuns: 2000 },
      );
      recordScenario({ suite: 'hostile', scenario: 'generated argv' });
    });

    it('accepts --max-tokens only in decimal digits', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String), fc.double().map(String)), (value) => {
          const valid = /^[0-9]+$/.test(value) && Number(value) >= 1 && Number(value) <= 1_000_000;
          let parsed: number | undefined;
          try {
            parsed = parseCliArguments(['chat', `--max-tokens=${value}`, 'hi']).maxTokens;
          } catch (error) {
            assert.ok(!valid, `--max-tokens=${value} was rejected: ${(error as Error).message}`);
            assert.match((error as Error).message, /^--max-tokens is ".*"; it must be a whole number in decimal digits from 1 to 1000000\.$/s);
            return;
          }
          assert.ok(valid, `--max-tokens=${value} was accepted as ${parsed}`);
          assert.equal(parsed, Number(value));
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('profile parser', () => {
    const field = fc.oneof(fc.anything({ maxDepth: 2 }), fc.string({ maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'http://u:p@127.0.0.1/v1', 'localhost:11434', 'ftp://x', ''));
    const input: fc.Arbitrary<ProfileInput> = fc.record(
      {
        name: fc.oneof(field, fc.constantFrom('local')),
        kind: fc.oneof(field, fc.constantFrom('openai', 'gemini', 'azure-openai', 'openai-compatible')),
        preset: fc.oneof(field, fc.constantFrom(...presetNames())),
        baseUrl: fc.oneof(field, fc.constantFrom('http://127.0.0.1:11434/v1', 'https://example.invalid/v1')),
        model: fc.oneof(field, fc.constantFrom('llama3.2')),
        apiVersion: field,
        headers: fc.oneof(field, fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 12 }), fc.anything({ maxDepth: 1 })), { maxKeys: 4 })),
      },
      { requiredKeys: [] },
    );

    it('returns a profile or a coded error naming the field', () => {
      fc.assert(
        fc.property(input, (profile) => {
          let parsed;
          try {
            parsed = parseProfile(profile, 'profiles.json[3]');
          } catch (error) {
            assert.ok(isSwitchboardError(error), `${JSON.stringify(profile)} threw ${error instanceof Error ? error.stack : String(error)}`);
            assert.ok(['config.invalid', 'config.base_url'].includes(error.code), error.code);
            assert.match(error.message, /profiles\.json\[3\]\.(name|kind|preset|baseUrl|model|apiVersion|headers)/, error.message);
            assert.ok(error.fix.length > 0 && error.fix.every((fix) => fix.length > 0), `no fix for: ${error.message}`);
            return;
          }
          assert.equal(typeof parsed.name, 'string');
          assert.equal(typeof parsed.baseUrl, 'string');
          assert.equal(typeof parsed.model, 'string');
          assert.ok(!new URL(parsed.baseUrl).username, 'credentials stay in the base URL');
        }),
        { numRuns: 3000 },
      );
      recordScenario({ suite: 'hostile', scenario: 'generated profiles' });
    });

    it('keeps messages short for megabyte values', () => {
      const huge = 'x'.repeat(4 << 20);
      for (const profile of [
        { name: huge, preset: 'ollama', model: 'm', headers: 5 },
        { name: 'p', preset: huge, model: 'm' },
        { name: 'p', kind: huge, model: 'm' },
        { name: 'p', kind: 'openai-compatible', baseUrl: `http://${huge}`, model: 'm' },
        { name: 'p', kind: 'openai-compatible', baseUrl: huge, model: 'm' },
        { name: 'p', preset: 'ollama', model: 'm', headers: { 'X-Big': huge } },
        { name: 'p', preset: 'ollama', model: 'm', headers: { [huge]: 'v' } },
        { name: 'p', preset: 'ollama', model: 'm', apiVersion: [huge] },
      ]) {
        const error = thrownBy(() => parseProfile(profile, 'switchboard.profiles[0]'), ['config.invalid', 'config.base_url']);
        assert.ok(error.message.length < 600, `a message of ${error.message.length} characters: ${error.message.slice(0, 200)}`);
        assert.ok(error.fix.join(' ').length < 600, `a fix of ${error.fix.join(' ').length} characters`);
      }
    });

    it('reads generated profile files or raises config.invalid', () => {
      const file = path.join(directory, 'generated.json');
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)), fc.string({ maxLength: 40 })), (text) => {
          writeFileSync(file, text);
          try {
            const profiles = readProfilesFile(file);
            assert.ok(Array.isArray(profiles));
          } catch (error) {
            assert.ok(isSwitchboardError(error), `${text} threw ${error instanceof Error ? error.stack : String(error)}`);
            assert.equal(error.code, 'config.invalid');
            assert.ok(error.message.includes(file), `the message does not name the file: ${error.message}`);
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});
