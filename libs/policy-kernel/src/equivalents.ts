/**
 * Syscall equivalents: for kernels where a kernel function cannot be hooked (no kprobes, no
 * BPF trampolines), the syscalls through which user space reaches it, and how to rebuild the
 * function's arguments from each syscall's. The same table is in docs/policy-hooks.md.
 *
 * What differs from hooking the function itself (and is said in every event's `how`):
 *   - only calls that come from these syscalls are seen (not the kernel's own calls, io_uring,
 *     or other syscalls that reach the function);
 *   - a `file` argument is the file behind the syscall's fd (same path), or, where the file is
 *     not open yet (open, exec), the path the caller passed, unresolved;
 *   - the return value is the syscall's, not the function's;
 *   - Override is impossible at a tracepoint (refused, never ignored).
 */
import type { GuardConfig, TaskSource } from '@vigil/bpf-native';
import type { ArgRead } from './args';

/** Function argument j: syscall argument N, or a constant; at a syscall's exit its result or the task's cred. */
export type ArgSource = number | { const: bigint } | 'ret' | TaskSource;

export interface EquivalentGroup {
  /** Syscalls whose arguments map the same way. */
  syscalls: string[];
  /** Function argument j comes from args[j]. */
  args: ArgSource[];
  /** How the kernel side reads function argument j here, when not as the policy's type says. */
  read?: Partial<Record<number, ArgRead>>;
}

export interface Equivalent {
  /** One line for docs and events: what is approximated. */
  note: string;
  /** Each group is one hook object (the argument types must be the same within a group). */
  groups: EquivalentGroup[];
  /**
   * Decided when the syscall succeeded, from its result ('ret') and the task ('cred'): for
   * functions that act on what the syscall produced (the fd it installed, the creds it committed).
   */
  atExit?: boolean;
  /** Conditions on the rebuilt arguments (function argument slots, 5 = a hidden sixth) every call must meet. */
  guards?: GuardConfig[];
  /** The function takes the syscall's own arguments: pointers are user pointers. */
  user?: boolean;
  /**
   * Override can still be carried out: the hook decides at the syscall's entry, a cgroup
   * program inside the same syscall denies it with the error (connect).
   */
  cgroupOverride?: 'connect';
}

const MAY_WRITE = 2n;
const CLONE_NEWUSER = 0x10000000n;
const BPF_MAP_CREATE = 0n;
const BPF_PROG_LOAD = 5n;
/** bpf(cmd, attr, size): cmd in the hidden sixth slot, for a guard on it. */
const bpfCall = (argIndex: number, type: 'bpf_attr' | 'bpf_map', cmd: bigint): Equivalent => ({
  note: `bpf(${cmd === BPF_PROG_LOAD ? 'BPF_PROG_LOAD' : 'BPF_MAP_CREATE'}) at its entry: the attributes the caller passed, from user memory`,
  groups: [
    {
      syscalls: ['bpf'],
      args: Object.assign(Array<ArgSource>(6).fill({ const: 0n }), { [argIndex]: 1, 5: 0 }),
      read: { [argIndex]: { type, user: true } },
    },
  ],
  guards: [{ src: 5, op: 'Equal', value: cmd }],
});
/** Syscalls that return one new fd (pipe/socketpair write theirs to user memory: not covered). */
const NEW_FD_SYSCALLS = [
  'open',
  'openat',
  'openat2',
  'creat',
  'open_by_handle_at',
  'dup',
  'dup2',
  'dup3',
  'socket',
  'accept',
  'accept4',
  'memfd_create',
  'memfd_secret',
  'eventfd',
  'eventfd2',
  'epoll_create',
  'epoll_create1',
  'timerfd_create',
  'signalfd',
  'signalfd4',
  'inotify_init',
  'inotify_init1',
  'fanotify_init',
  'userfaultfd',
  'perf_event_open',
  'pidfd_open',
  'pidfd_getfd',
  'open_tree',
  'fsopen',
  'fspick',
  'fsmount',
  'io_uring_setup',
];
/** Syscalls that commit new credentials to the calling task. */
const CRED_SYSCALLS = [
  'setuid',
  'setgid',
  'setreuid',
  'setregid',
  'setresuid',
  'setresgid',
  'setfsuid',
  'setfsgid',
  'setgroups',
  'capset',
  'execve',
  'execveat',
];
const MAY_READ = 4n;
const fdFile = { 0: { type: 'fd' as const } };
const userPath = (j: number) => ({ [j]: { type: 'string' as const, user: true } });

