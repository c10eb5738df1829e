import * as assert from 'node:assert/strict';

import type { ErrorData } from '../../src/engine/errors';
import { errorNotificationText, fixButtonsFor, remoteLoopbackNote, suggestedFirst, suggestedModelsOf, type FixContext } from '../../src/extension/fix-actions';

function error(change: Partial<ErrorData> = {}): ErrorData {
  return { code: 'network.refused', message: 'Connection refused by 127.0.0.1:11434.', retryable: true, fix: ['Start the server.'], actions: ['diagnose', 'openSettings', 'openDocs'], ...change };
}

const LOCAL_OLLAMA: FixContext['profile'] = { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' };

describe('extension fix actions', () => {
  describe('buttons', () => {
    it('opens the code\'s docs section', () => {
      const buttons = fixButtonsFor(error({ docsUrl: 'docs/errors.md#networkrefused' }), false);
      const docs = buttons.find((button) => button.title === 'Open Docs');
      assert.deepEqual(docs?.action, { kind: 'command', command: 'switchboard.openErrorDocs', arguments: ['docs/errors.md#networkrefused'] });
    });

    it('builds the docs link when the error has none', () => {
      const docs = fixButtonsFor(error({ code: 'auth.invalid_key', actions: ['openDocs'] }), false).find((button) => button.title === 'Open Docs');
      assert.deepEqual(docs?.action, { kind: 'command', command: 'switchboard.openErrorDocs', arguments: ['docs/errors.md#authinvalid_key'] });
    });

    it('runs the connection doctor for diagnose', () => {
      const diagnose = fixButtonsFor(error(), false)[0];
      assert.equal(diagnose?.title, 'Diagnose Connection');
      assert.deepEqual(diagnose?.action, { kind: 'command', command: 'switchboard.diagnoseConnection' });
    });

    it('links the billing page of OpenAI and Gemini only', () => {
      const quota = error({ code: 'quota.exhausted', actions: ['openBilling', 'selectProfile', 'openDocs'] });
      const billing = (kind: NonNullable<FixContext['profile']>['kind']) =>
        fixButtonsFor(quota, false, { profile: { kind, baseUrl: 'https://example.test/v1' } }).find((button) => button.title === 'Open Billing')?.action;
      assert.deepEqual(billing('openai'), { kind: 'link', url: 'https://platform.openai.com/settings/organization/billing/overview' });
      assert.deepEqual(billing('gemini'), { kind: 'link', url: 'https://aistudio.google.com/apikey' });
      assert.equal(billing('azure-openai'), undefined);
      assert.equal(billing('openai-compatible'), undefined);
    });

    it('leaves Open Billing out without a profile', () => {
      const titles = fixButtonsFor(error({ code: 'quota.exhausted', actions: ['openBilling', 'selectProfile', 'openDocs'] }), false).map((button) => button.title);
      assert.deepEqual(titles, ['Select Profile', 'Open Docs', 'Show Logs']);
    });

    it('passes suggested models to Select Model', () => {
      const notFound = error({ code: 'model.not_found', actions: ['selectModel', 'openDocs'], suggestedModels: ['llama3.2', 'llama3.1'] });
      const select = fixButtonsFor(notFound, false)[0];
      assert.deepEqual(select?.action, { kind: 'command', command: 'switchboard.selectModel', arguments: [{ suggestedModels: ['llama3.2', 'llama3.1'] }] });
    });

    it('passes no argument to Select Model without suggestions', () => {
      const select = fixButtonsFor(error({ code: 'model.not_found', actions: ['selectModel'] }), false)[0];
      assert.deepEqual(select?.action, { kind: 'command', command: 'switchboard.selectModel' });
    });

    it('gives Retry its own action', () => {
      const retry = fixButtonsFor(error({ actions: ['retry'] }), true)[0];
      assert.deepEqual(retry, { title: 'Retry', action: { kind: 'retry' } });
    });
  });

  describe('remote windows', () => {
    it('names the SSH host and the port to forward', () => {
      const note = remoteLoopbackNote('network.refused', { profile: LOCAL_OLLAMA, remoteName: 'ssh-remote' });
      assert.match(note ?? '', /runs on an SSH host, so 127\.0\.0\.1 is that host/);
      assert.match(note ?? '', /ssh -R 11434:127\.0\.0\.1:11434 HOST/);
    });

    it('names WSL and the container', () => {
      assert.match(remoteLoopbackNote('timeout.connect', { profile: LOCAL_OLLAMA, remoteName: 'wsl' }) ?? '', /runs in WSL/);
      assert.match(remoteLoopbackNote('network.refused', { profile: LOCAL_OLLAMA, remoteName: 'dev-container' }) ?? '', /host\.docker\.internal:11434/);
    });

    it('names other remotes by their remote name', () => {
      assert.match(remoteLoopbackNote('network.refused', { profile: LOCAL_OLLAMA, remoteName: 'tunnel' }) ?? '', /remote machine \(tunnel\).*port 11434/);
    });

    it('adds nothing in a local window', () => {
      assert.equal(remoteLoopbackNote('network.refused', { profile: LOCAL_OLLAMA }), undefined);
    });

    it('adds nothing for remote hosts or other codes', () => {
      assert.equal(remoteLoopbackNote('network.refused', { profile: { kind: 'openai', baseUrl: 'https://api.openai.com/v1' }, remoteName: 'wsl' }), undefined);
      assert.equal(remoteLoopbackNote('network.dns', { profile: LOCAL_OLLAMA, remoteName: 'wsl' }), undefined);
    });

    it('uses the scheme\'s port when the URL has none', () => {
      assert.match(remoteLoopbackNote('network.refused', { profile: { kind: 'openai-compatible', baseUrl: 'http://localhost/v1' }, remoteName: 'dev-container' }) ?? '', /host\.docker\.internal:80\b/);
    });

    it('joins the note to the notification text', () => {
      const text = errorNotificationText(error(), { profile: LOCAL_OLLAMA, remoteName: 'wsl' });
      assert.match(text, /^Connection refused by 127\.0\.0\.1:11434\. Start the server\. This window runs in WSL/);
    });
  });

  describe('suggested models', () => {
    const models = [{ id: 'gpt-4o' }, { id: 'gpt-4o-mini' }, { id: 'o3' }];

    it('lists suggestions first in their order', () => {
      const ordered = suggestedFirst(models, ['o3', 'gpt-4o-mini']);
      assert.deepEqual(ordered.map((entry) => entry.model.id), ['o3', 'gpt-4o-mini', 'gpt-4o']);
      assert.deepEqual(ordered.map((entry) => entry.suggested), [true, true, false]);
    });

    it('drops suggestions the server does not list', () => {
      assert.deepEqual(suggestedFirst(models, ['gone', 'o3', 'o3']).map((entry) => entry.model.id), ['o3', 'gpt-4o', 'gpt-4o-mini']);
    });

    it('reads the command argument', () => {
      assert.deepEqual(suggestedModelsOf({ suggestedModels: ['a', 2, 'b'] }), ['a', 'b']);
      assert.deepEqual(suggestedModelsOf(undefined), []);
      assert.deepEqual(suggestedModelsOf('gpt-4o'), []);
    });
  });
});
