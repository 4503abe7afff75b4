/**
 * Byte layout of the process records in the ring buffer: a mirror of bpf/vigil_events.h.
 * Names follow the C field names (struct vigil_exec_event.ppid -> EXEC.ppid) so one grep
 * finds both sides; change both together and bump VIGIL_EVENTS_VERSION.
 */
export const VIGIL_EVENTS_VERSION = 1;

export const VigilEventType = { exec: 1, fork: 2, exit: 3, hook: 4 } as const;

/** Slots of the per-CPU counter map `vigil_lost`. */
export const VigilLostSlot = { exec: 1, fork: 2, exit: 3, procsFull: 4 } as const;

/** struct vigil_hdr */
export const HDR = { type: 0, version: 1, size: 4, time: 8, SIZE: 16 } as const;

/** struct vigil_exec_event (fixed part; strings follow at SIZE). */
export const EXEC = {
  pid: 16,
  tid: 20,
  ppid: 24,
  flags: 28,
  ktime: 32,
  parent_ktime: 40,
  cgroup_id: 48,
  cap_permitted: 56,
  cap_effective: 64,
  cap_inheritable: 72,
  uid: 80,
  euid: 84,
  suid: 88,
  fsuid: 92,
  gid: 96,
  egid: 100,
  sgid: 104,
  fsgid: 108,
  auid: 112,
  ns_uts: 116,
  ns_ipc: 120,
  ns_mnt: 124,
  ns_pid: 128,
  ns_pid_for_children: 132,
  ns_net: 136,
  ns_time: 140,
  ns_time_for_children: 144,
  ns_cgroup: 148,
  ns_user: 152,
  binary_len: 156,
  args_len: 158,
  cwd_len: 160,
  cgroup_len: 162,
  SIZE: 168,
} as const;

/** struct vigil_fork_event */
export const FORK = { pid: 16, tid: 20, ppid: 24, flags: 28, ktime: 32, parent_ktime: 40, SIZE: 48 } as const;

/** struct vigil_exit_event */
export const EXIT = { pid: 16, tid: 20, status: 24, flags: 28, ktime: 32, SIZE: 40 } as const;

/** VIGIL_PATH_MAX / VIGIL_ARGS_MAX: upper bounds of the exec record's strings. */
export const VIGIL_PATH_MAX = 4096;
export const VIGIL_ARGS_MAX = 8192;