export const SYSCALL_EQUIVALENTS: Readonly<Record<string, Equivalent>> = {
  security_file_permission: {
    note: 'reads and writes through read/write-family syscalls; file from the fd, mask MAY_READ (4) or MAY_WRITE (2)',
    groups: [
      {
        syscalls: ['read', 'readv', 'pread64', 'preadv', 'preadv2', 'copy_file_range', 'splice'],
        args: [0, { const: MAY_READ }],
        read: fdFile,
      },
      { syscalls: ['sendfile'], args: [1, { const: MAY_READ }], read: fdFile },
      {
        syscalls: ['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2'],
        args: [0, { const: MAY_WRITE }],
        read: fdFile,
      },
    ],
  },
  security_file_open: {
    note: 'opens through open/openat/openat2/creat; the path as the caller passed it (relative paths unresolved)',
    groups: [
      { syscalls: ['open', 'creat'], args: [0], read: userPath(0) },
      { syscalls: ['openat', 'openat2'], args: [1], read: userPath(0) },
    ],
  },
  security_mmap_file: {
    note: 'mmap of a file: file from the fd, prot and flags from mmap',
    groups: [{ syscalls: ['mmap'], args: [4, 2, 3], read: fdFile }],
  },
  security_path_truncate: {
    note: 'truncate (path as passed) and ftruncate (file from the fd)',
    groups: [
      { syscalls: ['truncate'], args: [0], read: userPath(0) },
      { syscalls: ['ftruncate'], args: [0], read: fdFile },
    ],
  },
  security_file_truncate: {
    note: 'ftruncate: file from the fd',
    groups: [{ syscalls: ['ftruncate'], args: [0], read: fdFile }],
  },
  security_file_ioctl: {
    note: 'ioctl: file from the fd, cmd and arg as passed',
    groups: [{ syscalls: ['ioctl'], args: [0, 1, 2], read: fdFile }],
  },
  security_bprm_check: {
    note: 'execve/execveat: the binary path as the caller passed it (before symlinks and PATH)',
    groups: [
      { syscalls: ['execve'], args: [0], read: userPath(0) },
      { syscalls: ['execveat'], args: [1], read: userPath(0) },
    ],
  },
  security_bprm_creds_for_exec: {
    note: 'execve/execveat: the binary path as the caller passed it',
    groups: [
      { syscalls: ['execve'], args: [0], read: userPath(0) },
      { syscalls: ['execveat'], args: [1], read: userPath(0) },
    ],
  },
  security_socket_connect: {
    note: 'connect: the socket as its fd (path "socket:[inode]"), the address from user memory, its length',
    groups: [
      { syscalls: ['connect'], args: [0, 1, 2], read: { 0: { type: 'fd' }, 1: { type: 'sockaddr', user: true } } },
    ],
    cgroupOverride: 'connect',
  },
  security_socket_bind: {
    note: 'bind: the socket as its fd, the address from user memory, its length',
    groups: [{ syscalls: ['bind'], args: [0, 1, 2], read: { 0: { type: 'fd' }, 1: { type: 'sockaddr', user: true } } }],
  },
  tcp_connect: {
    note: 'connect: the socket as its fd (TCP and other sockets alike)',
    groups: [{ syscalls: ['connect'], args: [0], read: { 0: { type: 'fd' } } }],
    cgroupOverride: 'connect',
  },
  fd_install: {
    note: 'fds installed by the syscalls that return one (open family, dup, socket, accept, memfd, eventfd, pidfd...), read at their successful return: fd = the result, file = the file behind it; pipe/socketpair and SCM_RIGHTS are not seen',
    groups: [{ syscalls: NEW_FD_SYSCALLS, args: ['ret', 'ret'], read: { 1: { type: 'fd' } } }],
    atExit: true,
  },
  commit_creds: {
    note: 'credentials committed by set*id/setgroups/capset and exec, read from the task at their successful return (the new creds); kernel-internal commits (keyctl, user namespaces) are not seen',
    groups: [{ syscalls: CRED_SYSCALLS, args: ['cred'] }],
    atExit: true,
  },
  create_user_ns: {
    note: "unshare and clone with CLONE_NEWUSER, at their entry (the creds are the caller's); clone3 (flags in user memory) is not seen",
    groups: [
      { syscalls: ['unshare', 'clone'], args: ['cred', { const: 0n }, { const: 0n }, { const: 0n }, { const: 0n }, 0] },
    ],
    guards: [{ src: 5, op: 'Mask', value: CLONE_NEWUSER }],
  },
  security_capset: {
    note: "capset, read at its successful return: new = the task's committed creds, and so is old (the previous ones are gone by then); effective, inheritable, permitted = the committed sets",
    groups: [{ syscalls: ['capset'], args: ['cred', 'cred', 'capEffective', 'capInheritable', 'capPermitted'] }],
    atExit: true,
  },
  tty_write: {
    note: "write() to a terminal (tty, console, pty): the file from the fd, the bytes from the caller's buffer (kiocb = the file, iov_iter = the bytes); writev is not seen",
    groups: [
      {
        syscalls: ['write'],
        args: [0, 1, 2, { const: 0n }],
        read: { 0: { type: 'fd' }, 1: { type: 'char_buf', user: true, sizeSrc: 2 } },
      },
    ],
    guards: [{ src: 0, op: 'FdTty', value: 0n }],
  },
  bpf_check: bpfCall(1, 'bpf_attr', BPF_PROG_LOAD),
  security_bpf_map_create: bpfCall(0, 'bpf_map', BPF_MAP_CREATE),
  security_bpf_map_alloc: bpfCall(0, 'bpf_map', BPF_MAP_CREATE),
  security_perf_event_alloc: {
    note: 'perf_event_open at its entry: the event as the attributes the caller passed (type, config, config2), from user memory',
    groups: [{ syscalls: ['perf_event_open'], args: [0], read: { 0: { type: 'perf_event', user: true } } }],
  },
  security_sb_mount: {
    note: 'mount: every argument as passed (strings from user memory)',
    groups: [{ syscalls: ['mount'], args: [0, 1, 2, 3, 4], read: { ...userPath(0), ...userPath(1), ...userPath(2) } }],
  },
  security_path_chmod: {
    note: 'chmod/fchmodat (path as passed) and fchmod (file from the fd)',
    groups: [
      { syscalls: ['chmod'], args: [0, 1], read: userPath(0) },
      { syscalls: ['fchmodat'], args: [1, 2], read: userPath(0) },
      { syscalls: ['fchmod'], args: [0, 1], read: fdFile },
    ],
  },
};

