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

/** Columns padded as prettier pads them, so the written file passes `npm run format:check`. */
function table(r: BenchResult): string {
  const cells = [r.columns, ...r.rows.map((row) => row.map(String))];
  const width = r.columns.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  const rule = `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

/** One result as its BENCHMARKS.md section (heading, method, table, summary line). */
export const section = (r: BenchResult) => [`## ${r.title}`, '', r.method, '', table(r), '', `**${r.summary}**`, ''];

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
    ...results.flatMap(section),
  ].join('\n');
  fs.writeFileSync(file, text);
  return file;
}

/**
 * Replaces only these results' sections in BENCHMARKS.md (matched by title; new ones are
 * appended) and leaves the header and every other section as they are: for one benchmark run
 * on its own, whose numbers must not overwrite the others' or their date.
 */
export function writeSections(
  results: BenchResult[],
  file = path.resolve(__dirname, '..', '..', 'BENCHMARKS.md'),
): string {
  if (!fs.existsSync(file)) return writeReport(results, file);
  // Split before each "## " heading: parts[0] is the header, each other part one section.
  const parts = fs.readFileSync(file, 'utf8').split(/^(?=## )/m);
  for (const r of results) {
    const text = section(r).join('\n') + '\n';
    const at = parts.findIndex((p, i) => i > 0 && p.startsWith(`## ${r.title}\n`));
    if (at > 0) parts[at] = text;
    else parts.push((parts[parts.length - 1]!.endsWith('\n\n') ? '' : '\n') + text);
  }
  fs.writeFileSync(file, parts.join('').replace(/\n+$/, '\n'));
  return file;
}
