/**
 * The flat row every store keeps per event: one table, one row per event, no joins needed for the
 * fleet queries. Strings are never null (empty string = absent) and numbers default to 0, so the
 * same row means the same thing in ClickHouse 18.16 (no Nullable in sort keys), 24.x and DuckDB.
 */
import type { EventKind } from '@vigil/events';

export interface EventRow {
  /** Stable id of the event (event-id.ts): re-deliveries of one event share it. */
  event_id: string;
  /** Event time in ns since the Unix epoch (UTC). `time` columns are derived from it. */
  time_ns: bigint;
  node_name: string;
  event_type: EventKind;
  exec_id: string;
  parent_exec_id: string;
  pid: number;
  tid: number;
  uid: number;
  /** The executed file (`binary` in Tetragon's Process; BINARY is a keyword in DuckDB). */
  process_binary: string;
  arguments: string;
  cwd: string;
  flags: string;
  parent_binary: string;
  parent_pid: number;
  /** Nearest first: [parent, grandparent, …] as far as the event carries them. */
  ancestor_exec_ids: string[];
  ancestor_binaries: string[];
  pod_namespace: string;
  pod_name: string;
  /** Pod labels as two parallel arrays, sorted by key (deterministic rows). */
  pod_label_keys: string[];
  pod_label_values: string[];
  container_id: string;
  container_name: string;
  container_image: string;
  workload: string;
  workload_kind: string;
  policy_name: string;
  /** kprobe/lsm function, "subsys/event" for tracepoints, the symbol for uprobes. */
  function_name: string;
  /** KprobeAction name of a hook event ('' for exec/exit). */
  action: string;
  /** The kprobe's return argument as JSON ('' when none). */
  return_value: string;
  return_action: string;
  /** The hook's arguments as JSON (a KprobeArgument array; '' when none). */
  args: string;
  /** process_exit: exit code (0 when the process was signalled or exited 0). */
  exit_code: number;
  /** process_exit: terminating signal name ("SIGKILL"), '' when it called exit(). */
  exit_signal: string;
  /** First socket/sockaddr argument of a hook event: what "connections by pod" reads. */
  net_family: string;
  net_protocol: string;
  net_saddr: string;
  net_sport: number;
  net_daddr: string;
  net_dport: number;
  /** The event exactly as received: the JSON export returns it unchanged. */
  event_json: string;
}

export type ColumnKind = 'string' | 'u32' | 'u64' | 'strings' | 'time';

export interface Column {
  name: keyof EventRow | 'time';
  kind: ColumnKind;
}

/**
 * Column order of the events table in both stores (DuckDB's appender relies on it). `time` is the
 * DateTime/TIMESTAMP form of time_ns (second resolution) used for partitioning and human SQL.
 */
export const EVENT_COLUMNS: readonly Column[] = [
  { name: 'event_id', kind: 'string' },
  { name: 'time', kind: 'time' },
  { name: 'time_ns', kind: 'u64' },
  { name: 'node_name', kind: 'string' },
  { name: 'event_type', kind: 'string' },
  { name: 'exec_id', kind: 'string' },
  { name: 'parent_exec_id', kind: 'string' },
  { name: 'pid', kind: 'u32' },
  { name: 'tid', kind: 'u32' },
  { name: 'uid', kind: 'u32' },
  { name: 'process_binary', kind: 'string' },
  { name: 'arguments', kind: 'string' },
  { name: 'cwd', kind: 'string' },
  { name: 'flags', kind: 'string' },
  { name: 'parent_binary', kind: 'string' },
  { name: 'parent_pid', kind: 'u32' },
  { name: 'ancestor_exec_ids', kind: 'strings' },
  { name: 'ancestor_binaries', kind: 'strings' },
  { name: 'pod_namespace', kind: 'string' },
  { name: 'pod_name', kind: 'string' },
  { name: 'pod_label_keys', kind: 'strings' },
  { name: 'pod_label_values', kind: 'strings' },
  { name: 'container_id', kind: 'string' },
  { name: 'container_name', kind: 'string' },
  { name: 'container_image', kind: 'string' },
  { name: 'workload', kind: 'string' },
  { name: 'workload_kind', kind: 'string' },
  { name: 'policy_name', kind: 'string' },
  { name: 'function_name', kind: 'string' },
  { name: 'action', kind: 'string' },
  { name: 'return_value', kind: 'string' },
  { name: 'return_action', kind: 'string' },
  { name: 'args', kind: 'string' },
  { name: 'exit_code', kind: 'u32' },
  { name: 'exit_signal', kind: 'string' },
  { name: 'net_family', kind: 'string' },
  { name: 'net_protocol', kind: 'string' },
  { name: 'net_saddr', kind: 'string' },
  { name: 'net_sport', kind: 'u32' },
  { name: 'net_daddr', kind: 'string' },
  { name: 'net_dport', kind: 'u32' },
  { name: 'event_json', kind: 'string' },
];

/** Hook events (a policy fired); exec/exit are process lifecycle events. */
export const HOOK_EVENT_TYPES: readonly EventKind[] = [
  'process_kprobe',
  'process_tracepoint',
  'process_uprobe',
  'process_lsm',
];

/** KprobeAction names that enforce (the kernel changed what the process did). */
export const ENFORCEMENT_ACTIONS: readonly string[] = [
  'KPROBE_ACTION_SIGKILL',
  'KPROBE_ACTION_SIGNAL',
  'KPROBE_ACTION_OVERRIDE',
  'KPROBE_ACTION_NOTIFYENFORCER',
];
