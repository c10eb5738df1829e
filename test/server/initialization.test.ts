import * as assert from 'node:assert/strict';
import { ErrorCodes, Message, ResponseError, type NotificationMessage, type RequestMessage } from 'vscode-languageserver-protocol/node';

import { listProfilesRequest } from '../../src/protocol/protocol';
import { InitializationGate } from '../../src/server/initialization-gate';
import { ensureBundles } from './bundles';
import { startLanguageServer, type LanguageServer } from './language-server';

const request = (method: string): RequestMessage => ({ jsonrpc: '2.0', id: 1, method, params: {} });
const notification = (method: string): NotificationMessage => ({ jsonrpc: '2.0', method, params: {} });

/** Passes one message through the gate's strategy and returns what it forwarded, or undefined for a dropped message. */
function forwarded(gate: InitializationGate, message: Message): Message | undefined {
  let passed: Message | undefined;
  void gate.messageStrategy.handleMessage(message, (next) => {
    passed = next;
  });
  return passed;
}

describe('initialization gate', () => {
  it('drops notifications before initialize', () => {
    const gate = new InitializationGate();
    for (const method of ['initialized', '$/setTrace', '$/cancelRequest', 'workspace/didChangeConfiguration']) {
      assert.equal(forwarded(gate, notification(method)), undefined, method);
    }
  });

  it('passes exit and initialize before initialize', () => {
    const gate = new InitializationGate();
    assert.deepEqual(forwarded(gate, notification('exit')), notification('exit'));
    assert.deepEqual(forwarded(gate, request('initialize')), request('initialize'));
  });

  it('renames early requests and keeps their id', () => {
    const gate = new InitializationGate();
    const early: RequestMessage = { ...request('switchboard/chat'), id: 42 };
    const passed = forwarded(gate, early) as RequestMessage;
    assert.equal(passed.id, 42);
    assert.notEqual(passed.method, 'switchboard/chat');
    assert.deepEqual(passed.params, { method: 'switchboard/chat' });
  });

  it('passes every message once open', () => {
    const gate = new InitializationGate();
    gate.open();
    assert.deepEqual(forwarded(gate, notification('$/setTrace')), notification('$/setTrace'));
    assert.deepEqual(forwarded(gate, request('switchboard/chat')), request('switchboard/chat'));
  });
});

describe('language server before initialize', function () {
  this.timeout(20_000);
  let server: LanguageServer;

  before(async () => {
    await ensureBundles();
  });

  beforeEach(() => {
    server = startLanguageServer();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('rejects requests with ServerNotInitialized', async () => {
    await server.connection.sendNotification('$/setTrace', { value: 'verbose' });
    const error = await server.connection.sendRequest(listProfilesRequest, {}).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof ResponseError, `expected a ResponseError, got ${String(error)}`);
    assert.equal(error.code, ErrorCodes.ServerNotInitialized);
    assert.match(error.message, /switchboard\/listProfiles/);
    assert.deepEqual(server.logs, [], 'the server sent no log messages before initialize');
  });

  it('serves the same request after initialize', async () => {
    await server.initialize();
    const result = await server.connection.sendRequest(listProfilesRequest, {});
    assert.ok(Array.isArray(result.profiles), `listProfiles returned ${JSON.stringify(result)}`);
  });

  it('rejects shutdown before initialize', async () => {
    const error = await server.connection.sendRequest('shutdown').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    assert.equal((error as ResponseError | undefined)?.code, ErrorCodes.ServerNotInitialized);
  });

  it('ends on exit before initialize', async () => {
    await server.connection.sendNotification('exit');
    assert.equal(await server.exited, 1, 'exit without shutdown ends with code 1');
  });
});
