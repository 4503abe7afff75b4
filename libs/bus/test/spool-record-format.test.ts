import { describe, expect, it } from 'vitest';
import {
  checkSegmentHeader,
  encodeRecord,
  encodedRecordBytes,
  parseRecords,
  segmentHeader,
  type SpoolRecord,
} from '../src/spool/record-format';

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
    expect(checkSegmentHeader(segmentHeader())).toEqual({ ok: true });
    expect(checkSegmentHeader(segmentHeader().subarray(0, 3))).toMatchObject({ ok: false, kind: 'truncated' });
    expect(checkSegmentHeader(Buffer.from('NOTASPOO'))).toMatchObject({ ok: false, kind: 'corrupt' });
    const v2 = segmentHeader();
    v2[7] = 2;
    expect(checkSegmentHeader(v2)).toMatchObject({
      ok: false,
      kind: 'version',
      detail: expect.stringContaining('version 2'),
    });
  });
});
