/** A newline-delimited JSON parser over raw body bytes, as Ollama's native API streams. */

import { SwitchboardError } from '../errors';
import { MAX_STREAM_LINE_CHARS, tooLarge } from './limits';

/** Yields one parsed value per line; a final line cut off mid-value raises `stream.interrupted`. */
export async function* parseNdjson(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let bytes = 0;

  for await (const chunk of body) {
    bytes += chunk.byteLength;
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') yield parseLine(line, bytes);
      newline = buffer.indexOf('\n');
    }
    if (buffer.length > MAX_STREAM_LINE_CHARS) throw tooLarge('a line', MAX_STREAM_LINE_CHARS, 'characters');
  }

  buffer += decoder.decode();
  const last = buffer.trim();
  if (last === '') return;
  try {
    yield JSON.parse(last);
  } catch {
    throw new SwitchboardError('stream.interrupted', `The stream ended in the middle of a line after ${bytes} bytes.`, {
      fix: ['Retry the request; the connection or the server cut the answer off.'],
    });
  }
}

function parseLine(line: string, bytes: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new SwitchboardError('stream.malformed', `The server sent a line that is not JSON near byte ${bytes}: ${line.slice(0, 80)}`, {
      fix: ['Check that the base URL points at the right kind of server.'],
    });
  }
}
