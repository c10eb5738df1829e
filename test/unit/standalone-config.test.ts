import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { isSwitchboardError } from '../../src/engine/errors';
import { keysFromEnvironment, loadStandaloneConfiguration } from '../../src/engine/standalone-config';

describe('standalone configuration', () => {
  let folder: string;

  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'switchboard-profiles-'));
  });

  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  function writeProfiles(name: string, content: string): string {
    const file = path.join(folder, name);
    writeFileSync(file, content);
    return file;
  }

  describe('keys from the environment', () => {
    const profiles = [
      { name: 'work', kind: 'openai' },
      { name: 'local-ollama', preset: 'ollama' },
      { name: 'g', preset: 'gemini' },
    ];

    it('uses the variable of each kind', () => {
      const keys = keysFromEnvironment(profiles, { OPENAI_API_KEY: 'sk-openai', GEMINI_API_KEY: 'AIza-gemini' });
      assert.equal(keys.get('work'), 'sk-openai');
      assert.equal(keys.get('g'), 'AIza-gemini');
      assert.equal(keys.has('local-ollama'), false);
    });

    it('prefers the per-profile variable', () => {
      const keys = keysFromEnvironment(profiles, { OPENAI_API_KEY: 'sk-openai', SWITCHBOARD_API_KEY_LOCAL_OLLAMA: 'local-key', SWITCHBOARD_API_KEY_WORK: 'sk-work' });
      assert.equal(keys.get('work'), 'sk-work');
      assert.equal(keys.get('local-ollama'), 'local-key');
    });

    it('falls back to SWITCHBOARD_API_KEY', () => {
      const keys = keysFromEnvironment(profiles, { SWITCHBOARD_API_KEY: 'any-key' });
      assert.equal(keys.get('local-ollama'), 'any-key');
      assert.equal(keys.get('work'), 'any-key');
    });
  });

  describe('profile sources', () => {
    it('prefers initializationOptions', () => {
      const configuration = loadStandaloneConfiguration({ profiles: [{ name: 'from-editor', preset: 'ollama', model: 'llama3.2' }] }, {}, []);
      assert.equal(configuration.source, 'initializationOptions');
      assert.equal(configuration.profiles[0]!.name, 'from-editor');
    });

    it('reads --profiles FILE', () => {
      const file = writeProfiles('list.json', '[{"name": "file", "preset": "ollama", "model": "llama3.2"}]');
      const configuration = loadStandaloneConfiguration(undefined, {}, ['--profiles', file]);
      assert.equal(configuration.source, file);
      assert.equal(configuration.profiles[0]!.name, 'file');
    });

    it('reads SWITCHBOARD_PROFILES with a profiles object', () => {
      const file = writeProfiles('object.json', '{"profiles": [{"name": "env", "preset": "ollama", "model": "llama3.2"}]}');
      const configuration = loadStandaloneConfiguration(undefined, { SWITCHBOARD_PROFILES: file }, []);
      assert.equal(configuration.profiles[0]!.name, 'env');
    });

    it('builds defaults from the keys present', () => {
      const configuration = loadStandaloneConfiguration(undefined, { OPENAI_API_KEY: 'sk-openai' }, []);
      assert.deepEqual(
        configuration.profiles.map((profile) => profile.name),
        ['openai', 'ollama'],
      );
      assert.equal(configuration.keys.get('openai'), 'sk-openai');
    });

    it('rejects a profile that holds a key', () => {
      const file = writeProfiles('with-key.json', '[{"name": "x", "kind": "openai", "model": "m", "apiKey": "sk-in-file"}]');
      assert.throws(
        () => loadStandaloneConfiguration(undefined, {}, ['--profiles', file]),
        (error) => isSwitchboardError(error) && error.code === 'config.invalid' && /environment variables/.test(error.message) && !error.message.includes('sk-in-file'),
      );
    });

    it('rejects a file that is not JSON', () => {
      const file = writeProfiles('broken.json', '[{"name": ');
      assert.throws(
        () => loadStandaloneConfiguration(undefined, {}, ['--profiles', file]),
        (error) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes(file),
      );
    });

    it('rejects a missing file naming it', () => {
      const file = path.join(folder, 'missing.json');
      assert.throws(
        () => loadStandaloneConfiguration(undefined, {}, ['--profiles', file]),
        (error) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes(file),
      );
    });

    it('rejects profiles that are not an array of objects', () => {
      assert.throws(
        () => loadStandaloneConfiguration({ profiles: { name: 'x' } }, {}, []),
        (error) => isSwitchboardError(error) && error.code === 'config.invalid' && /initializationOptions\.profiles/.test(error.message),
      );
    });
  });
});
