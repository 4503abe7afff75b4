/** GetEventsResponse → EventRow: the one mapping both stores use. */
import {
  epochNsFromTimestamp,
  type EventKind,
  type GetEventsResponse,
  type KprobeArgument,
  type Process,
} from '@vigil/events';
import { eventId } from './event-id';
import type { EventRow } from './event-row';
import { hookFunctionName, kindOf, payloadOf, type AnyPayload } from './payload';

/** An event that cannot become a row; `reason` names the field. Nothing was stored. */
export class RowMappingError extends Error {
  constructor(readonly reason: string) {
    super(`event cannot be stored: ${reason}`);
    this.name = 'RowMappingError';
  }
}

export function eventToRow(event: GetEventsResponse): EventRow {
  if (event === null || typeof event !== 'object') throw new RowMappingError('not a JSON object');
  const kind = kindOf(event);
  if (typeof kind !== 'string') throw new RowMappingError(kind.problem);
  const payload = payloadOf(event, kind);
  const timeNs = eventTimeNs(event, kind);
  const process: Process = payload.process ?? {};
  const parent: Process = payload.parent ?? {};
  const ancestors = [parent, ...(payload.ancestors ?? [])].filter((p) => p.exec_id);
  const pod = process.pod ?? {};
  const labels = Object.entries(pod.pod_labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hook = hookFields(payload);
  const net = networkOf(hook?.args ?? []);
  return {
    event_id: eventId(event, kind, timeNs),
    time_ns: timeNs,
    node_name: event.node_name ?? '',
    event_type: kind,
    exec_id: process.exec_id ?? '',
    parent_exec_id: process.parent_exec_id || parent.exec_id || '',
    pid: u32(process.pid),
    tid: u32(process.tid),
    uid: u32(process.uid),
    process_binary: process.binary ?? '',
    arguments: process.arguments ?? '',
    cwd: process.cwd ?? '',
    flags: process.flags ?? '',
    parent_binary: parent.binary ?? '',
    parent_pid: u32(parent.pid),
    ancestor_exec_ids: ancestors.map((p) => p.exec_id ?? ''),
    ancestor_binaries: ancestors.map((p) => p.binary ?? ''),
    pod_namespace: pod.namespace ?? '',
    pod_name: pod.name ?? '',
    pod_label_keys: labels.map(([k]) => k),
    pod_label_values: labels.map(([, v]) => String(v)),
    container_id: pod.container?.id ?? '',
    container_name: pod.container?.name ?? '',
    container_image: pod.container?.image?.name ?? '',
    workload: pod.workload ?? '',
    workload_kind: pod.workload_kind ?? '',
    policy_name: hook?.policy_name ?? '',
    function_name: hookFunctionName(event, kind),
    action: hook?.action ?? '',
    return_value: hook?.return ? JSON.stringify(hook.return) : '',
    return_action: hook?.return_action ?? '',
    args: hook?.args?.length ? JSON.stringify(hook.args) : '',
    exit_code: kind === 'process_exit' ? u32(event.process_exit?.status) : 0,
    exit_signal: kind === 'process_exit' ? (event.process_exit?.signal ?? '') : '',
    ...net,
    event_json: JSON.stringify(event),
  };
}

/** The envelope's time; an exit without one falls back to ProcessExit.time. */
function eventTimeNs(event: GetEventsResponse, kind: EventKind): bigint {
  const time = event.time ?? (kind === 'process_exit' ? event.process_exit?.time : undefined);
  if (time === undefined) throw new RowMappingError('time: missing (rows are partitioned by day)');
  const ns = typeof time === 'string' ? epochNsFromTimestamp(time) : undefined;
  if (ns === undefined) throw new RowMappingError(`time: ${JSON.stringify(time)} is not an RFC 3339 timestamp`);
  // DateTime is unsigned 32-bit seconds in ClickHouse: 1970 … 2106.
  if (ns < 0n || ns / 1_000_000_000n > 0xffffffffn)
    throw new RowMappingError(`time: ${time} is outside 1970-01-01 … 2106-02-07 (ClickHouse DateTime)`);
  return ns;
}

interface HookFields {
  policy_name?: string;
  action?: string;
  args?: KprobeArgument[];
  return?: KprobeArgument;
  return_action?: string;
}

function hookFields(payload: AnyPayload): HookFields | undefined {
  return 'policy_name' in payload || 'args' in payload || 'action' in payload ? (payload as HookFields) : undefined;
}

type NetworkColumns = Pick<
  EventRow,
  'net_family' | 'net_protocol' | 'net_saddr' | 'net_sport' | 'net_daddr' | 'net_dport'
>;

/** The first sock (tcp_connect & co.) or sockaddr (connect(2)) argument: one connection per event. */
function networkOf(args: KprobeArgument[]): NetworkColumns {
  for (const arg of args) {
    if (arg.sock_arg) {
      const s = arg.sock_arg;
      return {
        net_family: s.family ?? '',
        net_protocol: s.protocol ?? '',
        net_saddr: s.saddr ?? '',
        net_sport: u32(s.sport),
        net_daddr: s.daddr ?? '',
        net_dport: u32(s.dport),
      };
    }
    if (arg.sockaddr_arg) {
      const a = arg.sockaddr_arg;
      return {
        net_family: a.family ?? '',
        net_protocol: '',
        net_saddr: '',
        net_sport: 0,
        net_daddr: a.addr ?? '',
        net_dport: u32(a.port),
      };
    }
  }
  return { net_family: '', net_protocol: '', net_saddr: '', net_sport: 0, net_daddr: '', net_dport: 0 };
}

/** A UInt32 column value: out-of-range or non-integer input is stored as 0, not wrapped. */
function u32(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : 0;
}
