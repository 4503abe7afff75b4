/**
 * Batched, retrying inserts of events into ClickHouse, for an at-least-once consumer.
 *
 * write(events) resolves only after every row of those events is in the server (the INSERT
 * was acknowledged), so the caller commits its Kafka offsets after it and a crash before that
 * point re-delivers the events: the stable event id makes the re-delivered copies collapse.
 *
 * Rows from all write() calls go into one queue, flushed as one INSERT … JSONEachRow when
 * `maxBatchRows` are waiting or `flushIntervalMs` after the oldest one arrived. One insert is in
 * flight at a time (order kept). An insert that fails for a reason a retry can outlive (server
 * down, overloaded, network) is retried with backoff for as long as it takes — the backlog waits
 * and drains when the server is back; any other failure rejects the write() calls of that batch
 * with the server's error (nothing is dropped silently, nothing is acknowledged).
 */
import type { GetEventsResponse } from '@vigil/events';
import { eventToRow, RowMappingError } from '../row/to-row';
import { backoffDelay, sleep } from './backoff';
import type { ClickHouseConnection } from './connection';
import { identifier } from './escape';
import { toClickHouseRecord, type ClickHouseRecord } from './row-format';
import { EVENTS_TABLE } from './schema';
import { classifyClickHouseError, ClickHouseServerError } from './server-error';

export interface ClickHouseEventWriterOptions {
  connection: ClickHouseConnection;
  database: string;
  /** Rows per INSERT. Default 10,000 (ClickHouse prefers few large inserts). */
  maxBatchRows?: number;
  /** Longest a row waits for its batch to fill. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** First retry delay; doubles per failed attempt up to retryMaxDelayMs. Default 200 ms. */
  retryInitialDelayMs?: number;
  /** Default 5,000 ms. */
  retryMaxDelayMs?: number;
  /** write() refuses events past this many waiting rows (BacklogFullError). Default 1,000,000. */
  maxBacklogRows?: number;
  /** Called once per acknowledged INSERT (metrics: latency histogram, rate). Must not throw. */
  onBatch?: (batch: { rows: number; durationMs: number; attempts: number }) => void;
  /** Called for every failed INSERT attempt (logging). Must not throw. */
  onError?: (err: ClickHouseServerError, willRetry: boolean) => void;
}

export interface WriteResult {
  /** Rows now in ClickHouse from this call. */
  inserted: number;
  /** Events that cannot be rows (no time, no payload, …), by index in the call: dead-letter them. */
  rejected: Array<{ index: number; reason: string }>;
}

export interface ClickHouseWriterStats {
  /** False after a failed attempt until the next acknowledged insert. */
  connected: boolean;
  /** Rows accepted by write() and not yet acknowledged by the server. */
  backlogRows: number;
  insertedRows: number;
  insertedBatches: number;
  /** Failed INSERT attempts (each retry counts). */
  insertErrors: number;
  /** Rows whose write() was rejected with a non-retryable server error. */
  failedRows: number;
  /** Events write() could not map to rows (returned in WriteResult.rejected). */
  rejectedEvents: number;
  /** Rows refused because the backlog was full. */
  refusedRows: number;
  lastError?: string;
}

export class BacklogFullError extends Error {
  constructor(backlog: number, incoming: number, max: number) {
    super(
      `ClickHouse writer backlog full: ${backlog} rows waiting + ${incoming} new > ${max}; nothing of this call was queued`,
    );
    this.name = 'BacklogFullError';
  }
}

export class WriterClosedError extends Error {
  constructor(rows: number) {
    super(`ClickHouse writer closed with ${rows} rows not inserted: their events must be delivered again`);
    this.name = 'WriterClosedError';
  }
}

/** One write() call waiting for its rows. */
interface Ticket {
  remaining: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface QueuedRow {
  record: ClickHouseRecord;
  ticket: Ticket;
}

export class ClickHouseEventWriter {
  private readonly table: string;
  private readonly maxBatchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxBacklogRows: number;
  private readonly backoff: { initialDelayMs: number; maxDelayMs: number };
  private queue: QueuedRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Set by the timer or flush(): send what is queued even if the batch is not full. */
  private flushWanted = false;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly counters: Omit<ClickHouseWriterStats, 'backlogRows'> = {
    connected: true,
    insertedRows: 0,
    insertedBatches: 0,
    insertErrors: 0,
    failedRows: 0,
    rejectedEvents: 0,
    refusedRows: 0,
  };

  constructor(private readonly options: ClickHouseEventWriterOptions) {
    this.table = `${identifier(options.database)}.${EVENTS_TABLE}`;
    this.maxBatchRows = positive('maxBatchRows', options.maxBatchRows ?? 10_000);
    this.flushIntervalMs = positive('flushIntervalMs', options.flushIntervalMs ?? 1_000);
    this.maxBacklogRows = positive('maxBacklogRows', options.maxBacklogRows ?? 1_000_000);
    this.backoff = {
      initialDelayMs: positive('retryInitialDelayMs', options.retryInitialDelayMs ?? 200),
      maxDelayMs: positive('retryMaxDelayMs', options.retryMaxDelayMs ?? 5_000),
    };
  }

