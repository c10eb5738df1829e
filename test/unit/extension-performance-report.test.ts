import * as assert from 'node:assert/strict';

import type { MetricsSnapshot, ProfileMetrics, Summary } from '../../src/engine/metrics';
import { formatBytes, formatMs, renderFirstTokenChart, renderPerformanceReport } from '../../src/extension/performance-report';

const EMPTY: Summary = { count: 0 };

function profile(change: Partial<ProfileMetrics>): ProfileMetrics {
  return {
    profile: 'work',
    requests: 0,
    completed: 0,
    errors: {},
    retries: 0,
    cache: { hits: 0, joined: 0, misses: 0, bypassed: 0, hitRate: 0 },
    firstByteMs: EMPTY,
    firstTokenMs: EMPTY,
    tokensPerSecond: EMPTY,
    recent: [],
    ...change,
  };
}

function snapshot(profiles: ProfileMetrics[]): MetricsSnapshot {
  return {
    takenAt: Date.UTC(2026, 0, 1, 12),
    profiles,
    caches: { responses: { entries: 3, bytes: 2048, maxBytes: 32 * 1024 * 1024, ttlMs: 1_800_000, inFlight: 0 }, modelLists: { entries: 1, ttlMs: 300_000 } },
    loadedProviders: ['openai'],
    process: {
      rssBytes: 80 * 1024 * 1024,
      heapUsedBytes: 20 * 1024 * 1024,
      heapTotalBytes: 30 * 1024 * 1024,
      externalBytes: 2 * 1024 * 1024,
      eventLoopDelayMs: { count: 10, p50: 10.2, p95: 12, p99: 20.4, max: 35 },
    },
  };
}

const WORK = profile({
  requests: 4,
  completed: 3,
  errors: { rate_limited: 1 },
  retries: 2,
  cache: { hits: 1, joined: 0, misses: 3, bypassed: 0, hitRate: 0.25 },
  firstByteMs: { count: 3, p50: 120, p95: 340 },
  firstTokenMs: { count: 3, p50: 180, p95: 400 },
  tokensPerSecond: { count: 3, p50: 42.26 },
});

describe('extension performance report', () => {
  it('lists each profile\'s figures in one row', () => {
    const markdown = renderPerformanceReport({ snapshot: snapshot([WORK]) });
    assert.match(markdown, /\| work \| 4 \| 3 \| 120 ms \/ 340 ms \| 180 ms \/ 400 ms \| 42\.3 \| 25 % \| 2 \| 1 \|/);
  });

  it('lists errors by code', () => {
    const markdown = renderPerformanceReport({ snapshot: snapshot([profile({ requests: 3, errors: { 'network.refused': 1, rate_limited: 2 } })]) });
    assert.match(markdown, /Errors of work: `rate_limited` × 2, `network\.refused` × 1/);
  });

  it('shows memory, caches and activation time', () => {
    const markdown = renderPerformanceReport({ snapshot: snapshot([WORK]), activationTimeMs: 3.456 });
    assert.match(markdown, /\| Resident memory \(RSS\) \| 80\.0 MiB \|/);
    assert.match(markdown, /\| JavaScript heap used \/ total \| 20\.0 MiB \/ 30\.0 MiB \|/);
    assert.match(markdown, /\| Event-loop delay p50 \/ p99 \/ max \| 10 ms \/ 20 ms \/ 35 ms \|/);
    assert.match(markdown, /\| Response cache \| 3 answers, 2\.0 KiB of 32\.0 MiB \|/);
    assert.match(markdown, /Activation took 3\.5 ms in this window\./);
  });

  it('says when nothing was sent yet', () => {
    const markdown = renderPerformanceReport({ snapshot: snapshot([]) });
    assert.match(markdown, /No request has been sent since the server started\./);
    assert.doesNotMatch(markdown, /<svg/);
  });

  it('shows dashes before the first sample', () => {
    const markdown = renderPerformanceReport({ snapshot: snapshot([profile({ requests: 1 })]) });
    assert.match(markdown, /\| work \| 1 \| 0 \| – \| – \| – \| – \| 0 \| 0 \|/);
  });

  it('escapes profile names in the table', () => {
    const markdown = renderPerformanceReport({ snapshot: snapshot([profile({ profile: 'a|b', requests: 1 })]) });
    assert.match(markdown, /\| a\\\|b \| 1 \|/);
  });

  describe('chart', () => {
    it('scales bars to the largest p95', () => {
      const slow = profile({ profile: 'slow', firstTokenMs: { count: 2, p50: 800, p95: 820 } });
      const chart = renderFirstTokenChart([WORK, slow]) ?? '';
      const widths = [...chart.matchAll(/<rect x="150" y="\d+" width="(\d+)"/g)].map((match) => Number(match[1]));
      // 410 px of bars: 640 wide, less 150 for labels and 80 for values.
      assert.deepEqual(widths, [Math.round((180 / 820) * 410), Math.round((400 / 820) * 410), Math.round((800 / 820) * 410), 410]);
    });

    it('labels bars with their values', () => {
      const chart = renderFirstTokenChart([WORK]) ?? '';
      assert.match(chart, />180 ms<\/text>/);
      assert.match(chart, />400 ms<\/text>/);
    });

    it('escapes profile names', () => {
      const chart = renderFirstTokenChart([profile({ profile: '<b>&', firstTokenMs: { count: 1, p50: 10, p95: 10 } })]) ?? '';
      assert.match(chart, />&lt;b&gt;&amp;<\/text>/);
    });

    it('contains no blank line, which would end the HTML block', () => {
      const chart = renderFirstTokenChart([profile({ firstTokenMs: { count: 1, p50: 10 } })]) ?? '';
      assert.doesNotMatch(chart, /\n\n/);
    });

    it('is left out without samples', () => {
      assert.equal(renderFirstTokenChart([profile({ requests: 2 })]), undefined);
    });
  });

  it('formats durations and sizes', () => {
    assert.equal(formatMs(9_999), '9999 ms');
    assert.equal(formatMs(12_345), '12.3 s');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
  });
});
