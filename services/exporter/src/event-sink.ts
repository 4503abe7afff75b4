import type { GetEventsResponse } from '@vigil/events';
import type { EventQueries } from '@vigil/store';

/** What one write did: events the store acknowledged, and the ones it cannot store (by index). */
export interface SinkWriteResult {
  stored: number;
  rejected: Array<{ index: number; reason: string }>;
}

/** Store health as /status shows it. */
export interface SinkHealth {
  kind: 'clickhouse' | 'duckdb';
  /** False after a failed insert until the next acknowledged one (always true for the embedded store). */
  connected: boolean;
  /** Rows accepted and not yet acknowledged by the server. */
  backlogRows: number;
  /** Failed insert attempts (each retry counts). */
  insertErrors: number;
  lastError?: string;
}

/**
 * Where the exporter writes: the ClickHouse writer (fleet) or the embedded DuckDB store
 * (`vigil run`). write() resolves only once the events are stored, so the caller may commit.
 */
export interface EventSink {
  readonly kind: SinkHealth['kind'];
  /** The presets and the JSON export over the same store. */
  readonly queries: EventQueries;
  /** Schema migrations; throws what the store threw (the runtime decides whether to retry). */
  open(): Promise<void>;
  write(events: readonly GetEventsResponse[]): Promise<SinkWriteResult>;
  health(): SinkHealth;
  close(): Promise<void>;
}
