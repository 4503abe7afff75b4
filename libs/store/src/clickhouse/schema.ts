/**
 * The ClickHouse schema as versioned migrations. SQL here must run on ClickHouse 18.16 (the
 * server on these machines) and on 24.x (what users run): no Nullable in keys, no
 * LowCardinality/DateTime64/Map/Bool/TTL, DateTime('UTC') + UInt64 ns instead.
 */
import { EVENT_COLUMNS, type ColumnKind } from '../row/event-row';
import type { Migration } from '../migrations/migration';
import { identifier } from './escape';

export const EVENTS_TABLE = 'vigil_events';
export const MIGRATIONS_TABLE = 'vigil_schema_migrations';

const CLICKHOUSE_TYPES: Record<ColumnKind, string> = {
  string: 'String',
  u32: 'UInt32',
  u64: 'UInt64',
  strings: 'Array(String)',
  time: "DateTime('UTC')",
};

/**
 * Engine choices, and why:
 * - ReplacingMergeTree: copies of one event (same event_id) collapse in background merges, and
 *   `FINAL` collapses them at read time before merges ran: every preset reads with FINAL.
 *   Copies collapse only when their whole sort key is equal; the key below holds only fields
 *   the event id is computed from (event-id.ts), so equal ids always mean equal keys.
 * - PARTITION BY day (UTC): time-range queries skip whole days; a copy of an event lands in the
 *   same partition as the original (same time), which is where ReplacingMergeTree can see it.
 * - ORDER BY (node_name, process_binary, time, event_id): node and binary lookups ("what ran on node X",
 *   "where did /usr/bin/curl run") read a key range; time orders a node's events. Namespace
 *   lookups are not in the key on purpose: the pod context is added by the enricher and is not
 *   part of an event's identity, so keying on it could keep two copies of one event apart.
 */
function createEventsTable(database: string): string {
  const columns = EVENT_COLUMNS.map((c) => `  ${c.name} ${CLICKHOUSE_TYPES[c.kind]}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${identifier(database)}.${EVENTS_TABLE} (
${columns}
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(time)
ORDER BY (node_name, process_binary, time, event_id)`;
}

export function clickHouseMigrations(database: string): Migration[] {
  return [{ version: 1, name: 'create_events', statements: [createEventsTable(database)] }];
}

export function createMigrationsTable(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${identifier(database)}.${MIGRATIONS_TABLE} (
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime('UTC')
) ENGINE = MergeTree() ORDER BY version`;
}
