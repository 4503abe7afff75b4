import type { GetEventsResponse } from '@vigil/events';
import { ClickHouseEventStore, ClickHouseEventWriter } from '@vigil/store';
import type { EventSink, SinkHealth, SinkWriteResult } from './event-sink';

export interface ClickHouseSinkOptions {
  url: string;
  database: string;
  username: string;
  password: string;
  /** Rows per INSERT at most. */
  maxBatchRows: number;
  flushIntervalMs: number;
  maxBacklogRows: number;
  /** Failed insert attempts, for the log (the writer retries what a retry can fix by itself). */
  onInsertError?: (message: string, willRetry: boolean) => void;
}

/** The fleet store: ClickHouseEventWriter for inserts, ClickHouseEventStore for migrations and queries. */
export class ClickHouseSink implements EventSink {
  readonly kind = 'clickhouse';
  readonly queries: ClickHouseEventStore;
  private readonly writer: ClickHouseEventWriter;

  constructor(options: ClickHouseSinkOptions) {
    this.queries = new ClickHouseEventStore({
      url: options.url,
      database: options.database,
      username: options.username,
      password: options.password,
    });
    this.writer = new ClickHouseEventWriter({
      connection: this.queries.connection,
      database: options.database,
      maxBatchRows: options.maxBatchRows,
      flushIntervalMs: options.flushIntervalMs,
      maxBacklogRows: options.maxBacklogRows,
      onError: (err, willRetry) => options.onInsertError?.(err.message, willRetry),
    });
  }

  async open(): Promise<void> {
    await this.queries.migrate();
  }

  async write(events: readonly GetEventsResponse[]): Promise<SinkWriteResult> {
    const written = this.writer.write(events);
    // The bus hands over the next batch only after this one is stored: waiting for a fuller
    // INSERT would only stall the partition, so this batch goes out now. flush() never rejects
    // (failures reach the write() promise); the catch keeps it from being an unhandled rejection.
    this.writer.flush().catch(() => undefined);
    const { inserted, rejected } = await written;
    return { stored: inserted, rejected };
  }

  health(): SinkHealth {
    const s = this.writer.stats();
    return {
      kind: this.kind,
      connected: s.connected,
      backlogRows: s.backlogRows,
      insertErrors: s.insertErrors,
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
    };
  }

  /** Writer first (it drains for a while, then rejects what is left: those events are not committed). */
  async close(): Promise<void> {
    await this.writer.close(5_000);
    await this.queries.close();
  }
}
