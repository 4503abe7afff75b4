import fsp from 'node:fs/promises';
import path from 'node:path';
import { stderrLogger, type BusLogger } from '../logger';
import {
  checkSegmentHeader,
  encodeRecord,
  parseRecords,
  SEGMENT_HEADER_BYTES,
  SEGMENT_VERSION,
  segmentHeader,
  type SpoolIssue,
  type SpoolRecord,
  type SpoolRecordAt,
} from './record-format';
import { acquireSpoolLock } from './spool-lock';

/**
 * When the spool calls fsync. A process crash loses nothing either way (written bytes are in the
 * page cache); fsync only matters for a machine crash or power loss.
 *   append  every append() (one producer batch) is on disk when it resolves — the default
 *   rotate  a segment is synced when it is sealed, and at close()
 *   never   the kernel writes back when it likes
 */
export type FsyncPolicy = 'append' | 'rotate' | 'never';

export interface DiskSpoolOptions {
  dir: string;
  /** Bound on the bytes of all segment files together (headers included). */
  maxBytes: number;
  /** A segment is sealed and a new one started when the next record would pass this size. */
  segmentBytes: number;
  fsync?: FsyncPolicy;
  log?: BusLogger;
}

export interface SpoolStats {
  /** Bytes of the segment files on disk (what maxBytes bounds). */
  bytes: number;
  /** Records waiting to be replayed. */
  records: number;
  segments: number;
  /** Damaged regions found (CRC, magic or length wrong) and skipped. */
  corruptRecords: number;
  /** Incomplete records at the end of a segment (a crash during a write) and skipped. */
  truncatedRecords: number;
  /** Bytes skipped over because of the two above. */
  skippedBytes: number;
}

/** Records read from one segment; hand it back to commit() once they are safely elsewhere. */
export interface SpoolBatch {
  records: SpoolRecord[];
  segment: number;
  end: number;
}

export interface AppendResult {
  /** Records that were not spooled, each with why (full, too large, write error). */
  dropped: Array<{ record: SpoolRecord; reason: string }>;
}

export class SpoolFormatError extends Error {
  override name = 'SpoolFormatError';
}

interface Segment {
  id: number;
  file: string;
  size: number;
  /** Records in it not yet committed. */
  records: number;
  /** Sealed segments get no more appends (every segment of an earlier process is sealed). */
  sealed: boolean;
  /** Damage before this offset was already counted and logged (reads may re-parse a segment). */
  reportedTo: number;
  /** The format version in its header: how its records are read (an older Vigil may have written it). */
  version: number;
}

interface ReadCache {
  segment: number;
  items: SpoolRecordAt[];
  index: number;
  parsedTo: number;
}

const SEGMENT_NAME = /^(\d{16})\.seg$/;
const CURSOR_FILE = 'cursor';

/**
 * An append-only, bounded, crash-tolerant queue of records on disk (format: record-format.ts).
 * Records are read back in append order from a cursor that survives restarts; a segment is
 * deleted once every record in it is committed. Not safe for concurrent calls: the bus calls it
 * from one sequential loop, which is also what keeps the order.
 */
export class DiskSpool {
  private readonly segments: Segment[] = [];
  private active: { segment: Segment; handle: fsp.FileHandle } | undefined;
  private cursor = { segment: 0, offset: 0 };
  private cache: ReadCache | undefined;
  private nextId = 1;
  private readonly counters = { corruptRecords: 0, truncatedRecords: 0, skippedBytes: 0 };
  private readonly fsync: FsyncPolicy;
  private readonly log: BusLogger;
  private releaseLock: (() => void) | undefined;

  private constructor(private readonly options: DiskSpoolOptions) {
    this.fsync = options.fsync ?? 'append';
    this.log = options.log ?? stderrLogger;
  }

