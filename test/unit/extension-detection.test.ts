import * as assert from 'node:assert/strict';

import { detectLocalServers, type DetectedServer } from '../../src/engine/detect/detect-local-servers';
import { parseProfile, type ProfileInput } from '../../src/engine/profiles';
import {
  additionMessage,
  addDetectedProfile,
  modelChoices,
  noServerFoundMessage,
  probedPorts,
  readDetectPorts,
  serverChoices,
} from '../../src/extension/detection';
import { Emulator } from '../emulator/emulator';

/** Returns a detected Ollama as the language server reports it, at its preset URL unless `port` is given. */
function ollama(change: Partial<DetectedServer> = {}, port = 11434): DetectedServer {
  const atPreset = port === 11434;
  return {
    server: 'ollama',
    label: 'Ollama',
    baseUrl: `http://127.0.0.1:${port}/v1`,
    version: '0.12.3',
    models: [{ id: 'llama3.2:latest', sizeBytes: 2_019_393_189 }, { id: 'qwen2.5-coder:latest' }, { id: 'mistral:latest', contextLength: 8192 }],
    suggestedProfile: { name: atPreset ? 'ollama-local' : `ollama-local-${port}`, preset: 'ollama', ...(atPreset ? {} : { baseUrl: `http://127.0.0.1:${port}/v1` }), model: 'llama3.2:latest' },
    ...change,
  };
}

