import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import { isSwitchboardError, type SwitchboardError } from '../../src/engine/errors';
import { checkApiKey, isKeyOptional } from '../../src/engine/keys';
import { resolveNetworkOptions } from '../../src/engine/network/options';
import { normalizeBaseUrl, parseProfile, type ProfileInput } from '../../src/engine/profiles';

/** Runs `action` and returns the SwitchboardError it throws. */
function thrown(action: () => unknown): SwitchboardError {
  try {
    action();
  } catch (error) {
    assert.ok(isSwitchboardError(error), `threw ${String(error)}`);
    return error;
  }
  assert.fail('nothing was thrown');
}

describe('profiles', () => {
  describe('presets', () => {
    it('fills the Ollama base URL', () => {
      const profile = parseProfile({ name: 'local', preset: 'ollama', model: 'llama3.2' });
      assert.equal(profile.baseUrl, 'http://127.0.0.1:11434/v1');
      assert.equal(profile.kind, 'openai-compatible');
      assert.equal(profile.server, 'ollama');
    });

    it('fills LM Studio, llama.cpp, vLLM and LiteLLM base URLs', () => {
      const urls = ['lmstudio', 'llamacpp', 'vllm', 'litellm'].map((preset) => parseProfile({ name: preset, preset, model: 'm' }).baseUrl);
      assert.deepEqual(urls, ['http://127.0.0.1:1234/v1', 'http://127.0.0.1:8080/v1', 'http://127.0.0.1:8000/v1', 'http://127.0.0.1:4000/v1']);
    });

    it('fills the OpenAI base URL for the kind alone', () => {
      assert.equal(parseProfile({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' }).baseUrl, 'https://api.openai.com/v1');
    });

    it('fills Gemini\'s base URL and API version', () => {
      const profile = parseProfile({ name: 'g', kind: 'gemini', model: 'gemini-2.5-flash' });
      assert.equal(profile.baseUrl, 'https://generativelanguage.googleapis.com');
      assert.equal(profile.apiVersion, 'v1beta');
    });

    it('gives Azure a default API version', () => {
      const profile = parseProfile({ name: 'a', kind: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com', model: 'gpt-4o' });
      assert.equal(profile.apiVersion, '2024-10-21');
    });

    it('requires an Azure base URL', () => {
      const error = thrown(() => parseProfile({ name: 'a', kind: 'azure-openai', model: 'gpt-4o' }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /baseUrl/);
    });

    it('lets a base URL override the preset\'s', () => {
      const profile = parseProfile({ name: 'remote', preset: 'ollama', baseUrl: 'http://gpu-box:11434/v1', model: 'llama3.2' });
      assert.equal(profile.baseUrl, 'http://gpu-box:11434/v1');
      assert.equal(profile.server, 'ollama');
    });

    it('guesses the server from the port', () => {
      assert.equal(parseProfile({ name: 'o', kind: 'openai-compatible', baseUrl: 'http://localhost:11434/v1', model: 'm' }).server, 'ollama');
      assert.equal(parseProfile({ name: 'l', kind: 'openai-compatible', baseUrl: 'http://localhost:1234/v1', model: 'm' }).server, 'lmstudio');
    });

    it('drops apiVersion for kinds that have none', () => {
      assert.equal(parseProfile({ name: 'o', preset: 'ollama', model: 'm', apiVersion: '2024-10-21' }).apiVersion, undefined);
    });
  });

  describe('base URL normalisation', () => {
    for (const [raw, kind, expected] of [
      ['http://127.0.0.1:11434/v1/', 'openai-compatible', 'http://127.0.0.1:11434/v1'],
      ['http://127.0.0.1:1234/v1/v1', 'openai-compatible', 'http://127.0.0.1:1234/v1'],
      ['http://127.0.0.1:1234/v1/chat/completions', 'openai-compatible', 'http://127.0.0.1:1234/v1'],
      ['https://api.openai.com/v1/models/', 'openai', 'https://api.openai.com/v1'],
      ['  https://openrouter.ai/api/v1  ', 'openai-compatible', 'https://openrouter.ai/api/v1'],
      ['https://generativelanguage.googleapis.com/v1beta', 'gemini', 'https://generativelanguage.googleapis.com'],
      ['https://contoso.openai.azure.com/openai/deployments/gpt-4o', 'azure-openai', 'https://contoso.openai.azure.com'],
      ['https://contoso.openai.azure.com/openai/', 'azure-openai', 'https://contoso.openai.azure.com'],
    ] as const) {
      it(`turns ${raw.trim()} into ${expected}`, () => {
        assert.equal(normalizeBaseUrl(raw, kind), expected);
      });
    }
  });

  describe('invalid input', () => {
    const base: ProfileInput = { name: 'local', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2' };

    it('rejects a malformed URL naming it', () => {
      const error = thrown(() => parseProfile({ ...base, baseUrl: 'http://local host:11434/v1' }));
      assert.equal(error.code, 'config.base_url');
      assert.match(error.message, /"http:\/\/local host:11434\/v1"/);
      assert.match(error.message, /profile "local"/);
      assert.match(error.fix.join(' '), /http:\/\/127\.0\.0\.1:11434\/v1/);
    });

    it('rejects a URL without scheme and suggests one', () => {
      const error = thrown(() => parseProfile({ ...base, baseUrl: 'localhost:11434/v1' }));
      assert.equal(error.code, 'config.base_url');
      assert.match(error.message, /"localhost:11434\/v1"/);
      assert.match(error.message, /no http:\/\/ or https:\/\//);
      assert.match(error.fix.join(' '), /http:\/\/localhost:11434\/v1/);
    });

    it('rejects a scheme other than http and https', () => {
      const error = thrown(() => parseProfile({ ...base, baseUrl: 'ftp://127.0.0.1/v1' }));
      assert.equal(error.code, 'config.base_url');
      assert.match(error.message, /ftp:/);
    });

    it('rejects a query in the base URL', () => {
      const error = thrown(() => parseProfile({ ...base, kind: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com?api-version=2024-10-21' }));
      assert.equal(error.code, 'config.base_url');
      assert.match(error.fix.join(' '), /apiVersion/);
    });

    it('rejects an unknown kind', () => {
      const error = thrown(() => parseProfile({ ...base, kind: 'anthropic' }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /"anthropic"/);
      assert.match(error.fix.join(' '), /openai-compatible/);
    });

    it('rejects an unknown preset naming it', () => {
      const error = thrown(() => parseProfile({ name: 'x', preset: 'kobold', model: 'm' }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /"kobold"/);
      assert.match(error.fix.join(' '), /ollama/);
    });

    it('rejects a header name with a space', () => {
      const error = thrown(() => parseProfile({ ...base, headers: { 'X Team': 'a' } }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /"X Team"/);
    });

    it('rejects a header value with a line break', () => {
      const error = thrown(() => parseProfile({ ...base, headers: { 'X-Team': 'a\r\nInjected: b' } }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /"X-Team"/);
    });

    it('rejects headers that are not an object', () => {
      const error = thrown(() => parseProfile({ ...base, headers: ['X-Team: a'] }));
      assert.equal(error.code, 'config.invalid');
    });

    it('rejects a missing name and a missing model', () => {
      assert.match(thrown(() => parseProfile({ ...base, name: ' ' })).message, /name/);
      assert.match(thrown(() => parseProfile({ ...base, model: undefined })).message, /model/);
    });
  });

  describe('engine configuration', () => {
    it('keeps profiles after an invalid one', async () => {
      const engine = new Engine();
      await engine.configure({ profiles: [{ name: 'local', preset: 'ollama', model: 'llama3.2' }] });
      await assert.rejects(engine.configure({ profiles: [{ name: 'broken', kind: 'openai-compatible', baseUrl: 'not a url', model: 'm' }] }), (error: SwitchboardError) => error.code === 'config.base_url');
      assert.deepEqual(
        engine.listProfiles().map((profile) => profile.name),
        ['local'],
      );
      await engine.close();
    });

    it('rejects two profiles with one name', async () => {
      const engine = new Engine();
      const profile = { name: 'same', preset: 'ollama', model: 'llama3.2' };
      await assert.rejects(engine.configure({ profiles: [profile, profile] }), (error: SwitchboardError) => error.code === 'config.invalid' && /"same"/.test(error.message));
      await engine.close();
    });

    it('names the known profiles when one is not found', async () => {
      const engine = new Engine();
      await engine.configure({ profiles: [{ name: 'local', preset: 'ollama', model: 'llama3.2' }] });
      const error = thrown(() => engine.getProfile('work'));
      assert.equal(error.code, 'config.profile_not_found');
      assert.match(error.fix.join(' '), /local/);
      await engine.close();
    });

    it('rejects a timeout out of range naming it', () => {
      const error = thrown(() => resolveNetworkOptions({ idleTimeoutMs: 5 }));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, /idleTimeoutMs/);
    });

    it('rejects a proxy that is not a URL', () => {
      const error = thrown(() => resolveNetworkOptions({ proxy: 'proxy.corp:8080 ' }));
      assert.equal(error.code, 'config.invalid');
    });
  });
});

describe('API key checks', () => {
  const openAi = parseProfile({ name: 'work', kind: 'openai', model: 'gpt-4o-mini' });
  const gemini = parseProfile({ name: 'g', kind: 'gemini', model: 'gemini-2.5-flash' });
  const local = parseProfile({ name: 'local', preset: 'litellm', model: 'gpt-4o-mini' });
  const openRouter = parseProfile({ name: 'or', preset: 'openrouter', model: 'openai/gpt-4o-mini' });

  it('returns a valid key unchanged', () => {
    assert.equal(checkApiKey('sk-proj-abcdef0123456789', openAi), 'sk-proj-abcdef0123456789');
  });

  it('rejects a URL as the key', () => {
    const key = 'https://api.openai.com/v1';
    const error = thrown(() => checkApiKey(key, openAi));
    assert.equal(error.code, 'config.invalid');
    assert.match(error.message, /looks like a URL/);
    assert.ok(!error.message.includes(key));
    assert.ok(error.actions.includes('setApiKey'));
  });

  it('rejects an OpenRouter key sent to api.openai.com', () => {
    const error = thrown(() => checkApiKey('sk-or-v1-0123456789abcdef', openAi));
    assert.equal(error.code, 'config.invalid');
    assert.match(error.message, /OpenRouter key/);
    assert.match(error.message, /api\.openai\.com/);
    assert.match(error.fix.join(' '), /https:\/\/openrouter\.ai\/api\/v1/);
  });

  it('accepts an OpenRouter key sent to OpenRouter', () => {
    assert.equal(checkApiKey('sk-or-v1-0123456789abcdef', openRouter), 'sk-or-v1-0123456789abcdef');
  });

  it('rejects a 2-character key with its length', () => {
    const error = thrown(() => checkApiKey('kk', openAi));
    assert.equal(error.code, 'config.invalid');
    assert.match(error.message, /2 characters/);
  });

  it('accepts a short key for an OpenAI-compatible server', () => {
    assert.equal(checkApiKey('sk-1', local), 'sk-1');
  });

  for (const [label, key, fact] of [
    ['a trailing line break', 'sk-proj-abcdef0123456789\n', /white space/],
    ['a space inside', 'sk-proj-abc def', /white space/],
    ['quotes', "'sk-proj-abcdef0123456789'", /quotes/],
    ['a Bearer prefix', 'Bearer-sk-proj-abcdef0123456789', /Bearer/],
  ] as const) {
    it(`rejects a key with ${label}`, () => {
      const error = thrown(() => checkApiKey(key, openAi));
      assert.equal(error.code, 'config.invalid');
      assert.match(error.message, fact);
    });
  }

  it('rejects a Google key in an OpenAI profile', () => {
    assert.match(thrown(() => checkApiKey('AIzaSyA-0123456789abcdefghijklmnopqrstu', openAi)).message, /Google API key/);
  });

  it('rejects an OpenAI key in a Gemini profile', () => {
    assert.match(thrown(() => checkApiKey('sk-proj-abcdef0123456789', gemini)).message, /Gemini profile/);
  });

  it('treats local servers as key-optional', () => {
    assert.equal(isKeyOptional(local), true);
    assert.equal(isKeyOptional(parseProfile({ name: 'o', preset: 'ollama', model: 'm' })), true);
  });

  it('requires a key for OpenAI, Gemini and OpenRouter', () => {
    assert.equal(isKeyOptional(openAi), false);
    assert.equal(isKeyOptional(gemini), false);
    assert.equal(isKeyOptional(openRouter), false);
  });
});