  /** Opens (or creates) the spool directory and counts what an earlier process left in it. */
  static async open(options: DiskSpoolOptions): Promise<DiskSpool> {
    if (options.segmentBytes < SEGMENT_HEADER_BYTES + 64)
      throw new RangeError(
        `spool: segmentBytes ${options.segmentBytes} is too small (min ${SEGMENT_HEADER_BYTES + 64})`,
      );
    if (options.maxBytes < options.segmentBytes)
      throw new RangeError(`spool: maxBytes ${options.maxBytes} is below segmentBytes ${options.segmentBytes}`);
    await fsp.mkdir(options.dir, { recursive: true });
    const spool = new DiskSpool(options);
    spool.releaseLock = acquireSpoolLock(options.dir);
    try {
      await spool.load();
    } catch (e) {
      spool.releaseLock();
      throw e;
    }
    return spool;
  }

  stats(): SpoolStats {
    return {
      bytes: this.segments.reduce((sum, s) => sum + s.size, 0),
      records: this.segments.reduce((sum, s) => sum + s.records, 0),
      segments: this.segments.length,
      ...this.counters,
    };
  }

  get pendingRecords(): number {
    return this.segments.reduce((sum, s) => sum + s.records, 0);
  }

  /** Appends in order. Whatever does not fit the bound is returned as dropped, never thrown. */
  async append(records: SpoolRecord[]): Promise<AppendResult> {
    const dropped: AppendResult['dropped'] = [];
    let pending: { chunks: Buffer[]; records: SpoolRecord[]; bytes: number } = { chunks: [], records: [], bytes: 0 };
    const writePending = async (): Promise<void> => {
      if (pending.chunks.length > 0) await this.write(pending, dropped);
      pending = { chunks: [], records: [], bytes: 0 };
    };
    for (const record of records) {
      const bytes = encodeRecord(record);
      if (bytes.length + SEGMENT_HEADER_BYTES > this.options.segmentBytes) {
        dropped.push({ record, reason: `record of ${bytes.length} bytes is larger than a spool segment` });
        continue;
      }
      const current = this.active?.segment;
      const rotate = !current || current.size + pending.bytes + bytes.length > this.options.segmentBytes;
      const used = this.stats().bytes + pending.bytes + (rotate ? SEGMENT_HEADER_BYTES : 0);
      if (used + bytes.length > this.options.maxBytes) {
        dropped.push({ record, reason: `spool full (${this.options.maxBytes} bytes)` });
        continue;
      }
      if (rotate) {
        await writePending();
        if (!(await this.startSegment())) {
          dropped.push({ record, reason: 'could not create a spool segment' });
          continue;
        }
      }
      pending.chunks.push(bytes);
      pending.records.push(record);
      pending.bytes += bytes.length;
    }
    await writePending();
    if (this.fsync === 'append' && this.active) await this.active.handle.datasync();
    return { dropped };
  }

  /** The oldest records not yet committed (from one segment), or undefined when there are none. */
  async read(maxRecords: number, maxBytes: number): Promise<SpoolBatch | undefined> {
    for (;;) {
      const segment = this.segments[0];
      if (!segment) return undefined;
      let cache = this.cache;
      if (cache?.segment !== segment.id) {
        const from =
          segment.id === this.cursor.segment
            ? Math.max(this.cursor.offset, SEGMENT_HEADER_BYTES)
            : SEGMENT_HEADER_BYTES;
        cache = this.cache = { segment: segment.id, items: [], index: 0, parsedTo: from };
      }
      if (cache.index >= cache.items.length && cache.parsedTo < segment.size) {
        const bytes = await readRange(segment.file, cache.parsedTo, segment.size);
        const parsed = parseRecords(bytes, cache.parsedTo, this.options.segmentBytes, segment.version);
        this.report(segment, parsed.issues);
        cache.items = parsed.records;
        cache.index = 0;
        cache.parsedTo = segment.size;
      }
      if (cache.index < cache.items.length) return this.take(cache, segment.id, maxRecords, maxBytes);
      if (!segment.sealed) return undefined;
      // Fully read and sealed: whatever the count said, nothing more can come out of it.
      await this.finishSegment(segment);
    }
  }

