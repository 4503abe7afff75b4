/**
 * Tetragon's event model (package `tetragon`, api/v1/tetragon) as its JSON export spells it.
 *
 * Tetragon writes protojson with the ORIGINAL proto field names, so these interfaces use
 * snake_case keys and JSON value forms, not the proto types:
 * - google.protobuf.UInt32Value / Int32Value / BoolValue → plain number / boolean
 *   (a set wrapper is printed even when its value is 0, e.g. "uid": 0);
 * - google.protobuf.Timestamp → RFC 3339 string (see timestamp.ts);
 * - enums → their names (CAP_CHOWN, ...);
 * - uint64 → decimal string;
 * - proto3 scalars at their zero value, empty strings and empty repeated fields are omitted,
 *   which is why nearly every property is optional.
 * Field names and numbers come from the descriptor in shared/tetragon-api/tetragon-api.json;
 * test/descriptor.test.ts walks emitted JSON against it.
 */
import type { CapabilitiesTypeName, SecureBitsTypeName } from './capabilities';

/** RFC 3339 UTC timestamp, as protojson prints google.protobuf.Timestamp. */
export type Timestamp = string;

export interface Namespace {
  inum?: number;
  is_host?: boolean;
}

export interface Namespaces {
  uts?: Namespace;
  ipc?: Namespace;
  mnt?: Namespace;
  pid?: Namespace;
  pid_for_children?: Namespace;
  net?: Namespace;
  time?: Namespace;
  time_for_children?: Namespace;
  cgroup?: Namespace;
  user?: Namespace;
}

/**
 * Capability sets as enum names. A bit above the descriptor's last capability has no name and
 * is printed as its number, exactly as protojson prints an unknown enum value.
 */
export interface Capabilities {
  permitted?: Array<CapabilitiesTypeName | number>;
  effective?: Array<CapabilitiesTypeName | number>;
  inheritable?: Array<CapabilitiesTypeName | number>;
}

export interface UserNamespace {
  level?: number;
  uid?: number;
  gid?: number;
  ns?: Namespace;
}

export interface ProcessCredentials {
  uid?: number;
  gid?: number;
  euid?: number;
  egid?: number;
  suid?: number;
  sgid?: number;
  fsuid?: number;
  fsgid?: number;
  securebits?: SecureBitsTypeName[];
  caps?: Capabilities;
  user_ns?: UserNamespace;
}

export interface InodeProperties {
  /** uint64 → string. */
  number?: string;
  links?: number;
}

export interface FileProperties {
  inode?: InodeProperties;
  path?: string;
}

export type ProcessPrivilegesChangedName =
  | 'PRIVILEGES_CHANGED_UNSET'
  | 'PRIVILEGES_RAISED_EXEC_FILE_CAP'
  | 'PRIVILEGES_RAISED_EXEC_FILE_SETUID'
  | 'PRIVILEGES_RAISED_EXEC_FILE_SETGID';

export interface BinaryProperties {
  setuid?: number;
  setgid?: number;
  privileges_changed?: ProcessPrivilegesChangedName[];
  file?: FileProperties;
}

export interface UserRecord {
  name?: string;
}

/** Tetragon's EnvVar really has capitalised field names. */
export interface EnvVar {
  Key?: string;
  Value?: string;
}

export interface Image {
  id?: string;
  name?: string;
}

export interface SecurityContext {
  privileged?: boolean;
}

/** Filled by the enricher (cgroup → container), not by the collector. */
export interface Container {
  id?: string;
  name?: string;
  image?: Image;
  start_time?: Timestamp;
  pid?: number;
  maybe_exec_probe?: boolean;
  security_context?: SecurityContext;
}

/** Filled by the enricher (cgroup → pod), not by the collector. */
export interface Pod {
  namespace?: string;
  name?: string;
  uid?: string;
  container?: Container;
  pod_labels?: Record<string, string>;
  workload?: string;
  workload_kind?: string;
  pod_annotations?: Record<string, string>;
}

