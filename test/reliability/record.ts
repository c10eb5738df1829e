/**
 * Records what a reliability scenario measured, for `npm run reliability` to turn into
 * docs/reliability.md. Pass and fail come from mocha. This adds what mocha cannot see:
 * how much data a scenario could have lost and the figures a run measured.
 *
 * Records go to the JSON Lines file named by SWITCHBOARD_RELIABILITY_LOG. Without that
 * variable (as in `npm test`) recording does nothing, so tests never depend on it.
 */

import { appendFileSync } from 'node:fs';

export interface ScenarioRecord {
  /** The suite's short name, such as "faults", "load", "hostile", "secrets" or "data". */
  suite: string;
  /** What happened, in a few words ("reset mid-stream"). */
  scenario: string;
  /** Items that were at risk: characters of partial text, feedback records, learned capabilities. */
  atRisk?: number;
  /** How many of those items were missing afterwards. A passing scenario records 0. */
  lost?: number;
  /** Measured figures with their unit in the key, such as { throughputPerSecond: 812, p99Ms: 41 }. */
  figures?: Record<string, number | string>;
}

export function recordScenario(record: ScenarioRecord): void {
  const file = process.env.SWITCHBOARD_RELIABILITY_LOG;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}
