import * as assert from 'node:assert/strict';
import * as net from 'node:net';

import { Emulator, type EmulatorIdentity } from '../emulator/emulator';
import { OLLAMA_VERSION } from '../emulator/ollama';
import { detectServersRequest } from '../../src/protocol/protocol';
import { ensureBundles } from '../server/bundles';
import { runCli } from './run-cli';
import { startLanguageServer } from '../server/language-server';

/** Returns a port that was free a moment ago, because a server took it and let it go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);

describe('detect command', function () {
  this.timeout(30_000);
  const emulators: Emulator[] = [];
  /** Every kind on a closed port, so servers on this machine's default ports cannot respond. */
  let nothing: Record<EmulatorIdentity, number>;

  before(async () => {
    await ensureBundles();
    const closed = await closedPort();
    nothing = { ollama: closed, lmstudio: closed, llamacpp: closed, vllm: closed };
  });

  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
  });

  async function startEmulator(identity: EmulatorIdentity): Promise<Emulator> {
    const emulator = await Emulator.start({ identity, models: ['llama3.2', 'qwen2.5-coder'] });
    emulators.push(emulator);
    return emulator;
  }

  /** SWITCHBOARD_DETECT_PORTS for the given emulators, with every other kind on a closed port. */
  function portsVariable(ports: Partial<Record<EmulatorIdentity, number>>): Record<string, string> {
    return { SWITCHBOARD_DETECT_PORTS: JSON.stringify({ ...nothing, ...ports }) };
  }

  it('prints one JSON line per detected server with --json', async () => {
    const ollama = await startEmulator('ollama');
    const vllm = await startEmulator('vllm');
    const run = await runCli(['detect', '--json'], portsVariable({ ollama: ollama.port, vllm: vllm.port }));

    assert.equal(run.status, 0, run.stderr);
    const servers = jsonLines(run.stdout);
    assert.deepEqual(
      servers.map((server) => server.server),
      ['ollama', 'vllm'],
    );
    assert.equal(servers[0]!.baseUrl, `http://127.0.0.1:${ollama.port}/v1`);
    assert.equal(servers[0]!.version, OLLAMA_VERSION);
    assert.equal(servers[0]!.models.length, 2);
    assert.deepEqual(servers[1]!.suggestedProfile, { name: `vllm-local-${vllm.port}`, preset: 'vllm', baseUrl: `http://127.0.0.1:${vllm.port}/v1`, model: 'llama3.2' });
  });

  it('prints label, URL, version, model count and profile per line', async () => {
    const lmStudio = await startEmulator('lmstudio');
    const run = await runCli(['detect'], portsVariable({ lmstudio: lmStudio.port }));

    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const [label, baseUrl, version, count, profile] = lines[0]!.split('\t');
    assert.equal(label, 'LM Studio');
    assert.equal(baseUrl, `http://127.0.0.1:${lmStudio.port}/v1`);
    assert.equal(version, 'version unknown');
    assert.equal(count, '2 models');
    assert.deepEqual(JSON.parse(profile!.replace(/^profile /, '')), { name: `lmstudio-local-${lmStudio.port}`, preset: 'lmstudio', baseUrl: `http://127.0.0.1:${lmStudio.port}/v1`, model: 'llama3.2' });
    assert.match(run.stderr, /switchboard\.profiles/);
  });

  it('says how to start a server when none is found', async () => {
    const run = await runCli(['detect'], portsVariable({}));

    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^No local model server was found on 127\.0\.0\.1/);
    assert.match(run.stdout, /ollama serve/);
    assert.match(run.stdout, /lms server start/);
  });

  it('keeps stdout empty with --json when none is found', async () => {
    const run = await runCli(['detect', '--json'], portsVariable({}));

    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /No local model server was found/);
  });

  it('detects with a dead proxy in the environment', async () => {
    const ollama = await startEmulator('ollama');
    const deadProxy = `http://127.0.0.1:${nothing.ollama}`;
    const run = await runCli(['detect', '--json'], { ...portsVariable({ ollama: ollama.port }), HTTPS_PROXY: deadProxy, HTTP_PROXY: deadProxy });

    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      jsonLines(run.stdout).map((server) => server.server),
      ['ollama'],
    );
  });

  const badVariables: Array<[string, string, RegExp]> = [
    ['text that is not JSON', '{ollama: 1}', /not valid JSON/],
    ['an unknown server', '{"textgen": 5000}', /Unknown server "textgen"/],
    ['a port out of range', '{"vllm": 70000}', /port of vllm is 70000/],
  ];
  for (const [description, value, message] of badVariables) {
    it(`exits 2 when SWITCHBOARD_DETECT_PORTS is ${description}`, async () => {
      const run = await runCli(['detect'], { SWITCHBOARD_DETECT_PORTS: value });

      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /^switchboard: error config\.invalid: /);
      assert.match(run.stderr, /SWITCHBOARD_DETECT_PORTS/);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  it('lists detect in the help', async () => {
    const run = await runCli(['--help']);

    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /switchboard detect \[--json\]/);
    assert.match(run.stdout, /SWITCHBOARD_DETECT_PORTS/);
  });

  describe('over the language server', () => {
    it('answers switchboard/detectServers with the detected servers', async () => {
      const llamaCpp = await startEmulator('llamacpp');
      const server = startLanguageServer();
      try {
        await server.initialize();
        const result = await server.connection.sendRequest(detectServersRequest, { ports: { ...nothing, llamacpp: llamaCpp.port } });

        assert.equal(result.ok, true, JSON.stringify(result));
        assert.deepEqual(
          result.ok ? result.servers.map((detected) => detected.server) : [],
          ['llamacpp'],
        );
      } finally {
        await server.stop();
      }
    });

    it('answers bad ports with ok false and config.invalid', async () => {
      const server = startLanguageServer();
      try {
        await server.initialize();
        const result = await server.connection.sendRequest(detectServersRequest, { ports: { ollama: -1 } });

        assert.equal(result.ok, false);
        assert.equal(result.ok ? undefined : result.error.code, 'config.invalid');
      } finally {
        await server.stop();
      }
    });
  });
});
