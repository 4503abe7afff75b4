// Row model
export {
  EVENT_COLUMNS,
  HOOK_EVENT_TYPES,
  ENFORCEMENT_ACTIONS,
  type EventRow,
  type Column,
  type ColumnKind,
} from './row/event-row';
export { eventToRow, RowMappingError } from './row/to-row';
export { eventId } from './row/event-id';

// Migrations
export {
  runMigrations,
  migrationChecksum,
  MigrationError,
  type Migration,
  type MigrationReport,
  type MigrationTarget,
  type AppliedMigration,
} from './migrations/migration';

// ClickHouse
export { literal, stringLiteral, integerLiteral, identifier, SqlValueError, type SqlValue } from './clickhouse/escape';
export { ClickHouseConnection, type ClickHouseConnectionOptions } from './clickhouse/connection';
export { ClickHouseServerError, classifyClickHouseError } from './clickhouse/server-error';
export { clickHouseMigrations, EVENTS_TABLE, MIGRATIONS_TABLE } from './clickhouse/schema';
export { migrateClickHouse } from './clickhouse/migrator';
export {
  ClickHouseEventWriter,
  BacklogFullError,
  WriterClosedError,
  type ClickHouseEventWriterOptions,
  type ClickHouseWriterStats,
  type WriteResult,
} from './clickhouse/event-writer';
export { ClickHouseEventStore, type ClickHouseEventStoreOptions } from './clickhouse/event-store';

// DuckDB
export { DuckDbEventStore, type DuckDbEventStoreOptions, type DuckDbWriteResult } from './duckdb/event-store';
export { duckDbMigrations } from './duckdb/schema';

// Queries
export { EventQueries } from './query/event-queries';
export type { TimeRange } from './query/time-range';
export type { TimeBound } from './query/values';
export type { ExportParams } from './query/export-json';
export type { ProcessTree, ProcessTreeNode, ProcessTreeParams } from './query/presets/process-tree';
export type { TopBinariesParams, TopBinaryRow } from './query/presets/top-binaries';
export type { FirstSeenRow } from './query/presets/first-seen';
export type { PolicyHitsParams, PolicyHitRow } from './query/presets/policy-hits';
export type { EnforcementRow } from './query/presets/enforcement';
export type { ConnectionsByPodParams, ConnectionRow } from './query/presets/connections';
