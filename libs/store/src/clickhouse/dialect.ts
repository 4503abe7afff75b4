/** The presets' SQL for ClickHouse (18.16 and 24.x): escaped literals, FINAL, LIMIT BY. */
import type { SqlDialect } from '../query/dialect';
import { identifier, integerLiteral, literal } from './escape';
import { EVENTS_TABLE } from './schema';

export function clickHouseDialect(database: string): SqlDialect {
  // FINAL: copies of one event that background merges have not collapsed yet are collapsed
  // at read time, so every preset counts each event once (exactness over speed).
  const events = `${identifier(database)}.${EVENTS_TABLE} FINAL`;
  return {
    events,
    value: (v) => literal(v),
    list: (values) => `(${values.map((v) => literal(v)).join(', ')})`,
    intDiv: (a, b) => `intDiv(${a}, ${b})`,
    limitPerGroup: (partitionBy, _orderBy, n) => ({
      beforeOrderBy: '',
      afterOrderBy: `LIMIT ${integerLiteral(n)} BY ${partitionBy}`,
    }),
  };
}
