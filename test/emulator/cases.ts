/**
 * Loads the recorded provider failures (one JSON object a line) and turns a case's recorded
 * response into a Script, so tests can replay the provider's own bytes.
 */

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { isRecord } from './reply';
import type { Script } from './script';

/** Returns the cases file: SWITCHBOARD_CASES when set, else `shared/cases/failures.jsonl` beside the repository. */
export function casesFile(): string {
  const repositoryRoot = path.resolve(__dirname, '../../..');
  return process.env['SWITCHBOARD_CASES'] ?? path.resolve(repositoryRoot, '../shared/cases/failures.jsonl');
}

export interface FailureCase {
  id: string;
  input: Record<string, unknown>;
  expected?: Record<string, unknown>;
}

export function loadCases(file: string = casesFile()): Map<string, FailureCase> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the failure cases at ${file}: ${(error as Error).message}. Set SWITCHBOARD_CASES to the file's path.`);
  }

  const cases = new Map<string, FailureCase>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    const parsed: unknown = JSON.parse(line);
    if (isRecord(parsed) && typeof parsed['id'] === 'string' && isRecord(parsed['input'])) {
      cases.set(parsed['id'], parsed as unknown as FailureCase);
    }
  }
  return cases;
}

/** Reads a status that the cases give as a number or as text that starts with one ("401 (…)"). */
function readStatus(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  const digits = typeof value === 'string' ? /^\d{3}/.exec(value) : null;
  return digits ? Number(digits[0]) : 200;
}

/**
 * Copies the recorded headers that still hold for the replayed body. Length and transfer
 * headers are dropped because Node computes them for the body it sends.
 */
function readHeaders(response: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (isRecord(response['headers'])) {
    for (const [name, value] of Object.entries(response['headers'])) {
      const lowerName = name.toLowerCase();
      if (typeof value === 'string' && lowerName !== 'content-length' && lowerName !== 'transfer-encoding') {
        headers[lowerName] = value;
      }
    }
  }
  if (typeof response['content_type'] === 'string') {
    headers['content-type'] = response['content_type'];
  }
  return headers;
}

/** Turns a case's recorded response into a Script; throws for cases that record only a network condition. */
export function caseScript(failureCase: FailureCase): Script {
  const response = failureCase.input['response'];
  if (!isRecord(response)) {
    const condition = failureCase.input['network_condition'];
    const detail = typeof condition === 'string' ? ` It records a network condition instead: ${condition}` : '';
    throw new Error(`Case ${failureCase.id} has no recorded response to replay.${detail}`);
  }

  const status = readStatus(response['status']);
  const headers = readHeaders(response);
  const body = response['body'] ?? response['body_equivalent'];
  if (typeof body === 'string' || isRecord(body)) {
    return { status, headers, body };
  }

  const raw = response['sse'] ?? response['single_read'];
  if (typeof raw === 'string') {
    return { status, headers, chunks: [raw] };
  }

  // Some reports quote only the error message, as Azure 429 reports often do. Azure wraps
  // the message as {"error":{"code","message"}} with the status as a string code.
  if (typeof response['message'] === 'string') {
    return { status, headers, body: { error: { code: String(status), message: response['message'] } } };
  }
  throw new Error(`Case ${failureCase.id} has a response without a body, stream text or message.`);
}
