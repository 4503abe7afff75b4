/**
 * RingBufferReader: drains a BPF ring buffer map on a native thread and delivers one Buffer
 * per batch (framing in ring-buffer-framing.ts), by callback or async iteration.
 */
import { native, type NativeRingBuffer, type NativeRingBufferStats } from './native';

export interface RingBufferReaderOptions {
  /** Flush a batch to JS once it holds this many bytes (default 256 KiB). */
  batchBytes?: number;
  /** Bound of batches waiting for JS on the native side (default 64 MiB). */
  maxQueuedBytes?: number;
  /** How long the native thread waits for JS to make room before dropping a batch (default 1000 ms). */
  queueWaitMs?: number;
  /**
   * The reader also consumes on this timer, not only when the kernel wakes it (default 100 ms):
   * the latency bound for producers that submit with BPF_RB_NO_WAKEUP.
   */
  pollIntervalMs?: number;
  /** Async iteration only: batches kept for a slow consumer before dropping (default 4096). */
  maxPendingBatches?: number;
  /** Called for each batch; without it, batches are read through the async iterator. */
  onBatch?: (batch: Buffer, records: number) => void;
  /** Errors thrown by onBatch land here (default: rethrown as an uncaught exception). */
  onError?: (err: unknown) => void;
}

export interface RingBufferStats extends NativeRingBufferStats {
  /** Batches the async iterator dropped because its consumer fell behind. */
  droppedPendingBatches: number;
  droppedPendingRecords: number;
}

export class RingBufferReader implements AsyncIterable<Buffer> {
  private readonly rb: NativeRingBuffer;
  private onBatch?: (batch: Buffer, records: number) => void;
  private readonly onError?: (err: unknown) => void;
  private readonly maxPending: number;
  private pending: Buffer[] = [];
  private waiters: Array<(r: IteratorResult<Buffer>) => void> = [];
  private droppedPendingBatches = 0;
  private droppedPendingRecords = 0;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private readonly stopListeners = new Set<() => void>();

  /** mapFd: a BPF_MAP_TYPE_RINGBUF map's fd (the reader keeps its own duplicate). */
  constructor(mapFd: number, opts: RingBufferReaderOptions = {}) {
    this.onBatch = opts.onBatch;
    this.onError = opts.onError;
    this.maxPending = opts.maxPendingBatches ?? 4096;
    this.rb = new (native().RingBuffer)(mapFd, (batch, records) => this.deliver(batch, records), {
      batchBytes: opts.batchBytes,
      maxQueuedBytes: opts.maxQueuedBytes,
      queueWaitMs: opts.queueWaitMs,
      pollIntervalMs: opts.pollIntervalMs,
    });
  }

  /** Sets (or replaces) the batch callback. */
  setOnBatch(fn: (batch: Buffer, records: number) => void): this {
    this.onBatch = fn;
    return this;
  }

  start(): this {
    if (this.state === 'stopped') throw new Error('RingBufferReader: stopped readers cannot restart');
    if (this.state === 'idle') {
      this.rb.start();
      this.state = 'running';
    }
    return this;
  }

  /**
   * Joins the native thread. With drain (default) every record still in the kernel ring or
   * queued is delivered synchronously before stop() returns.
   */
  stop(opts: { drain?: boolean } = {}): void {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    if (wasRunning) this.rb.stop({ drain: opts.drain ?? true });
    for (const w of this.waiters.splice(0)) w({ done: true, value: undefined });
    for (const l of this.stopListeners) l();
    this.stopListeners.clear();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  stats(): RingBufferStats {
    return {
      ...this.rb.stats(),
      droppedPendingBatches: this.droppedPendingBatches,
      droppedPendingRecords: this.droppedPendingRecords,
    };
  }

  /** Keep the process alive while reading (default). */
  ref(): this {
    this.rb.ref();
    return this;
  }

  /** Let the process exit even though the reader runs. */
  unref(): this {
    this.rb.unref();
    return this;
  }

  /** @internal called by BpfObject.close() */
  onStop(fn: () => void): void {
    this.stopListeners.add(fn);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () => {
        const b = this.pending.shift();
        if (b) {
          return Promise.resolve({ done: false, value: b });
        }
        if (this.state === 'stopped') return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => {
        this.stop();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private deliver(batch: Buffer, records: number): void {
    if (this.onBatch) {
      try {
        this.onBatch(batch, records);
      } catch (err) {
        if (this.onError) this.onError(err);
        else throw err;
      }
      return;
    }
    const w = this.waiters.shift();
    if (w) {
      w({ done: false, value: batch });
      return;
    }
    if (this.pending.length >= this.maxPending) {
      this.droppedPendingBatches++;
      this.droppedPendingRecords += records;
      return;
    }
    this.pending.push(batch);
  }
}
