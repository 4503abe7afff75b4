/**
 * RingBufferReader against the real kernel: records written by a uprobe on libc kill() in
 * this process (bpf/selftest.bpf.c), read back by callback and by async iteration.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BpfObject, forEachRecord } from '../../src/index';
import { SELFTEST_OBJECT, kernelTestsSkipped, waitFor, warnIfSkipped } from './kernel-env';

warnIfSkipped('RingBufferReader');

const libc = () =>
  fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/)[5])
    .find((p) => p && /\/libc[.-][^/]*so/.test(p))!;

/** seq numbers of the records in a batch, checking each record's size and padding bytes. */
function seqs(batch: Buffer): bigint[] {
  const out: bigint[] = [];
  forEachRecord(batch, (b, off, len) => {
    const seq = b.readBigUInt64LE(off);
    expect(len).toBe(8 + 1 + Number(seq % 16n));
    for (let i = off + 8; i < off + len; i++) expect(b[i]).toBe(0xab);
    out.push(seq);
  });
  return out;
}

describe.skipIf(kernelTestsSkipped)('RingBufferReader (real kernel)', () => {
  let obj: BpfObject | undefined;
  afterEach(() => obj?.close());

  function setup(): BpfObject {
    obj = BpfObject.open(SELFTEST_OBJECT);
    for (const p of obj.programs()) p.autoload = p.name === 'vigil_st_uprobe';
    obj.load();
    obj.setGlobal('st_target_tgid', process.pid);
    obj.program('vigil_st_uprobe').attachUprobe({ binaryPath: libc(), funcName: 'kill', pid: process.pid });
    return obj;
  }

  it('delivers every record, in order, framed and padded, by callback', async () => {
    const o = setup();
    const got: bigint[] = [];
    let batches = 0;
    const r = o.ringBuffer('st_rb', { onBatch: (b) => (batches++, got.push(...seqs(b))) }).start();
    const N = 5000; // 5000 records ≈ 140 KiB: more than half the 256 KiB ring
    for (let i = 0; i < N; i++) process.kill(process.pid, 0);
    expect(await waitFor(() => got.length === N, 5000)).toBe(true);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => BigInt(i)));
    const s = r.stats();
    expect(s).toMatchObject({ records: N, droppedRecords: 0, droppedBatches: 0, running: true });
    expect(s.batches).toBe(batches);
    expect(o.getGlobal('st_bss_hits').readBigUInt64LE()).toBe(BigInt(N)); // no ringbuf_output failed
    r.stop();
    expect(r.running).toBe(false);
  }, 180_000); // 5,000 uprobe traps: ~1 min on one emulated CPU in the kernel-matrix VMs

  it('stop() delivers what is still in the kernel ring before returning', () => {
    const o = setup();
    let n = 0;
    const r = o.ringBuffer('st_rb', { onBatch: (b) => (n += seqs(b).length) }).start();
    for (let i = 0; i < 100; i++) process.kill(process.pid, 0);
    // No await: the event loop never ran, so nothing was delivered yet.
    r.stop();
    expect(n).toBe(100);
  });

  it('hands batches to an async iterator', async () => {
    const o = setup();
    const r = o.ringBuffer('st_rb').start();
    for (let i = 0; i < 10; i++) process.kill(process.pid, 0);
    const got: bigint[] = [];
    for await (const batch of r) {
      got.push(...seqs(batch));
      if (got.length >= 10) break; // break -> return() -> stop()
    }
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    expect(r.running).toBe(false);
  });

  it('BpfObject.close() stops its readers', () => {
    const o = setup();
    const r = o.ringBuffer('st_rb', { onBatch: () => {} }).start();
    o.close();
    expect(r.running).toBe(false);
  });
});
