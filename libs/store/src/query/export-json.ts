/**
 * JSON export of stored events: each event exactly as it was received, one per line
 * (Tetragon's export format), in time order, read page by page so a day of events never sits in
 * memory. Pages continue after the last (time_ns, event_id) seen, which is exact even when
 * many events share one nanosecond.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { QueryRunner } from './dialect';
import { timeRangeSql, type TimeRange } from './time-range';
import { asBigInt, asString } from './values';

export interface ExportParams extends TimeRange {
  /** Rows per query. Default 5,000. */
  pageSize?: number;
}

/** Yields the stored event JSON lines (without the newline) of the range. */
export async function* exportEventLines(runner: QueryRunner, params: ExportParams): AsyncGenerator<string> {
  const pageSize = params.pageSize ?? 5_000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new RangeError(`export: pageSize must be a positive integer, got ${pageSize}`);
  let after: { ns: bigint; id: string } | undefined;
  for (;;) {
    const cursor = after;
    const rows = await runner.query(
      (d) => `SELECT time_ns, event_id, event_json FROM ${d.events}
WHERE ${timeRangeSql(d, params)}${
        cursor
          ? ` AND (time_ns > ${d.value(cursor.ns)} OR (time_ns = ${d.value(cursor.ns)} AND event_id > ${d.value(cursor.id)}))`
          : ''
      }
ORDER BY time_ns ASC, event_id ASC
LIMIT ${d.value(pageSize)}`,
    );
    for (const row of rows) yield asString(row, 'event_json');
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) return;
    after = { ns: asBigInt(last, 'time_ns'), id: asString(last, 'event_id') };
  }
}

/** Writes the range as newline-delimited JSON to `out` (honouring backpressure); returns the count. */
export async function exportEventsNdjson(runner: QueryRunner, params: ExportParams, out: Writable): Promise<number> {
  let count = 0;
  for await (const line of exportEventLines(runner, params)) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
    count++;
  }
  return count;
}
