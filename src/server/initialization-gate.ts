/**
 * Enforces the LSP rule for messages that arrive before the server has sent its `initialize` result:
 * requests get the error ServerNotInitialized (-32002) and notifications are dropped, except
 * `exit`, so that a client can still end a server it never initialized. vscode-languageserver
 * 11 dispatches such messages to the handlers as usual, so the server does this itself.
 */

import { ErrorCodes, Message, ResponseError, type Connection, type MessageStrategy, type RequestMessage } from 'vscode-languageserver/node';

/**
 * Internal method that a request received before initialization is renamed to. The message
 * strategy cannot send a response, but a handler can, and renaming keeps the request's id.
 */
const NOT_INITIALIZED_METHOD = '$/switchboard/notInitialized';

/** Methods that pass the gate before initialization: the handshake itself and `exit`. */
const ALLOWED_BEFORE_INITIALIZE = new Set(['initialize', 'exit']);

export class InitializationGate {
  private initialized = false;

  /** The strategy to pass in `createConnection`'s options. It receives every incoming message before dispatch. */
  readonly messageStrategy: MessageStrategy = {
    handleMessage: (message, next) => {
      if (this.initialized || !isGated(message)) return next(message);
      if (Message.isRequest(message)) return next(renamed(message));
      // A dropped notification is not logged, because LSP forbids the server to send
      // window/logMessage before it has sent its initialize result.
    },
  };

  /** Registers the handler that rejects the requests the gate renamed. */
  attach(connection: Connection): void {
    connection.onRequest(NOT_INITIALIZED_METHOD, (params: { method?: string } | undefined) => {
      const method = params?.method ?? 'unknown';
      throw new ResponseError(ErrorCodes.ServerNotInitialized, `The server is not initialized. Send the "initialize" request before "${method}".`);
    });
  }

  /** Lets every later message through. Call it when the `initialize` result is ready. */
  open(): void {
    this.initialized = true;
  }
}

function isGated(message: Message): boolean {
  if (!Message.isRequest(message) && !Message.isNotification(message)) return false;
  return !ALLOWED_BEFORE_INITIALIZE.has(message.method);
}

function renamed(message: RequestMessage): RequestMessage {
  return { jsonrpc: message.jsonrpc, id: message.id, method: NOT_INITIALIZED_METHOD, params: { method: message.method } };
}
