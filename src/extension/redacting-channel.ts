/**
 * A log channel wrapper for the language client's output and LSP trace. With
 * `switchboard.trace.server` set to `verbose`, vscode-languageclient writes the parameters of
 * every message, and `switchboard/setKey` carries an API key in its `key` field. Pure: it
 * imports `vscode` for types only, so unit tests load it without VS Code.
 */

import type * as vscode from 'vscode';

import { redactText } from '../engine/redact';

/** A JSON `"key": "…"` member, as the trace prints `switchboard/setKey` parameters. */
const KEY_MEMBER = /("key"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
/** A profile's `"headers": { … }` object in `switchboard/configure` parameters and results. Header values may be credentials. */
const HEADERS_MEMBER = /"headers"\s*:\s*\{[^{}]*\}/g;
const STRING_MEMBER = /("(?:[^"\\]|\\.)*"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

/**
 * Masks API keys in `switchboard/setKey` parameters, profile header values in
 * `switchboard/configure` parameters, and everything else that `redactText` masks.
 */
export function redactTraceText(text: string): string {
  const withoutHeaders = text.replace(HEADERS_MEMBER, (headers: string) => headers.replace(STRING_MEMBER, '$1"****"'));
  return redactText(withoutHeaders.replace(KEY_MEMBER, '$1"****"'));
}

/** Redacts a string, or an Error (which `error()` accepts) as its stack; passes other values through. */
function redactWritten(value: unknown): unknown {
  if (typeof value === 'string') return redactTraceText(value);
  if (value instanceof Error) return redactTraceText(value.stack ?? value.message);
  return value;
}

type WriteMethod = 'append' | 'appendLine' | 'replace' | 'trace' | 'debug' | 'info' | 'warn' | 'error';

const WRITE_METHODS: ReadonlySet<string> = new Set<WriteMethod>(['append', 'appendLine', 'replace', 'trace', 'debug', 'info', 'warn', 'error']);

/**
 * Returns a channel that passes every written text through `redactTraceText` and forwards
 * everything else (log level, show, dispose) to `channel` unchanged.
 */
export function redactingChannel(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !WRITE_METHODS.has(property) || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (message: unknown, ...args: unknown[]) => (value as (...values: unknown[]) => unknown).call(target, redactWritten(message), ...args.map(redactWritten));
    },
  });
}
