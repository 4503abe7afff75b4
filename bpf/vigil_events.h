/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Ring buffer record layouts shared by bpf/process.bpf.c and the TypeScript decoder
 * (libs/bpf-native/src/process-layout.ts mirrors every offset below; change both together).
 *
 * Every record starts with struct vigil_hdr; all integers are little-endian (x86/arm64 hosts),
 * 64-bit fields are 8-byte aligned. Exec records are variable-size: the fixed part is followed
 * by the strings binary, args, cwd, cgroup (lengths in the fixed part, no NUL terminators;
 * args holds argv[0]\0argv[1]\0... as the kernel stored it, possibly cut short).
 */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VIGIL_EVENTS_VERSION 1

enum vigil_event_type {
	VIGIL_EV_EXEC = 1,
	VIGIL_EV_FORK = 2,
	VIGIL_EV_EXIT = 3,
	VIGIL_EV_HOOK = 4,   /* a TracingPolicy hook fired: struct vigil_hook_event (vigil_hook.h) */
};

/* Slots of the per-CPU counter map vigil_lost (u64 per slot per CPU). */
enum vigil_lost_slot {
	VIGIL_LOST_EXEC = 1,       /* ring buffer full: exec record dropped */
	VIGIL_LOST_FORK = 2,
	VIGIL_LOST_EXIT = 3,
	VIGIL_LOST_PROCS_FULL = 4, /* vigil_procs full: a process's ktime was not tracked */
	VIGIL_LOST_SLOTS = 8,
};

/* Process flags: the same bit values as ProcessFlag in libs/bpf-native/src/process-events.ts. */
#define VIGIL_F_EXECVE          (1u << 0)
#define VIGIL_F_TRUNC_FILENAME  (1u << 2)
#define VIGIL_F_TRUNC_ARGS      (1u << 3)
#define VIGIL_F_MISS            (1u << 5)
#define VIGIL_F_NEEDS_AUID      (1u << 6)
#define VIGIL_F_ERROR_FILENAME  (1u << 7)
#define VIGIL_F_ERROR_ARGS      (1u << 8)
#define VIGIL_F_ROOT_CWD        (1u << 11)
#define VIGIL_F_ERROR_CWD       (1u << 12)
#define VIGIL_F_CLONE           (1u << 13)
#define VIGIL_F_ERROR_CGROUP_KN (1u << 15)
#define VIGIL_F_ERROR_PATH      (1u << 20)
#define VIGIL_F_ERROR_PATH_CWD  (1u << 21)
#define VIGIL_F_TRUNC_CWD       (1u << 23)

/* Upper bounds of the exec record's strings (bytes). */
#define VIGIL_PATH_MAX   4096  /* binary, cwd and cgroup path each */
#define VIGIL_ARGS_MAX   8192  /* argv block; vigil_args_max (rodata) may lower it */

struct vigil_hdr {
	__u8 type;       /* enum vigil_event_type */
	__u8 version;    /* VIGIL_EVENTS_VERSION */
	__u16 reserved;
	__u32 size;      /* record bytes including this header */
	__u64 time;      /* event time, CLOCK_BOOTTIME ns */
};                   /* 16 bytes */

struct vigil_exec_event {
	struct vigil_hdr hdr;      /*   0 */
	__u32 pid;                 /*  16 */
	__u32 tid;                 /*  20 */
	__u32 ppid;                /*  24 real_parent's tgid */
	__u32 flags;               /*  28 VIGIL_F_* */
	__u64 ktime;               /*  32 the process's new identity time (== hdr.time) */
	__u64 parent_ktime;        /*  40 0 when the parent was never seen */
	__u64 cgroup_id;           /*  48 cgroup v2 id */
	__u64 cap_permitted;       /*  56 */
	__u64 cap_effective;       /*  64 */
	__u64 cap_inheritable;     /*  72 */
	__u32 uid, euid, suid, fsuid;  /*  80 */
	__u32 gid, egid, sgid, fsgid;  /*  96 */
	__u32 auid;                /* 112 loginuid, 0xffffffff when unset */
	/* Namespace inode numbers, 0 when the kernel lacks the kind. */
	__u32 ns_uts;              /* 116 */
	__u32 ns_ipc;              /* 120 */
	__u32 ns_mnt;              /* 124 */
	__u32 ns_pid;              /* 128 */
	__u32 ns_pid_for_children; /* 132 */
	__u32 ns_net;              /* 136 */
	__u32 ns_time;             /* 140 */
	__u32 ns_time_for_children;/* 144 */
	__u32 ns_cgroup;           /* 148 */
	__u32 ns_user;             /* 152 */
	__u16 binary_len;          /* 156 */
	__u16 args_len;            /* 158 */
	__u16 cwd_len;             /* 160 */
	__u16 cgroup_len;          /* 162 */
	__u32 reserved;            /* 164 */
	/* 168: binary, args, cwd, cgroup path bytes follow */
};

struct vigil_fork_event {
	struct vigil_hdr hdr;      /*  0 */
	__u32 pid;                 /* 16 child tgid */
	__u32 tid;                 /* 20 child tid (== pid: only new processes are reported) */
	__u32 ppid;                /* 24 child's real_parent tgid */
	__u32 flags;               /* 28 */
	__u64 ktime;               /* 32 child's identity time (task->start_boottime) */
	__u64 parent_ktime;        /* 40 */
};                             /* 48 */

struct vigil_exit_event {
	struct vigil_hdr hdr;      /*  0 */
	__u32 pid;                 /* 16 */
	__u32 tid;                 /* 20 the last thread to exit */
	__u32 status;              /* 24 task->exit_code, wait(2) encoding */
	__u32 flags;               /* 28 */
	__u64 ktime;               /* 32 identity time of the exiting process, 0 when never seen */
};                             /* 40 */

/* Value of the kernel's process map vigil_procs (key: tgid), like Tetragon's execve_map. */
#define VIGIL_PROC_NS 10 /* VIGIL_NS_KINDS (vigil_task.h) */

struct vigil_proc_state {
	__u64 ktime;   /* identity time: exec time, or start_boottime for fork-only processes */
	__u32 flags;   /* VIGIL_F_EXECVE / VIGIL_F_CLONE */
	__u32 exited;  /* set atomically by the first thread seeing the group dead (dedups exits) */
	/* As of the exec (or fork): what policies' matchCapabilityChanges and matchNamespaceChanges
	 * compare the task's current ones with. A hook that reports a change stores the new state,
	 * so that each change is reported once (as Tetragon does). */
	__u64 caps[3]; /* permitted, effective, inheritable */
	__u32 ns[VIGIL_PROC_NS]; /* inode numbers by enum vigil_ns_kind */
};

#define VIGIL_EXEC_FIXED_SIZE 168

_Static_assert(sizeof(struct vigil_hdr) == 16, "vigil_hdr layout");
_Static_assert(sizeof(struct vigil_exec_event) == VIGIL_EXEC_FIXED_SIZE, "exec layout");
_Static_assert(sizeof(struct vigil_fork_event) == 48, "fork layout");
_Static_assert(sizeof(struct vigil_proc_state) == 80, "proc state layout");
_Static_assert(sizeof(struct vigil_exit_event) == 40, "exit layout");

#endif /* VIGIL_EVENTS_H */