export interface Process {
  /** base64("node:ktime:pid"), see exec-id.ts. */
  exec_id?: string;
  pid?: number;
  uid?: number;
  cwd?: string;
  binary?: string;
  /** argv[1..] joined by spaces, arguments containing a space in double quotes (args.ts). */
  arguments?: string;
  /** Space-separated flag names (flags.ts). */
  flags?: string;
  start_time?: Timestamp;
  auid?: number;
  pod?: Pod;
  docker?: string;
  parent_exec_id?: string;
  refcnt?: number;
  cap?: Capabilities;
  ns?: Namespaces;
  tid?: number;
  process_credentials?: ProcessCredentials;
  binary_properties?: BinaryProperties;
  user?: UserRecord;
  in_init_tree?: boolean;
  environment_variables?: EnvVar[];
}

export interface ProcessExec {
  process?: Process;
  parent?: Process;
  /** Ancestors above the parent (grandparent first), as Tetragon sends them. */
  ancestors?: Process[];
}

export interface ProcessExit {
  process?: Process;
  parent?: Process;
  /** Terminating signal name ("SIGKILL"); omitted when the process called exit(). */
  signal?: string;
  /** Exit code; omitted when 0. */
  status?: number;
  time?: Timestamp;
  ancestors?: Process[];
}

export interface AggregationInfo {
  /** uint64 → string. */
  count?: string;
}

import type { ProcessKprobe, ProcessLoader, ProcessLsm, ProcessTracepoint, ProcessUprobe } from './hook-events';

interface GetEventsResponseCommon {
  node_name?: string;
  time?: Timestamp;
  aggregation_info?: AggregationInfo;
  cluster_name?: string;
  node_labels?: Record<string, string>;
}

/** The messages of GetEventsResponse's `event` oneof that Vigil produces. */
export interface EventPayloads {
  process_exec: ProcessExec;
  process_exit: ProcessExit;
  process_kprobe: ProcessKprobe;
  process_tracepoint: ProcessTracepoint;
  process_lsm: ProcessLsm;
  process_uprobe: ProcessUprobe;
  process_loader: ProcessLoader;
}
export type EventKind = keyof EventPayloads;

type OneEvent<K extends EventKind> = { [P in K]: EventPayloads[P] } & { [P in Exclude<EventKind, K>]?: never };

/** One line of the JSON export: the `event` oneof holds exactly one of the event messages. */
export type GetEventsResponse = GetEventsResponseCommon &
  (
    | OneEvent<'process_exec'>
    | OneEvent<'process_exit'>
    | OneEvent<'process_kprobe'>
    | OneEvent<'process_tracepoint'>
    | OneEvent<'process_lsm'>
    | OneEvent<'process_uprobe'>
    | OneEvent<'process_loader'>
  );

/** Process fields in descriptor order: protojson prints fields in declaration order. */
export const PROCESS_FIELD_ORDER: ReadonlyArray<keyof Process> = [
  'exec_id',
  'pid',
  'uid',
  'cwd',
  'binary',
  'arguments',
  'flags',
  'start_time',
  'auid',
  'pod',
  'docker',
  'parent_exec_id',
  'refcnt',
  'cap',
  'ns',
  'tid',
  'process_credentials',
  'binary_properties',
  'user',
  'in_init_tree',
  'environment_variables',
];

/** Fields protojson omits at their zero value (implicit presence); wrappers and messages are kept. */
const IMPLICIT_PRESENCE = new Set<keyof Process>([
  'exec_id',
  'cwd',
  'binary',
  'arguments',
  'flags',
  'docker',
  'parent_exec_id',
  'refcnt',
]);

/**
 * A Process as protojson would print it: keys in descriptor order, undefined values dropped,
 * empty strings / zero refcnt / empty arrays omitted. Every builder goes through this, so
 * key order and omission rules live in one place.
 */
export function makeProcess(fields: Process): Process {
  const out: Record<string, unknown> = {};
  for (const key of PROCESS_FIELD_ORDER) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (IMPLICIT_PRESENCE.has(key) && (value === '' || value === 0)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out as Process;
}
