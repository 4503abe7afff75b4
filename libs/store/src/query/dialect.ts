/**
 * What differs between ClickHouse and DuckDB SQL in the presets. Every preset is written once
 * against this interface, so both stores run the same query and give the same answers.
 */

export type ResultRow = Record<string, unknown>;

export interface SqlDialect {
  /** The events table with duplicates collapsed: `db.vigil_events FINAL` / `vigil_events`. */
  readonly events: string;
  /** One value in the query: an escaped literal (ClickHouse) or a bound parameter (DuckDB). */
  value(v: string | number | bigint): string;
  /** `(v1, v2, …)` for IN. */
  list(values: readonly string[]): string;
  /** Integer division of two integer expressions. */
  intDiv(a: string, b: string): string;
  /**
   * Keeps the first `n` rows of each `partitionBy` group in `orderBy` order of a GROUP BY query:
   * ClickHouse's `LIMIT n BY` goes after ORDER BY, DuckDB's QUALIFY before it.
   */
  limitPerGroup(partitionBy: string, orderBy: string, n: number): { beforeOrderBy: string; afterOrderBy: string };
}

/** A store's way to run one preset query. A fresh dialect per query (DuckDB numbers its parameters). */
export interface QueryRunner {
  query(build: (d: SqlDialect) => string): Promise<ResultRow[]>;
}
