/**
 * Hostile settings: every `switchboard.*` setting of package.json with values of the wrong type
 * or out of range, malformed profiles, and the server's configure with bad input after a good
 * one. Each gives an error naming the setting and the fix, and the previous working
 * configuration stays in use.
 */

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { checkProfiles, readSettings, SETTING, type ConfigurationSource } from '../../src/extension/settings';
import { isSwitchboardError } from '../../src/engine/errors';
import { quoteValue, type ProfileInput } from '../../src/engine/profiles';
import { REPOSITORY } from '../server/bundles';
import { answerText } from '../unit/support/helpers';
import { startHarness, type Harness } from '../unit/support/harness';
import { recordScenario } from './record';

interface ManifestSetting {
  type: string | string[];
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
}

/** Reads the `switchboard.*` settings that package.json contributes, so a new one is covered without editing this test. */
function manifestSettings(): Map<string, ManifestSetting> {
  const manifest = JSON.parse(readFileSync(path.join(REPOSITORY, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, ManifestSetting> } | Array<{ properties: Record<string, ManifestSetting> }> };
  };
  const sections = Array.isArray(manifest.contributes.configuration) ? manifest.contributes.configuration : [manifest.contributes.configuration];
  const settings = new Map<string, ManifestSetting>();
  for (const section of sections) {
    for (const [id, setting] of Object.entries(section.properties)) if (id.startsWith('switchboard.')) settings.set(id, setting);
  }
  return settings;
}

const HUGE_TEXT = 'x'.repeat(2 << 20);

/** Values of the wrong type or range for a setting of the manifest, by its declared type. */
function wrongValues(setting: ManifestSetting): unknown[] {
  const common = [{}, { __proto__: { polluted: true } }, JSON.parse('{"__proto__": 1, "constructor": 2}'), [HUGE_TEXT]];
  switch (setting.type) {
    case 'integer':
    case 'number':
      return [
        ...common,
        -1,
        (setting.minimum ?? 0) - 1,
        (setting.maximum ?? 0) + 1,
        1.5,
        Number.NaN,
        Infinity,
        1e309,
        -1e309,
        1e20,
        'NaN',
        '100',
        '1e3',
        HUGE_TEXT,
        true,
        [],
      ];
    case 'string':
      return [...common, 5, true, [], ...(setting.enum ? ['loud', HUGE_TEXT] : [])];
    case 'array':
      return [...common, 'text', 5, true, [5], [null], HUGE_TEXT];
    case 'boolean':
      return [...common, 'true', 1];
    default:
      return common;
  }
}

/** A configuration with only user settings, as VS Code's `get` and `inspect` return them. */
function userConfiguration(values: Record<string, unknown>): ConfigurationSource {
  return {
    get: <T>(section: string) => values[section] as T | undefined,
    inspect: <T>(section: string) => ({ globalValue: values[section] as T | undefined }),
  };
}

/** Settings with a working value for each, that the bad values replace one at a time. */
const GOOD_VALUES: Record<string, unknown> = {
  [SETTING.profiles]: [{ name: 'local', preset: 'ollama', model: 'llama3.2' }],
  [SETTING.activeProfile]: 'local',
  [SETTING.connectMs]: 5000,
  [SETTING.firstByteMs]: 60_000,
  [SETTING.localFirstByteMs]: 120_000,
  [SETTING.idleMs]: 30_000,
  [SETTING.deadlineMs]: 300_000,
  [SETTING.maxRetryAfterSeconds]: 30,
  [SETTING.cacheMaxMegabytes]: 16,
  [SETTING.cacheTtlMinutes]: 10,
  [SETTING.proxy]: 'http://127.0.0.1:3128',
  [SETTING.caCertificates]: ['/etc/ssl/company-ca.pem'],
  [SETTING.traceServer]: 'messages',
  [SETTING.feedbackEndpoint]: 'https://feedback.example.invalid/switchboard',
  [SETTING.feedbackIssueUrl]: 'https://example.invalid/issues/new',
};

