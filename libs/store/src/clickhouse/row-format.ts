/** EventRow → the object sent as one JSONEachRow line. */
import type { EventRow } from '../row/event-row';

export type ClickHouseRecord = Record<string, string | number | string[]>;

export function toClickHouseRecord(row: EventRow): ClickHouseRecord {
  const { time_ns, ...rest } = row;
  return {
    ...rest,
    // DateTime as unix seconds: a 'YYYY-MM-DD hh:mm:ss' string would be read in the server's
    // time zone. UInt64 as a decimal string: a JS number loses precision past 2^53.
    time: Number(time_ns / 1_000_000_000n),
    time_ns: time_ns.toString(),
  };
}
