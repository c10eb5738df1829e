/**
 * Feedback on disk, in the extension's global storage: `feedback.jsonl` contains every
 * submission and rating, `delivery.jsonl` the delivery events. A record without a
 * delivery event is in the queue, which the next start sends again. Pure Node.
 */

import * as path from 'node:path';

import type { Logger } from '../../engine/types';
import {
  parseDeliveryEvent,
  parseFeedbackRecord,
  RECORD_VERSION,
  type DeliveryEvent,
  type DeliveryStatus,
  type FeedbackRecord,
} from './feedback-record';
import { JsonLinesFile } from './json-lines-file';

export const FEEDBACK_FILE = 'feedback.jsonl';
export const DELIVERY_FILE = 'delivery.jsonl';

/** A stored record with its latest delivery event, if any. */
export interface StoredFeedback {
  record: FeedbackRecord;
  delivery?: DeliveryEvent;
}

export class FeedbackStore {
  private readonly records: JsonLinesFile<FeedbackRecord>;
  private readonly events: JsonLinesFile<DeliveryEvent>;

  constructor(
    readonly directory: string,
    log: Logger,
  ) {
    this.records = new JsonLinesFile(path.join(directory, FEEDBACK_FILE), parseFeedbackRecord, log);
    this.events = new JsonLinesFile(path.join(directory, DELIVERY_FILE), parseDeliveryEvent, log);
  }

  /** Appends the record and returns once it is flushed to disk. Only then may the user see that it was saved. */
  add(record: FeedbackRecord): Promise<void> {
    return this.records.append(record);
  }

  /** Records a terminal delivery state, which takes the record out of the queue. */
  setStatus(id: string, status: DeliveryStatus, details: { detail?: string; attempts?: number } = {}): Promise<void> {
    return this.events.append({ v: RECORD_VERSION, id, status, at: new Date().toISOString(), ...details });
  }

  /** Returns every record in the order it was stored, with its latest delivery event. */
  async list(): Promise<StoredFeedback[]> {
    const [records, events] = await Promise.all([this.records.load(), this.events.load()]);
    const latest = new Map<string, DeliveryEvent>();
    for (const event of events.records) latest.set(event.id, event);
    // Two windows may both store a record after a retry of the same append; the first copy wins.
    const seen = new Set<string>();
    const stored: StoredFeedback[] = [];
    for (const record of records.records) {
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      stored.push({ record, delivery: latest.get(record.id) });
    }
    return stored;
  }

  /** Records that have no delivery event yet: the delivery queue. */
  async pending(): Promise<FeedbackRecord[]> {
    return (await this.list()).filter((entry) => entry.delivery === undefined).map((entry) => entry.record);
  }
}
