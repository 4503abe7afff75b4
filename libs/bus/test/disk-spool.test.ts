import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusLogger } from '../src/logger';
import { DiskSpool, SpoolFormatError, type DiskSpoolOptions } from '../src/spool/disk-spool';
import { encodedRecordBytes, SEGMENT_HEADER_BYTES, type SpoolRecord } from '../src/spool/record-format';
import { SpoolLockedError } from '../src/spool/spool-lock';
import { V1_RECORDS, V1_SEGMENT } from './fixtures/spool-v1';

const record = (i: number, topic = 'vigil.events.raw'): SpoolRecord => ({
  topic,
  key: `k${i % 4}`,
  value: Buffer.from(`{"i":${i}}`.padEnd(40, ' ')),
  timestamp: 1_000 + i,
});
const RECORD_BYTES = encodedRecordBytes(record(0));

function collectingLogger(): BusLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const dirs: string[] = [];
const open: DiskSpool[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function openSpool(overrides: Partial<DiskSpoolOptions> = {}, dir?: string): Promise<DiskSpool> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-spool-'));
  if (!dir) dirs.push(d);
  const spool = await DiskSpool.open({
    dir: d,
    maxBytes: 1 << 20,
    segmentBytes: 4096,
    log: collectingLogger(),
    ...overrides,
  });
  open.push(spool);
  return spool;
}

async function closeSpool(spool: DiskSpool): Promise<void> {
  open.splice(open.indexOf(spool), 1);
  await spool.close();
}

/** Reads and commits everything, in batches of `batch`. */
async function drain(spool: DiskSpool, batch = 7): Promise<number[]> {
  const out: number[] = [];
  for (let b = await spool.read(batch, 1 << 20); b; b = await spool.read(batch, 1 << 20)) {
    out.push(...b.records.map((r) => (JSON.parse(r.value!.toString()) as { i: number }).i));
    await spool.commit(b);
  }
  return out;
}

const segmentFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('DiskSpool', () => {
  it('gives records back in append order across segment rotations and deletes drained segments', async () => {
    const spool = await openSpool();
    const dir = dirs[0]!;
    for (let i = 0; i < 300; i += 30)
      expect((await spool.append(range(i, 30).map((n) => record(n)))).dropped).toEqual([]);
    const perSegment = Math.floor((4096 - SEGMENT_HEADER_BYTES) / RECORD_BYTES);
    expect(spool.stats()).toMatchObject({ records: 300, segments: Math.ceil(300 / perSegment) });
    expect(segmentFiles(dir)).toHaveLength(Math.ceil(300 / perSegment));
    for (const f of segmentFiles(dir)) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(4096);
    expect(await drain(spool)).toEqual(range(0, 300));
    expect(spool.stats()).toMatchObject({ records: 0, segments: 0, bytes: 0 });
    expect(segmentFiles(dir)).toEqual([]);
  });

  it('returns the same records again when a batch is not committed (the send failed)', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 10).map((n) => record(n)));
    const first = await spool.read(4, 1 << 20);
    const again = await spool.read(4, 1 << 20);
    expect(again).toEqual(first);
    await spool.commit(again!);
    expect((await spool.read(100, 1 << 20))!.records.map((r) => r.timestamp)).toEqual(range(1004, 6));
  });

  it('limits a batch by bytes but always returns at least one record', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 5).map((n) => record(n)));
    expect((await spool.read(100, RECORD_BYTES * 2))!.records).toHaveLength(2);
    expect((await spool.read(100, 1))!.records).toHaveLength(1);
  });

  it('sees records appended to the segment it is reading', async () => {
    const spool = await openSpool();
    await spool.append([record(0)]);
    const b = await spool.read(10, 1 << 20);
    await spool.commit(b!);
    await spool.append([record(1), record(2)]);
    expect(await drain(spool)).toEqual([1, 2]);
  });

  it('drops what does not fit the byte bound, says why, and accepts again once space is freed', async () => {
    const spool = await openSpool({ maxBytes: 4096, segmentBytes: 4096 });
    const fit = Math.floor((4096 - SEGMENT_HEADER_BYTES) / RECORD_BYTES);
    const result = await spool.append(range(0, fit + 5).map((n) => record(n)));
    expect(result.dropped.map((d) => d.record)).toEqual(range(fit, 5).map((n) => record(n)));
    expect(result.dropped[0]!.reason).toBe('spool full (4096 bytes)');
    expect(spool.stats()).toMatchObject({ records: fit, bytes: SEGMENT_HEADER_BYTES + fit * RECORD_BYTES });
    expect(await drain(spool)).toEqual(range(0, fit));
    expect((await spool.append([record(999)])).dropped).toEqual([]);
  });

  it('drops a record larger than a segment instead of writing it', async () => {
    const spool = await openSpool({ segmentBytes: 200, maxBytes: 4096 });
    const big = { ...record(1), value: Buffer.alloc(500) };
    const result = await spool.append([record(0), big, record(2)]);
    expect(result.dropped).toEqual([
      { record: big, reason: expect.stringMatching(/^record of \d+ bytes is larger than a spool segment$/) },
    ]);
    expect(await drain(spool)).toEqual([0, 2]);
  });

  it('replays what an earlier process left, from its committed position, after a restart', async () => {
    const first = await openSpool();
    const dir = dirs[0]!;
    await first.append(range(0, 100).map((n) => record(n)));
    const b = await first.read(30, 1 << 20);
    await first.commit(b!);
    await closeSpool(first);

    const log = collectingLogger();
    const second = await openSpool({ log }, dir);
    expect(second.stats().records).toBe(70);
    expect(log.lines).toEqual([
      expect.stringMatching(/^info spool .*: 70 records \(\d+ bytes\) left by an earlier run will be replayed first$/),
    ]);
    await second.append([record(100)]);
    expect(await drain(second)).toEqual(range(30, 71));
  });

  it('counts, logs and skips a record torn by a crash mid-write; the records before it replay', async () => {
    const first = await openSpool();
    const dir = dirs[0]!;
    await first.append(range(0, 10).map((n) => record(n)));
    await closeSpool(first);
    const [seg] = segmentFiles(dir);
    const file = path.join(dir, seg!);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 9);

    const log = collectingLogger();
    const second = await openSpool({ log }, dir);
    expect(second.stats()).toMatchObject({
      records: 9,
      truncatedRecords: 1,
      corruptRecords: 0,
      skippedBytes: RECORD_BYTES - 9,
    });
    const tornAt = size - RECORD_BYTES;
    expect(log.lines).toContain(
      `warn spool ${file}: truncated record at byte ${tornAt}: record of ${RECORD_BYTES - 12} payload bytes has ${RECORD_BYTES - 21} on disk — ` +
        `skipped ${RECORD_BYTES - 9} bytes, an incomplete record at the end of the segment (a crash during a write leaves this; the records before it are intact)`,
    );
    expect(await drain(second)).toEqual(range(0, 9));
    // Counted once, although the reader parsed the segment again.
    expect(second.stats()).toMatchObject({ truncatedRecords: 1, records: 0, segments: 0 });
  });

  it('counts and skips a damaged record in the middle; the records after it still replay', async () => {
    const first = await openSpool();
    const dir = dirs[0]!;
    await first.append(range(0, 10).map((n) => record(n)));
    await closeSpool(first);
    const file = path.join(dir, segmentFiles(dir)[0]!);
    const bytes = fs.readFileSync(file);
    bytes[SEGMENT_HEADER_BYTES + 3 * RECORD_BYTES + 30]! ^= 0xff;
    fs.writeFileSync(file, bytes);

    const second = await openSpool({}, dir);
    expect(second.stats()).toMatchObject({ records: 9, corruptRecords: 1, skippedBytes: RECORD_BYTES });
    expect(await drain(second)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('drops a segment that has no complete header (crash right after creating it), counted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-spool-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, '0000000000000001.seg'), 'VGS');
    const spool = await openSpool({}, dir);
    expect(spool.stats()).toMatchObject({ records: 0, segments: 0, truncatedRecords: 1, skippedBytes: 3 });
    expect(segmentFiles(dir)).toEqual([]);
    await spool.append([record(1)]);
    expect(segmentFiles(dir)).toEqual(['0000000000000002.seg']);
  });

  it('refuses a segment written in another format version instead of destroying it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-spool-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, '0000000000000001.seg'), Buffer.from('VGSPOOL\x09'));
    await expect(openSpool({}, dir)).rejects.toThrow(SpoolFormatError);
    await expect(openSpool({}, dir)).rejects.toThrow(
      /0000000000000001\.seg: segment format version 9, this reader knows 1 and 2/,
    );
    expect(segmentFiles(dir)).toEqual(['0000000000000001.seg']);
  });

  it('keeps a null value null and an empty value empty through append, read and a restart', async () => {
    const tombstone: SpoolRecord = { topic: 'vigil.policies', key: 'p1', value: null, timestamp: 7 };
    const empty: SpoolRecord = { topic: 'vigil.policies', key: 'p2', value: Buffer.alloc(0), timestamp: 8 };
    const first = await openSpool();
    const dir = dirs[0]!;
    expect((await first.append([tombstone, empty, record(1), tombstone])).dropped).toEqual([]);
    const before = await first.read(10, 1 << 20);
    expect(before!.records).toEqual([tombstone, empty, record(1), tombstone]);
    await closeSpool(first);
    expect(fs.readFileSync(path.join(dir, segmentFiles(dir)[0]!)).subarray(0, SEGMENT_HEADER_BYTES)).toEqual(
      Buffer.from('VGSPOOL\x02', 'latin1'),
    );

    const second = await openSpool({}, dir);
    expect(second.stats()).toMatchObject({ records: 4, corruptRecords: 0, truncatedRecords: 0 });
    const after = await second.read(10, 1 << 20);
    expect(after!.records.map((r) => r.value)).toEqual([null, Buffer.alloc(0), record(1).value, null]);
    await second.commit(after!);
    expect(second.stats()).toMatchObject({ records: 0, segments: 0 });
  });

  it('replays a version-1 segment an older Vigil left, then what this one appends in version 2, in order', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-spool-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, '0000000000000001.seg'), V1_SEGMENT);
    const log = collectingLogger();
    const spool = await openSpool({ log }, dir);
    expect(spool.stats()).toMatchObject({ records: 3, segments: 1, corruptRecords: 0, truncatedRecords: 0 });
    expect(log.lines).toEqual([
      `info spool ${dir}: 3 records (${V1_SEGMENT.length} bytes) left by an earlier run will be replayed first`,
    ]);
    const tombstone: SpoolRecord = { topic: 'vigil.policies', key: 'p2', value: null, timestamp: 9 };
    await spool.append([tombstone]);
    // The old segment is sealed: the new record starts a version-2 segment.
    expect(segmentFiles(dir)).toEqual(['0000000000000001.seg', '0000000000000002.seg']);
    expect(fs.readFileSync(path.join(dir, '0000000000000002.seg'))[SEGMENT_HEADER_BYTES - 1]).toBe(2);

    const old = await spool.read(10, 1 << 20);
    expect(old!.records).toEqual(V1_RECORDS);
    await spool.commit(old!);
    const next = await spool.read(10, 1 << 20);
    expect(next!.records).toEqual([tombstone]);
    await spool.commit(next!);
    expect(spool.stats()).toMatchObject({ records: 0, segments: 0, corruptRecords: 0 });
    expect(segmentFiles(dir)).toEqual([]);
  });

  it('counts a damaged record in a version-1 segment and replays the others', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-spool-'));
    dirs.push(dir);
    const damaged = Buffer.from(V1_SEGMENT);
    damaged[damaged.length - 2]! ^= 0x20; // in the last record's value
    fs.writeFileSync(path.join(dir, '0000000000000001.seg'), damaged);
    const log = collectingLogger();
    const spool = await openSpool({ log }, dir);
    expect(spool.stats()).toMatchObject({ records: 2, corruptRecords: 1, truncatedRecords: 0 });
    expect(log.lines.filter((l) => l.includes('corrupt record at byte'))).toHaveLength(1);
    const batch = await spool.read(10, 1 << 20);
    expect(batch!.records).toEqual(V1_RECORDS.slice(0, 2));
  });

  it('lets one process at a time use a spool directory, and takes over a dead owner’s lock', async () => {
    const spool = await openSpool();
    const dir = dirs[0]!;
    await expect(DiskSpool.open({ dir, maxBytes: 1 << 20, segmentBytes: 4096 })).rejects.toThrow(SpoolLockedError);
    await closeSpool(spool);
    fs.writeFileSync(path.join(dir, 'lock'), '2147483646\n'); // a PID that cannot be running
    await closeSpool(await openSpool({}, dir));
  });
});
