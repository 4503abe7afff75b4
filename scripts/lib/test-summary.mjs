#!/usr/bin/env node
// Sums the vitest JSON reports of a run (reports/vitest/*.json) into one table and the closing
// line CI reads: "N passed, N failed, N skipped". Lanes whose runner crashed before writing a
// report are passed as arguments ("lane:exitcode") and count as failures, never as silence.
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve(import.meta.dirname, '..', '..', 'reports', 'vitest');
const files = fs.existsSync(dir)
  ? fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'))
  : [];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const file of files.map(String).sort()) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const suiteErrors = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  const f = report.numFailedTests + suiteErrors;
  const s = report.numPendingTests + report.numTodoTests;
  passed += report.numPassedTests;
  failed += f;
  skipped += s;
  rows.push([file.replace(/\.json$/, ''), report.numPassedTests, f, s]);
}
let crashes = 0;
for (const arg of process.argv.slice(2)) {
  const [lane, code] = arg.split(':');
  if (code !== '0') {
    crashes += 1;
    rows.push([`${lane} lane (runner exit ${code})`, '-', 'x', '-']);
  }
}
// A lane that failed without any failing test (a build error, a crashed worker) is one failure.
if (crashes > 0 && failed === 0) failed = crashes;

const width = Math.max(24, ...rows.map((r) => String(r[0]).length));
console.log(`\n${'suite'.padEnd(width)}  passed  failed  skipped`);
for (const [name, p, f, s] of rows)
  console.log(
    `${String(name).padEnd(width)}  ${String(p).padStart(6)}  ${String(f).padStart(6)}  ${String(s).padStart(7)}`,
  );
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
