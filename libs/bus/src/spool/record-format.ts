import { crc32 } from 'node:zlib';

/**
 * The on-disk format of the spool. A segment file is an 8-byte header followed by records:
 *
 *   segment header  "VGSPOOL" (7 bytes ASCII) + format version (1 byte: 2 is written, 1 and 2 are read)
 *   record          magic "VSR1" (4) | payload length u32 BE (4) | CRC-32 u32 BE (4) | payload
 *   payload v2      timestamp ms u64 BE | flags u8 | topic length u16 BE | topic UTF-8 |
 *                   key length u32 BE | key UTF-8 | value bytes (the rest)
 *   payload v1      the same without the flags byte; the value is never null
 *
 * Flags (version 2): bit 0 = the value is null (a Kafka tombstone), the value bytes are then
 * empty; a set bit 0 with value bytes, or any other bit set, makes the record inconsistent
 * (counted as corrupt like a CRC mismatch). So a null value and an empty value stay different
 * through the spool. The record framing (magic, length, CRC) is the same in both versions, so
 * damage is found and skipped alike; only the payload layout depends on the segment's version.
 * A segment is read with the version in its own header: segments left by an older Vigil (version
 * 1) are replayed as they are, empty values as empty values.
 *
 * The CRC covers the length field and the payload, so a damaged length is caught like a damaged
 * payload. The per-record magic lets a reader find the next intact record after a damaged one
 * (resynchronise) instead of giving up on the rest of the segment.
 */
export const SEGMENT_MAGIC = Buffer.from('VGSPOOL', 'ascii');
/** The version this code writes. */
export const SEGMENT_VERSION = 2;
/** The versions this code reads. */
export const READABLE_SEGMENT_VERSIONS: readonly number[] = [1, 2];
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length + 1;
export const RECORD_MAGIC = Buffer.from('VSR1', 'ascii');
export const RECORD_HEADER_BYTES = 12;
/** Payload flag (version 2): the value is null, not empty. */
export const FLAG_NULL_VALUE = 0x01;
const KNOWN_FLAGS = FLAG_NULL_VALUE;

/** Bytes of a payload before the topic: timestamp, flags (from version 2), topic length. */
const topicLengthAt = (version: number): number => (version >= 2 ? 9 : 8);
/** Bytes of a payload without topic, key and value. */
const payloadFixedBytes = (version: number): number => topicLengthAt(version) + 2 + 4;

/** One spooled message: what a Kafka message needs, with the value already encoded. */
export interface SpoolRecord {
  topic: string;
  key: string;
  /** The encoded value; null is a Kafka tombstone (a null value, not an empty one). */
  value: Buffer | null;
  /** Milliseconds since the epoch when it was published: it becomes the Kafka message timestamp. */
  timestamp: number;
}

/** A record found in a segment, with the byte range it occupies there. */
export interface SpoolRecordAt {
  record: SpoolRecord;
  offset: number;
  end: number;
}

/** Something a reader had to skip. Offsets are positions in the segment file. */
export interface SpoolIssue {
  kind: 'corrupt' | 'truncated';
  offset: number;
  skippedBytes: number;
  detail: string;
}

export function segmentHeader(): Buffer {
  return Buffer.concat([SEGMENT_MAGIC, Buffer.from([SEGMENT_VERSION])]);
}

/**
 * What the first bytes of a segment file say: ok (with the version its records are written in),
 * too short (crash right after creation), foreign, or a version this reader does not know.
 */