  /** Queues the events; resolves when all of them that could be mapped are in ClickHouse. */
  write(events: readonly GetEventsResponse[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new WriterClosedError(events.length));
    const records: ClickHouseRecord[] = [];
    const rejected: WriteResult['rejected'] = [];
    events.forEach((event, index) => {
      try {
        records.push(toClickHouseRecord(eventToRow(event)));
      } catch (err) {
        if (!(err instanceof RowMappingError)) throw err;
        rejected.push({ index, reason: err.reason });
      }
    });
    this.counters.rejectedEvents += rejected.length;
    if (records.length === 0) return Promise.resolve({ inserted: 0, rejected });
    if (this.queue.length + records.length > this.maxBacklogRows) {
      this.counters.refusedRows += records.length;
      return Promise.reject(new BacklogFullError(this.queue.length, records.length, this.maxBacklogRows));
    }
    return new Promise<WriteResult>((resolve, reject) => {
      const ticket: Ticket = {
        remaining: records.length,
        settled: false,
        resolve: () => resolve({ inserted: records.length, rejected }),
        reject,
      };
      for (const record of records) this.queue.push({ record, ticket });
      this.schedule();
    });
  }

  /** Sends everything queued now; resolves when the queue is empty (waits through retries). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      this.flushWanted = true;
      this.startDrain();
      await this.draining;
    }
  }

  stats(): ClickHouseWriterStats {
    return { ...this.counters, backlogRows: this.queue.length };
  }

  /**
   * Stops accepting events, tries for up to `drainTimeoutMs` to insert what is queued, then
   * rejects the rest with WriterClosedError (their offsets must not be committed). Does not
   * close the connection: the caller owns it.
   */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadline = setTimeout(() => this.abort.abort(), drainTimeoutMs);
    try {
      await this.flush();
    } catch {
      // the remaining rows are rejected below
    } finally {
      clearTimeout(deadline);
      if (this.timer) clearTimeout(this.timer);
    }
    this.abort.abort();
    await this.draining;
    const left = this.queue;
    this.queue = [];
    for (const row of left) settle(row.ticket, new WriterClosedError(left.length));
  }

  private schedule(): void {
    if (this.queue.length === 0) return;
    if (this.queue.length >= this.maxBatchRows || this.flushWanted) {
      this.startDrain();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushWanted = true;
        this.startDrain();
      }, this.flushIntervalMs);
    }
  }

  private startDrain(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (!this.abort.signal.aborted) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && (this.queue.length >= this.maxBatchRows || this.flushWanted)) {
      if (this.abort.signal.aborted) return;
      // Rows stay queued (and counted as backlog) until the server acknowledged them.
      const batch = this.queue.slice(0, this.maxBatchRows);
      try {
        await this.insertWithRetry(batch);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.queue.splice(0, batch.length);
        this.counters.failedRows += batch.length;
        for (const row of batch) settle(row.ticket, err as Error);
        continue;
      }
      this.queue.splice(0, batch.length);
      for (const row of batch) {
        if (--row.ticket.remaining === 0) settle(row.ticket);
      }
      if (this.queue.length === 0) this.flushWanted = false;
    }
    if (this.queue.length === 0) this.flushWanted = false;
  }

  /** Resolves when the batch is in; throws a non-retryable error, or when close() gave up. */
  private async insertWithRetry(batch: QueuedRow[]): Promise<void> {
    const records = batch.map((row) => row.record);
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        await this.options.connection.insertJsonEachRow(this.table, records);
        this.counters.connected = true;
        this.counters.insertedRows += records.length;
        this.counters.insertedBatches += 1;
        this.options.onBatch?.({ rows: records.length, durationMs: Date.now() - started, attempts: attempt });
        return;
      } catch (raw) {
        const err = classifyClickHouseError(raw, `insert of ${records.length} rows into ${this.table}`);
        this.counters.insertErrors += 1;
        this.counters.lastError = err.message;
        this.options.onError?.(err, err.retryable);
        if (!err.retryable) throw err;
        this.counters.connected = false;
        if (this.abort.signal.aborted) throw err;
        await sleep(backoffDelay(attempt, this.backoff), this.abort.signal);
        if (this.abort.signal.aborted) throw err;
      }
    }
  }
}

function settle(ticket: Ticket, err?: Error): void {
  if (ticket.settled) return;
  ticket.settled = true;
  if (err) ticket.reject(err);
  else ticket.resolve();
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`ClickHouseEventWriter: ${name} must be > 0, got ${value}`);
  return value;
}
