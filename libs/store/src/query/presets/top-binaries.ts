/** Top binaries per namespace: which executables run most, where. */
import type { QueryRunner } from '../dialect';
import { timeRangeSql, type TimeRange } from '../time-range';
import { asNumber, asString, asTimestamp } from '../values';

export interface TopBinariesParams extends TimeRange {
  /** Only this namespace ('' = processes outside any pod); all namespaces when omitted. */
  namespace?: string;
  /** Binaries per namespace. Default 10. */
  limit?: number;
}

export interface TopBinaryRow {
  namespace: string;
  binary: string;
  executions: number;
  nodes: number;
  first_seen: string;
  last_seen: string;
}

/** Sorted by namespace, then executions (most first), then binary. */
export async function topBinaries(runner: QueryRunner, params: TopBinariesParams): Promise<TopBinaryRow[]> {
  const limit = params.limit ?? 10;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`topBinaries: limit must be a positive integer, got ${limit}`);
  const rows = await runner.query((d) => {
    const perNamespace = d.limitPerGroup('pod_namespace', 'count(*) DESC, process_binary ASC', limit);
    return `SELECT pod_namespace, process_binary, count(*) AS executions, count(DISTINCT node_name) AS nodes,
  min(time_ns) AS first_ns, max(time_ns) AS last_ns
FROM ${d.events}
WHERE event_type = ${d.value('process_exec')} AND ${timeRangeSql(d, params)}${
      params.namespace === undefined ? '' : ` AND pod_namespace = ${d.value(params.namespace)}`
    }
GROUP BY pod_namespace, process_binary
${perNamespace.beforeOrderBy}
ORDER BY pod_namespace ASC, executions DESC, process_binary ASC
${perNamespace.afterOrderBy}`;
  });
  return rows.map((r) => ({
    namespace: asString(r, 'pod_namespace'),
    binary: asString(r, 'process_binary'),
    executions: asNumber(r, 'executions'),
    nodes: asNumber(r, 'nodes'),
    first_seen: asTimestamp(r, 'first_ns'),
    last_seen: asTimestamp(r, 'last_ns'),
  }));
}
