import { randomBytes } from 'node:crypto';

/** Ids drawn from one buffer of random bytes, because a `randomBytes` call per request cost several microseconds. */
const IDS_PER_BUFFER = 256;
const BYTES_PER_ID = 3;

let pool = Buffer.alloc(0);
let next = 0;

/** Creates a short local request id (6 hex characters) that every log line of the request repeats. */
export function createRequestId(): string {
  if (next >= pool.length) {
    pool = randomBytes(IDS_PER_BUFFER * BYTES_PER_ID);
    next = 0;
  }
  const id = pool.toString('hex', next, next + BYTES_PER_ID);
  next += BYTES_PER_ID;
  return id;
}
