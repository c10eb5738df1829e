/** JSON GET requests to one local origin, with a shared deadline and a bound on body size. */

import { isSwitchboardError } from '../errors';

/** The `fetch` that detection sends its requests through, such as `Network.fetch`. */
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Largest body read from a probe, in bytes. A larger body comes from some other kind of server,
 * so it is not parsed. By estimate, an Ollama model list of a few hundred models takes 150 KB.
 */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Errors that mean nothing listens at the address, so another loopback address may be tried. */
const NOT_LISTENING_CODES = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EAFNOSUPPORT']);

/**
 * The outcome of one GET: an HTTP status with the JSON body (undefined when the body is not
 * JSON), or a failure before any response.
 */
export type ProbeResult = { status: number; body: unknown } | { failure: 'not_listening' | 'no_response' };

export class Probe {
  constructor(
    /** Such as `http://127.0.0.1:11434`, with brackets around an IPv6 address. */
    readonly origin: string,
    private readonly fetch: FetchFunction,
    private readonly signal: AbortSignal,
  ) {}

  /** Sends GET `path` and reads a JSON body. Never throws: every failure becomes a result. */
  async get(path: string): Promise<ProbeResult> {
    try {
      const response = await this.fetch(`${this.origin}${path}`, { signal: this.signal, headers: { accept: 'application/json' } });
      return { status: response.status, body: await readJson(response) };
    } catch (error) {
      return { failure: isNotListening(error) ? 'not_listening' : 'no_response' };
    }
  }
}

/** Reads the JSON body of a 2xx response that fits MAX_BODY_BYTES, or returns undefined. */
async function readJson(response: Response): Promise<unknown> {
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const text = await readBounded(response.body);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readBounded(body: ReadableStream<Uint8Array>): Promise<string | undefined> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isNotListening(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    if (isSwitchboardError(current) && current.code === 'network.refused') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_LISTENING_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the JSON body of a result, or undefined after an error status or a failure. */
export function bodyOf(result: ProbeResult): unknown {
  return 'status' in result ? result.body : undefined;
}
