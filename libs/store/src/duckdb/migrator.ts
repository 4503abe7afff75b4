/** DuckDB migration target: each step and its record in one transaction (DuckDB has DDL transactions). */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AppliedMigration, MigrationTarget } from '../migrations/migration';
import { CREATE_MIGRATIONS_TABLE, MIGRATIONS_TABLE } from './schema';

export function duckDbMigrationTarget(connection: DuckDBConnection): MigrationTarget {
  return {
    async prepare() {
      await connection.run(CREATE_MIGRATIONS_TABLE);
    },
    async applied() {
      const reader = await connection.runAndReadAll(
        `SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY version`,
      );
      return reader.getRowObjectsJS().map((r): AppliedMigration => ({
        version: Number(r['version']),
        name: String(r['name']),
        checksum: String(r['checksum']),
      }));
    },
    async apply(m, checksum, onStep) {
      await connection.run('BEGIN TRANSACTION');
      try {
        for (const [i, statement] of m.statements.entries()) {
          onStep(i);
          await connection.run(statement);
        }
        onStep('record');
        await connection.run(
          `INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES ($1, $2, $3, now()::TIMESTAMP)`,
          [m.version, m.name, checksum],
        );
        await connection.run('COMMIT');
      } catch (err) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
  };
}
