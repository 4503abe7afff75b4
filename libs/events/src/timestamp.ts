/**
 * google.protobuf.Timestamp in protojson form: RFC 3339 in UTC with 0, 3, 6 or 9 fractional
 * digits (the shortest of those that is exact), e.g. "2024-05-01T10:00:00.123456789Z".
 */
import type { Timestamp } from './tetragon';

const NS_PER_SEC = 1_000_000_000n;

/** Timestamp for a wall-clock time in ns since the Unix epoch. */
export function timestampFromEpochNs(epochNs: bigint): Timestamp {
  let seconds = epochNs / NS_PER_SEC;
  let nanos = epochNs % NS_PER_SEC;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NS_PER_SEC;
  }
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}${fraction(Number(nanos))}Z`;
}

function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

/** ns since the epoch for an RFC 3339 timestamp (any fraction length, "Z" or ±hh:mm), or undefined. */
export function epochNsFromTimestamp(ts: Timestamp): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m || m[1] === undefined || m[3] === undefined) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const nanos = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + nanos;
}
