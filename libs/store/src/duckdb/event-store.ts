/**
 * The embedded store of `vigil run`: the same rows, migrations, dedup semantics and presets as
 * the ClickHouse store, in one DuckDB database (a file, or memory).
 */
import {
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  timestampValue,
  type DuckDBAppender,
  type DuckDBConnection,
} from '@duckdb/node-api';
import type { GetEventsResponse } from '@vigil/events';
import { runMigrations, type Migration, type MigrationReport } from '../migrations/migration';
import type { QueryRunner, ResultRow } from '../query/dialect';
import { EventQueries } from '../query/event-queries';
import { EVENT_COLUMNS, type EventRow } from '../row/event-row';
import { eventToRow, RowMappingError } from '../row/to-row';
import { duckDbQuery } from './dialect';
import { duckDbMigrationTarget } from './migrator';
import { duckDbMigrations, EVENTS_TABLE, STAGING_TABLE } from './schema';

export interface DuckDbEventStoreOptions {
  /** Database file; ':memory:' (the default) keeps everything in memory. */
  path?: string;
  /** Migrations to apply instead of the current schema (tests of the runner). */
  migrations?: readonly Migration[];
}

export interface DuckDbWriteResult {
  /** Distinct events written by this call (copies inside the call count once). */
  written: number;
  rejected: Array<{ index: number; reason: string }>;
}

const STRING_LIST = LIST(VARCHAR);

export class DuckDbEventStore extends EventQueries {
  protected readonly runner: QueryRunner;
  /** DuckDB runs one statement at a time per connection: writes and reads take turns here. */
  private turn: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {
    super();
    this.runner = {
      query: (build) =>
        this.exclusive(async () => {
          const { dialect, params } = duckDbQuery();
          const sql = build(dialect);
          try {
            return (await this.connection.runAndReadAll(sql, params)).getRowObjectsJS();
          } catch (err) {
            throw new Error(`DuckDB query failed: ${(err as Error).message}\nquery: ${sql.replace(/\s+/g, ' ')}`, {
              cause: err,
            });
          }
        }),
    };
  }

  /** Opens (or creates) the database and brings it to the current schema. */
  static async open(options: DuckDbEventStoreOptions = {}): Promise<DuckDbEventStore> {
    const instance = await DuckDBInstance.create(options.path ?? ':memory:');
    const connection = await instance.connect();
    const store = new DuckDbEventStore(instance, connection);
    try {
      await store.migrate(options.migrations);
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  /** Applies the missing migrations; open() already did, so this is normally a no-op. */
  migrate(migrations: readonly Migration[] = duckDbMigrations()): Promise<MigrationReport> {
    return this.exclusive(() => runMigrations(duckDbMigrationTarget(this.connection), migrations));
  }

  /**
   * Stores the events; a copy of a stored event replaces it (one row per event id). Resolves
   * when the rows are committed. Events that cannot be rows are returned, not thrown.
   */
  write(events: readonly GetEventsResponse[]): Promise<DuckDbWriteResult> {
    const byId = new Map<string, EventRow>();
    const rejected: DuckDbWriteResult['rejected'] = [];
    events.forEach((event, index) => {
      try {
        const row = eventToRow(event);
        // INSERT OR REPLACE refuses two rows with one key in one statement: last copy wins.
        byId.delete(row.event_id);
        byId.set(row.event_id, row);
      } catch (err) {
        if (!(err instanceof RowMappingError)) throw err;
        rejected.push({ index, reason: err.reason });
      }
    });
    if (byId.size === 0) return Promise.resolve({ written: 0, rejected });
    return this.exclusive(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        // Temporary: per connection, never in the file; shaped like the events table at any version.
        await this.connection.run(
          `CREATE TEMP TABLE IF NOT EXISTS ${STAGING_TABLE} AS SELECT * FROM ${EVENTS_TABLE} LIMIT 0`,
        );
        await this.connection.run(`DELETE FROM ${STAGING_TABLE}`);
        const appender = await this.connection.createAppender(STAGING_TABLE);
        try {
          for (const row of byId.values()) appendRow(appender, row);
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
        await this.connection.run(`INSERT OR REPLACE INTO ${EVENTS_TABLE} SELECT * FROM ${STAGING_TABLE}`);
        await this.connection.run('COMMIT');
      } catch (err) {
        await this.connection.run('ROLLBACK').catch(() => undefined);
        throw new Error(`DuckDB write of ${byId.size} events failed: ${(err as Error).message}`, { cause: err });
      }
      return { written: byId.size, rejected };
    });
  }

  /** Any SQL (analysts, tests), results as plain JS values; parameters as $1, $2, …. */
  sql(text: string, params: Array<string | number | bigint> = []): Promise<ResultRow[]> {
    return this.exclusive(async () => (await this.connection.runAndReadAll(text, params)).getRowObjectsJS());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('DuckDbEventStore is closed'));
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }
}

function appendRow(appender: DuckDBAppender, row: EventRow): void {
  for (const column of EVENT_COLUMNS) {
    if (column.name === 'time') {
      appender.appendTimestamp(timestampValue(row.time_ns / 1_000n));
      continue;
    }
    const value = row[column.name];
    switch (column.kind) {
      case 'string':
        appender.appendVarchar(value as string);
        break;
      case 'u32':
        appender.appendUInteger(value as number);
        break;
      case 'u64':
        appender.appendUBigInt(value as bigint);
        break;
      case 'strings':
        appender.appendList(listValue(value as string[]), STRING_LIST);
        break;
      case 'time':
        throw new Error(`column ${column.name}: only "time" has kind time`);
    }
  }
  appender.endRow();
}
