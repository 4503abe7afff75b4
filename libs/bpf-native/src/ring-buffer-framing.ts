/**
 * Framing of the batches RingBufferReader hands out (written by src/native/ringbuf.cc): per
 * record a little-endian u32 length, a u32 zero, the record, zero padding to 8 bytes.
 */
export const FRAME_HEADER_BYTES = 8;

/** Calls fn(batch, offset, length) for every record; stops at a truncated frame. Returns the record count. */
export function forEachRecord(batch: Buffer, fn: (buf: Buffer, offset: number, length: number) => void): number {
  let off = 0;
  let n = 0;
  const end = batch.length;
  while (off + FRAME_HEADER_BYTES <= end) {
    const len = batch.readUInt32LE(off);
    const start = off + FRAME_HEADER_BYTES;
    if (start + len > end) break;
    fn(batch, start, len);
    n++;
    off = start + ((len + 7) & ~7);
  }
  return n;
}

/** Builds a batch from records, as the native reader would (for tests and replay tools). */
export function frameRecords(records: Buffer[]): Buffer {
  let size = 0;
  for (const r of records) size += FRAME_HEADER_BYTES + ((r.length + 7) & ~7);
  const out = Buffer.alloc(size);
  let off = 0;
  for (const r of records) {
    out.writeUInt32LE(r.length, off);
    r.copy(out, off + FRAME_HEADER_BYTES);
    off += FRAME_HEADER_BYTES + ((r.length + 7) & ~7);
  }
  return out;
}
