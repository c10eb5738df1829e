import { randomBytes } from 'node:crypto';

/** Creates a short local request id (6 hex characters) that every log line of the request repeats. */
export function createRequestId(): string {
  return randomBytes(3).toString('hex');
}
