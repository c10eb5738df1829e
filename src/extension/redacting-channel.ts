/**
 * A log channel wrapper for the language client's output and LSP trace. With
 * `switchboard.trace.server` set to `verbose`, vscode-languageclient writes the parameters of
 * every message, and `switchboard/setKey` carries an API key in its `key` field. Pure: it
 * imports `vscode` for types only, so unit tests load it without VS Code.
 */

import type * as vscode from 'vscode';

import { redactText } from '../engine/redact';

/** A JSON `"key": "…"` member, as the trace prints `switchboard/setKey` parameters. */
const KEY_MEMBER = /("key"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
/** The start of a profile's `"headers": {` object (or an array of pairs). Header values may be credentials. */
const HEADERS_START = /"headers"\s*:\s*[{[]/gi;
/** An escaped key or headers member name, as JSON inside a JSON string (error data, a JSON trace) contains it. */
const NESTED_MEMBER = /\\"(?:key|headers)\\"/i;
/** A JSON string, with its escapes. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/y;

/**
 * Masks API keys in `switchboard/setKey` parameters, profile header values in
 * `switchboard/configure` parameters, and everything else that `redactText` masks.
 */
export function redactTraceText(text: string): string {
  const nestedMasked = NESTED_MEMBER.test(text) ? maskNestedJson(text) : text;
  return redactText(maskHeaderValues(nestedMasked).replace(KEY_MEMBER, '$1"****"'));
}

/**
 * Masks each JSON string literal whose content is JSON with a key or headers member, by
 * decoding it, masking the content and encoding it again. One pass from left to right, so the
 * time is linear in the text's length.
 */
function maskNestedJson(text: string): string {
  let result = '';
  let position = 0;
  while (position < text.length) {
    const quote = text.indexOf('"', position);
    if (quote === -1) break;
    result += text.slice(position, quote);
    JSON_STRING.lastIndex = quote;
    const literal = JSON_STRING.exec(text)?.[0] ?? text.slice(quote);
    result += NESTED_MEMBER.test(literal) ? maskLiteral(literal) : literal;
    position = quote + literal.length;
  }
  return result + text.slice(position);
}

function maskLiteral(literal: string): string {
  try {
    return JSON.stringify(redactTraceText(JSON.parse(literal) as string));
  } catch {
    // A literal cut off by the end of the text cannot be decoded; the key pattern still applies to it.
    return literal.replace(/(\\"key\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*\\"/gi, '$1\\"****\\"');
  }
}

/**
 * Replaces every string value inside each `"headers": { … }` object (or array) with "****" and
 * keeps the member names. The scan follows JSON strings, so braces and quotes inside values do not end
 * the object early, and nested values are masked too. An object cut off by the end of the text
 * is masked to the end.
 */
function maskHeaderValues(text: string): string {
  let result = '';
  let copiedUpTo = 0;
  HEADERS_START.lastIndex = 0;
  for (let start = HEADERS_START.exec(text); start; start = HEADERS_START.exec(text)) {
    if (start.index < copiedUpTo) continue;
    let position = start.index + start[0].length;
    result += text.slice(copiedUpTo, position);
    let depth = 1;
    while (position < text.length && depth > 0) {
      const char = text[position]!;
      if (char === '"') {
        JSON_STRING.lastIndex = position;
        const string = JSON_STRING.exec(text)?.[0] ?? text.slice(position);
        position += string.length;
        const isName = /^\s*:/.test(text.slice(position, position + 64));
        result += isName ? string : '"****"';
        continue;
      }
      if (char === '{' || char === '[') depth++;
      if (char === '}' || char === ']') depth--;
      result += char;
      position++;
    }
    copiedUpTo = position;
    HEADERS_START.lastIndex = position;
  }
  return result + text.slice(copiedUpTo);
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
