/**
 * Process lifecycle events as the kernel reports them, decoded from the ring buffer.
 * This is the contract between the BPF programs (bpf/process.bpf.c, struct layouts in
 * bpf/vigil_events.h) and everything in user space that builds Tetragon-shaped events.
 *
 * Times: `ktime` values are CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns), the clock
 * /proc/<pid>/stat's starttime is measured on, so processes seeded from /proc and processes
 * seen exec'ing share one time base. A process's identity is (pid, ktime): exec_id is
 * base64("node:ktime:pid").
 */

import type { CapabilityMasks, CredentialIds, NamespaceInums } from '@vigil/events';
import type { ActionKindName, ArgTypeName } from './hook-layout';

/** Flags Tetragon reports on a process: one definition, in @vigil/events (the kernel sets the same bits). */
export { ProcessFlag, type ProcessFlagName } from '@vigil/events';

/** Namespace inode numbers of a task (0 where the kernel lacks that namespace kind). */
export type RawNamespaces = NamespaceInums;

/** Capability sets as 64-bit masks (bit N = capability N, as in linux/capability.h). */
export type RawCapabilities = CapabilityMasks;

/** The task's eight credential ids plus loginuid (4294967295 when unset). */
export interface RawCredentials extends CredentialIds {
  auid: number;
}
/** A successful execve/execveat (sched_process_exec). */
export interface RawExecEvent {
  kind: 'exec';
  /** Event time and the process's new identity time (CLOCK_BOOTTIME ns). */
  ktime: bigint;
  pid: number;
  tid: number;
  /** real_parent's tgid. */
  ppid: number;
  /** real_parent's identity ktime as the kernel tracked it; 0n when the kernel never saw it (started before us). */
  parentKtime: bigint;
  creds: RawCredentials;
  /** Absolute path of the executed binary (from the kernel's dentry/mount walk). */
  binary: string;
  /** argv[1..], in order (argv[0] is `binary`'s caller-chosen name, kept as `argv0`). */
  args: string[];
  argv0: string;
  cwd: string;
  cgroupId: bigint;
  /** Path of the task's cgroup v2 node relative to the cgroup2 root, e.g. "/kubepods/pod…/abc". */
  cgroupPath: string;
  ns: RawNamespaces;
  caps: RawCapabilities;
  /** Bitmask of ProcessFlag. */
  flags: number;
}

/** A new process (fork/clone of a thread-group leader; threads are not processes). */
export interface RawForkEvent {
  kind: 'fork';
  /** The child's identity time (CLOCK_BOOTTIME ns). */
  ktime: bigint;
  pid: number;
  tid: number;
  ppid: number;
  parentKtime: bigint;
  flags: number;
}

/** The last thread of a process exited (sched_process_exit with group_dead). */
export interface RawExitEvent {
  kind: 'exit';
  /** Event time (CLOCK_BOOTTIME ns). */
  time: bigint;
  /** Identity time of the exiting process (0n when the kernel never saw it start). */
  ktime: bigint;
  pid: number;
  tid: number;
  /** Exit status as wait(2) sees it: code in bits 8..15, terminating signal in bits 0..6. */
  status: number;
  flags: number;
}

/** Credentials read from a `struct cred *` hook argument. */
export interface RawHookCred {
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  suid: number;
  sgid: number;
  fsuid: number;
  fsgid: number;
  capPermitted: bigint;
  capEffective: bigint;
  capInheritable: bigint;
  securebits: number;
}

/** A struct sock read from a `sock`/`socket` hook argument. */
export interface RawHookSock {
  family: number;
  type: number;
  protocol: number;
  state: number;
  mark: number;
  priority: number;
  sport: number;
  dport: number;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  saddr: Buffer;
  daddr: Buffer;
}

/** One argument of a hook event, as the kernel side typed it. */
export interface RawHookArg {
  type: ArgTypeName;
  truncated: boolean;
  /** The kernel could not read it. */
  error: boolean;
  /** Integers, capabilities; an fd's number. */
  int?: bigint;
  /** Strings, paths (file, path, fd, linux_binprm, filename, dentry). */
  str?: string;
  /** char_buf, sockaddr. */
  bytes?: Buffer;
  cred?: RawHookCred;
  sock?: RawHookSock;
  userNs?: RawHookUserNs;
  skb?: RawHookSkb;
  /** A stack trace: return addresses, innermost first. */
  stack?: bigint[];
}

/** struct vigil_skb: the packet's ends as a sock's, and what only a packet has. */
export interface RawHookSkb extends RawHookSock {
  len: number;
  hash: number;
  secPathLen: number;
  secPathOlen: number;
}

/** struct vigil_user_ns */
export interface RawHookUserNs {
  level: number;
  owner: number;
  group: number;
  inum: number;
}

/** A TracingPolicy hook fired and a selector matched (bpf/hook.bpf.c). */
export interface RawHookEvent {
  kind: 'hook';
  /** Event time (CLOCK_BOOTTIME ns). */
  time: bigint;
  pid: number;
  tid: number;
  /** The process's identity time (0n when the kernel never saw it start). */
  ktime: bigint;
  /** User space's id of the hook (HookConfig.hookId). */
  hookId: number;
  /** Syscall number when the hook ran as a syscall equivalent. */
  syscall?: number;
  /** Return value, for return hooks. */
  ret?: bigint;
  /** The return value read as a string (uretprobes returning char *). */
  retArg?: RawHookArg;
  /** The matching selector's first action (or its enforcement action). */
  action: ActionKindName;
  /** Signal number (Signal) or error (Override). */
  actionArg: number;
  /** Index of the matching selector; undefined when the hook has none. */
  selector?: number;
  /** The enforcement action was carried out. */
  enforced: boolean;
  /** The enforcement action was only counted (policy in monitor mode). */
  monitorOnly: boolean;
  actionError: boolean;
  truncated: boolean;
  args: RawHookArg[];
  /** Post with kernelStackTrace / userStackTrace: return addresses, innermost first. */
  kernelStack?: bigint[];
  userStack?: bigint[];
}

/** Everything the kernel side reports through the events ring. */
export type RawProcessEvent = RawExecEvent | RawForkEvent | RawExitEvent | RawHookEvent;

/** Exit code when the process called exit(), else undefined. */
export function exitCodeOf(status: number): number | undefined {
  return (status & 0x7f) === 0 ? (status >> 8) & 0xff : undefined;
}

/** Terminating signal number when the process was killed by a signal, else undefined. */
export function exitSignalOf(status: number): number | undefined {
  const sig = status & 0x7f;
  return sig === 0 ? undefined : sig;
}
