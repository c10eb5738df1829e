/**
 * Size limits for response bodies. A server that sends a body without end, or a line without a
 * line break, would otherwise grow the process until the request's deadline (600 s by default).
 * Real answers stay far below these limits.
 */

import { SwitchboardError } from '../errors';

const MIB = 1024 * 1024;

/** Bytes of a complete (not streamed) JSON answer. */
export const MAX_COMPLETE_BODY_BYTES = 32 * MIB;

/** Bytes read from an error response; the rest is discarded, because the start names the error. */
export const MAX_ERROR_BODY_BYTES = 1 * MIB;

/**
 * Characters (UTF-16 code units of the decoded text) of one line or one event of an event
 * stream, and of one NDJSON line. Each is one chunk of an answer, usually a few hundred characters.
 */
export const MAX_STREAM_LINE_CHARS = 8 * MIB;

export interface LimitedText {
  text: string;
  /** True when the body was longer than the limit and only its start was read. */
  truncated: boolean;
}

/** Reads a body as UTF-8 text up to `maxBytes`, then cancels the rest of it. */
export async function readTextUpTo(response: Response, maxBytes: number): Promise<LimitedText> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

/** The `stream.malformed` error for a body, line or event over its limit. */
export function tooLarge(what: string, limit: number, unit: 'bytes' | 'characters'): SwitchboardError {
  const size = unit === 'bytes' ? `${limit / MIB} MiB` : `${limit / MIB} Mi characters`;
  return new SwitchboardError('stream.malformed', `The server sent ${what} over the limit of ${size}.`, {
    fix: ['Check that the base URL points at the right kind of server; model APIs send far smaller answers.'],
  });
}

export interface BodyLimits {
  /** Bytes of the whole body; the body fails with `stream.malformed` beyond it. */
  maxBodyBytes?: number;
  /** Bytes between two line feeds, for event streams; the body fails with `stream.malformed` beyond it. */
  maxLineBytes?: number;
}

/**
 * Returns a copy of a response whose body fails with `stream.malformed` once it passes a limit,
 * for clients that read bodies themselves (such as the Gemini SDK), so that they never hold more
 * than the limit. The original body is cancelled at that point, which closes the connection.
 */
export function limitResponseBody(response: Response, limits: BodyLimits): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let total = 0;
  let sinceLineFeed = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      total += value.byteLength;
      const lastLineFeed = value.lastIndexOf(0x0a);
      sinceLineFeed = lastLineFeed === -1 ? sinceLineFeed + value.byteLength : value.byteLength - lastLineFeed - 1;
      const error =
        limits.maxBodyBytes !== undefined && total > limits.maxBodyBytes
          ? tooLarge('a body', limits.maxBodyBytes, 'bytes')
          : limits.maxLineBytes !== undefined && sinceLineFeed > limits.maxLineBytes
            ? tooLarge('an event-stream line', limits.maxLineBytes, 'bytes')
            : undefined;
      if (error) {
        await reader.cancel(error).catch(() => undefined);
        controller.error(error);
        return;
      }
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
