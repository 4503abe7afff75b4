/**
 * The fleet store's read side: migrations, the presets and the JSON export over ClickHouse.
 * Writing is ClickHouseEventWriter's job (batching, retries).
 */
import type { MigrationReport } from '../migrations/migration';
import type { QueryRunner } from '../query/dialect';
import { EventQueries } from '../query/event-queries';
import { ClickHouseConnection, type ClickHouseConnectionOptions } from './connection';
import { clickHouseDialect } from './dialect';
import { migrateClickHouse } from './migrator';

export interface ClickHouseEventStoreOptions extends ClickHouseConnectionOptions {
  database: string;
}

export class ClickHouseEventStore extends EventQueries {
  readonly connection: ClickHouseConnection;
  readonly database: string;
  protected readonly runner: QueryRunner;

  constructor(options: ClickHouseEventStoreOptions) {
    super();
    this.connection = new ClickHouseConnection(options);
    this.database = options.database;
    const dialect = clickHouseDialect(options.database);
    this.runner = { query: (build) => this.connection.rows(build(dialect)) };
  }

  /** Applies the missing migrations (a no-op when the schema is current). */
  migrate(): Promise<MigrationReport> {
    return migrateClickHouse(this.connection, this.database);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
