/**
 * The JSON export: one GetEventsResponse per line appended to a file, rotated by size.
 *
 * Semantics follow Tetragon's export (--export-filename, --export-file-max-size-mb default 10,
 * --export-file-max-backups default 5, --export-file-compress default false,
 * --export-file-perm default 600), which uses lumberjack: the file is rotated before a write
 * that would take it past the limit; at most maxBackups rotated files are kept (0 = keep all);
 * with compress the rotated files are gzipped in the background. One deliberate difference:
 * backups are numbered like logrotate (events.log.1 newest … events.log.N oldest, ".gz" when
 * compressed) instead of lumberjack's timestamped names, and an event larger than the limit is
 * written to a file of its own (and counted) instead of being refused.
 *
 * write() never throws and never waits: lines are queued and written in order by one drain loop;
 * every failure is counted in stats() (and reported to onError), never thrown at the caller.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const MiB = 1024 * 1024;

export interface JsonExportOptions {
  filename: string;
  /** Rotate before the file would exceed this many bytes. Default 10 MiB. */
  maxSizeBytes?: number;
  /** Rotated files to keep; 0 keeps every one. Default 5. */
  maxBackups?: number;
  /** gzip rotated files. Default false. */
  compress?: boolean;
  /** Mode of created files. Default 0o600. */
  fileMode?: number;
  /**
   * Queue bound: events arriving while this much waits are dropped (and counted). Measured in
   * UTF-16 code units (≈ bytes for JSON) to keep write() O(1). Default 64 Mi.
   */
  maxPendingBytes?: number;
  /** Observer for every counted failure (logging); must not throw. */
  onError?: (err: unknown) => void;
}

/** Tetragon's export flags, as a config file or CLI would carry them. */
export interface TetragonExportFlags {
  exportFilename: string;
  exportFileMaxSizeMb?: number;
  exportFileMaxBackups?: number;
  exportFileCompress?: boolean;
  /** Octal string, e.g. "600". */
  exportFilePerm?: string;
}

/** Options equivalent to Tetragon's flags (lumberjack treats a max size of 0 as 100 MB). */
export function exportOptionsFromTetragonFlags(flags: TetragonExportFlags): JsonExportOptions {
  const mb = flags.exportFileMaxSizeMb ?? 10;
  return {
    filename: flags.exportFilename,
    maxSizeBytes: (mb > 0 ? mb : 100) * MiB,
    maxBackups: flags.exportFileMaxBackups ?? 5,
    compress: flags.exportFileCompress ?? false,
    fileMode: parseInt(flags.exportFilePerm ?? '600', 8),
  };
}

export interface JsonExportStats {
  /** Events written to the file. */
  written: number;
  bytesWritten: number;
  rotations: number;
  /** Events larger than maxSizeBytes (written alone in a file). */
  oversize: number;
  /** Failed file operations (open, write, rename, compress, close). */
  errors: number;
  /** Events lost because writing them failed. */
  lostOnError: number;
  /** Events refused because the queue was full. */
  droppedOverflow: number;
  /** Events refused after close(). */
  droppedClosed: number;
  /** Events that could not be serialized. */
  droppedUnserializable: number;
  /** Events queued, not yet written. */
  pending: number;
  lastError?: string;
}

export class JsonExportWriter {
  private readonly filename: string;
  private readonly maxSize: number;
  private readonly maxBackups: number;
  private readonly compress: boolean;
  private readonly fileMode: number;
  private readonly maxPending: number;
  private readonly onError: ((err: unknown) => void) | undefined;

  private queue: string[] = [];
  private queuedBytes = 0;
  private draining: Promise<void> | undefined;
  private file: FileHandle | undefined;
  private size = 0;
  /** Background compression of the newest backup; awaited before the next rotation. */
  private mill: Promise<void> = Promise.resolve();
  private closed = false;
  private rotateRequested = false;
  private readonly counters: Omit<JsonExportStats, 'pending' | 'lastError'> = {
    written: 0,
    bytesWritten: 0,
    rotations: 0,
    oversize: 0,
    errors: 0,
    lostOnError: 0,
    droppedOverflow: 0,
    droppedClosed: 0,
    droppedUnserializable: 0,
  };
  private lastError: string | undefined;

  constructor(options: JsonExportOptions) {
    this.filename = path.resolve(options.filename);
    this.maxSize = options.maxSizeBytes ?? 10 * MiB;
    this.maxBackups = options.maxBackups ?? 5;
    this.compress = options.compress ?? false;
    this.fileMode = options.fileMode ?? 0o600;
    this.maxPending = options.maxPendingBytes ?? 64 * MiB;
    this.onError = options.onError;
    if (!(this.maxSize > 0)) throw new RangeError('maxSizeBytes must be > 0');
    if (!(this.maxBackups >= 0)) throw new RangeError('maxBackups must be >= 0');
  }

