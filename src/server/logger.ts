/** The engine's logger over LSP: lines go to the client's log channel as `window/logMessage`. */

import type { Connection } from 'vscode-languageserver/node';

import { redactText } from '../engine/redact';
import type { Logger } from '../engine/types';

/** Builds a Logger that redacts every line and drops debug lines unless SWITCHBOARD_DEBUG is set. */
export function createConnectionLogger(connection: Connection): Logger {
  const format = (message: string, details: unknown[]) =>
    redactText(details.length === 0 ? message : `${message} ${details.map((detail) => (typeof detail === 'string' ? detail : safeStringify(detail))).join(' ')}`);
  const debug = process.env.SWITCHBOARD_DEBUG === '1';
  return {
    error: (message, ...details) => connection.console.error(format(message, details)),
    warn: (message, ...details) => connection.console.warn(format(message, details)),
    info: (message, ...details) => connection.console.info(format(message, details)),
    debug: (message, ...details) => {
      if (debug) connection.console.log(format(message, details));
    },
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
