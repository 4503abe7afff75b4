import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  checkSegmentHeader,
  encodeRecord,
  encodedRecordBytes,
  FLAG_NULL_VALUE,
  parseRecords,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  segmentHeader,
  type SpoolRecord,
} from '../src/spool/record-format';
import { V1_RECORDS, V1_SEGMENT } from './fixtures/spool-v1';

const record = (i: number): SpoolRecord => ({
  topic: 'vigil.events.raw',
  key: `exec-${i % 3}`,
  value: Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(i % 17) })),
  timestamp: 1_700_000_000_000 + i,
});
const MAX = 1 << 20;

describe('spool record format', () => {
  it('round-trips records with their byte ranges, back to back', () => {
    const records = Array.from({ length: 20 }, (_, i) => record(i));
    const encoded = records.map(encodeRecord);
    encoded.forEach((b, i) => expect(b.length).toBe(encodedRecordBytes(records[i]!)));
    const parsed = parseRecords(Buffer.concat(encoded), 8, MAX);
    expect(parsed.issues).toEqual([]);
    expect(parsed.records.map((r) => r.record)).toEqual(records);
    expect(parsed.records[0]!.offset).toBe(8);
    for (let i = 1; i < parsed.records.length; i++) expect(parsed.records[i]!.offset).toBe(parsed.records[i - 1]!.end);
  });

  it('keeps UTF-8 keys and an empty value intact', () => {
    const r: SpoolRecord = { topic: 'vigil.policies', key: 'polícy-ü', value: Buffer.alloc(0), timestamp: 0 };
    expect(parseRecords(encodeRecord(r), 0, MAX).records[0]!.record).toEqual(r);
  });

  it('detects a flipped payload bit by CRC and resumes at the next record', () => {
    const parts = [0, 1, 2].map((i) => encodeRecord(record(i)));
    const buf = Buffer.concat(parts);
    const damagedAt = parts[0]!.length + 20;
    buf[damagedAt]! ^= 0x10;
    const parsed = parseRecords(buf, 0, MAX);
    expect(parsed.records.map((r) => r.record)).toEqual([record(0), record(2)]);
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]).toMatchObject({
      kind: 'corrupt',
      offset: parts[0]!.length,
      skippedBytes: parts[1]!.length,
    });
    expect(parsed.issues[0]!.detail).toMatch(/^CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$/);
  });

  it('detects a damaged length field (the CRC covers it) and resumes at the next record', () => {
    const parts = [0, 1, 2].map((i) => encodeRecord(record(i)));
    const buf = Buffer.concat(parts);
    buf[parts[0]!.length + 7]! ^= 0x01;
    const parsed = parseRecords(buf, 0, MAX);
    expect(parsed.records.map((r) => r.record)).toEqual([record(0), record(2)]);
    expect(parsed.issues.map((i) => i.kind)).toEqual(['corrupt']);
  });

  it('calls an incomplete last record truncated at every cut point, keeping the records before it', () => {
    const parts = [0, 1].map((i) => encodeRecord(record(i)));
    const whole = Buffer.concat(parts);
    for (let cut = 1; cut < parts[1]!.length; cut++) {
      const parsed = parseRecords(whole.subarray(0, parts[0]!.length + cut), 0, MAX);
      expect(parsed.records.map((r) => r.record)).toEqual([record(0)]);
      expect(parsed.issues).toEqual([
        expect.objectContaining({ kind: 'truncated', offset: parts[0]!.length, skippedBytes: cut }),
      ]);
    }
  });

  it('skips garbage between records and reports where it was', () => {
    const buf = Buffer.concat([encodeRecord(record(0)), Buffer.from('garbage!'), encodeRecord(record(1))]);
    const parsed = parseRecords(buf, 100, MAX);
    expect(parsed.records.map((r) => r.record)).toEqual([record(0), record(1)]);
    expect(parsed.issues).toEqual([
      {
        kind: 'corrupt',
        offset: 100 + encodedRecordBytes(record(0)),
        skippedBytes: 8,
        detail: expect.stringContaining('no record magic'),
      },
    ]);
  });

  it('rejects a length above the limit instead of reading past it', () => {
    const buf = encodeRecord(record(5));
    const parsed = parseRecords(buf, 0, 16);
    expect(parsed.records).toEqual([]);
    expect(parsed.issues[0]!.detail).toMatch(/^implausible record length \d+$/);
  });

  it('checks segment headers: good, short, foreign, other version', () => {
    expect(checkSegmentHeader(segmentHeader())).toEqual({ ok: true, version: 2 });
    expect(checkSegmentHeader(segmentHeader().subarray(0, 3))).toMatchObject({ ok: false, kind: 'truncated' });
    expect(checkSegmentHeader(Buffer.from('NOTASPOO'))).toMatchObject({ ok: false, kind: 'corrupt' });
    const v1 = segmentHeader();
    v1[7] = 1;
    expect(checkSegmentHeader(v1)).toEqual({ ok: true, version: 1 });
    const v3 = segmentHeader();
    v3[7] = 3;
    expect(checkSegmentHeader(v3)).toMatchObject({
      ok: false,
      kind: 'version',
      detail: 'segment format version 3, this reader knows 1 and 2',
    });
  });

  it('records its flags byte after the timestamp (version 2): bit 0 for a null value, 0 otherwise', () => {
    const at = RECORD_HEADER_BYTES + 8;
    const tombstone = encodeRecord({ topic: 't', key: 'k', value: null, timestamp: 1 });
    const empty = encodeRecord({ topic: 't', key: 'k', value: Buffer.alloc(0), timestamp: 1 });
    expect(tombstone[at]).toBe(FLAG_NULL_VALUE);
    expect(empty[at]).toBe(0);
    // Same size: a null value stores no bytes, like an empty one; only the flag differs.
    expect(tombstone.length).toBe(empty.length);
    expect(tombstone.subarray(at + 1).equals(empty.subarray(at + 1))).toBe(true);
  });
});