/** Profile entries that are each wrong in one field, with the field the message must name. */
const BAD_PROFILES: Array<{ name: string; profile: Record<string, unknown>; field: string; message: RegExp; code?: string }> = [
  { name: 'a malformed URL', profile: { kind: 'openai-compatible', baseUrl: 'http://local host:11434/v1' }, field: 'baseUrl', message: /is not a valid URL/, code: 'config.base_url' },
  { name: 'a URL without scheme', profile: { kind: 'openai-compatible', baseUrl: 'localhost:11434/v1' }, field: 'baseUrl', message: /has no http:\/\/ or https:\/\//, code: 'config.base_url' },
  { name: 'a file URL', profile: { kind: 'openai-compatible', baseUrl: 'file:///etc/passwd' }, field: 'baseUrl', message: /only http and https/, code: 'config.base_url' },
  { name: 'credentials in the URL', profile: { kind: 'openai-compatible', baseUrl: 'http://bob:Hunter2-Secret@127.0.0.1:8080/v1' }, field: 'baseUrl', message: /bob:\*\*\*\*@.*contains a user name or password/, code: 'config.base_url' },
  { name: 'a token as user name', profile: { kind: 'openai-compatible', baseUrl: 'https://sk-hostile0123456789@example.invalid/v1' }, field: 'baseUrl', message: /contains a user name or password/, code: 'config.base_url' },
  { name: 'a megabyte URL', profile: { kind: 'openai-compatible', baseUrl: `http://${HUGE_TEXT}/v1` }, field: 'baseUrl', message: /more than the limit of 2048/, code: 'config.base_url' },
  { name: 'an unknown kind', profile: { kind: 'anthropic' }, field: 'kind', message: /Unknown provider kind "anthropic"/ },
  { name: 'the kind __proto__', profile: { kind: '__proto__' }, field: 'kind', message: /Unknown provider kind "__proto__"/ },
  { name: 'the preset constructor', profile: { preset: 'constructor' }, field: 'preset', message: /Unknown preset "constructor"/ },
  { name: 'the preset __proto__', profile: { preset: '__proto__' }, field: 'preset', message: /Unknown preset "__proto__"/ },
  { name: 'a number as model', profile: { preset: 'ollama', model: 42 }, field: 'model', message: /is 42 \(a number\)/ },
  { name: 'an object as apiVersion', profile: { preset: 'gemini', apiVersion: {} }, field: 'apiVersion', message: /is \{\} \(an object\)/ },
  { name: 'headers as a string', profile: { preset: 'ollama', headers: 'X-Team: a' }, field: 'headers', message: /must be an object of header names to strings/ },
  { name: 'a Content-Length header', profile: { preset: 'ollama', headers: { 'Content-Length': '5' } }, field: 'headers', message: /"Content-Length".*cannot be set/ },
  { name: 'a Host header', profile: { preset: 'ollama', headers: { host: 'evil.invalid' } }, field: 'headers', message: /"host".*cannot be set/ },
  { name: 'a Transfer-Encoding header', profile: { preset: 'ollama', headers: { 'Transfer-Encoding': 'chunked' } }, field: 'headers', message: /"Transfer-Encoding".*cannot be set/ },
  { name: 'a megabyte header', profile: { preset: 'ollama', headers: { 'X-Big': HUGE_TEXT } }, field: 'headers', message: /more than 8192 bytes/ },
  { name: 'many headers', profile: { preset: 'ollama', headers: Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`X-H${index}`, 'v'])) }, field: 'headers', message: /500 headers, more than the limit of 64/ },
  { name: 'a non-Latin-1 header value', profile: { preset: 'ollama', headers: { 'X-Name': 'café €' } }, field: 'headers', message: /outside Latin-1/ },
  { name: 'a number header value', profile: { preset: 'ollama', headers: { 'X-Count': 5 } }, field: 'headers', message: /"X-Count".*is 5 \(a number\)/ },
  { name: 'a __proto__ header', profile: { preset: 'ollama', headers: JSON.parse('{"__proto__": "x"}') }, field: 'headers', message: /"__proto__".*not a valid HTTP header name/ },
];