/**
 * `__sys_setuid`, `ksys_write`: the kernel's implementation of a syscall, with the syscall's own
 * arguments: its equivalent is that syscall's tracepoint, argument for argument.
 */
function syscallBody(func: string): Equivalent | undefined {
  const m = /^(__sys_|ksys_)(\w+)$/.exec(func);
  if (!m) return undefined;
  const syscall = BODY_SYSCALLS[m[2]!] ?? m[2]!;
  return {
    note: `the ${syscall} syscall, whose arguments ${func} takes as they are${m[2] === 'mmap_pgoff' ? ' (the offset in bytes, not pages)' : ''}`,
    groups: [{ syscalls: [syscall], args: [0, 1, 2, 3, 4, 5] }],
    user: true,
  };
}

/** Syscall bodies named differently from their syscall on x86_64. */
const BODY_SYSCALLS: Readonly<Record<string, string>> = { fadvise64_64: 'fadvise64', mmap_pgoff: 'mmap' };

/** The table's key for a policy's function (kprobe call) or LSM hook name. */
export function equivalentFor(func: string, lsm = false): Equivalent | undefined {
  return (
    SYSCALL_EQUIVALENTS[lsm ? `security_${func}` : func] ??
    (lsm && func === 'bprm_check_security' ? SYSCALL_EQUIVALENTS['security_bprm_check'] : undefined) ??
    (lsm ? undefined : syscallBody(func))
  );
}

/**
 * A BTF-typed kernel tracepoint (tp_btf) standing for a kernel function, for kernels where the
 * function cannot be hooked but tp_btf programs load. Unlike syscall equivalents these see
 * every call path, with the kernel's own objects as arguments (a struct sock, a cred).
 */
export interface TracepointEquivalent {
  /** One line for docs and events: what is approximated. */
  note: string;
  /** The tracepoint's event name (BTF type btf_trace_<name>). */
  tracepoint: string;
  /** Function argument j is the tracepoint's argument args[j], or a constant. */
  args: Array<number | { const: bigint }>;
  /** The tracepoint argument carrying the function's result (hooks with `return: true`). */
  ret?: number;
  /** How the kernel side reads function argument j here, when not as the policy's type says. */
  read?: Partial<Record<number, ArgRead>>;
  /** Conditions on the tracepoint's arguments (src: its argument index) every call must meet. */
  guards?: GuardConfig[];
}

/** include/net/tcp_states.h */
const TCP = { ESTABLISHED: 1, SYN_SENT: 2, FIN_WAIT1: 4, CLOSE: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10 } as const;
const states = (...s: number[]) => s.reduce((m, v) => m | (1n << BigInt(v)), 0n);
const IPPROTO_TCP = 6n;
const ETH_P_IP = 0x0800n;
const BPF_CGROUP_INET_EGRESS = 1n;

