/**
 * The Markdown of the performance report. It contains a bar chart of the time to first token
 * per profile (inline SVG, which the Markdown preview draws), a table of the figures per
 * profile, the server's memory and caches, and the extension's activation time. The module is
 * pure, so it is tested without VS Code.
 */

import type { MetricsSnapshot, ProfileMetrics, Summary } from '../engine/metrics';
import { l10n } from './l10n';

export interface PerformanceReportInputs {
  snapshot: MetricsSnapshot;
  /** Milliseconds activate() took in this window. */
  activationTimeMs?: number;
}

export function renderPerformanceReport({ snapshot, activationTimeMs }: PerformanceReportInputs): string {
  const sections = [
    `# ${l10n.t('Switchboard performance report')}`,
    `_${l10n.t('Taken at {0}. Percentiles cover the most recent requests that the server keeps per profile, since it started.', new Date(snapshot.takenAt).toLocaleString())}_`,
    `## ${l10n.t('Requests per profile')}`,
    ...renderProfiles(snapshot.profiles),
    `## ${l10n.t('Server')}`,
    renderServer(snapshot),
    `## ${l10n.t('Extension')}`,
    activationTimeMs === undefined ? l10n.t('Activation has not finished.') : l10n.t('Activation took {0} ms in this window.', activationTimeMs.toFixed(1)),
  ];
  return `${sections.join('\n\n')}\n`;
}

function renderProfiles(profiles: readonly ProfileMetrics[]): string[] {
  if (profiles.length === 0) return [l10n.t('No request has been sent since the server started.')];
  const chart = renderFirstTokenChart(profiles);
  return [...(chart ? [chart] : []), renderProfileTable(profiles), ...renderErrors(profiles)];
}

