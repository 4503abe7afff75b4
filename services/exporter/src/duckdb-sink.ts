import type { GetEventsResponse } from '@vigil/events';
import { DuckDbEventStore } from '@vigil/store';
import type { EventSink, SinkHealth, SinkWriteResult } from './event-sink';

/** The embedded store of `vigil run`: one DuckDB file (or memory), same presets as ClickHouse. */
export class DuckDbSink implements EventSink {
  readonly kind = 'duckdb';
  private store: DuckDbEventStore | undefined;
  private insertErrors = 0;
  private lastError: string | undefined;

  constructor(private readonly path: string) {}

  get queries(): DuckDbEventStore {
    if (!this.store) throw new Error(`DuckDB store ${this.path} is not open yet`);
    return this.store;
  }

  /** Opens the file and applies the migrations. */
  async open(): Promise<void> {
    this.store ??= await DuckDbEventStore.open({ path: this.path });
  }

  async write(events: readonly GetEventsResponse[]): Promise<SinkWriteResult> {
    try {
      const { written, rejected } = await this.queries.write(events);
      return { stored: written, rejected };
    } catch (err) {
      this.insertErrors += 1;
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  health(): SinkHealth {
    return {
      kind: this.kind,
      connected: this.store !== undefined,
      backlogRows: 0,
      insertErrors: this.insertErrors,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  async close(): Promise<void> {
    this.store?.close();
    this.store = undefined;
  }
}