describe('extension detection', () => {
  describe('readDetectPorts', () => {
    it('reads nothing when the variable is unset or blank', () => {
      assert.deepEqual(readDetectPorts({}), { ok: true });
      assert.deepEqual(readDetectPorts({ SWITCHBOARD_DETECT_PORTS: '  ' }), { ok: true });
    });

    it('passes a JSON object on', () => {
      assert.deepEqual(readDetectPorts({ SWITCHBOARD_DETECT_PORTS: '{"ollama": 11435}' }), { ok: true, ports: { ollama: 11435 } });
    });

    it('rejects text that is not JSON', () => {
      const reading = readDetectPorts({ SWITCHBOARD_DETECT_PORTS: 'ollama=11435' });
      assert.equal(reading.ok, false);
      assert.match(!reading.ok ? reading.message : '', /^SWITCHBOARD_DETECT_PORTS is not valid JSON \(.+\)\. Set it to a JSON object such as \{"ollama": 11435\}/);
    });

    it('rejects JSON that is not an object', () => {
      for (const text of ['[11435]', '11435', 'null']) {
        const reading = readDetectPorts({ SWITCHBOARD_DETECT_PORTS: text });
        assert.equal(reading.ok, false, text);
        assert.match(!reading.ok ? reading.message : '', /not a JSON object/, text);
      }
    });
  });

  describe('probed ports and the none-found message', () => {
    it('lists the preset ports', () => {
      assert.deepEqual(probedPorts(), [11434, 1234, 8080, 8000]);
    });

    it('replaces ports and drops repeats', () => {
      assert.deepEqual(probedPorts({ ollama: 11435 }), [11435, 1234, 8080, 8000]);
      assert.deepEqual(probedPorts({ ollama: 5000, lmstudio: 5000, llamacpp: 5000, vllm: 5000 }), [5000]);
    });

    it('names the ports and how to start Ollama or LM Studio', () => {
      const message = noServerFoundMessage({ ollama: 11435 });
      assert.match(message, /ports 11435, 1234, 8080, 8000/);
      assert.match(message, /"ollama serve"/);
      assert.match(message, /"lms server start"/);
    });
  });

  describe('server choices', () => {
    it('offers a server with its model count', () => {
      const [choice] = serverChoices([ollama()]);
      assert.equal(choice.label, 'Use Ollama (3 models)');
      assert.equal(choice.description, 'http://127.0.0.1:11434/v1 · version 0.12.3');
      assert.equal(choice.detail, undefined);
      assert.equal(choice.usable, true);
    });

    it('says "1 model" for one', () => {
      const [choice] = serverChoices([ollama({ models: [{ id: 'llama3.2:latest' }] })]);
      assert.equal(choice.label, 'Use Ollama (1 model)');
    });

    it('leaves out an unknown version', () => {
      const [choice] = serverChoices([{ ...ollama(), server: 'lmstudio', label: 'LM Studio', version: undefined, baseUrl: 'http://127.0.0.1:1234/v1' }]);
      assert.equal(choice.description, 'http://127.0.0.1:1234/v1');
    });

    it('shows the note instead of the offer', () => {
      const note = 'Ollama has no models yet. Download one with "ollama pull llama3.2", then detect again.';
      const [choice] = serverChoices([ollama({ models: [], note })]);
      assert.equal(choice.usable, false);
      assert.equal(choice.label, '$(warning) Ollama is not ready');
      assert.equal(choice.detail, note);
    });

    it('lists models with the suggested one first', () => {
      const choices = modelChoices(ollama());
      assert.deepEqual(
        choices.map((choice) => choice.label),
        ['llama3.2:latest', 'qwen2.5-coder:latest', 'mistral:latest'],
      );
      assert.equal(choices[0].description, 'suggested · 2.0 GB');
      assert.equal(choices[1].description, undefined);
      assert.equal(choices[2].description, '8192 tokens of context');
    });
  });

  describe('addDetectedProfile', () => {
    it('appends the suggested profile with the chosen model', () => {
      const existing = [{ name: 'openai', preset: 'openai', model: 'gpt-4o-mini' }];
      const addition = addDetectedProfile(existing, ollama(), 'qwen2.5-coder:latest');
      assert.equal(addition.change, 'added');
      assert.equal(addition.name, 'ollama-local');
      assert.deepEqual(addition.profiles, [...existing, { name: 'ollama-local', preset: 'ollama', model: 'qwen2.5-coder:latest' }]);
    });

    it('keeps the base URL of a server on another port', () => {
      const addition = addDetectedProfile([], ollama({}, 41234), 'llama3.2:latest');
      assert.deepEqual(addition.profiles, [{ name: 'ollama-local-41234', preset: 'ollama', baseUrl: 'http://127.0.0.1:41234/v1', model: 'llama3.2:latest' }]);
    });

    it('reuses a profile for the same server and model', () => {
      const existing = [{ name: 'local', preset: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1/', model: 'llama3.2:latest' }];
      const addition = addDetectedProfile(existing, ollama(), 'llama3.2:latest');
      assert.equal(addition.change, 'unchanged');
      assert.equal(addition.name, 'local');
      assert.deepEqual(addition.profiles, existing);
    });

    it('changes the model of the same-named profile', () => {
      const existing = [{ name: 'ollama-local', preset: 'ollama', model: 'llama3.2:latest', headers: { 'X-Team': 'a' } }];
      const addition = addDetectedProfile(existing, ollama(), 'mistral:latest');
      assert.equal(addition.change, 'updated');
      assert.equal(addition.name, 'ollama-local');
      assert.deepEqual(addition.profiles, [{ name: 'ollama-local', preset: 'ollama', model: 'mistral:latest', headers: { 'X-Team': 'a' } }]);
    });

    it('adds a suffix when the name belongs to another server', () => {
      const existing = [
        { name: 'ollama-local', kind: 'openai-compatible', baseUrl: 'http://192.0.2.7:11434/v1', model: 'llama3.2' },
        { name: 'ollama-local-2', preset: 'lmstudio', model: 'x' },
      ];
      const addition = addDetectedProfile(existing, ollama(), 'llama3.2:latest');
      assert.equal(addition.change, 'added');
      assert.equal(addition.name, 'ollama-local-3');
      assert.deepEqual(addition.profiles.at(-1), { name: 'ollama-local-3', preset: 'ollama', model: 'llama3.2:latest' });
      assert.equal(addition.profiles.length, 3);
    });

    it('keeps entries that are not objects', () => {
      const existing = ['not a profile', null];
      const addition = addDetectedProfile(existing, ollama(), 'llama3.2:latest');
      assert.deepEqual(addition.profiles.slice(0, 2), existing);
      assert.equal(addition.profiles.length, 3);
    });

    it('says what changed', () => {
      const server = ollama();
      assert.equal(
        additionMessage({ profiles: [], name: 'ollama-local', change: 'added' }, server, 'llama3.2:latest'),
        'Added the profile "ollama-local" for Ollama with model llama3.2:latest to your user settings and made it active.',
      );
      assert.equal(additionMessage({ profiles: [], name: 'ollama-local', change: 'updated' }, server, 'mistral:latest'), 'The profile "ollama-local" now uses model mistral:latest and is active.');
      assert.match(additionMessage({ profiles: [], name: 'local', change: 'unchanged' }, server, 'llama3.2:latest'), /^The profile "local" already uses Ollama with model llama3\.2:latest; it is now active\.$/);
    });
  });

  describe('with an emulated Ollama', function () {
    this.timeout(20_000);
    let emulator: Emulator;

    before(async () => {
      emulator = await Emulator.start({ identity: 'ollama', models: ['llama3.2', 'qwen2.5-coder', 'mistral'] });
    });

    after(async () => {
      await emulator?.stop();
    });

    it('turns the detected server into a valid profile', async () => {
      const port = emulator.port;
      const servers = await detectLocalServers({ ports: { ollama: port, lmstudio: port, llamacpp: port, vllm: port }, host: '127.0.0.1' });
      assert.equal(servers.length, 1, JSON.stringify(servers));
      assert.equal(serverChoices(servers)[0].label, 'Use Ollama (3 models)');

      const addition = addDetectedProfile([], servers[0], servers[0].models[1].id);
      const profile = parseProfile(addition.profiles[0] as ProfileInput);
      assert.equal(profile.name, `ollama-local-${port}`);
      assert.equal(profile.baseUrl, `http://127.0.0.1:${port}/v1`);
      assert.equal(profile.kind, 'openai-compatible');
      assert.equal(profile.model, servers[0].models[1].id);
    });
  });
});
