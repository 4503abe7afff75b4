/** Runs the ClickHouse migrations: database and migrations table first, then each missing step. */
import {
  runMigrations,
  type AppliedMigration,
  type Migration,
  type MigrationReport,
  type MigrationTarget,
} from '../migrations/migration';
import type { ClickHouseConnection } from './connection';
import { identifier, literal } from './escape';
import { clickHouseMigrations, createMigrationsTable, MIGRATIONS_TABLE } from './schema';

export function clickHouseMigrationTarget(conn: ClickHouseConnection, database: string): MigrationTarget {
  const db = identifier(database);
  return {
    async prepare() {
      await conn.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
      await conn.command(createMigrationsTable(database));
    },
    async applied() {
      // Two migrators racing may both record a step (no transactions): one row per version counts.
      const rows = await conn.rows(
        `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${db}.${MIGRATIONS_TABLE} GROUP BY version ORDER BY version`,
      );
      return rows.map((r): AppliedMigration => ({
        version: Number(r['version']),
        name: String(r['name']),
        checksum: String(r['checksum']),
      }));
    },
    async apply(m, checksum, onStep) {
      for (const [i, statement] of m.statements.entries()) {
        onStep(i);
        await conn.command(statement);
      }
      onStep('record');
      const now = Math.floor(Date.now() / 1000);
      await conn.command(
        `INSERT INTO ${db}.${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES (${literal(m.version)}, ${literal(m.name)}, ${literal(checksum)}, ${literal(now)})`,
      );
    },
  };
}

/** Brings `database` to the current schema (or to `migrations`, for tests of the runner). */
export function migrateClickHouse(
  conn: ClickHouseConnection,
  database: string,
  migrations: readonly Migration[] = clickHouseMigrations(database),
): Promise<MigrationReport> {
  return runMigrations(clickHouseMigrationTarget(conn, database), migrations);
}