export function checkSegmentHeader(
  head: Buffer,
): { ok: true; version: number } | { ok: false; kind: 'truncated' | 'corrupt' | 'version'; detail: string } {
  if (head.length < SEGMENT_HEADER_BYTES)
    return {
      ok: false,
      kind: 'truncated',
      detail: `segment header incomplete: ${head.length} of ${SEGMENT_HEADER_BYTES} bytes`,
    };
  if (!head.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC))
    return {
      ok: false,
      kind: 'corrupt',
      detail: `segment header is not "VGSPOOL" (first bytes ${hex(head.subarray(0, 8))})`,
    };
  const version = head[SEGMENT_MAGIC.length]!;
  if (!READABLE_SEGMENT_VERSIONS.includes(version))
    return {
      ok: false,
      kind: 'version',
      detail: `segment format version ${version}, this reader knows ${READABLE_SEGMENT_VERSIONS.join(' and ')}`,
    };
  return { ok: true, version };
}

/** Bytes encodeRecord() gives for a record (the current version). */
export function encodedRecordBytes(record: SpoolRecord): number {
  return (
    RECORD_HEADER_BYTES +
    payloadFixedBytes(SEGMENT_VERSION) +
    Buffer.byteLength(record.topic) +
    Buffer.byteLength(record.key) +
    (record.value?.length ?? 0)
  );
}

/** Encodes a record in the current version (SEGMENT_VERSION), for a segment with that header. */
export function encodeRecord(record: SpoolRecord): Buffer {
  const topic = Buffer.from(record.topic);
  const key = Buffer.from(record.key);
  const value = record.value ?? Buffer.alloc(0);
  if (topic.length > 0xffff) throw new RangeError(`spool: topic name of ${topic.length} bytes (max 65535)`);
  const payloadLength = payloadFixedBytes(SEGMENT_VERSION) + topic.length + key.length + value.length;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadLength);
  RECORD_MAGIC.copy(out, 0);
  out.writeUInt32BE(payloadLength, 4);
  let p = RECORD_HEADER_BYTES;
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(record.timestamp))), p);
  p += 8;
  out.writeUInt8(record.value === null ? FLAG_NULL_VALUE : 0, p);
  p += 1;
  out.writeUInt16BE(topic.length, p);
  p += 2;
  p += topic.copy(out, p);
  out.writeUInt32BE(key.length, p);
  p += 4;
  p += key.copy(out, p);
  value.copy(out, p);
  out.writeUInt32BE(recordCrc(out, 0, payloadLength), 8);
  return out;
}

/**
 * Parses every record in `buf`, which holds a segment's bytes from file offset `base` to the end of
 * the file; `version` is the one in the segment's header. Damage never throws: it becomes an
 * issue, and parsing resumes at the next intact record (magic, plausible length, matching CRC and
 * a consistent payload), or stops at the end.
 */
export function parseRecords(
  buf: Buffer,
  base: number,
  maxPayloadBytes: number,
  version: number = SEGMENT_VERSION,
): { records: SpoolRecordAt[]; issues: SpoolIssue[] } {
  if (!READABLE_SEGMENT_VERSIONS.includes(version))
    throw new RangeError(`spool: records of format version ${version} cannot be read`);
  const limits = { maxPayloadBytes, version };
  const records: SpoolRecordAt[] = [];
  const issues: SpoolIssue[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const verdict = recordAt(buf, pos, limits);
    if (verdict.ok) {
      records.push({ record: verdict.record, offset: base + pos, end: base + verdict.end });
      pos = verdict.end;
      continue;
    }
    const next = nextIntactRecord(buf, pos + 1, limits);
    // Damage that runs to the end of the file with nothing intact after it is a write the
    // process did not finish (a crash mid-append); anything followed by intact records is corruption.
    const kind = next === buf.length && verdict.incomplete ? 'truncated' : 'corrupt';
    issues.push({ kind, offset: base + pos, skippedBytes: next - pos, detail: verdict.reason });
    pos = next;
  }
  return { records, issues };
}

type Verdict = { ok: true; record: SpoolRecord; end: number } | { ok: false; incomplete: boolean; reason: string };

interface Limits {
  maxPayloadBytes: number;
  version: number;
}