  /** Marks a batch from read() as delivered: the cursor moves past it and emptied segments go. */
  async commit(batch: SpoolBatch): Promise<void> {
    const segment = this.segments[0];
    const cache = this.cache;
    const first = cache?.items[cache.index];
    if (!segment || !cache || segment.id !== batch.segment || cache.segment !== batch.segment || !first)
      throw new Error(`spool: commit of segment ${batch.segment} does not match the oldest unread records`);
    cache.index += batch.records.length;
    segment.records = Math.max(0, segment.records - batch.records.length);
    this.cursor = { segment: segment.id, offset: batch.end };
    const drained = cache.index >= cache.items.length && cache.parsedTo >= segment.size;
    if (drained) await this.finishSegment(segment);
    else await this.writeCursor();
  }

  async close(): Promise<void> {
    if (this.active) {
      if (this.fsync !== 'never') await this.active.handle.datasync();
      await this.active.handle.close();
      this.active = undefined;
    }
    this.releaseLock?.();
    this.releaseLock = undefined;
  }

  private take(cache: ReadCache, segment: number, maxRecords: number, maxBytes: number): SpoolBatch {
    const records: SpoolRecord[] = [];
    let bytes = 0;
    let end = 0;
    for (let i = cache.index; i < cache.items.length && records.length < maxRecords; i++) {
      const item = cache.items[i]!;
      if (records.length > 0 && bytes + (item.end - item.offset) > maxBytes) break;
      records.push(item.record);
      bytes += item.end - item.offset;
      end = item.end;
    }
    return { records, segment, end };
  }

  /** Deletes a segment every record of which is delivered (or was unreadable and counted). */
  private async finishSegment(segment: Segment): Promise<void> {
    if (this.active?.segment === segment) {
      await this.active.handle.close();
      this.active = undefined;
    }
    segment.records = 0;
    this.segments.shift();
    this.cache = undefined;
    // The cursor moves first: a crash between the two steps leaves a segment the next open
    // recognises as done (its id is below the cursor's) instead of replaying it again.
    this.cursor = { segment: segment.id + 1, offset: 0 };
    await this.writeCursor();
    await fsp.rm(segment.file, { force: true });
  }

  private async startSegment(): Promise<boolean> {
    if (this.active) {
      this.active.segment.sealed = true;
      if (this.fsync !== 'never') await this.active.handle.datasync();
      await this.active.handle.close();
      this.active = undefined;
    }
    const id = this.nextId++;
    const file = path.join(this.options.dir, `${String(id).padStart(16, '0')}.seg`);
    try {
      const handle = await fsp.open(file, 'wx');
      await handle.write(segmentHeader(), 0, SEGMENT_HEADER_BYTES, 0);
      if (this.fsync === 'append') await syncDir(this.options.dir);
      const segment: Segment = {
        id,
        file,
        size: SEGMENT_HEADER_BYTES,
        records: 0,
        sealed: false,
        reportedTo: 0,
        version: SEGMENT_VERSION,
      };
      this.segments.push(segment);
      this.active = { segment, handle };
      return true;
    } catch (e) {
      this.log.error(`spool ${file}: cannot create segment: ${(e as Error).message}`);
      await fsp.rm(file, { force: true }).catch(() => {});
      return false;
    }
  }

  private async write(
    pending: { chunks: Buffer[]; records: SpoolRecord[]; bytes: number },
    dropped: AppendResult['dropped'],
  ): Promise<void> {
    const active = this.active!;
    const before = active.segment.size;
    try {
      const { bytesWritten } = await active.handle.writev(pending.chunks, before);
      if (bytesWritten !== pending.bytes) throw new Error(`short write: ${bytesWritten} of ${pending.bytes} bytes`);
      active.segment.size += pending.bytes;
      active.segment.records += pending.records.length;
    } catch (e) {
      const reason = `spool write failed: ${(e as Error).message}`;
      this.log.error(`spool ${active.segment.file}: ${reason}; ${pending.records.length} records dropped`);
      for (const record of pending.records) dropped.push({ record, reason });
      // Cut a partial write off so the segment stays a clean run of records; if even that
      // fails, seal it: readers will find the torn tail by length and CRC and count it.
      await active.handle.truncate(before).catch(() => (active.segment.sealed = true));
      if (active.segment.sealed) {
        await active.handle.close().catch(() => {});
        this.active = undefined;
      }
    }
  }

