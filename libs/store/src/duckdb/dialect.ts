/** The presets' SQL for DuckDB: values as numbered parameters ($1, $2, …), QUALIFY for top-N. */
import type { SqlDialect } from '../query/dialect';
import { EVENTS_TABLE } from './schema';

export interface DuckDbQuery {
  dialect: SqlDialect;
  params: Array<string | number | bigint>;
}

/** One dialect per query: it collects that query's parameters. */
export function duckDbQuery(): DuckDbQuery {
  const params: DuckDbQuery['params'] = [];
  const value = (v: string | number | bigint): string => {
    params.push(v);
    return `$${params.length}`;
  };
  return {
    params,
    dialect: {
      events: EVENTS_TABLE,
      value,
      list: (values) => `(${values.map(value).join(', ')})`,
      intDiv: (a, b) => `(${a} // ${b})`,
      limitPerGroup: (partitionBy, orderBy, n) => {
        if (!Number.isSafeInteger(n) || n < 1)
          throw new RangeError(`limit per group must be a positive integer, got ${n}`);
        return {
          beforeOrderBy: `QUALIFY row_number() OVER (PARTITION BY ${partitionBy} ORDER BY ${orderBy}) <= ${n}`,
          afterOrderBy: '',
        };
      },
    },
  };
}
