import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';

import { detectLocalServers, type DetectedServer, type LocalServerKind } from '../../src/engine/detect/detect-local-servers';
import { Engine } from '../../src/engine/engine';
import { isSwitchboardError } from '../../src/engine/errors';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { Emulator, type EmulatorIdentity } from '../emulator/emulator';
import { LLAMACPP_BUILD_INFO, VLLM_VERSION } from '../emulator/identities';
import { OLLAMA_VERSION } from '../emulator/ollama';
import { answerText, collect, createRecordingLogger } from './support/helpers';

const MODELS = ['llama3.2', 'qwen2.5-coder'];

const EXPECTED: Record<LocalServerKind, { label: string; version?: string; firstModel: string }> = {
  ollama: { label: 'Ollama', version: OLLAMA_VERSION, firstModel: 'llama3.2:latest' },
  lmstudio: { label: 'LM Studio', firstModel: 'llama3.2' },
  llamacpp: { label: 'llama.cpp server', version: LLAMACPP_BUILD_INFO, firstModel: 'llama3.2' },
  vllm: { label: 'vLLM', version: VLLM_VERSION, firstModel: 'llama3.2' },
};

const KINDS = Object.keys(EXPECTED) as LocalServerKind[];

/** Returns a port that was free a moment ago, because a server took it and let it go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a plain HTTP server that responds to every request with `reply`. */
async function startHttpServer(reply: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer(reply);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function canListenOnIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

describe('local server detection', function () {
  this.timeout(20_000);
  const emulators: Emulator[] = [];
  let closed: number;
  /** Every kind on a closed port, so servers on this machine's default ports cannot respond. */
  let nothing: Record<LocalServerKind, number>;

  before(async () => {
    closed = await closedPort();
    nothing = { ollama: closed, lmstudio: closed, llamacpp: closed, vllm: closed };
  });

  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
  });

  async function startEmulator(identity: EmulatorIdentity, models: string[] = MODELS): Promise<Emulator> {
    const emulator = await Emulator.start({ identity, models });
    emulators.push(emulator);
    return emulator;
  }

  describe('identification', () => {
    for (const kind of KINDS) {
      it(`identifies ${kind} with its models`, async () => {
        const emulator = await startEmulator(kind);
        const servers = await detectLocalServers({ ports: { ...nothing, [kind]: emulator.port } });

        assert.equal(servers.length, 1);
        const [server] = servers as [DetectedServer];
        assert.equal(server.server, kind);
        assert.equal(server.label, EXPECTED[kind].label);
        assert.equal(server.baseUrl, `http://127.0.0.1:${emulator.port}/v1`);
        assert.equal(server.version, EXPECTED[kind].version);
        assert.equal(server.models.length, MODELS.length);
        assert.equal(server.models[0]!.id, EXPECTED[kind].firstModel);
        assert.equal(server.note, undefined);
      });
    }

    it('suggests a profile with the preset, base URL and first model', async () => {
      const emulator = await startEmulator('ollama');
      const [server] = await detectLocalServers({ ports: { ...nothing, ollama: emulator.port } });

      assert.deepEqual(server!.suggestedProfile, {
        name: `ollama-local-${emulator.port}`,
        preset: 'ollama',
        baseUrl: `http://127.0.0.1:${emulator.port}/v1`,
        model: 'llama3.2:latest',
      });
    });

    it('names vLLM on LM Studio\'s port by its endpoints', async () => {
      const emulator = await startEmulator('vllm');
      const servers = await detectLocalServers({ ports: { ...nothing, lmstudio: emulator.port } });

      assert.equal(servers.length, 1);
      assert.equal(servers[0]!.server, 'vllm');
      assert.equal(servers[0]!.suggestedProfile.preset, 'vllm');
    });

    it('finds all four kinds in one call, in preset order', async () => {
      const started = await Promise.all(KINDS.map((kind) => startEmulator(kind)));
      const ports = Object.fromEntries(KINDS.map((kind, index) => [kind, started[index]!.port]));
      const servers = await detectLocalServers({ ports });

      assert.deepEqual(
        servers.map((server) => server.server),
        KINDS,
      );
    });

    it('reports sizes and context lengths where the server gives them', async () => {
      const ollama = await startEmulator('ollama');
      const llamaCpp = await startEmulator('llamacpp');
      const vllm = await startEmulator('vllm');
      const servers = await detectLocalServers({ ports: { ...nothing, ollama: ollama.port, llamacpp: llamaCpp.port, vllm: vllm.port } });

      assert.equal(typeof servers[0]!.models[0]!.sizeBytes, 'number');
      assert.equal(typeof servers[1]!.models[0]!.sizeBytes, 'number');
      assert.equal(servers[1]!.models[0]!.contextLength, 131072);
      assert.equal(servers[2]!.models[0]!.contextLength, 8192);
    });

    it('puts LM Studio\'s loaded model first and leaves out embedding models', async () => {
      const emulator = await startEmulator('lmstudio');
      emulator.script({
        match: { path: '/api/v0/models' },
        body: {
          object: 'list',
          data: [
            { id: 'text-embedding-nomic-embed-text-v1.5', object: 'model', type: 'embeddings', state: 'not-loaded', max_context_length: 2048 },
            { id: 'qwen2.5-7b-instruct', object: 'model', type: 'llm', state: 'not-loaded', max_context_length: 32768 },
            { id: 'meta-llama-3.1-8b-instruct', object: 'model', type: 'llm', state: 'loaded', max_context_length: 131072 },
          ],
        },
      });
      const [server] = await detectLocalServers({ ports: { ...nothing, lmstudio: emulator.port } });

      assert.deepEqual(
        server!.models.map((model) => model.id),
        ['meta-llama-3.1-8b-instruct', 'qwen2.5-7b-instruct'],
      );
      assert.equal(server!.models[0]!.contextLength, 131072);
      assert.equal(server!.suggestedProfile.model, 'meta-llama-3.1-8b-instruct');
    });

    it('puts Ollama embedding models after chat models', async () => {
      const emulator = await startEmulator('ollama');
      const tag = (name: string, family: string) => ({ name, model: name, size: 1_000_000, details: { format: 'gguf', family, families: [family] } });
      emulator.script({
        match: { path: '/api/tags' },
        body: { models: [tag('nomic-embed-text:latest', 'nomic-bert'), tag('all-minilm:latest', 'bert'), tag('llama3.2:latest', 'llama')] },
      });
      const [server] = await detectLocalServers({ ports: { ...nothing, ollama: emulator.port } });

      assert.deepEqual(
        server!.models.map((model) => model.id),
        ['llama3.2:latest', 'nomic-embed-text:latest', 'all-minilm:latest'],
      );
      assert.equal(server!.suggestedProfile.model, 'llama3.2:latest');
    });

    it('notes a server that lists no models', async () => {
      const emulator = await startEmulator('ollama', []);
      const [server] = await detectLocalServers({ ports: { ...nothing, ollama: emulator.port } });

      assert.deepEqual(server!.models, []);
      assert.equal(server!.suggestedProfile.model, undefined);
      assert.match(server!.note ?? '', /ollama pull/);
    });

    it('tries ::1 when 127.0.0.1 refuses', async function () {
      if (!(await canListenOnIpv6Loopback())) this.skip();
      const port = await closedPort();
      const emulator = await Emulator.start({ host: '::1', port, identity: 'llamacpp' });
      emulators.push(emulator);
      const servers = await detectLocalServers({ ports: { ...nothing, llamacpp: port } });

      assert.equal(servers.length, 1);
      assert.equal(servers[0]!.baseUrl, `http://[::1]:${port}/v1`);
    });
  });

  describe('ports that are left out', () => {
    it('returns an empty list when nothing listens', async () => {
      assert.deepEqual(await detectLocalServers({ ports: nothing }), []);
    });

    it('skips a server that never answers, within the timeout', async () => {
      const hanging = await startEmulator('ollama');
      hanging.script({ neverRespond: true, times: 100 });
      const answering = await startEmulator('vllm');
      const servers = await detectLocalServers({ ports: { ...nothing, ollama: hanging.port, vllm: answering.port }, timeoutMs: 300 });

      assert.deepEqual(
        servers.map((server) => server.server),
        ['vllm'],
      );
      assert.ok(hanging.requests.length > 0, 'the hanging server was probed');
    });

    it('closes its connections to a server that never answers', async () => {
      const hanging = await startEmulator('ollama');
      hanging.script({ neverRespond: true, times: 100 });
      await detectLocalServers({ ports: { ...nothing, ollama: hanging.port }, timeoutMs: 200 });

      for (let attempt = 0; attempt < 50 && hanging.openConnections() > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(hanging.openConnections(), 0);
    });

    const strangers: Array<[string, (request: http.IncomingMessage, response: http.ServerResponse) => void]> = [
      ['a plain-text 404 for every path', (_request, response) => response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found')],
      ['an HTML page for every path', (_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Dev server</title>')],
      ['a 200 JSON error for every path', (request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `Unexpected endpoint or method. (${request.method} ${request.url})` }))],
      [
        'an OpenAI model list without identifying endpoints',
        (request, response) =>
          request.url === '/v1/models'
            ? response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'some-model', object: 'model', owned_by: 'someone' }] }))
            : response.writeHead(404).end(),
      ],
    ];
    for (const [description, reply] of strangers) {
      it(`skips an HTTP server that sends ${description}`, async () => {
        const stranger = await startHttpServer(reply);
        const logger = createRecordingLogger();
        try {
          const servers = await detectLocalServers({ ports: { ...nothing, llamacpp: stranger.port }, logger });

          assert.deepEqual(servers, []);
          assert.ok(
            logger.lines.some((line) => line.startsWith('debug:') && line.includes(`127.0.0.1:${stranger.port}`) && line.includes('none of')),
            logger.lines.join('\n'),
          );
        } finally {
          await stranger.stop();
        }
      });
    }
  });

  describe('suggested profile', () => {
    for (const kind of KINDS) {
      it(`chats with ${kind} through its suggested profile`, async () => {
        const emulator = await startEmulator(kind);
        const [server] = await detectLocalServers({ ports: { ...nothing, [kind]: emulator.port } });
        const engine = new Engine();
        try {
          await engine.configure({ profiles: [server!.suggestedProfile] });
          const events = await collect(engine.chat({ profile: server!.suggestedProfile.name, messages: [{ role: 'user', content: 'Say hello.' }] }));

          assert.equal(answerText(events), DEFAULT_ANSWER);
          assert.equal(engine.getProfile(server!.suggestedProfile.name).server, kind);
        } finally {
          await engine.close();
        }
      });
    }
  });

  describe('options', () => {
    it('sends every request through the given fetch', async () => {
      const emulator = await startEmulator('ollama');
      const urls: string[] = [];
      const fetchSpy = (input: string, init?: RequestInit) => {
        urls.push(input);
        return fetch(input, init);
      };
      const servers = await detectLocalServers({ ports: { ...nothing, ollama: emulator.port }, fetch: fetchSpy });

      assert.equal(servers.length, 1);
      assert.ok(urls.includes(`http://127.0.0.1:${emulator.port}/api/version`), urls.join('\n'));
      assert.ok(urls.every((url) => /^http:\/\/(127\.0\.0\.1|\[::1\]):\d+\//.test(url)), urls.join('\n'));
    });

    it('rejects a host that is not a loopback address', async () => {
      const urls: string[] = [];
      const fetchSpy = (input: string) => {
        urls.push(input);
        return Promise.reject(new Error('not expected'));
      };
      await assert.rejects(detectLocalServers({ host: '192.0.2.10', fetch: fetchSpy }), (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid');
      assert.deepEqual(urls, []);
    });

    const badPorts: Array<[string, unknown]> = [
      ['port 0', { ollama: 0 }],
      ['port 65536', { vllm: 65536 }],
      ['a fractional port', { lmstudio: 1234.5 }],
      ['a port given as text', { llamacpp: '8080' }],
      ['an unknown server', { textgen: 5000 }],
      ['a list', [11434]],
    ];
    for (const [description, ports] of badPorts) {
      it(`rejects ${description}`, async () => {
        await assert.rejects(
          detectLocalServers({ ports: ports as never }),
          (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid',
        );
      });
    }

    it('rejects a timeout out of range', async () => {
      await assert.rejects(detectLocalServers({ ports: nothing, timeoutMs: 0 }), (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid');
    });

    it('raises cancelled when the signal aborts', async () => {
      const hanging = await startEmulator('ollama');
      hanging.script({ neverRespond: true, times: 100 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(
        detectLocalServers({ ports: { ...nothing, ollama: hanging.port }, timeoutMs: 5000, signal: controller.signal }),
        (error: unknown) => isSwitchboardError(error) && error.code === 'cancelled',
      );
    });
  });

  describe('proxies', () => {
    const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
    let saved: Record<string, string | undefined>;

    beforeEach(() => {
      saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
    });

    afterEach(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('detects servers while the proxy variables name a dead proxy', async () => {
      const deadProxy = `http://127.0.0.1:${closed}`;
      for (const name of PROXY_VARIABLES) delete process.env[name];
      Object.assign(process.env, { HTTPS_PROXY: deadProxy, HTTP_PROXY: deadProxy, https_proxy: deadProxy, http_proxy: deadProxy });
      const emulator = await startEmulator('ollama');
      const servers = await detectLocalServers({ ports: { ...nothing, ollama: emulator.port } });

      assert.equal(servers.length, 1);
      assert.equal(servers[0]!.server, 'ollama');
    });
  });

  describe('emulator identities', () => {
    it('serves no Ollama routes as vLLM', async () => {
      const emulator = await startEmulator('vllm');
      const response = await fetch(`${emulator.url}/api/version`);
      await response.body?.cancel();

      assert.equal(response.status, 404);
    });

    it('lists models with the identity\'s owner', async () => {
      const owners: Record<EmulatorIdentity, string> = { ollama: 'library', lmstudio: 'organization_owner', llamacpp: 'llamacpp', vllm: 'vllm' };
      for (const identity of KINDS) {
        const emulator = await startEmulator(identity);
        const body = (await (await fetch(`${emulator.url}/v1/models`)).json()) as { data: Array<{ owned_by: string }> };

        assert.equal(body.data[0]!.owned_by, owners[identity], identity);
      }
    });
  });
});
