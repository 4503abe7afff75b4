/** Network connections by pod: destinations seen in hook events with a socket/sockaddr argument. */
import { HOOK_EVENT_TYPES } from '../../row/event-row';
import type { QueryRunner } from '../dialect';
import { timeRangeSql, type TimeRange } from '../time-range';
import { asNumber, asString, asTimestamp } from '../values';

export interface ConnectionsByPodParams extends TimeRange {
  namespace?: string;
}

export interface ConnectionRow {
  namespace: string;
  pod_name: string;
  protocol: string;
  daddr: string;
  dport: number;
  connections: number;
  /** Distinct processes (exec ids) that connected. */
  processes: number;
  first_seen: string;
  last_seen: string;
}

/** Sorted by namespace, pod, connections (most first), then destination address, port, protocol. */
export async function connectionsByPod(runner: QueryRunner, params: ConnectionsByPodParams): Promise<ConnectionRow[]> {
  const rows = await runner.query(
    (d) => `SELECT pod_namespace, pod_name, net_protocol, net_daddr, net_dport, count(*) AS n,
  count(DISTINCT exec_id) AS processes, min(time_ns) AS first_ns, max(time_ns) AS last_ns
FROM ${d.events}
WHERE event_type IN ${d.list(HOOK_EVENT_TYPES)} AND net_daddr != ${d.value('')} AND ${timeRangeSql(d, params)}${
      params.namespace === undefined ? '' : ` AND pod_namespace = ${d.value(params.namespace)}`
    }
GROUP BY pod_namespace, pod_name, net_protocol, net_daddr, net_dport
ORDER BY pod_namespace ASC, pod_name ASC, n DESC, net_daddr ASC, net_dport ASC, net_protocol ASC`,
  );
  return rows.map((r) => ({
    namespace: asString(r, 'pod_namespace'),
    pod_name: asString(r, 'pod_name'),
    protocol: asString(r, 'net_protocol'),
    daddr: asString(r, 'net_daddr'),
    dport: asNumber(r, 'net_dport'),
    connections: asNumber(r, 'n'),
    processes: asNumber(r, 'processes'),
    first_seen: asTimestamp(r, 'first_ns'),
    last_seen: asTimestamp(r, 'last_ns'),
  }));
}
