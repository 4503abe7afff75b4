/** Raw kernel events → Tetragon Process messages (the shapes the cache stores and emits). */
import type { RawExecEvent } from '@vigil/bpf-native';
import {
  capabilitiesFromMasks,
  credentialsFrom,
  execId,
  flagsToString,
  formatArguments,
  makeProcess,
  namespacesFrom,
  ProcessFlag,
  type NamespaceInums,
  type Process,
  type Timestamp,
} from '@vigil/events';

export interface BuildContext {
  nodeName: string;
  clock: { toTimestamp(ktime: bigint): Timestamp };
  /** Host (pid 1) namespaces, for Namespace.is_host. */
  hostNamespaces: NamespaceInums | undefined;
  /** Fill cap and process_credentials (Tetragon: --enable-process-cred). */
  credentials: boolean;
  /** Fill ns (Tetragon: --enable-process-ns). */
  namespaces: boolean;
}

/** The process an exec (or a /proc read) describes. Tetragon reports tid = pid for it. */
export function execProcess(raw: RawExecEvent, parentExecId: string, ctx: BuildContext, extraFlags = 0): Process {
  return makeProcess({
    exec_id: execId(ctx.nodeName, raw.ktime, raw.pid),
    pid: raw.pid,
    uid: raw.creds.uid,
    cwd: raw.cwd,
    binary: raw.binary,
    arguments: formatArguments(raw.args),
    flags: flagsToString(raw.flags | extraFlags),
    start_time: ctx.clock.toTimestamp(raw.ktime),
    auid: raw.creds.auid,
    parent_exec_id: parentExecId,
    cap: ctx.credentials ? capabilitiesFromMasks(raw.caps) : undefined,
    ns: ctx.namespaces ? namespacesFrom(raw.ns, ctx.hostNamespaces) : undefined,
    tid: raw.pid,
    process_credentials: ctx.credentials ? credentialsFrom(raw.creds) : undefined,
  });
}

export interface CloneIdentity {
  pid: number;
  ktime: bigint;
  /** Raw flags of the fork event; "clone" is always added. */
  flags: number;
}

/**
 * A forked child before it execs: a copy of its parent with its own identity, as Tetragon's
 * initProcessInternalClone makes it (binary, arguments, cwd, credentials, namespaces, pod are
 * the parent's; exec_id, pid, tid, start_time, flags and parent_exec_id are the child's).
 */
export function cloneProcess(parent: Process, child: CloneIdentity, ctx: BuildContext): Process {
  return makeProcess({
    ...parent,
    exec_id: execId(ctx.nodeName, child.ktime, child.pid),
    pid: child.pid,
    tid: child.pid,
    flags: flagsToString(child.flags | ProcessFlag.clone),
    start_time: ctx.clock.toTimestamp(child.ktime),
    parent_exec_id: parent.exec_id,
    refcnt: undefined,
  });
}

/**
 * What can be said about a process the cache never saw start: its pid and, when the kernel knew
 * it, its identity time. Tetragon emits {pid, start_time} for such an exit; Vigil adds the
 * exec_id (when ktime is known) and the "miss" flag so consumers can tell it is incomplete.
 */
export function minimalProcess(pid: number, ktime: bigint, flags: number, ctx: BuildContext): Process {
  return makeProcess({
    exec_id: ktime !== 0n ? execId(ctx.nodeName, ktime, pid) : undefined,
    pid,
    flags: flagsToString(flags | ProcessFlag.miss),
    start_time: ktime !== 0n ? ctx.clock.toTimestamp(ktime) : undefined,
    tid: pid,
  });
}
