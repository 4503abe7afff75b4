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
import type { ArgTypeName } from '@vigil/bpf-native';

/** Function argument j: syscall argument N, or a constant. */
export type ArgSource = number | { const: bigint };

export interface EquivalentGroup {
  /** Syscalls whose arguments map the same way. */
  syscalls: string[];
  /** Function argument j comes from args[j]. */
  args: ArgSource[];
  /** How the kernel side reads function argument j here, when not as the policy's type says. */
  read?: Partial<Record<number, { type: ArgTypeName; user?: boolean }>>;
}

export interface Equivalent {
  /** One line for docs and events: what is approximated. */
  note: string;
  /** Each group is one hook object (the argument types must be the same within a group). */
  groups: EquivalentGroup[];
  /**
   * Override can still be carried out: the hook decides at the syscall's entry, a cgroup
   * program inside the same syscall denies it with the error (connect).
   */
  cgroupOverride?: 'connect';
}

const MAY_WRITE = 2n;
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

/** The table's key for a policy's function (kprobe call) or LSM hook name. */
export function equivalentFor(func: string, lsm = false): Equivalent | undefined {
  return (
    SYSCALL_EQUIVALENTS[lsm ? `security_${func}` : func] ??
    (lsm && func === 'bprm_check_security' ? SYSCALL_EQUIVALENTS['security_bprm_check'] : undefined)
  );
}

/** Syscalls whose tracepoints are named differently (SYSCALL_DEFINE names, not __NR_ names). */
const TRACEPOINT_NAMES: Readonly<Record<string, string>> = { sendfile: 'sendfile64' };

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
