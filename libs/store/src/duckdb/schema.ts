/** The DuckDB schema as versioned migrations: the same table and columns as ClickHouse. */
import { EVENT_COLUMNS, type ColumnKind } from '../row/event-row';
import type { Migration } from '../migrations/migration';

export const EVENTS_TABLE = 'vigil_events';
export const MIGRATIONS_TABLE = 'vigil_schema_migrations';
/** Per-connection scratch table the appender fills before one INSERT OR REPLACE. */
export const STAGING_TABLE = 'vigil_events_staging';

const DUCKDB_TYPES: Record<ColumnKind, string> = {
  string: 'VARCHAR NOT NULL',
  u32: 'UINTEGER NOT NULL',
  u64: 'UBIGINT NOT NULL',
  strings: 'VARCHAR[] NOT NULL',
  time: 'TIMESTAMP NOT NULL',
};

/**
 * PRIMARY KEY (event_id) + INSERT OR REPLACE is DuckDB's version of ClickHouse's
 * ReplacingMergeTree: a copy of a stored event replaces it (last write wins in both), so reads
 * need no FINAL. Same event ⇒ same id ⇒ one row, whatever columns the copy differs in.
 */
function createEventsTable(): string {
  const columns = EVENT_COLUMNS.map(
    (c) => `  ${c.name} ${DUCKDB_TYPES[c.kind]}${c.name === 'event_id' ? ' PRIMARY KEY' : ''}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (\n${columns.join(',\n')}\n)`;
}

export function duckDbMigrations(): Migration[] {
  return [
    {
      version: 1,
      name: 'create_events',
      // No secondary indexes: DuckDB's zone maps prune time ranges and its scans answer the
      // presets on a single node's data in milliseconds; ART indexes would only cost memory.
      statements: [createEventsTable()],
    },
  ];
}

export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version UINTEGER PRIMARY KEY,
  name VARCHAR NOT NULL,
  checksum VARCHAR NOT NULL,
  applied_at TIMESTAMP NOT NULL
)`;
