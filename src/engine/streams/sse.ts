/**
 * A Server-Sent Events parser over raw body bytes, following the WHATWG event-stream rules:
 * one persistent UTF-8 decoder (so a character split across reads stays whole), CR, LF and
 * CRLF line ends, comment lines, multi-line data and events split across or packed into reads.
 */

import { SwitchboardError } from '../errors';
import { MAX_STREAM_LINE_CHARS, tooLarge } from './limits';

export interface SseEvent {
  /** The `event:` field, or 'message' when absent. */
  event: string;
  data: string;
  id?: string;
}

export interface SseParseResult {
  /** Comment lines seen (such as OpenRouter's `: OPENROUTER PROCESSING` keep-alives). */
  comments: number;
}

/**
 * Yields the events of an event stream. A body that ends in the middle of an event raises
 * `stream.interrupted`, because the server or the network cut the answer off.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>, onComment?: (text: string) => void): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let pending = newPending();
  let bytes = 0;

  for await (const chunk of body) {
    bytes += chunk.byteLength;
    buffer += decoder.decode(chunk, { stream: true });
    // Lines are taken one at a time, so the first event of a large read is yielded before the rest is split.
    const lines = new LineReader(buffer);
    for (let line = lines.next(); line !== undefined; line = lines.next()) {
      const event = applyLine(pending, line, onComment);
      if (event) {
        yield event;
        pending = newPending();
      } else if (pending.size > MAX_STREAM_LINE_CHARS) {
        throw tooLarge('an event', MAX_STREAM_LINE_CHARS, 'characters');
      }
    }
    buffer = lines.rest();
    if (buffer.length > MAX_STREAM_LINE_CHARS) throw tooLarge('an event-stream line', MAX_STREAM_LINE_CHARS, 'characters');
  }

  buffer += decoder.decode();
  // A CR held back in case an LF followed ends its line after all, even an empty line that
  // completes the last event of a CR-only stream.
  const terminated = buffer.endsWith('\r');
  const tail = terminated ? buffer.slice(0, -1) : buffer;
  if (terminated || tail !== '') {
    const event = applyLine(pending, tail, onComment);
    if (event) {
      yield event;
      return;
    }
  }
  if (pending.hasData && pending.data.join('\n').trim() === '[DONE]') {
    yield { event: pending.event, data: '[DONE]' };
    return;
  }
  if (pending.hasData || (!terminated && tail !== '')) {
    throw new SwitchboardError('stream.interrupted', `The event stream ended in the middle of an event after ${bytes} bytes.`, {
      fix: ['Retry the request; the connection or the server cut the answer off.'],
    });
  }
}

interface PendingEvent {
  event: string;
  data: string[];
  id?: string;
  hasData: boolean;
  /** Characters of data collected so far, checked against MAX_STREAM_LINE_CHARS. */
  size: number;
}

function newPending(): PendingEvent {
  return { event: 'message', data: [], hasData: false, size: 0 };
}

/** Reads complete lines from decoded text; `rest` is the unfinished end. */
class LineReader {
  private start = 0;
  /** Streams almost never use CR, so text without one is split with indexOf alone. */
  private readonly hasCarriageReturn: boolean;

  constructor(private readonly text: string) {
    this.hasCarriageReturn = text.includes('\r');
  }

  next(): string | undefined {
    const { text, start } = this;
    if (!this.hasCarriageReturn) {
      const end = text.indexOf('\n', start);
      if (end === -1) return undefined;
      this.start = end + 1;
      return text.slice(start, end);
    }
    for (let index = start; index < text.length; index++) {
      const char = text.charCodeAt(index);
      if (char !== 10 && char !== 13) continue;
      // A CR at the very end may be the first half of CRLF; wait for the next read.
      if (char === 13 && index === text.length - 1) return undefined;
      this.start = char === 13 && text.charCodeAt(index + 1) === 10 ? index + 2 : index + 1;
      return text.slice(start, index);
    }
    return undefined;
  }

  rest(): string {
    return this.text.slice(this.start);
  }
}

/** Applies one line to the pending event; returns the event when the line completes it. */
function applyLine(pending: PendingEvent, line: string, onComment?: (text: string) => void): SseEvent | undefined {
  if (line === '') {
    if (!pending.hasData) {
      pending.event = 'message';
      return undefined;
    }
    return { event: pending.event, data: pending.data.join('\n'), id: pending.id };
  }
  if (line.startsWith(':')) {
    onComment?.(line.slice(1).trim());
    return undefined;
  }
  const colon = line.indexOf(':');
  const field = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? '' : line.slice(colon + 1);
  if (value.startsWith(' ')) value = value.slice(1);
  if (field === 'data') {
    pending.data.push(value);
    pending.size += value.length + 1;
    pending.hasData = true;
  } else if (field === 'event') {
    pending.event = value;
  } else if (field === 'error') {
    // llama.cpp's server has written errors as a non-standard `error:` field; keep them as an error event.
    pending.event = 'error';
    pending.data.push(value);
    pending.size += value.length + 1;
    pending.hasData = true;
  } else if (field === 'id') {
    pending.id = value;
  }
  return undefined;
}