describe('hostile settings', function () {
  this.timeout(30_000);

  describe('extension settings', () => {
    const settings = manifestSettings();

    it('knows every setting of package.json', () => {
      const known = new Set<string>(Object.values(SETTING));
      const unknown = [...settings.keys()].filter((id) => !known.has(id));
      assert.deepEqual(unknown, [], `settings.ts does not read ${unknown.join(', ')}; add them to SETTING and to GOOD_VALUES here`);
      const untested = [...settings.keys()].filter((id) => !(id in GOOD_VALUES));
      assert.deepEqual(untested, [], `GOOD_VALUES has no working value for ${untested.join(', ')}`);
    });

    for (const [id, setting] of settings) {
      it(`rejects wrong values of ${id}`, () => {
        const previous = readSettings(userConfiguration(GOOD_VALUES), true);
        assert.deepEqual(previous.problems, [], 'the working values have problems');
        for (const value of wrongValues(setting)) {
          const shown = quoteValue(value);
          const result = readSettings(userConfiguration({ ...GOOD_VALUES, [id]: value }), true, previous.settings);
          const problem = result.problems.find((candidate) => candidate.setting === id);
          // Whole numbers in range of another setting's rules are the only values some settings accept; none is listed here.
          assert.ok(problem, `${id} = ${shown} was accepted`);
          assert.ok(problem.message.includes(id), `the message does not name ${id}: ${problem.message}`);
          assert.ok(problem.fix.length > 0, `no fix for ${id} = ${shown}`);
          assert.ok(problem.message.length < 500, `a message of ${problem.message.length} characters for ${id} = ${shown}`);
          assert.deepEqual(result.settings, previous.settings, `${id} = ${shown} changed the settings in use`);
        }
        recordScenario({ suite: 'hostile', scenario: `wrong values of ${id}` });
      });
    }

    for (const { name, profile, field, message, code } of BAD_PROFILES) {
      it(`rejects a profile with ${name}`, () => {
        const inputs: ProfileInput[] = [
          { name: 'good', preset: 'ollama', model: 'llama3.2' },
          { name: 'bad', model: 'm', ...profile },
        ];
        const result = checkProfiles(inputs);
        assert.equal(result.ok, false, `${name} was accepted`);
        if (result.ok) return;
        assert.equal(result.error.code, code ?? 'config.invalid', result.error.message);
        assert.ok(result.error.message.includes(`switchboard.profiles[1].${field}`), `the message does not name switchboard.profiles[1].${field}: ${result.error.message}`);
        assert.match(result.error.message, message);
        assert.ok(result.error.fix.length > 0, 'the error has no fix');
        assert.ok(result.error.message.length < 600, `a message of ${result.error.message.length} characters`);
        assert.ok(!result.error.message.includes('Hunter2-Secret'), 'the password is in the message');
        assert.ok(!result.error.message.includes('sk-hostile0123456789'), 'the token is in the message');
      });
    }
  });

  describe('server configure', () => {
    let harness: Harness | undefined;

    afterEach(async () => {
      await harness?.stop();
      harness = undefined;
    });

    it('keeps the working profile after bad ones', async () => {
      harness = await startHarness();
      const good = harness.engine.listProfiles().map(({ name, kind, baseUrl, model }) => ({ name, kind, baseUrl, model }));
      for (const { name, profile } of BAD_PROFILES) {
        let error: unknown;
        try {
          await harness.engine.configure({ profiles: [...good, { name: 'bad', model: 'm', ...profile }] });
        } catch (thrown) {
          error = thrown;
        }
        assert.ok(isSwitchboardError(error), `${name}: configure did not raise a SwitchboardError: ${String(error)}`);
        assert.match(error.code, /^config\./, `${name}: ${error.code}`);
        assert.ok(error.message.includes('profiles[1]'), `${name}: the message does not name profiles[1]: ${error.message}`);
      }
      assert.deepEqual(
        harness.engine.listProfiles().map((profile) => profile.name),
        ['test'],
      );
      const events = await harness.chat();
      assert.equal(events[events.length - 1]?.type, 'end', JSON.stringify(events[events.length - 1]));
      assert.ok(answerText(events).length > 0, 'the answer is empty');
      recordScenario({ suite: 'hostile', scenario: 'configure bad profiles after a good one', atRisk: BAD_PROFILES.length, lost: 0 });
    });

    it('keeps the working settings after absurd timeouts', async () => {
      harness = await startHarness();
      const profiles = harness.engine.listProfiles().map(({ name, kind, baseUrl, model }) => ({ name, kind, baseUrl, model }));
      for (const value of [-1, 0, Number.NaN, Infinity, 1e309, 1e20, 'NaN', '5000']) {
        let error: unknown;
        try {
          await harness.engine.configure({ profiles, network: { connectTimeoutMs: value as number } });
        } catch (thrown) {
          error = thrown;
        }
        assert.ok(isSwitchboardError(error), `connectTimeoutMs ${String(value)} was accepted`);
        assert.equal(error.code, 'config.invalid');
        assert.match(error.message, /connectTimeoutMs/);
      }
      const events = await harness.chat();
      assert.equal(events[events.length - 1]?.type, 'end', JSON.stringify(events[events.length - 1]));
      recordScenario({ suite: 'hostile', scenario: 'configure absurd timeouts after good ones' });
    });
  });
});
