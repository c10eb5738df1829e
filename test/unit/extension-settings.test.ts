import * as assert from 'node:assert/strict';

import {
  activeProfileName,
  checkProfiles,
  DEFAULT_SETTINGS,
  impactOf,
  readCaCertificates,
  readSettings,
  SETTING,
  toConfigureParams,
  type ConfigurationSource,
} from '../../src/extension/settings';

interface Layers {
  user?: Record<string, unknown>;
  workspace?: Record<string, unknown>;
}

/** Builds a configuration with user and workspace layers, merged the way VS Code's `get` merges them. */
function configuration(layers: Layers): ConfigurationSource {
  return {
    get<T>(section: string): T | undefined {
      return (layers.workspace?.[section] ?? layers.user?.[section]) as T | undefined;
    },
    inspect<T>(section: string) {
      return { globalValue: layers.user?.[section] as T | undefined, workspaceValue: layers.workspace?.[section] as T | undefined };
    },
  };
}

const LOCAL = { name: 'local', preset: 'ollama', model: 'llama3.2' };
const ELSEWHERE = { name: 'local', kind: 'openai-compatible', baseUrl: 'http://192.0.2.1:9999/v1', model: 'llama3.2' };

describe('extension settings', () => {
  describe('readSettings', () => {
    it('returns the defaults for an empty configuration', () => {
      const { settings, problems } = readSettings(configuration({}), true);
      assert.deepEqual(settings, { ...DEFAULT_SETTINGS, noProxy: undefined, activeProfile: undefined });
      assert.deepEqual(problems, []);
    });

    it('reads timeouts, retry and cache values', () => {
      const { settings } = readSettings(
        configuration({ user: { [SETTING.connectMs]: 2500, [SETTING.maxRetryAfterSeconds]: 5, [SETTING.cacheMaxMegabytes]: 8, [SETTING.cacheTtlMinutes]: 1 } }),
        true,
      );
      assert.equal(settings.timeouts.connectMs, 2500);
      assert.equal(settings.maxRetryAfterSeconds, 5);
      assert.deepEqual(settings.cache, { maxMegabytes: 8, ttlMinutes: 1 });
    });

    it('keeps the previous value of a malformed setting and names it', () => {
      const previous = { ...DEFAULT_SETTINGS, timeouts: { ...DEFAULT_SETTINGS.timeouts, idleMs: 4000 } };
      const { settings, problems } = readSettings(configuration({ user: { [SETTING.idleMs]: 'fast' } }), true, previous);
      assert.equal(settings.timeouts.idleMs, 4000);
      assert.equal(problems.length, 1);
      assert.equal(problems[0].setting, SETTING.idleMs);
      assert.match(problems[0].message, /switchboard\.timeouts\.idleMs is "fast"/);
      assert.match(problems[0].fix, /whole number from 100 to 86400000/);
    });

    it('rejects a timeout below its minimum', () => {
      const { problems } = readSettings(configuration({ user: { [SETTING.deadlineMs]: 5 } }), true);
      assert.equal(problems[0]?.setting, SETTING.deadlineMs);
    });

    it('rejects a cache size of 0', () => {
      const { settings, problems } = readSettings(configuration({ user: { [SETTING.cacheMaxMegabytes]: 0 } }), true);
      assert.equal(settings.cache.maxMegabytes, 32);
      assert.equal(problems[0]?.setting, SETTING.cacheMaxMegabytes);
    });

    it('keeps the previous profiles when the setting is not a list', () => {
      const previous = { ...DEFAULT_SETTINGS, profiles: [LOCAL] };
      const { settings, problems } = readSettings(configuration({ user: { [SETTING.profiles]: { name: 'x' } } }), true, previous);
      assert.deepEqual(settings.profiles, [LOCAL]);
      assert.equal(problems[0]?.setting, SETTING.profiles);
    });

    it('uses the workspace profiles when the workspace is trusted', () => {
      const { settings } = readSettings(configuration({ user: { [SETTING.profiles]: [LOCAL] }, workspace: { [SETTING.profiles]: [ELSEWHERE] } }), true);
      assert.deepEqual(settings.profiles, [ELSEWHERE]);
    });

    it('ignores workspace profiles, proxy and certificates when untrusted', () => {
      const { settings } = readSettings(
        configuration({
          user: { [SETTING.profiles]: [LOCAL] },
          workspace: { [SETTING.profiles]: [ELSEWHERE], [SETTING.proxy]: 'http://192.0.2.1:3128', [SETTING.caCertificates]: ['/tmp/evil.pem'] },
        }),
        false,
      );
      assert.deepEqual(settings.profiles, [LOCAL]);
      assert.equal(settings.proxy, '');
      assert.deepEqual(settings.caCertificatePaths, []);
    });

    it('still reads unrestricted workspace settings when untrusted', () => {
      const { settings } = readSettings(configuration({ workspace: { [SETTING.connectMs]: 1234 } }), false);
      assert.equal(settings.timeouts.connectMs, 1234);
    });

    it('falls back to http.proxy and joins http.noProxy', () => {
      const { settings } = readSettings(
        configuration({ user: { [SETTING.httpProxy]: 'http://127.0.0.1:3128', [SETTING.httpNoProxy]: ['localhost', ' .internal '], [SETTING.httpProxyStrictSsl]: false } }),
        true,
      );
      assert.equal(settings.proxy, 'http://127.0.0.1:3128');
      assert.equal(settings.noProxy, 'localhost,.internal');
      assert.equal(settings.strictSsl, false);
    });

    it('prefers switchboard.network.proxy over http.proxy', () => {
      const { settings } = readSettings(configuration({ user: { [SETTING.httpProxy]: 'http://127.0.0.1:1', [SETTING.proxy]: 'http://127.0.0.1:2' } }), true);
      assert.equal(settings.proxy, 'http://127.0.0.1:2');
    });

    it('rejects a relative certificate path', () => {
      const { settings, problems } = readSettings(configuration({ user: { [SETTING.caCertificates]: ['certs/ca.pem'] } }), true);
      assert.deepEqual(settings.caCertificatePaths, []);
      assert.match(problems[0]?.message ?? '', /certs\/ca\.pem.*relative/);
    });

    it('rejects an unknown trace level', () => {
      const { settings, problems } = readSettings(configuration({ user: { [SETTING.traceServer]: 'loud' } }), true);
      assert.equal(settings.traceServer, 'off');
      assert.equal(problems[0]?.setting, SETTING.traceServer);
    });
  });

  describe('impactOf', () => {
    const changed = (...settings: string[]) => ({ affectsConfiguration: (section: string) => settings.includes(section) });

    it('restarts the server for the trace setting', () => {
      assert.equal(impactOf(changed(SETTING.traceServer, SETTING.profiles)), 'restart');
    });

    it('reconfigures for profiles, timeouts and proxy', () => {
      assert.equal(impactOf(changed(SETTING.profiles)), 'configure');
      assert.equal(impactOf(changed(SETTING.idleMs)), 'configure');
      assert.equal(impactOf(changed(SETTING.httpProxy)), 'configure');
    });

    it('keeps the active profile on the client', () => {
      assert.equal(impactOf(changed(SETTING.activeProfile)), 'client');
    });

    it('ignores other extensions\' settings', () => {
      assert.equal(impactOf(changed('editor.tabSize')), 'none');
    });
  });

  describe('toConfigureParams', () => {
    it('maps settings to the server\'s network, retry and cache options', () => {
      const settings = { ...DEFAULT_SETTINGS, profiles: [LOCAL], maxRetryAfterSeconds: 7, proxy: 'http://127.0.0.1:3128', noProxy: 'localhost', strictSsl: false };
      const params = toConfigureParams(settings, ['PEM'], {});
      assert.deepEqual(params.profiles, [LOCAL]);
      assert.equal(params.network?.connectTimeoutMs, 10_000);
      assert.equal(params.network?.proxy, 'http://127.0.0.1:3128');
      assert.equal(params.network?.noProxy, 'localhost');
      assert.equal(params.network?.strictSsl, false);
      assert.deepEqual(params.network?.extraCaCertificates, ['PEM']);
      assert.equal(params.retry?.maxRetryAfterMs, 7000);
      assert.deepEqual(params.cache, { maxBytes: 32 * 1024 * 1024, ttlMs: 30 * 60_000 });
    });

    it('sends NO_PROXY from the environment when http.noProxy is empty', () => {
      assert.equal(toConfigureParams(DEFAULT_SETTINGS, [], { NO_PROXY: 'corp' }).network?.noProxy, 'corp');
      assert.equal(toConfigureParams(DEFAULT_SETTINGS, [], {}).network?.noProxy, '');
    });
  });

  describe('activeProfileName', () => {
    it('uses the first profile when none is chosen', () => {
      assert.equal(activeProfileName({}, ['a', 'b']), 'a');
    });

    it('returns undefined for a chosen profile that does not exist', () => {
      assert.equal(activeProfileName({ activeProfile: 'c' }, ['a', 'b']), undefined);
    });
  });

  describe('checkProfiles', () => {
    it('accepts presets', () => {
      const checked = checkProfiles([LOCAL]);
      assert.ok(checked.ok);
      assert.equal(checked.profiles[0].baseUrl, 'http://127.0.0.1:11434/v1');
    });

    it('rejects two profiles with one name', () => {
      const checked = checkProfiles([LOCAL, LOCAL]);
      assert.ok(!checked.ok);
      assert.match(checked.error.message, /Two profiles are named "local"/);
    });

    it('names the setting of a profile without a model', () => {
      const checked = checkProfiles([{ name: 'x', preset: 'ollama' }]);
      assert.ok(!checked.ok);
      assert.equal(checked.error.code, 'config.invalid');
      assert.match(checked.error.message, /model/);
    });
  });

  describe('readCaCertificates', () => {
    const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const files: Record<string, string> = { '/certs/ok.pem': PEM, '/certs/empty.pem': 'nothing here' };
    const readFile = async (file: string) => {
      if (file in files) return files[file];
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    };

    it('returns the text of readable PEM files', async () => {
      const result = await readCaCertificates(['/certs/ok.pem'], readFile);
      assert.deepEqual(result.certificates, [PEM]);
      assert.deepEqual(result.problems, []);
    });

    it('reports missing files and files without certificates', async () => {
      const result = await readCaCertificates(['/certs/missing.pem', '/certs/empty.pem'], readFile);
      assert.deepEqual(result.certificates, []);
      assert.match(result.problems[0].message, /missing\.pem.*could not be read \(ENOENT\)/);
      assert.match(result.problems[1].message, /empty\.pem in switchboard\.network\.caCertificates contains no PEM certificate/);
    });
  });
});
