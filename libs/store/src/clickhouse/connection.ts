/** A thin layer over @clickhouse/client: SQL text in, plain rows out, errors classified. */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { classifyClickHouseError } from './server-error';

export interface ClickHouseConnectionOptions {
  /** http(s)://host:port of the server's HTTP interface. */
  url: string;
  username?: string;
  password?: string;
  /** Per request; a dead server must not hold a flush for long. Default 10 s. */
  requestTimeoutMs?: number;
}

export type ResultRow = Record<string, unknown>;

export class ClickHouseConnection {
  private readonly client: ClickHouseClient;

  constructor(options: ClickHouseConnectionOptions) {
    // No `database` option: it is sent with every request, and the database does not exist
    // before the first migration. Every statement names its database instead.
    this.client = createClient({
      url: options.url,
      username: options.username ?? 'default',
      password: options.password ?? '',
      request_timeout: options.requestTimeoutMs ?? 10_000,
      // Every failure reaches the caller classified (and the writer's onError): the client's own
      // error log would print each retry of an outage a second time.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /** DDL and other statements without a result. */
  async command(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (err) {
      throw classifyClickHouseError(err, summary(sql));
    }
  }

  async rows(sql: string): Promise<ResultRow[]> {
    try {
      const result = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        // Without it an error after the first block arrives inside a 200 response as garbage rows.
        clickhouse_settings: { wait_end_of_query: 1 },
      });
      return await result.json<ResultRow>();
    } catch (err) {
      throw classifyClickHouseError(err, summary(sql));
    }
  }

  /** One INSERT … FORMAT JSONEachRow; resolves only when the server acknowledged every row. */
  async insertJsonEachRow(table: string, rows: readonly object[]): Promise<void> {
    try {
      await this.client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
    } catch (err) {
      throw classifyClickHouseError(err, `insert of ${rows.length} rows into ${table}`);
    }
  }

  async ping(): Promise<boolean> {
    const result = await this.client.ping();
    return result.success;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function summary(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}
