/**
 * Result values → the preset result types. ClickHouse's JSON prints UInt64 as strings, DuckDB
 * returns bigint: both become numbers (counts) or exact RFC 3339 timestamps (ns columns) here.
 */
import { timestampFromEpochNs } from '@vigil/events';
import type { ResultRow } from './dialect';

export type TimeBound = Date | bigint;

/** A time bound as ns since the epoch (a bigint already is one). */
export function toEpochNs(bound: TimeBound): bigint {
  if (typeof bound === 'bigint') return bound;
  const ms = bound.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid Date as a time bound');
  return BigInt(ms) * 1_000_000n;
}

function field(row: ResultRow, name: string): unknown {
  if (!(name in row)) throw new Error(`query result has no column "${name}" (columns: ${Object.keys(row).join(', ')})`);
  return row[name];
}

export function asString(row: ResultRow, name: string): string {
  const v = field(row, name);
  if (typeof v !== 'string') throw new Error(`column "${name}": expected a string, got ${typeof v}`);
  return v;
}

export function asBigInt(row: ResultRow, name: string): bigint {
  const v = field(row, name);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new Error(`column "${name}": expected an integer, got ${JSON.stringify(String(v))}`);
}

/** Counts and small integers. */
export function asNumber(row: ResultRow, name: string): number {
  const v = asBigInt(row, name);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`column "${name}": ${v} is beyond a safe JS number`);
  return Number(v);
}

/** A time_ns column as an exact RFC 3339 timestamp. */
export function asTimestamp(row: ResultRow, name: string): string {
  return timestampFromEpochNs(asBigInt(row, name));
}

export function asStrings(row: ResultRow, name: string): string[] {
  const v = field(row, name);
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`column "${name}": expected an array of strings`);
  return v as string[];
}
