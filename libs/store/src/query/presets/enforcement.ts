/** Enforcement actions by workload: who got killed, signalled or overridden, by which policy. */
import { ENFORCEMENT_ACTIONS, HOOK_EVENT_TYPES } from '../../row/event-row';
import type { QueryRunner } from '../dialect';
import { timeRangeSql, type TimeRange } from '../time-range';
import { asNumber, asString, asTimestamp } from '../values';

export interface EnforcementRow {
  /** '' for processes outside any pod (namespace and workload both empty). */
  namespace: string;
  workload: string;
  workload_kind: string;
  policy_name: string;
  action: string;
  count: number;
  last_seen: string;
}

/** Sorted by count (most first), then namespace, workload, kind, policy, action. */
export async function enforcementByWorkload(runner: QueryRunner, range: TimeRange): Promise<EnforcementRow[]> {
  const rows = await runner.query(
    (d) => `SELECT pod_namespace, workload, workload_kind, policy_name, action, count(*) AS n, max(time_ns) AS last_ns
FROM ${d.events}
WHERE event_type IN ${d.list(HOOK_EVENT_TYPES)} AND action IN ${d.list(ENFORCEMENT_ACTIONS)} AND ${timeRangeSql(d, range)}
GROUP BY pod_namespace, workload, workload_kind, policy_name, action
ORDER BY n DESC, pod_namespace ASC, workload ASC, workload_kind ASC, policy_name ASC, action ASC`,
  );
  return rows.map((r) => ({
    namespace: asString(r, 'pod_namespace'),
    workload: asString(r, 'workload'),
    workload_kind: asString(r, 'workload_kind'),
    policy_name: asString(r, 'policy_name'),
    action: asString(r, 'action'),
    count: asNumber(r, 'n'),
    last_seen: asTimestamp(r, 'last_ns'),
  }));
}
