/** Text forms of a doctor report: Markdown for the editor, plain lines for the terminal, and JSON. */

import type { DoctorReport, DoctorStep, StepStatus } from './report';

const MARKS: Record<StepStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-' };
const WORDS: Record<StepStatus, string> = { pass: 'passed', fail: 'failed', warn: 'warning', skip: 'skipped' };

/** Renders the report as Markdown: a summary line, then one section per step. */
export function renderDoctorMarkdown(report: DoctorReport): string {
  const lines = [`# Connection diagnosis: ${escapeMarkdown(report.profile)}`, '', summary(report), ''];
  lines.push(`- Base URL: \`${report.baseUrl}\``, `- Model: \`${report.model}\``);
  if (report.remoteName) lines.push(`- Running on a remote host: \`${report.remoteName}\``);
  lines.push(`- Started: ${report.startedAt}, took ${report.durationMs} ms`, '');

  for (const step of report.steps) {
    lines.push(`## ${MARKS[step.status]} ${step.title} (${WORDS[step.status]}, ${step.durationMs} ms)`, '');
    for (const detail of step.details) lines.push(`- ${escapeMarkdown(detail)}`);
    if (step.error) {
      lines.push('', `**Error \`${step.error.code}\`:** ${escapeMarkdown(step.error.message)}`);
      if (step.error.fix.length) lines.push('', '**How to fix it:**', '', ...step.error.fix.map((fix) => `1. ${escapeMarkdown(fix)}`));
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Renders the report for a terminal: one mark (✓ ✗ ! -) and title per step, its findings indented below. */
export function renderDoctorText(report: DoctorReport): string {
  const lines = [`Connection diagnosis of profile "${report.profile}" (${report.baseUrl}, model ${report.model})`];
  for (const step of report.steps) lines.push(...stepLines(step));
  lines.push('', summary(report));
  return `${lines.join('\n')}\n`;
}

/** Renders the JSON form: the report itself, which contains plain data only. */
export function renderDoctorJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function stepLines(step: DoctorStep): string[] {
  const lines = [`${MARKS[step.status]} ${step.title} (${step.durationMs} ms)`];
  for (const detail of step.details) lines.push(`    ${detail}`);
  if (step.error) {
    lines.push(`    error ${step.error.code}: ${step.error.message}`);
    for (const fix of step.error.fix) lines.push(`    fix: ${fix}`);
  }
  return lines;
}

function summary(report: DoctorReport): string {
  const warnings = report.steps.filter((step) => step.status === 'warn').length;
  if (report.failedStep) {
    const step = report.steps.find((candidate) => candidate.id === report.failedStep)!;
    return `The ${inSentence(step.title)} step failed with ${step.error?.code ?? 'an error'}; the steps after it did not run.`;
  }
  return warnings ? `Every step passed, with ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}.` : 'Every step passed.';
}

/**
 * Returns a step title for the middle of a sentence: the first letter in lower case, unless the
 * first word is an acronym such as DNS, TCP or TLS, which keeps its capitals.
 */
function inSentence(title: string): string {
  if (/^[A-Z0-9]{2,}\b/.test(title)) return title;
  return title.charAt(0).toLowerCase() + title.slice(1);
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>])/g, '\\$1');
}