/** Re-CRCs a record whose payload a test changed on purpose (a consistent frame around a bad payload). */
function withFixedCrc(record: Buffer): Buffer {
  const out = Buffer.from(record);
  out.writeUInt32BE(crc32(out.subarray(RECORD_HEADER_BYTES), crc32(out.subarray(4, 8))), 8);
  return out;
}

describe('spool record format: null values (version 2) and version-1 segments', () => {
  const tombstone: SpoolRecord = { topic: 'vigil.policies', key: 'p1', value: null, timestamp: 1_700_000_000_000 };
  const empty: SpoolRecord = {
    topic: 'vigil.policies',
    key: 'p1',
    value: Buffer.alloc(0),
    timestamp: 1_700_000_000_001,
  };
  const full: SpoolRecord = { ...record(4), topic: 'vigil.policies' };

  it('keeps a null value null and an empty value empty, back to back with other records', () => {
    const records = [tombstone, empty, full, tombstone];
    const encoded = records.map(encodeRecord);
    encoded.forEach((b, i) => expect(b.length).toBe(encodedRecordBytes(records[i]!)));
    const parsed = parseRecords(Buffer.concat(encoded), SEGMENT_HEADER_BYTES, MAX);
    expect(parsed.issues).toEqual([]);
    expect(parsed.records.map((r) => r.record)).toEqual(records);
    expect(parsed.records[0]!.record.value).toBeNull();
    expect(parsed.records[1]!.record.value).toEqual(Buffer.alloc(0));
    expect(parsed.records.map((r) => r.end - r.offset)).toEqual(encoded.map((b) => b.length));
  });

  it('reads a version-1 segment (written before null values) with its own layout: an empty value stays empty', () => {
    const header = checkSegmentHeader(V1_SEGMENT.subarray(0, SEGMENT_HEADER_BYTES));
    expect(header).toEqual({ ok: true, version: 1 });
    const parsed = parseRecords(V1_SEGMENT.subarray(SEGMENT_HEADER_BYTES), SEGMENT_HEADER_BYTES, MAX, 1);
    expect(parsed.issues).toEqual([]);
    expect(parsed.records.map((r) => r.record)).toEqual(V1_RECORDS);
    expect(parsed.records.every((r) => r.record.value !== null)).toBe(true);
    expect(parsed.records.at(-1)!.end).toBe(V1_SEGMENT.length);
  });

  it('counts damage in a version-1 segment as before: a flipped bit is corrupt, a cut tail is truncated', () => {
    const body = V1_SEGMENT.subarray(SEGMENT_HEADER_BYTES);
    const first = parseRecords(body, SEGMENT_HEADER_BYTES, MAX, 1).records[0]!;
    const flipped = Buffer.from(body);
    flipped[first.end - SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 3]! ^= 0x04;
    const damaged = parseRecords(flipped, SEGMENT_HEADER_BYTES, MAX, 1);
    expect(damaged.records.map((r) => r.record)).toEqual([V1_RECORDS[0], V1_RECORDS[2]]);
    expect(damaged.issues).toEqual([
      expect.objectContaining({ kind: 'corrupt', offset: first.end, skippedBytes: 12 + 30 }),
    ]);
    expect(damaged.issues[0]!.detail).toMatch(/^CRC mismatch/);
    const lastStart = parseRecords(body, SEGMENT_HEADER_BYTES, MAX, 1).records[2]!.offset - SEGMENT_HEADER_BYTES;
    for (let cut = lastStart + 1; cut < body.length; cut++) {
      const parsed = parseRecords(body.subarray(0, cut), SEGMENT_HEADER_BYTES, MAX, 1);
      expect(parsed.records.map((r) => r.record)).toEqual(V1_RECORDS.slice(0, 2));
      expect(parsed.issues).toEqual([
        expect.objectContaining({
          kind: 'truncated',
          offset: SEGMENT_HEADER_BYTES + lastStart,
          skippedBytes: cut - lastStart,
        }),
      ]);
    }
  });

  it('reads a minimal version-1 record that would be too short for version 2', () => {
    // Empty topic, key and value: a 14-byte payload, one below version 2's fixed part.
    const v1 = Buffer.alloc(RECORD_HEADER_BYTES + 14);
    Buffer.from('VSR1').copy(v1, 0);
    v1.writeUInt32BE(14, 4);
    v1.writeBigUInt64BE(5n, RECORD_HEADER_BYTES);
    const fixed = withFixedCrc(v1);
    expect(parseRecords(fixed, 0, MAX, 1)).toEqual({
      records: [{ record: { topic: '', key: '', value: Buffer.alloc(0), timestamp: 5 }, offset: 0, end: fixed.length }],
      issues: [],
    });
    expect(parseRecords(fixed, 0, MAX, 2).issues).toEqual([
      expect.objectContaining({ kind: 'corrupt', detail: 'implausible record length 14' }),
    ]);
  });

  it('refuses to parse records of a version it does not know', () => {
    expect(() => parseRecords(Buffer.alloc(0), 0, MAX, 3)).toThrow(/format version 3 cannot be read/);
  });

  it('detects a damaged flag by CRC: the tombstone is skipped as corrupt, never read as an empty value', () => {
    const parts = [full, tombstone, full].map(encodeRecord);
    const buf = Buffer.concat(parts);
    buf[parts[0]!.length + RECORD_HEADER_BYTES + 8]! ^= FLAG_NULL_VALUE;
    const parsed = parseRecords(buf, 0, MAX);
    expect(parsed.records.map((r) => r.record)).toEqual([full, full]);
    expect(parsed.issues).toEqual([
      expect.objectContaining({ kind: 'corrupt', offset: parts[0]!.length, skippedBytes: parts[1]!.length }),
    ]);
  });

  it('calls a tombstone cut at every point truncated, keeping the records before it', () => {
    const parts = [empty, tombstone].map(encodeRecord);
    const whole = Buffer.concat(parts);
    for (let cut = 1; cut < parts[1]!.length; cut++) {
      const parsed = parseRecords(whole.subarray(0, parts[0]!.length + cut), 0, MAX);
      expect(parsed.records.map((r) => r.record)).toEqual([empty]);
      expect(parsed.issues).toEqual([
        expect.objectContaining({ kind: 'truncated', offset: parts[0]!.length, skippedBytes: cut }),
      ]);
    }
  });

  it('counts an inconsistent payload with a valid CRC as corrupt: null flag with value bytes, unknown flags', () => {
    const nullWithBytes = Buffer.from(encodeRecord(full));
    nullWithBytes[RECORD_HEADER_BYTES + 8] = FLAG_NULL_VALUE;
    const unknownFlag = Buffer.from(encodeRecord(empty));
    unknownFlag[RECORD_HEADER_BYTES + 8] = 0x82;
    const bad = [withFixedCrc(nullWithBytes), withFixedCrc(unknownFlag)];
    const good = encodeRecord(tombstone);
    const parsed = parseRecords(Buffer.concat([bad[0]!, good, bad[1]!, good]), 0, MAX);
    expect(parsed.records.map((r) => r.record)).toEqual([tombstone, tombstone]);
    expect(parsed.issues).toEqual([
      {
        kind: 'corrupt',
        offset: 0,
        skippedBytes: bad[0]!.length,
        detail: `null value flagged, but ${full.value!.length} value bytes follow`,
      },
      {
        kind: 'corrupt',
        offset: bad[0]!.length + good.length,
        skippedBytes: bad[1]!.length,
        detail: 'unknown flags 0x82',
      },
    ]);
  });
});
