/** First time a binary ran anywhere in the fleet. */
import type { QueryRunner } from '../dialect';
import { asNumber, asString, asTimestamp } from '../values';

export interface FirstSeenRow {
  binary: string;
  /** The earliest exec (ties: smallest event id, so both stores pick the same one). */
  first_seen: string;
  node_name: string;
  exec_id: string;
  namespace: string;
  pod_name: string;
  executions: number;
  nodes: number;
}

/** undefined when the binary never ran (as far as the store knows). */
export async function firstSeen(runner: QueryRunner, binary: string): Promise<FirstSeenRow | undefined> {
  const [first] = await runner.query(
    (d) => `SELECT time_ns, node_name, exec_id, pod_namespace, pod_name
FROM ${d.events}
WHERE event_type = ${d.value('process_exec')} AND process_binary = ${d.value(binary)}
ORDER BY time_ns ASC, event_id ASC
LIMIT 1`,
  );
  if (!first) return undefined;
  const [totals] = await runner.query(
    (d) => `SELECT count(*) AS executions, count(DISTINCT node_name) AS nodes
FROM ${d.events}
WHERE event_type = ${d.value('process_exec')} AND process_binary = ${d.value(binary)}`,
  );
  if (!totals) throw new Error('firstSeen: the count query returned no row');
  return {
    binary,
    first_seen: asTimestamp(first, 'time_ns'),
    node_name: asString(first, 'node_name'),
    exec_id: asString(first, 'exec_id'),
    namespace: asString(first, 'pod_namespace'),
    pod_name: asString(first, 'pod_name'),
    executions: asNumber(totals, 'executions'),
    nodes: asNumber(totals, 'nodes'),
  };
}