export const TRACEPOINT_EQUIVALENTS: Readonly<Record<string, TracepointEquivalent>> = {
  tcp_connect: {
    note: "sock:inet_sock_set_state entering SYN_SENT (tcp_v4_connect/tcp_v6_connect set it just before calling tcp_connect, in the caller's context)",
    tracepoint: 'inet_sock_set_state',
    args: [0],
    guards: [{ src: 2, op: 'Equal', value: BigInt(TCP.SYN_SENT) }],
  },
  tcp_close: {
    note: 'sock:inet_sock_set_state from ESTABLISHED, CLOSE_WAIT or LISTEN to FIN_WAIT1, LAST_ACK or CLOSE: the transitions close() makes (a reset received on an established socket, in interrupt context, looks the same)',
    tracepoint: 'inet_sock_set_state',
    args: [0],
    guards: [
      { src: 2, op: 'BitIn', value: states(TCP.FIN_WAIT1, TCP.LAST_ACK, TCP.CLOSE) },
      { src: 1, op: 'BitIn', value: states(TCP.ESTABLISHED, TCP.CLOSE_WAIT, TCP.LISTEN) },
    ],
  },
  tcp_sendmsg: {
    note: 'sock:sock_send_length on TCP sockets (after every sendmsg): size is the bytes sent (negative: the error), msg is not read',
    tracepoint: 'sock_send_length',
    args: [0, { const: 0n }, 1],
    guards: [{ src: 0, op: 'Protocol', value: IPPROTO_TCP }],
  },
  cap_capable: {
    note: 'capability:cap_capable (6.14+), which carries the result: cred, target namespace, capability; opts are not passed (0)',
    tracepoint: 'cap_capable',
    args: [0, 1, 3, { const: 0n }],
    ret: 4,
  },
  dev_queue_xmit: {
    note: 'net:net_dev_queue (dev_queue_xmit calls it first): the packet; sb_dev is not passed (0)',
    tracepoint: 'net_dev_queue',
    args: [0, { const: 0n }],
  },
  dev_hard_start_xmit: {
    note: 'net:net_dev_start_xmit, once per packet handed to the driver: the packet and its device; txq and ret are not passed (0)',
    tracepoint: 'net_dev_start_xmit',
    args: [0, 1, { const: 0n }, { const: 0n }],
  },
  kfree_skb_reason: {
    note: 'skb:kfree_skb (kfree_skb_reason calls it): the packet and the drop reason',
    tracepoint: 'kfree_skb',
    args: [0, 2],
  },
  ip_output: {
    note: "net:net_dev_queue for IPv4 packets (after ip_output, in the sender's context unless the neighbour was unresolved): the packet, its socket; net is not passed (0)",
    tracepoint: 'net_dev_queue',
    args: [{ const: 0n }, 0, 0],
    read: { 1: { type: 'skb_sock' } },
    guards: [{ src: 0, op: 'SkbEthertype', value: ETH_P_IP }],
  },
  __cgroup_bpf_run_filter_skb: {
    note: 'net:net_dev_queue for packets of a socket, as the egress cgroup filter sees them (whether or not a cgroup program is attached); ingress is not seen',
    tracepoint: 'net_dev_queue',
    args: [0, 0, { const: BPF_CGROUP_INET_EGRESS }],
    read: { 0: { type: 'skb_sock' } },
    guards: [{ src: 0, op: 'SkbHasSock', value: 0n }],
  },
  security_bprm_creds_from_file: {
    note: 'sched:sched_process_exec: after the exec succeeded (past the point of no return), file = the executed file from the linux_binprm',
    tracepoint: 'sched_process_exec',
    args: [2, 2],
    read: { 1: { type: 'linux_binprm' } },
  },
};

/** Syscalls whose tracepoints are named differently (SYSCALL_DEFINE names, not __NR_ names). */
const TRACEPOINT_NAMES: Readonly<Record<string, string>> = {
  sendfile: 'sendfile64',
  stat: 'newstat',
  fstat: 'newfstat',
  lstat: 'newlstat',
  uname: 'newuname',
  umount2: 'umount',
};

/** The syscalls:sys_enter_<name> / sys_exit_<name> suffix of a syscall. */
export function tracepointName(syscall: string): string {
  return TRACEPOINT_NAMES[syscall] ?? syscall;
}

/** The syscall a syscalls:sys_enter_<name> tracepoint is for. */
export function syscallOfTracepoint(name: string): string {
  return Object.entries(TRACEPOINT_NAMES).find(([, tp]) => tp === name)?.[0] ?? name;
}

/** A list entry's syscall on this (x86_64) ABI; undefined for another ABI's (`__ia32_sys_dup`). */
export function nativeSyscallName(call: string): string | undefined {
  return /^__(ia32|arm64)_/.test(call) ? undefined : syscallName(call);
}

/** "sys_write", "__x64_sys_write", "__se_sys_write", "ksys_write" → "write". */
export function syscallName(call: string): string {
  return call.replace(/^(__x64_|__ia32_|__arm64_|__se_|__do_)?sys_/, '').replace(/^ksys_/, '');
}
