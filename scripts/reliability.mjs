// `npm run reliability [-- --skip-build]`: builds, runs the reliability suites
// (out/test/reliability/**/*.test.js) with a bigger load than `npm test`, and rewrites the
// generated section of docs/reliability.md from mocha's JSON results and the scenario records
// (test/reliability/record.ts). Exits 1 when a scenario failed or the run did not finish.
// --skip-build skips the build steps, for a tree that is already built.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportFile = path.join(repository, 'docs/reliability.md');
const BEGIN = '<!-- reliability:begin -->';
const END = '<!-- reliability:end -->';
const DEFAULT_LOAD = { SWITCHBOARD_LOAD_REQUESTS: '2000', SWITCHBOARD_LOAD_CONCURRENCY: '128' };

const INTRODUCTION = `# Reliability

\`npm run reliability\` runs the reliability suites and rewrites the generated section below.
`;

function run(command, args, env = process.env) {
  console.log(`\n== ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { cwd: repository, stdio: 'inherit', env }).status;
}

function build() {
  const steps = [
    ['npm', ['run', '--silent', 'build']],
    ['npm', ['run', '--silent', 'compile-tests']],
    ['bash', ['scripts/setup-network-tests.sh']],
  ];
  for (const [command, args] of steps) {
    const status = run(command, args);
    if (status !== 0) {
      console.error(`reliability: "${command} ${args.join(' ')}" failed with exit code ${status}; no test ran.`);
      process.exit(1);
    }
  }
}

/** Runs mocha with the JSON reporter; returns its exit code, the parsed results and the scenario records. */
function runSuites(workDirectory) {
  const resultsFile = path.join(workDirectory, 'mocha.json');
  const recordsFile = path.join(workDirectory, 'records.jsonl');
  const env = { ...DEFAULT_LOAD, ...process.env, SWITCHBOARD_RELIABILITY_LOG: recordsFile };
  const status = run(
    'npx',
    ['mocha', '--timeout', '20000', '--reporter', 'json', '--reporter-option', `output=${resultsFile}`, 'out/test/reliability/**/*.test.js'],
    env,
  );
  if (!existsSync(resultsFile)) {
    console.error(`reliability: mocha exited with code ${status} and wrote no results to ${resultsFile}.`);
    process.exit(1);
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const records = existsSync(recordsFile)
    ? readFileSync(recordsFile, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line))
    : [];
  return { status, results, records, load: { requests: env.SWITCHBOARD_LOAD_REQUESTS, concurrency: env.SWITCHBOARD_LOAD_CONCURRENCY } };
}

/**
 * Returns the suite a mocha test belongs to: the first word of its full title. Every reliability
 * suite starts its top-level describe title with its short name ("faults …", "load …"), and
 * mocha's JSON reporter gives only the full title.
 */
function suiteOf(test) {
  return test.fullTitle.trim().split(/\s+/)[0].toLowerCase();
}

/** Groups mocha's tests and the records by suite, in the order the suites first appear. */
function groupBySuite(results, records) {
  const suites = new Map();
  const suite = (name) => {
    if (!suites.has(name)) suites.set(name, { name, tests: [], records: [] });
    return suites.get(name);
  };
  // Failures include hooks ("before all" hook …), which are not in `tests`.
  const failedTitles = new Set(results.failures.map((test) => test.fullTitle));
  const pendingTitles = new Set(results.pending.map((test) => test.fullTitle));
  const seen = new Set();
  for (const test of [...results.tests, ...results.failures]) {
    if (seen.has(test.fullTitle)) continue;
    seen.add(test.fullTitle);
    const state = failedTitles.has(test.fullTitle) ? 'failed' : pendingTitles.has(test.fullTitle) ? 'skipped' : 'passed';
    suite(suiteOf(test)).tests.push({ title: test.fullTitle, state, durationMs: test.duration, error: test.err?.message });
  }
  for (const record of records) suite(String(record.suite)).records.push(record);
  return [...suites.values()];
}

function summaryLine(suite) {
  const run = suite.tests.filter((test) => test.state !== 'skipped');
  const survived = run.filter((test) => test.state === 'passed').length;
  const failed = run.length - survived;
  const skipped = suite.tests.length - run.length;
  const lost = suite.records.reduce((sum, record) => sum + (Number(record.lost) || 0), 0);
  let loss;
  if (lost > 0) loss = `${lost} lost`;
  else if (failed > 0) loss = `no loss recorded, but ${failed} failed scenarios recorded nothing`;
  else loss = 'nothing lost';
  return `${run.length} scenarios, ${survived} survived, ${loss}${skipped ? ` (${skipped} skipped)` : ''}`;
}

function cell(text) {
  return String(text ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function testTable(suite) {
  const lines = ['| Scenario | Result | Time (ms) |', '| --- | --- | ---: |'];
  for (const test of suite.tests) {
    const result = test.state === 'failed' ? `failed: ${cell(test.error).slice(0, 200)}` : test.state;
    lines.push(`| ${cell(test.title)} | ${result} | ${test.durationMs ?? ''} |`);
  }
  return lines;
}

/** Checks whether a record holds the load suite's figures, which loadFigures shows in a table of their own. */
function isLoadFigures(record) {
  return record.suite === 'load' && record.scenario === 'load figures';
}

function recordTable(suite) {
  const records = suite.records.filter((record) => !isLoadFigures(record));
  if (records.length === 0) return [];
  const lines = ['', 'Recorded by the scenarios:', '', '| Scenario | At risk | Lost | Figures |', '| --- | ---: | ---: | --- |'];
  for (const record of records) {
    const figures = Object.entries(record.figures ?? {})
      .map(([name, value]) => `${name} ${value}`)
      .join(', ');
    lines.push(`| ${cell(record.scenario)} | ${record.atRisk ?? ''} | ${record.lost ?? ''} | ${cell(figures)} |`);
  }
  return lines;
}

/** Renders the load figures from the record of the load suite's "load figures" scenario. */
function loadFigures(records) {
  const record = records.find(isLoadFigures);
  if (!record) return ['', 'The load suite recorded no figures (it failed or did not run).'];
  const f = record.figures;
  return [
    '',
    `Load figures (${f.requests} requests, ${f.concurrency} at a time, measured inside the language server process):`,
    '',
    '| Figure | Value |',
    '| --- | ---: |',
    `| Throughput | ${f.throughputPerSecond} requests/s |`,
    `| Latency p50 | ${f.p50Ms} ms |`,
    `| Latency p99 | ${f.p99Ms} ms |`,
    `| Peak RSS | ${f.peakRssMegabytes} MB |`,
    `| Peak heap used | ${f.peakHeapMegabytes} MB |`,
    `| Peak open sockets | ${f.peakSockets} |`,
    `| Open sockets, baseline → after | ${f.baselineSockets} → ${f.afterSockets} |`,
    `| Timers, baseline → after | ${f.baselineTimers} → ${f.afterTimers} |`,
    `| Heap used after GC, baseline → after | ${f.baselineHeapMegabytes} MB → ${f.afterHeapMegabytes} MB |`,
  ];
}

function generatedSection({ results, records, load }) {
  const cpus = os.cpus();
  const lines = [
    BEGIN,
    '',
    `Generated by \`npm run reliability\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `(SWITCHBOARD_LOAD_REQUESTS=${load.requests}, SWITCHBOARD_LOAD_CONCURRENCY=${load.concurrency}).`,
    `Machine: ${cpus[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus.length}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB memory, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    '',
    `All suites: ${results.stats.tests} tests, ${results.stats.passes} passed, ${results.stats.failures} failed, ${results.stats.pending} skipped.`,
  ];
  for (const suite of groupBySuite(results, records)) {
    lines.push('', `## ${suite.name}`, '', summaryLine(suite) + '.', '', ...testTable(suite), ...recordTable(suite));
    if (suite.name === 'load') lines.push(...loadFigures(records));
  }
  lines.push('', END, '');
  return lines.join('\n');
}

/** Replaces the marked section of docs/reliability.md and keeps the hand-written text around it. */
function writeReport(section) {
  const current = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : INTRODUCTION;
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  let text;
  if (begin !== -1 && end > begin) text = current.slice(0, begin) + section.trimEnd() + current.slice(end + END.length);
  else text = `${current.trimEnd()}\n\n${section}`;
  writeFileSync(reportFile, text.endsWith('\n') ? text : `${text}\n`);
  console.log(`\nreliability: wrote ${path.relative(repository, reportFile)}`);
}

if (!process.argv.includes('--skip-build')) build();
const workDirectory = mkdtempSync(path.join(os.tmpdir(), 'switchboard-reliability-'));
try {
  const outcome = runSuites(workDirectory);
  writeReport(generatedSection(outcome));
  const failed = outcome.results.stats.failures;
  if (failed > 0 || outcome.status !== 0) {
    console.error(`reliability: ${failed} scenarios failed (mocha exit code ${outcome.status}).`);
    process.exitCode = 1;
  }
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
