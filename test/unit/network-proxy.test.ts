import * as assert from 'node:assert/strict';

import type { SwitchboardError } from '../../src/engine/errors';
import { checkProxyUrl, isLoopbackHost } from '../../src/engine/network/options';
import { decideProxy, matchNoProxy } from '../../src/engine/network/proxy';
import { DEFAULT_ANSWER } from '../emulator/answer';
import { findFreePort, startProxy, type TestProxy } from '../support/proxy';
import { startHarness, type Harness } from './support/harness';
import { answerText, errorOf } from './support/helpers';

const PROXY_USER = 'switchboard';
const PROXY_PASSWORD = 'Proxy-Pass-7f3a91';

const savedEnvironment: Array<Record<string, string | undefined>> = [];

/** Sets environment variables for one test; `restoreEnvironment` puts the old values back. */
function setEnvironment(values: Record<string, string | undefined>): void {
  savedEnvironment.push(Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]])));
  assignEnvironment(values);
}

function restoreEnvironment(): void {
  for (let saved = savedEnvironment.pop(); saved; saved = savedEnvironment.pop()) assignEnvironment(saved);
}

function assignEnvironment(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const noProxyVariables = () => Object.fromEntries(PROXY_VARIABLES.map((name) => [name, undefined]));

function connectLines(proxy: TestProxy): string[] {
  return proxy.output().split('\n').filter((line) => /Request .*CONNECT /.test(line));
}

describe('network proxy', function () {
  this.timeout(20_000);
  let harness: Harness | undefined;
  let proxy: TestProxy | undefined;

  beforeEach(() => {
    setEnvironment(noProxyVariables());
  });

  afterEach(async () => {
    await harness?.stop();
    await proxy?.stop();
    restoreEnvironment();
    harness = undefined;
    proxy = undefined;
  });

  /** Starts the emulator first, so its port can go into the tinyproxy configuration, then an engine with `network`. */
  async function startThroughProxy(proxyOptions: { basicAuth?: { user: string; password: string } }, network: (proxy: TestProxy) => Record<string, unknown>): Promise<void> {
    const port = await findFreePort();
    proxy = await startProxy({ connectPorts: [port], ...proxyOptions });
    const started = proxy;
    harness = await startHarness({ emulator: { port }, engine: { network: network(started) } });
  }

  describe('chat through tinyproxy', () => {
    it('sends the request through the proxy setting', async () => {
      await startThroughProxy({}, (started) => ({ proxy: started.url }));
      const events = await harness!.chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(connectLines(proxy!).length, 1, proxy!.output());
      assert.match(connectLines(proxy!)[0]!, new RegExp(`CONNECT 127\\.0\\.0\\.1:${harness!.emulator.port}`));
    });

    it('authenticates with the credentials in the proxy URL', async () => {
      const basicAuth = { user: PROXY_USER, password: PROXY_PASSWORD };
      await startThroughProxy({ basicAuth }, (started) => ({ proxy: started.urlWithCredentials() }));
      const events = await harness!.chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(connectLines(proxy!).length, 1);
      assert.equal(harness!.emulator.requests[0]!.headers['proxy-authorization'], undefined, 'the tunnel keeps proxy credentials from the server');
    });

    it('reports a wrong proxy password as proxy.auth_required', async () => {
      const basicAuth = { user: PROXY_USER, password: PROXY_PASSWORD };
      await startThroughProxy({ basicAuth }, (started) => ({ proxy: started.urlWithCredentials(PROXY_USER, 'wrong-password-1') }));
      const error = errorOf(await harness!.chat());
      assert.equal(error?.code, 'proxy.auth_required');
      // tinyproxy 1.11 responds with 401, not 407, to wrong credentials.
      assert.equal(error?.status, 401);
      assert.match(error!.message, new RegExp(`proxy 127\\.0\\.0\\.1:${proxy!.port} .*rejected the user name and password`));
      assert.ok(!JSON.stringify(error).includes('wrong-password-1'), 'the password stays out of the error');
      assert.ok(!harness!.logger.lines.join('\n').includes('wrong-password-1'), 'the password stays out of the log');
      assert.equal(harness!.emulator.requests.length, 0);
    });

    it('reports missing proxy credentials as proxy.auth_required', async () => {
      await startThroughProxy({ basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } }, (started) => ({ proxy: started.url }));
      const error = errorOf(await harness!.chat());
      assert.equal(error?.code, 'proxy.auth_required');
      assert.equal(error?.status, 407);
      assert.match(error!.message, /requires a user name and password/);
      assert.match(error!.fix.join(' '), /http:\/\/user:password@host:port/);
    });

    it('keeps the proxy password out of the log', async () => {
      const basicAuth = { user: PROXY_USER, password: PROXY_PASSWORD };
      await startThroughProxy({ basicAuth }, (started) => ({ proxy: started.urlWithCredentials() }));
      await harness!.chat();
      const log = harness!.logger.lines.join('\n');
      assert.match(log, /go through the proxy http:\/\/switchboard:\*\*\*\*@127\.0\.0\.1/);
      assert.ok(!log.includes(PROXY_PASSWORD));
    });

    it('reports a CONNECT to a port the proxy forbids as proxy.failed', async () => {
      const port = await findFreePort();
      proxy = await startProxy({ connectPorts: [port] });
      const started = proxy;
      harness = await startHarness({ engine: { network: { proxy: started.url } } });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'proxy.failed');
      assert.equal(error?.status, 403);
      assert.match(error!.message, new RegExp(`proxy 127\\.0\\.0\\.1:${proxy.port} \\(from the proxy setting\\) rejected the request to open a tunnel to 127\\.0\\.0\\.1:\\d+ with status 403`));
    });
  });

  describe('environment variables', () => {
    it('uses HTTP_PROXY for an http server', async () => {
      await startThroughProxy({}, (started) => {
        setEnvironment({ ...noProxyVariables(), HTTP_PROXY: started.url });
        return {};
      });
      const events = await harness!.chat();
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.equal(connectLines(proxy!).length, 1);
      assert.match(harness!.logger.lines.join('\n'), /from the HTTP_PROXY environment variable/);
    });

    it('bypasses the proxy for a NO_PROXY match', async () => {
      const deadPort = await findFreePort();
      setEnvironment({ ...noProxyVariables(), HTTP_PROXY: `http://127.0.0.1:${deadPort}`, NO_PROXY: 'example.invalid, 127.0.0.1' });
      harness = await startHarness();
      const events = await harness.chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
      assert.match(harness.logger.lines.join('\n'), /direct, because the entry "127\.0\.0\.1" of the NO_PROXY environment variable matches/);
    });

    it('goes direct to a local server past a remote proxy', async () => {
      // Nothing listens at the .invalid name, and the lookup fails without asking a resolver.
      setEnvironment({ ...noProxyVariables(), HTTP_PROXY: `http://user:${PROXY_PASSWORD}@proxy.example.invalid:3128` });
      harness = await startHarness();
      const events = await harness.chat();
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
      const log = harness.logger.lines.join('\n');
      assert.match(log, /direct, because the host is on this machine and the proxy http:\/\/user:\*\*\*\*@proxy\.example\.invalid:3128\/ \(from the HTTP_PROXY environment variable\) could not reach it/);
      assert.ok(!log.includes(PROXY_PASSWORD));
    });

    it('prefers the noProxy setting over NO_PROXY', async () => {
      const deadPort = await findFreePort();
      setEnvironment({ ...noProxyVariables(), NO_PROXY: '127.0.0.1' });
      harness = await startHarness({ engine: { network: { proxy: `http://127.0.0.1:${deadPort}`, noProxy: 'other.example' } } });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'proxy.failed');
    });
  });

  describe('unreachable proxy', () => {
    it('names the proxy address when it refuses the connection', async () => {
      const deadPort = await findFreePort();
      harness = await startHarness({ engine: { network: { proxy: `http://user:${PROXY_PASSWORD}@127.0.0.1:${deadPort}` } } });
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'proxy.failed');
      assert.match(error!.message, new RegExp(`Could not connect to the proxy 127\\.0\\.0\\.1:${deadPort} \\(from the proxy setting\\)`));
      assert.match(error!.message, /refused/);
      assert.ok(!JSON.stringify(error).includes(PROXY_PASSWORD));
    });
  });

  describe('decideProxy', () => {
    const https = new URL('https://api.openai.com/v1');
    const http = new URL('http://127.0.0.1:11434/v1');

    it('prefers the setting over the environment', () => {
      const decision = decideProxy(https, { proxy: 'http://setting:3128' }, { HTTPS_PROXY: 'http://env:3128' });
      assert.equal(decision.proxyUrl, 'http://setting:3128');
      assert.equal(decision.source, 'setting');
    });

    it('uses HTTPS_PROXY, then HTTP_PROXY, for https', () => {
      assert.equal(decideProxy(https, {}, { HTTPS_PROXY: 'http://a:1', HTTP_PROXY: 'http://b:2' }).source, 'HTTPS_PROXY');
      assert.equal(decideProxy(https, {}, { HTTP_PROXY: 'http://b:2' }).source, 'HTTP_PROXY');
      assert.equal(decideProxy(https, {}, { https_proxy: 'http://c:3', HTTPS_PROXY: 'http://a:1' }).source, 'https_proxy');
    });

    it('ignores HTTPS_PROXY for http', () => {
      assert.equal(decideProxy(http, {}, { HTTPS_PROXY: 'http://a:1' }).proxyUrl, undefined);
    });

    it('uses the noProxy setting even when empty', () => {
      const decision = decideProxy(http, { noProxy: '' }, { HTTP_PROXY: 'http://127.0.0.1:1', NO_PROXY: '127.0.0.1' });
      assert.equal(decision.proxyUrl, 'http://127.0.0.1:1');
    });

    it('reports the matching NO_PROXY entry', () => {
      const decision = decideProxy(http, {}, { HTTP_PROXY: 'http://a:1', NO_PROXY: 'localhost,127.0.0.0/8' });
      assert.equal(decision.proxyUrl, undefined);
      assert.equal(decision.bypassedBy, '127.0.0.0/8');
      assert.equal(decision.noProxySource, 'NO_PROXY');
    });

    it('sends loopback targets past a remote proxy', () => {
      for (const target of ['http://127.0.0.1:11434/v1', 'http://localhost:1234/v1', 'http://[::1]:8080/v1']) {
        const decision = decideProxy(new URL(target), {}, { HTTP_PROXY: 'http://alice:secret@proxy.corp.example:3128' });
        assert.equal(decision.proxyUrl, undefined, target);
        assert.equal(decision.skippedRemoteProxy, 'http://alice:****@proxy.corp.example:3128/', target);
        assert.equal(decision.source, 'HTTP_PROXY', target);
      }
    });

    it('keeps a local proxy for loopback targets', () => {
      for (const proxy of ['http://127.0.0.1:3128', 'http://localhost:3128', 'http://[::1]:3128']) {
        assert.equal(decideProxy(http, { proxy }, {}).proxyUrl, proxy);
      }
    });

    it('keeps a remote proxy for remote targets', () => {
      assert.equal(decideProxy(https, {}, { HTTPS_PROXY: 'http://proxy.corp.example:3128' }).proxyUrl, 'http://proxy.corp.example:3128');
    });

    it('keeps an unparsable proxy for its own check', () => {
      assert.equal(decideProxy(http, {}, { HTTP_PROXY: 'http//alice:pw@proxy:3128' }).proxyUrl, 'http//alice:pw@proxy:3128');
    });

    it('sends every spelling of this machine past a remote proxy', () => {
      const targets = ['http://localhost.:11434/', 'http://foo.localhost.:11434/', 'http://[::ffff:127.0.0.1]:11434/', 'http://0.0.0.0:11434/', 'http://[::]:11434/', 'http://127.1:11434/'];
      for (const target of targets) {
        const decision = decideProxy(new URL(target), {}, { HTTP_PROXY: 'http://proxy.corp.example:3128' });
        assert.equal(decision.proxyUrl, undefined, target);
        assert.equal(decision.skippedRemoteProxy, 'http://proxy.corp.example:3128/', target);
      }
    });

    it('keeps a local proxy spelled with a trailing dot or an IPv4-mapped address', () => {
      for (const proxy of ['http://localhost.:3128', 'http://[::ffff:127.0.0.1]:3128']) {
        assert.equal(decideProxy(http, { proxy }, {}).proxyUrl, proxy);
      }
    });

    it('keeps a scheme-less proxy for its own check', () => {
      const decision = decideProxy(http, {}, { HTTP_PROXY: 'proxy.corp.example:3128' });
      assert.equal(decision.proxyUrl, 'proxy.corp.example:3128');
      assert.throws(
        () => checkProxyUrl(decision.proxyUrl!, decision.source),
        (error: SwitchboardError) => error.code === 'config.invalid' && error.message === 'The proxy URL in the HTTP_PROXY environment variable does not start with http:// or https://.',
      );
    });

    it('names no part of a scheme-less proxy with credentials', () => {
      assert.throws(
        () => checkProxyUrl('alice:Pr0xy-Secret@proxy.corp.example:3128', 'HTTPS_PROXY'),
        (error: SwitchboardError) => error.code === 'config.invalid' && !/alice|Pr0xy-Secret/.test(JSON.stringify({ message: error.message, fix: error.fix })),
      );
    });
  });

  describe('isLoopbackHost', () => {
    const loopback = ['localhost', 'LOCALHOST', 'localhost.', 'foo.localhost', 'foo.localhost.', '127.0.0.1', '127.255.0.9', '127.1', '2130706433', '::1', '[::1]', '[::ffff:7f00:1]', '::ffff:127.0.0.1', '0.0.0.0', '::', '[::]'];
    for (const host of loopback) {
      it(`counts ${host} as this machine`, () => {
        assert.equal(isLoopbackHost(host), true);
      });
    }

    const remote = ['example.com', '127.example.com', 'localhost.example.com', '10.0.0.1', '::2', '[::ffff:a00:1]', '0.0.0.1', ''];
    for (const host of remote) {
      it(`counts "${host}" as another machine`, () => {
        assert.equal(isLoopbackHost(host), false);
      });
    }
  });

  describe('matchNoProxy', () => {
    const cases: Array<[string, number, string, string | undefined]> = [
      ['api.openai.com', 443, 'openai.com', 'openai.com'],
      ['api.openai.com', 443, '.openai.com', '.openai.com'],
      ['api.openai.com', 443, '*.openai.com', '*.openai.com'],
      ['notopenai.com', 443, 'openai.com', undefined],
      ['localhost', 11434, 'localhost:11434', 'localhost:11434'],
      ['localhost', 8080, 'localhost:11434', undefined],
      ['10.1.2.3', 80, '10.0.0.0/8', '10.0.0.0/8'],
      ['11.1.2.3', 80, '10.0.0.0/8', undefined],
      ['[::1]', 80, '::1', '::1'],
      ['::1', 80, '[::1]:80', '[::1]:80'],
      ['fd00::5', 80, 'fd00::/8', 'fd00::/8'],
      ['anything.example', 80, '*', '*'],
      ['api.openai.com', 443, ' , ', undefined],
    ];
    for (const [host, port, list, expected] of cases) {
      it(`matches ${host}:${port} against "${list}"`, () => {
        assert.equal(matchNoProxy(host, port, list), expected);
      });
    }
  });
});
