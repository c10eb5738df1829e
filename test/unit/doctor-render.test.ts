import * as assert from 'node:assert/strict';

import { renderDoctorMarkdown, renderDoctorText } from '../../src/engine/doctor/render';
import { STEP_IDS, STEP_TITLES, type DoctorReport, type StepId } from '../../src/engine/doctor/report';

/** Builds a report whose step `failed` failed with network.refused, after passing steps. */
function reportFailingAt(failed: StepId): DoctorReport {
  const index = STEP_IDS.indexOf(failed);
  return {
    profile: 'local',
    baseUrl: 'http://127.0.0.1:11434/v1',
    model: 'llama3.2',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 5,
    ok: false,
    failedStep: failed,
    steps: STEP_IDS.slice(0, index + 1).map((id) => ({
      id,
      title: STEP_TITLES[id],
      status: id === failed ? 'fail' : 'pass',
      durationMs: 1,
      details: [],
      error: id === failed ? { code: 'network.refused', message: 'Connection refused.', fix: ['Start the server.'], retryable: true } : undefined,
    })),
  } as DoctorReport;
}

describe('doctor report rendering', () => {
  for (const [id, expected] of [
    ['tcp', 'The TCP connection step failed'],
    ['dns', 'The DNS lookup step failed'],
    ['tls', 'The TLS certificate step failed'],
    ['completion', 'The one-token request step failed'],
    ['configuration', 'The configuration step failed'],
  ] as const) {
    it(`keeps the acronyms of the ${id} title in the summary`, () => {
      const report = reportFailingAt(id);
      assert.ok(renderDoctorMarkdown(report).includes(`${expected} with network.refused`), renderDoctorMarkdown(report));
      assert.ok(renderDoctorText(report).includes(`${expected} with network.refused`), renderDoctorText(report));
    });
  }
});