function recordAt(buf: Buffer, pos: number, { maxPayloadBytes, version }: Limits): Verdict {
  const left = buf.length - pos;
  if (left < RECORD_HEADER_BYTES) {
    const magicSoFar = buf.subarray(pos, pos + Math.min(left, RECORD_MAGIC.length));
    const incomplete = magicSoFar.equals(RECORD_MAGIC.subarray(0, magicSoFar.length));
    return {
      ok: false,
      incomplete,
      reason: `record header incomplete: ${left} of ${RECORD_HEADER_BYTES} bytes on disk`,
    };
  }
  if (!buf.subarray(pos, pos + 4).equals(RECORD_MAGIC))
    return {
      ok: false,
      incomplete: false,
      reason: `no record magic "VSR1" (found ${hex(buf.subarray(pos, pos + 4))})`,
    };
  const length = buf.readUInt32BE(pos + 4);
  if (length > maxPayloadBytes || length < payloadFixedBytes(version))
    return { ok: false, incomplete: false, reason: `implausible record length ${length}` };
  if (left < RECORD_HEADER_BYTES + length)
    return {
      ok: false,
      incomplete: true,
      reason: `record of ${length} payload bytes has ${left - RECORD_HEADER_BYTES} on disk`,
    };
  const stored = buf.readUInt32BE(pos + 8);
  const computed = recordCrc(buf, pos, length);
  if (stored !== computed)
    return {
      ok: false,
      incomplete: false,
      reason: `CRC mismatch: stored ${crcHex(stored)}, computed ${crcHex(computed)}`,
    };
  const record = decodePayload(buf.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length), version);
  if (typeof record === 'string') return { ok: false, incomplete: false, reason: record };
  return { ok: true, record, end: pos + RECORD_HEADER_BYTES + length };
}

function nextIntactRecord(buf: Buffer, from: number, limits: Limits): number {
  for (let at = buf.indexOf(RECORD_MAGIC, from); at !== -1; at = buf.indexOf(RECORD_MAGIC, at + 1)) {
    if (recordAt(buf, at, limits).ok) return at;
  }
  return buf.length;
}

/**
 * A payload whose CRC matched can still be inconsistent if it was written by a buggy writer.
 * The caller has checked that it holds at least payloadFixedBytes(version).
 */
function decodePayload(p: Buffer, version: number): SpoolRecord | string {
  const timestamp = Number(p.readBigUInt64BE(0));
  const flags = version >= 2 ? p.readUInt8(8) : 0;
  if ((flags & ~KNOWN_FLAGS) !== 0) return `unknown flags 0x${flags.toString(16).padStart(2, '0')}`;
  const topicAt = topicLengthAt(version) + 2;
  const topicLength = p.readUInt16BE(topicAt - 2);
  const keyLengthAt = topicAt + topicLength;
  if (keyLengthAt + 4 > p.length) return `topic length ${topicLength} runs past the payload (${p.length} bytes)`;
  const keyLength = p.readUInt32BE(keyLengthAt);
  const valueAt = keyLengthAt + 4 + keyLength;
  if (valueAt > p.length) return `key length ${keyLength} runs past the payload (${p.length} bytes)`;
  const nullValue = (flags & FLAG_NULL_VALUE) !== 0;
  if (nullValue && valueAt < p.length) return `null value flagged, but ${p.length - valueAt} value bytes follow`;
  return {
    timestamp,
    topic: p.toString('utf8', topicAt, keyLengthAt),
    key: p.toString('utf8', keyLengthAt + 4, valueAt),
    // A copy: the segment buffer it came from can then be released.
    value: nullValue ? null : Buffer.from(p.subarray(valueAt)),
  };
}

function recordCrc(buf: Buffer, pos: number, payloadLength: number): number {
  const lengthField = buf.subarray(pos + 4, pos + 8);
  const payload = buf.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + payloadLength);
  return crc32(payload, crc32(lengthField));
}

const hex = (b: Buffer): string => `0x${b.toString('hex')}`;
const crcHex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