  private report(segment: Segment, issues: SpoolIssue[]): void {
    for (const issue of issues) {
      if (issue.offset < segment.reportedTo) continue;
      if (issue.kind === 'truncated') this.counters.truncatedRecords++;
      else this.counters.corruptRecords++;
      this.counters.skippedBytes += issue.skippedBytes;
      const why =
        issue.kind === 'truncated'
          ? 'an incomplete record at the end of the segment (a crash during a write leaves this; the records before it are intact)'
          : 'a damaged record (records after it are read again from the next intact one)';
      this.log.warn(
        `spool ${segment.file}: ${issue.kind} record at byte ${issue.offset}: ${issue.detail} — skipped ${issue.skippedBytes} bytes, ${why}`,
      );
    }
    segment.reportedTo = Math.max(segment.reportedTo, segment.size);
  }

  /** Reads the cursor and the segments an earlier process left; all of them are sealed. */
  private async load(): Promise<void> {
    this.cursor = await this.readCursor();
    const names = (await fsp.readdir(this.options.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    for (const name of names) {
      const id = Number(SEGMENT_NAME.exec(name)![1]);
      const file = path.join(this.options.dir, name);
      this.nextId = Math.max(this.nextId, id + 1);
      if (id < this.cursor.segment) {
        await fsp.rm(file, { force: true });
        continue;
      }
      const bytes = await fsp.readFile(file);
      const header = checkSegmentHeader(bytes.subarray(0, SEGMENT_HEADER_BYTES));
      const segment: Segment = {
        id,
        file,
        size: bytes.length,
        records: 0,
        sealed: true,
        reportedTo: 0,
        version: header.ok ? header.version : SEGMENT_VERSION,
      };
      if (!header.ok) {
        if (header.kind === 'version')
          throw new SpoolFormatError(
            `spool ${file}: ${header.detail} — replay it with the Vigil version that wrote it`,
          );
        this.report(segment, [{ kind: header.kind, offset: 0, skippedBytes: bytes.length, detail: header.detail }]);
        await fsp.rm(file, { force: true });
        continue;
      }
      const from =
        id === this.cursor.segment ? Math.max(this.cursor.offset, SEGMENT_HEADER_BYTES) : SEGMENT_HEADER_BYTES;
      const parsed = parseRecords(bytes.subarray(from), from, this.options.segmentBytes, segment.version);
      this.report(segment, parsed.issues);
      segment.records = parsed.records.length;
      this.segments.push(segment);
    }
    this.nextId = Math.max(this.nextId, this.cursor.segment + 1);
    const left = this.stats();
    if (left.records > 0)
      this.log.info(
        `spool ${this.options.dir}: ${left.records} records (${left.bytes} bytes) left by an earlier run will be replayed first`,
      );
  }

  private async readCursor(): Promise<{ segment: number; offset: number }> {
    const file = path.join(this.options.dir, CURSOR_FILE);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { segment: 0, offset: 0 };
      throw e;
    }
    const match = /^(\d+) (\d+)\n$/.exec(text);
    if (!match) {
      // Replaying from the start of the oldest segment repeats some messages but loses none.
      this.log.warn(
        `spool ${file}: unreadable cursor ${JSON.stringify(text.slice(0, 40))}; replaying every segment from its start`,
      );
      return { segment: 0, offset: 0 };
    }
    return { segment: Number(match[1]), offset: Number(match[2]) };
  }

  /** Written to a temporary file and renamed over the old one, so a crash leaves one or the other. */
  private async writeCursor(): Promise<void> {
    const file = path.join(this.options.dir, CURSOR_FILE);
    const tmp = `${file}.tmp`;
    await fsp.writeFile(tmp, `${this.cursor.segment} ${this.cursor.offset}\n`, { flush: this.fsync === 'append' });
    await fsp.rename(tmp, file);
  }
}

async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(to - from);
    const { bytesRead } = await handle.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A new file's directory entry is only durable once the directory itself is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