function renderProfileTable(profiles: readonly ProfileMetrics[]): string {
  const header = [
    l10n.t('Profile'),
    l10n.t('Requests'),
    l10n.t('Completed'),
    l10n.t('First byte p50 / p95'),
    l10n.t('First token p50 / p95'),
    l10n.t('Tokens/s p50'),
    l10n.t('Cache hit rate'),
    l10n.t('Retries'),
    l10n.t('Errors'),
  ];
  const rows = profiles.map((profile) => [
    escapeCell(profile.profile),
    String(profile.requests),
    String(profile.completed),
    formatPair(profile.firstByteMs),
    formatPair(profile.firstTokenMs),
    profile.tokensPerSecond.p50 === undefined ? '–' : profile.tokensPerSecond.p50.toFixed(1),
    formatRate(profile),
    String(profile.retries),
    String(Object.values(profile.errors).reduce((sum, count) => sum + count, 0)),
  ]);
  const alignment = header.map((_, index) => (index === 0 ? '---' : '---:'));
  return [header, alignment, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Lists the error codes per profile that had any, most frequent first. */
function renderErrors(profiles: readonly ProfileMetrics[]): string[] {
  const lines = profiles
    .filter((profile) => Object.keys(profile.errors).length > 0)
    .map((profile) => {
      const codes = Object.entries(profile.errors)
        .sort(([, a], [, b]) => b - a)
        .map(([code, count]) => `\`${code}\` × ${count}`);
      return `- ${l10n.t('Errors of {0}: {1}', escapeCell(profile.profile), codes.join(', '))}`;
    });
  return lines.length > 0 ? [lines.join('\n')] : [];
}

function renderServer(snapshot: MetricsSnapshot): string {
  const rows: [string, string][] = [];
  const memory = snapshot.process;
  if (memory) {
    rows.push([l10n.t('Resident memory (RSS)'), formatBytes(memory.rssBytes)]);
    rows.push([l10n.t('JavaScript heap used / total'), `${formatBytes(memory.heapUsedBytes)} / ${formatBytes(memory.heapTotalBytes)}`]);
    rows.push([l10n.t('Memory outside the heap'), formatBytes(memory.externalBytes)]);
    const delay = memory.eventLoopDelayMs;
    if (delay.p50 !== undefined) rows.push([l10n.t('Event-loop delay p50 / p99 / max'), `${formatMs(delay.p50)} / ${formatMs(delay.p99)} / ${formatMs(delay.max)}`]);
  }
  const responses = snapshot.caches.responses;
  rows.push([l10n.t('Response cache'), l10n.t('{0} answers, {1} of {2}', responses.entries, formatBytes(responses.bytes), formatBytes(responses.maxBytes))]);
  rows.push([l10n.t('Model-list cache'), l10n.t('{0} lists', snapshot.caches.modelLists.entries)]);
  rows.push([l10n.t('Provider adapters loaded'), snapshot.loadedProviders.length > 0 ? snapshot.loadedProviders.join(', ') : l10n.t('none')]);
  return ['| | |', '|---|---:|', ...rows.map(([label, value]) => `| ${label} | ${value} |`)].join('\n');
}

const CHART_WIDTH = 640;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 80;
const BAR_HEIGHT = 14;
const BAR_GAP = 4;
const GROUP_GAP = 12;
const LEGEND_HEIGHT = 28;
const P50_COLOR = '#3794ff';
const P95_COLOR = '#d18616';

/**
 * Draws a horizontal bar chart of the p50 and p95 time to first token per profile, scaled to
 * the largest p95. Returns undefined when no profile has a sample yet.
 */
export function renderFirstTokenChart(profiles: readonly ProfileMetrics[]): string | undefined {
  const measured = profiles.filter((profile) => profile.firstTokenMs.p50 !== undefined);
  if (measured.length === 0) return undefined;
  const largest = Math.max(...measured.map((profile) => profile.firstTokenMs.p95 ?? profile.firstTokenMs.p50 ?? 0), 1);
  const barSpace = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const groupHeight = 2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP;
  const height = LEGEND_HEIGHT + measured.length * groupHeight;
  const title = l10n.t('Time to first token per profile, p50 and p95');

  const parts = [
    // The chart shrinks with a narrow preview and keeps its proportions, because only its width is set.
    `<svg xmlns="http://www.w3.org/2000/svg" width="100%" style="max-width: ${CHART_WIDTH}px" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeXml(title)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    legendItem(0, P50_COLOR, 'p50'),
    legendItem(70, P95_COLOR, 'p95'),
  ];
  measured.forEach((profile, index) => {
    const top = LEGEND_HEIGHT + index * groupHeight;
    parts.push(`<text x="0" y="${top + BAR_HEIGHT + 2}" fill="currentColor">${escapeXml(truncate(profile.profile, 22))}</text>`);
    parts.push(bar(top, profile.firstTokenMs.p50, largest, barSpace, P50_COLOR));
    parts.push(bar(top + BAR_HEIGHT + BAR_GAP, profile.firstTokenMs.p95, largest, barSpace, P95_COLOR));
  });
  parts.push('</svg>');
  // A blank line would end the Markdown HTML block, so empty parts are left out.
  return parts.filter((part) => part !== '').join('\n');
}

function legendItem(x: number, color: string, label: string): string {
  return `<rect x="${x}" y="4" width="12" height="12" fill="${color}"/><text x="${x + 16}" y="14" fill="currentColor">${label}</text>`;
}

/** Draws one bar with its value after it, or nothing for a missing value. */
function bar(top: number, value: number | undefined, largest: number, barSpace: number, color: string): string {
  if (value === undefined) return '';
  const width = Math.max(1, Math.round((value / largest) * barSpace));
  const x = LABEL_WIDTH;
  return `<rect x="${x}" y="${top}" width="${width}" height="${BAR_HEIGHT}" fill="${color}"/><text x="${x + width + 6}" y="${top + BAR_HEIGHT - 3}" fill="currentColor">${escapeXml(formatMs(value))}</text>`;
}

function formatPair(summary: Summary): string {
  if (summary.p50 === undefined) return '–';
  return `${formatMs(summary.p50)} / ${formatMs(summary.p95)}`;
}

function formatRate(profile: ProfileMetrics): string {
  const looked = profile.cache.hits + profile.cache.joined + profile.cache.misses;
  return looked === 0 ? '–' : `${Math.round(profile.cache.hitRate * 100)} %`;
}

/** Formats milliseconds as "850 ms" below ten seconds and "12.4 s" above. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 10_000 ? l10n.t('{0} ms', Math.round(ms)) : l10n.t('{0} s', (ms / 1000).toFixed(1));
}

/** Formats bytes in binary units: "512 B", "3.4 KiB", "41.2 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** Keeps a profile name from breaking a Markdown table row or adding formatting. */
function escapeCell(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, '\\$&').replace(/\r?\n/g, ' ');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
