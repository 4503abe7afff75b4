/**
 * Policy hook events in Tetragon's protojson shape (tetragon.ProcessKprobe, ProcessTracepoint,
 * ProcessLsm and KprobeArgument; field names as in the descriptor). 64-bit integers are
 * strings and bytes are base64, as protojson prints them.
 */
import type { Process, ProcessCredentials, UserNamespace } from './tetragon';

/** tetragon.KprobeAction names. */
export const KPROBE_ACTIONS = [
  'KPROBE_ACTION_UNKNOWN',
  'KPROBE_ACTION_POST',
  'KPROBE_ACTION_FOLLOWFD',
  'KPROBE_ACTION_SIGKILL',
  'KPROBE_ACTION_UNFOLLOWFD',
  'KPROBE_ACTION_OVERRIDE',
  'KPROBE_ACTION_COPYFD',
  'KPROBE_ACTION_GETURL',
  'KPROBE_ACTION_DNSLOOKUP',
  'KPROBE_ACTION_NOPOST',
  'KPROBE_ACTION_SIGNAL',
  'KPROBE_ACTION_TRACKSOCK',
  'KPROBE_ACTION_UNTRACKSOCK',
  'KPROBE_ACTION_NOTIFYENFORCER',
  'KPROBE_ACTION_CLEANUPENFORCERNOTIFICATION',
  'KPROBE_ACTION_SET',
] as const;
export type KprobeAction = (typeof KPROBE_ACTIONS)[number];

export interface KprobePath {
  mount?: string;
  path?: string;
  flags?: string;
  permission?: string;
}

export interface KprobeSockaddr {
  family?: string;
  addr?: string;
  port?: number;
}

/** tetragon.KprobeSkb */
export interface KprobeSkb {
  hash?: number;
  len?: number;
  priority?: number;
  mark?: number;
  saddr?: string;
  daddr?: string;
  sport?: number;
  dport?: number;
  proto?: number;
  sec_path_len?: number;
  sec_path_olen?: number;
  protocol?: string;
  family?: string;
}

/** tetragon.KprobeSock */
export interface KprobeSock {
  family?: string;
  type?: string;
  protocol?: string;
  mark?: number;
  priority?: number;
  saddr?: string;
  daddr?: string;
  sport?: number;
  dport?: number;
  /** uint64 */
  cookie?: string;
  state?: string;
}

export interface KprobeCred {
  permitted?: string[];
  effective?: string[];
  inheritable?: string[];
}

export interface KprobeCapability {
  value?: number;
  name?: string;
}

/** tetragon.KprobeArgument: one of the `arg` fields, plus the policy's label. */
export interface KprobeArgument {
  string_arg?: string;
  int_arg?: number;
  /** uint64 */
  size_arg?: string;
  /** base64 */
  bytes_arg?: string;
  path_arg?: KprobePath;
  file_arg?: KprobePath;
  cred_arg?: KprobeCred;
  /** int64 */
  long_arg?: string;
  uint_arg?: number;
  capability_arg?: KprobeCapability;
  process_credentials_arg?: ProcessCredentials;
  user_ns_arg?: UserNamespace;
  /** Capability sets: names of the set bits, space-separated. */
  kernel_cap_t_arg?: string;
  cap_inheritable_arg?: string;
  cap_permitted_arg?: string;
  cap_effective_arg?: string;
  linux_binprm_arg?: { path?: string; flags?: string; permission?: string };
  sockaddr_arg?: KprobeSockaddr;
  sock_arg?: KprobeSock;
  skb_arg?: KprobeSkb;
  bpf_attr_arg?: { ProgType?: string; InsnCnt?: number; ProgName?: string };
  perf_event_arg?: { KprobeFunc?: string; Type?: string; Config?: string; ProbeOffset?: string };
  bpf_map_arg?: { MapType?: string; KeySize?: number; ValueSize?: number; MaxEntries?: number; MapName?: string };
  net_dev_arg?: { name?: string };
  /** tetragon.SyscallId: a raw syscall number and its ABI. */
  syscall_id?: { id?: number; abi?: string };
  label?: string;
}

interface HookEventCommon {
  process?: Process;
  parent?: Process;
  policy_name?: string;
  message?: string;
  tags?: string[];
  ancestors?: Process[];
  args?: KprobeArgument[];
  action?: KprobeAction;
}

/** tetragon.StackTraceEntry (uint64 fields as strings, as protojson prints them). */
export interface StackTraceEntry {
  address?: string;
  offset?: string;
  symbol?: string;
  module?: string;
}

export interface ProcessKprobe extends HookEventCommon {
  function_name?: string;
  return?: KprobeArgument;
  return_action?: KprobeAction;
  kernel_stack_trace?: StackTraceEntry[];
  user_stack_trace?: StackTraceEntry[];
}

export interface ProcessTracepoint extends HookEventCommon {
  subsys?: string;
  event?: string;
}

export interface ProcessLsm extends HookEventCommon {
  function_name?: string;
}

export interface ProcessUprobe extends HookEventCommon {
  path?: string;
  symbol?: string;
  /** uint64 */
  offset?: string;
}

/** tetragon.ProcessLoader: an executable file mapped into a process (a shared library). */
export interface ProcessLoader {
  process?: Process;
  path?: string;
  /** base64 of the ELF build id */
  buildid?: string;
  parent?: Process;
  ancestors?: Process[];
}
