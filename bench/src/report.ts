import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One benchmark's outcome: rows of a table, and the ratio line that sums it up. */
export interface BenchResult {
  title: string;
  /** What is measured and against which baseline, for the reader of BENCHMARKS.md. */
  method: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  summary: string;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const fmt = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(r: BenchResult): string {
  const head = `| ${r.columns.join(' | ')} |\n|${r.columns.map(() => '---').join('|')}|`;
  return `${head}\n${r.rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}`;
}

/** Writes BENCHMARKS.md at the repository root: machine, command, and every result. */
export function writeReport(
  results: BenchResult[],
  file = path.resolve(__dirname, '..', '..', 'BENCHMARKS.md'),
): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const text = [
    '# Vigil benchmarks',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.versions.node}.`,
    'Each number is compared with a baseline measured in the same run, on the same machine; rerun with',
    '`sudo npx nx run @vigil/bench:bench` (or `cd bench && npm run bench`) after `scripts/setup`.',
    'This machine is a shared 2-core VM: absolute rates move between runs; the ratios are the result.',
    '',
    ...results.flatMap((r) => [`## ${r.title}`, '', r.method, '', table(r), '', `**${r.summary}**`, '']),
  ].join('\n');
  fs.writeFileSync(file, text);
  return file;
}
