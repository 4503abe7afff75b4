export type QueryOutput = 'table' | 'json' | 'csv';

export interface Tabular {
  rows: Record<string, unknown>[];
  /** Scalar fields beside the rows (processTree: exec_id, truncated), for a note under a table. */
  extra: Record<string, unknown>;
}

/**
 * Rows from a preset's result: a list is the rows; an object holding exactly one list of objects
 * (processTree's nodes) gives that list, its other fields kept aside; any other object is one
 * row; null (firstSeen: never ran) is none.
 */
export function toRows(result: unknown): Tabular {
  if (result === null || result === undefined) return { rows: [], extra: {} };
  if (Array.isArray(result)) return { rows: result.map(asRow), extra: {} };
  if (typeof result !== 'object') return { rows: [{ result }], extra: {} };
  const entries = Object.entries(result as Record<string, unknown>);
  const lists = entries.filter(([, v]) => Array.isArray(v));
  if (lists.length === 1) {
    const [name, list] = lists[0]!;
    return {
      rows: (list as unknown[]).map(asRow),
      extra: Object.fromEntries(entries.filter(([k]) => k !== name)),
    };
  }
  return { rows: [result as Record<string, unknown>], extra: {} };
}

function asRow(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

/** Every column that occurs, in first-seen order (rows of one preset share them; a missing one is empty). */
function columnsOf(rows: Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) seen.add(k);
  return [...seen];
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Aligned columns for a terminal; numbers right-aligned. Empty string when there are no rows. */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns = columnsOf(rows);
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const numeric = columns.map((c) =>
    rows.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number'),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** RFC 4180: a header line, CRLF line ends, fields with a comma, quote or line break quoted. */
export function formatCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns = columnsOf(rows);
  const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return (
    [columns, ...rows.map((r) => columns.map((c) => cell(r[c])))].map((l) => l.map(field).join(',')).join('\r\n') +
    '\r\n'
  );
}