  /** Queue one event (any JSON-serializable object). Never throws. */
  write(event: object): void {
    if (this.closed) {
      this.counters.droppedClosed++;
      return;
    }
    let line: string;
    try {
      line = `${JSON.stringify(event)}\n`;
    } catch (err) {
      this.counters.droppedUnserializable++;
      this.fail(err);
      return;
    }
    if (this.queuedBytes + line.length > this.maxPending) {
      this.counters.droppedOverflow++;
      return;
    }
    this.queue.push(line);
    this.queuedBytes += line.length;
    this.kick();
  }

  /** Rotate now, e.g. on a timer (Tetragon's --export-file-rotation-interval) or SIGHUP. */
  rotate(): Promise<void> {
    this.rotateRequested = true;
    this.kick();
    return this.flush();
  }

  /** Resolves when everything queued so far is in the file (or counted as lost). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Flush, finish background compression, close the file. Later writes are dropped and counted. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.mill;
    await this.closeFile();
  }

  stats(): JsonExportStats {
    const out: JsonExportStats = { ...this.counters, pending: this.queue.length };
    if (this.lastError !== undefined) out.lastError = this.lastError;
    return out;
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = (async () => {
      try {
        while (this.queue.length > 0 || this.rotateRequested) await this.drainOnce();
      } finally {
        this.draining = undefined;
      }
    })();
  }

  private async drainOnce(): Promise<void> {
    if (this.rotateRequested) {
      this.rotateRequested = false;
      if (await this.ensureOpen()) await this.rotateFile();
    }
    const lines = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (lines.length === 0) return;
    if (!(await this.ensureOpen())) {
      this.counters.lostOnError += lines.length;
      return;
    }
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.size + chunkBytes + bytes > this.maxSize && this.size + chunkBytes > 0) {
        await this.writeChunk(chunk, chunkBytes);
        chunk = [];
        chunkBytes = 0;
        await this.rotateFile();
      }
      if (bytes > this.maxSize) this.counters.oversize++;
      chunk.push(line);
      chunkBytes += bytes;
    }
    await this.writeChunk(chunk, chunkBytes);
  }

  private async writeChunk(lines: string[], bytes: number): Promise<void> {
    if (lines.length === 0) return;
    if (!(await this.ensureOpen())) {
      this.counters.lostOnError += lines.length;
      return;
    }
    const buf = Buffer.from(lines.join(''), 'utf8');
    try {
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await (this.file as FileHandle).write(buf, off, buf.length - off);
        off += bytesWritten;
      }
      this.size += bytes;
      this.counters.written += lines.length;
      this.counters.bytesWritten += bytes;
    } catch (err) {
      // Part of the chunk may be in the file; count the whole chunk as lost and reopen next time.
      this.counters.lostOnError += lines.length;
      this.fail(err);
      await this.closeFile();
    }
  }

  private async ensureOpen(): Promise<boolean> {
    if (this.file) return true;
    try {
      await mkdir(path.dirname(this.filename), { recursive: true });
      this.file = await open(this.filename, 'a', this.fileMode);
      this.size = (await this.file.stat()).size;
      return true;
    } catch (err) {
      this.fail(err);
      await this.closeFile();
      return false;
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    try {
      await file.close();
    } catch (err) {
      this.fail(err);
    }
  }

  /** file → file.1, older backups shifted up, the surplus deleted; then a fresh file. */
  private async rotateFile(): Promise<void> {
    await this.closeFile();
    await this.mill;
    try {
      await this.shiftBackups();
      await rename(this.filename, this.backupName(1, false));
      this.counters.rotations++;
      if (this.compress) this.mill = this.compressBackup(this.backupName(1, false));
    } catch (err) {
      // Keep appending to the current file rather than lose events; the next write retries.
      this.fail(err);
    }
    await this.ensureOpen();
  }

  private backupName(index: number, gz: boolean): string {
    return `${this.filename}.${index}${gz ? '.gz' : ''}`;
  }

  private async shiftBackups(): Promise<void> {
    const dir = path.dirname(this.filename);
    const base = path.basename(this.filename);
    const existing: Array<{ index: number; gz: boolean }> = [];
    for (const name of await readdir(dir)) {
      if (!name.startsWith(`${base}.`)) continue;
      const m = /^(\d+)(\.gz)?$/.exec(name.slice(base.length + 1));
      if (m?.[1] !== undefined) existing.push({ index: Number(m[1]), gz: m[2] !== undefined });
    }
    existing.sort((a, b) => b.index - a.index);
    for (const { index, gz } of existing) {
      const from = this.backupName(index, gz);
      if (this.maxBackups > 0 && index >= this.maxBackups) await unlink(from);
      else await rename(from, this.backupName(index + 1, gz));
    }
  }

  private async compressBackup(source: string): Promise<void> {
    const target = `${source}.gz`;
    try {
      const out = createWriteStream(target, { mode: this.fileMode });
      await once(out, 'open');
      await pipeline(createReadStream(source), createGzip(), out);
      await unlink(source);
    } catch (err) {
      this.fail(err);
      await unlink(target).catch(() => undefined);
    }
  }

  private fail(err: unknown): void {
    this.counters.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
    try {
      this.onError?.(err);
    } catch {
      // an observer must not break the writer
    }
  }
}
