import type { SqlDialect } from './dialect';
import { toEpochNs, type TimeBound } from './values';

/** [since, until): until defaults to no upper bound. */
export interface TimeRange {
  since: TimeBound;
  until?: TimeBound;
}

export function timeRangeSql(d: SqlDialect, range: TimeRange): string {
  const since = toEpochNs(range.since);
  if (range.until === undefined) return `time_ns >= ${d.value(since)}`;
  const until = toEpochNs(range.until);
  if (until < since) throw new RangeError(`time range: until (${until} ns) is before since (${since} ns)`);
  return `time_ns >= ${d.value(since)} AND time_ns < ${d.value(until)}`;
}
