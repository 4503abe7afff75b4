/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The contract between bpf/hook.bpf.c (one pre-compiled program for every TracingPolicy hook)
 * and user space: the hook's configuration, written into the object's .rodata before load,
 * and the hook event record. libs/bpf-native/src/hook-layout.ts mirrors every constant and
 * offset below; change both together.
 *
 * A policy hook is one loaded copy of hook.bpf.o: the configuration is constant for the
 * verifier, so only the code paths a hook's configuration uses are verified and run.
 */
#ifndef VIGIL_HOOK_H
#define VIGIL_HOOK_H

#include "vigil_events.h"

#define VIGIL_HOOK_ARGS      5   /* arguments per hook (Tetragon's limit) */
#define VIGIL_SELECTORS      5   /* selectors per hook (Tetragon's limit) */
#define VIGIL_ARG_FILTERS    5   /* matchArgs entries per selector */
#define VIGIL_RET_FILTERS    2   /* matchReturnArgs entries per selector */
#define VIGIL_FILTER_VALUES  8   /* integer values inline per filter; more go to a map (InMap) */
#define VIGIL_PIDS           8   /* matchPIDs values per selector */
#define VIGIL_ACTIONS        3   /* matchActions entries per selector */
#define VIGIL_STR_KEY        252 /* string bytes compared by the string maps (longer: cut);
                                     * slot + bytes fill an LPM trie key's 256-byte maximum */
#define VIGIL_HOOK_DATA_MAX  8192 /* argument bytes of one hook event */
#define VIGIL_ARG_STR_MAX    4096 /* bytes of one string-like argument */
#define VIGIL_SYSCALL_ARGS   6

/* Argument types the kernel side reads. Names follow Tetragon's `type:` strings. */
enum vigil_arg_type {
	VIGIL_ARG_NONE = 0,
	VIGIL_ARG_S64 = 1,     /* int64, long */
	VIGIL_ARG_U64 = 2,     /* uint64, size_t, unsigned long */
	VIGIL_ARG_S32 = 3,     /* int, int32 */
	VIGIL_ARG_U32 = 4,     /* uint32 */
	VIGIL_ARG_S16 = 5,
	VIGIL_ARG_U16 = 6,
	VIGIL_ARG_S8 = 7,
	VIGIL_ARG_U8 = 8,
	VIGIL_ARG_STRING = 9,  /* NUL-terminated string (kernel or user pointer) */
	VIGIL_ARG_CHAR_BUF = 10, /* bytes, length from another argument (sizeArgIndex) */
	VIGIL_ARG_FILE = 11,   /* struct file * -> path */
	VIGIL_ARG_PATH = 12,   /* struct path * -> path */
	VIGIL_ARG_FD = 13,     /* int fd -> fd number + path of the open file */
	VIGIL_ARG_FILENAME = 14, /* struct filename * -> name */
	VIGIL_ARG_DENTRY = 15, /* struct dentry * -> name within its mount */
	VIGIL_ARG_BINPRM = 16, /* struct linux_binprm * -> path of the file being executed */
	VIGIL_ARG_CRED = 17,   /* struct cred * -> uids, gids, capabilities */
	VIGIL_ARG_CAPABILITY = 18, /* int capability number */
	VIGIL_ARG_SOCKADDR = 19, /* struct sockaddr * (user pointer in syscalls) */
	VIGIL_ARG_SOCK = 20,   /* struct sock * -> struct vigil_sock */
	VIGIL_ARG_SOCKET = 21, /* struct socket * -> its sock, as VIGIL_ARG_SOCK */
	VIGIL_ARG_USER_NS = 22, /* struct user_namespace * -> struct vigil_user_ns */
	VIGIL_ARG_FD_SOCK = 23, /* int fd of a socket -> its sock, as VIGIL_ARG_SOCK (syscall equivalents) */
	VIGIL_ARG_KERNEL_CAP = 24, /* kernel_cap_t * -> the 64-bit capability set (8 bytes) */
	VIGIL_ARG_SKB = 25,    /* struct sk_buff * -> struct vigil_skb (its packet's ends, as a sock's) */
	VIGIL_ARG_NET_DEVICE = 26, /* struct net_device * -> its name */
	VIGIL_ARG_SKB_SOCK = 27, /* struct sk_buff * -> the sock that owns it, as VIGIL_ARG_SOCK */
	VIGIL_ARG_STACK = 28,  /* not a function argument: a stack trace (u64 addresses), see VIGIL_HEVF_*STACK */
	/* BPF and perf objects as the bytes of their user-space attributes (parsed in user space):
	 * a syscall passes those attributes, a kernel function the kernel's copy or object. */
	VIGIL_ARG_BPF_ATTR = 29,   /* union bpf_attr * (BPF_PROG_LOAD): its first VIGIL_BPF_ATTR_BYTES */
	VIGIL_ARG_PERF_EVENT = 30, /* struct perf_event * (kernel) / struct perf_event_attr * (user) */
	VIGIL_ARG_BPF_MAP = 31,    /* struct bpf_map * (kernel) / union bpf_attr * BPF_MAP_CREATE (user) */
};

#define VIGIL_BPF_ATTR_BYTES   64 /* prog_type .. prog_name of BPF_PROG_LOAD */
#define VIGIL_PERF_ATTR_BYTES  72 /* type .. config2 of struct perf_event_attr */
#define VIGIL_BPF_MAP_BYTES    44 /* map_type .. map_name of BPF_MAP_CREATE */

/* Where an argument comes from. */
#define VIGIL_SRC_CONST      0x80 /* not a function argument: the constant `value` (syscall equivalents) */
#define VIGIL_SRC_RETURN     0x40 /* the return value (returnArg) */
#define VIGIL_SRC_NR         0x81 /* vigil_syscall_map only: the syscall number (raw_syscalls) */
#define VIGIL_SRC_RETVAL     0x82 /* vigil_syscall_map only: the syscall's result (VIGIL_HOOKF_AT_EXIT hooks) */
#define VIGIL_SRC_TASK_CRED  0x83 /* vigil_syscall_map only: the calling task's credentials */
#define VIGIL_SRC_TASK_CAP_EFF 0x84 /* vigil_syscall_map only: &the task's cred->cap_effective */
#define VIGIL_SRC_TASK_CAP_INH 0x85 /* ... ->cap_inheritable */
#define VIGIL_SRC_TASK_CAP_PRM 0x86 /* ... ->cap_permitted */
#define VIGIL_SYSCALL_ANY    0xffffffffu /* vigil_hook_syscalls key for every syscall (raw_syscalls) */

/* vigil_hook_arg.flags */
#define VIGIL_ARGF_USER      (1u << 0) /* the pointer is a user-space pointer (syscalls) */
#define VIGIL_ARGF_RET_COPY  (1u << 1) /* char_buf: read at return (returnCopy) */
#define VIGIL_ARGF_SIZE_RET  (1u << 2) /* char_buf: size is the return value */

struct vigil_hook_arg {
	__u8 type;   /* enum vigil_arg_type */
	__u8 src;    /* function argument index, or VIGIL_SRC_* */
	__u8 size_src; /* char_buf: argument index of its size, 0xff when none */
	__u8 flags;  /* VIGIL_ARGF_* */
	__u32 max_data; /* char_buf / string: bytes to copy at most (<= VIGIL_ARG_STR_MAX) */
	__u64 value; /* VIGIL_SRC_CONST: the value */
};                 /* 16 bytes */

/* Operators of matchArgs / matchReturnArgs / matchBinaries / matchPIDs. */
enum vigil_op {
	VIGIL_OP_NONE = 0,
	VIGIL_OP_EQUAL = 1,
	VIGIL_OP_NOT_EQUAL = 2,
	VIGIL_OP_PREFIX = 3,
	VIGIL_OP_NOT_PREFIX = 4,
	VIGIL_OP_POSTFIX = 5,
	VIGIL_OP_NOT_POSTFIX = 6,
	VIGIL_OP_GT = 7,
	VIGIL_OP_LT = 8,
	VIGIL_OP_MASK = 9,
	VIGIL_OP_IN_MAP = 10,
	VIGIL_OP_NOT_IN_MAP = 11,
	VIGIL_OP_IN = 12,     /* matchBinaries / matchPIDs */
	VIGIL_OP_NOT_IN = 13,
	/* On a sockaddr argument (family u16, port be16, IPv4 address at 4, IPv6 at 8). */
	VIGIL_OP_FAMILY = 14,     /* values: address families */
	VIGIL_OP_PORT = 15,       /* values: ports (SPort/DPort: a sockaddr has one) */
	VIGIL_OP_NOT_PORT = 16,
	VIGIL_OP_PORT_PRIV = 17,  /* port < 1024 */
	VIGIL_OP_NOT_PORT_PRIV = 18,
	VIGIL_OP_ADDR4 = 19,      /* values: (IPv4 address, network order) << 32 | prefix length */
	VIGIL_OP_NOT_ADDR4 = 20,
	/* A sock has two ends: the ops above are its source (SPort, SAddr), these its destination. */
	VIGIL_OP_DPORT = 21,
	VIGIL_OP_NOT_DPORT = 22,
	VIGIL_OP_DPORT_PRIV = 23,
	VIGIL_OP_NOT_DPORT_PRIV = 24,
	VIGIL_OP_DADDR4 = 25,
	VIGIL_OP_NOT_DADDR4 = 26,
	VIGIL_OP_PROTOCOL = 27,   /* values: IPPROTO_* */
	VIGIL_OP_STATE = 28,      /* values: TCP_* states */
};

/* vigil_filter.flags */
#define VIGIL_FILTF_STRING   (1u << 0) /* compare the argument's bytes through the string maps */

struct vigil_filter {
	__u8 arg;     /* index into the hook's args, or VIGIL_SRC_RETURN */
	__u8 op;      /* enum vigil_op */
	__u8 nvalues; /* integer values used in values[] */
	__u8 flags;   /* VIGIL_FILTF_* */
	__u32 slot;   /* key prefix of this filter's entries in the string / InMap maps */
	__u64 values[VIGIL_FILTER_VALUES];
};                  /* 72 bytes */

enum vigil_action_kind {
	VIGIL_ACT_POST = 0,    /* the default: post the event */
	VIGIL_ACT_NOPOST = 1,
	VIGIL_ACT_SIGKILL = 2,
	VIGIL_ACT_SIGNAL = 3,
	VIGIL_ACT_OVERRIDE = 4,
	VIGIL_ACT_NOTIFY_ENFORCER = 5,
	VIGIL_ACT_USER = 6,    /* carried out in user space (GetUrl, DnsLookup, TrackSock...) */
};

/* vigil_action.flags (Post) */
#define VIGIL_ACTF_KSTACK    (1u << 0) /* kernelStackTrace */
#define VIGIL_ACTF_USTACK    (1u << 1) /* userStackTrace */
#define VIGIL_STACK_DEPTH    127      /* frames of a stack trace (PERF_MAX_STACK_DEPTH) */

struct vigil_action {
	__u8 kind;        /* enum vigil_action_kind */
	__u8 rate_scope;  /* 0 thread, 1 process, 2 global */
	__u8 user_action; /* the policy's action index, for VIGIL_ACT_USER */
	__u8 flags;       /* VIGIL_ACTF_* */
	__s32 arg;        /* signal number (Signal), error (Override) */
	__u64 rate_ns;    /* Post rateLimit: at most one event per this many ns per scope, 0 = none */
};                      /* 16 bytes */

/* vigil_selector.flags */
#define VIGIL_SELF_PID_NS    (1u << 0) /* matchPIDs compares the pid in its own namespace */

#define VIGIL_NS_FILTERS     4   /* matchNamespaces entries per selector */
#define VIGIL_NS_VALUES      4   /* namespace inode numbers per entry */
#define VIGIL_CAPS_FILTERS   2   /* matchCapabilities entries per selector */

/* matchNamespaces: the task's namespace of `kind` (enum vigil_ns_kind, vigil_task.h) In/NotIn the inodes. */
struct vigil_ns_filter {
	__u8 kind;
	__u8 op;      /* VIGIL_OP_IN / VIGIL_OP_NOT_IN */
	__u8 nvalues;
	__u8 reserved;
	__u32 values[VIGIL_NS_VALUES];
};                  /* 20 bytes */

/* vigil_caps_filter.flags */
#define VIGIL_CAPF_NOT_HOST_USERNS (1u << 0) /* isNamespaceCapability: only tasks outside the host's user namespace */

/* matchCapabilities: In = the set holds at least one capability of the mask; NotIn = none.
 * matchCapabilityChanges: In = the mask's capabilities of the set changed since the exec (or the
 * last reported change); NotIn = others changed, not those. */
struct vigil_caps_filter {
	__u8 set;     /* 0 effective, 1 permitted, 2 inheritable */
	__u8 op;
	__u8 flags;   /* VIGIL_CAPF_* */
	__u8 reserved[5];
	__u64 mask;
};                  /* 16 bytes */

struct vigil_selector {
	__u8 nfilters;    /* matchArgs */
	__u8 nret_filters; /* matchReturnArgs */
	__u8 bin_op;      /* matchBinaries: VIGIL_OP_IN / NOT_IN / PREFIX / ...; NONE = any binary */
	__u8 pid_op;      /* matchPIDs: VIGIL_OP_IN / NOT_IN; NONE = any pid */
	__u8 npids;
	__u8 flags;       /* VIGIL_SELF_* */
	__u8 nactions;
	__u8 nns;         /* matchNamespaces entries */
	__u32 bin_slot;   /* key prefix of matchBinaries' values in the string maps */
	__u8 ncaps;       /* matchCapabilities entries */
	__u8 ncapchg;     /* matchCapabilityChanges: 1 when capchg is set */
	__u8 nschg_op;    /* matchNamespaceChanges: VIGIL_OP_IN / NOT_IN over nschg_mask; NONE = none */
	__u8 pbin_op;     /* matchParentBinaries, as bin_op for the parent's binary */
	__u32 pids[VIGIL_PIDS];
	struct vigil_filter filters[VIGIL_ARG_FILTERS];
	struct vigil_filter ret_filters[VIGIL_RET_FILTERS];
	struct vigil_action actions[VIGIL_ACTIONS];
	struct vigil_ns_filter ns[VIGIL_NS_FILTERS];
	struct vigil_caps_filter caps[VIGIL_CAPS_FILTERS];
	struct vigil_caps_filter capchg;
	__u32 nschg_mask; /* bit k: namespace kind k (enum vigil_ns_kind) changed since the exec */
	__u32 pbin_slot;  /* key prefix of matchParentBinaries' values in the string maps */
};

/* vigil_hook_config.flags */
#define VIGIL_HOOKF_RETURN   (1u << 0) /* post at return (with the return value) */
#define VIGIL_HOOKF_SYSCALL  (1u << 1) /* kprobe on a syscall wrapper: args are in the inner pt_regs */
#define VIGIL_HOOKF_RET_POST (1u << 2) /* returnArgAction is Post (not NoPost) */
#define VIGIL_HOOKF_RET_USER (1u << 3) /* a string return value points into user memory (uretprobes) */
#define VIGIL_HOOKF_CGROUPS  (1u << 4) /* only tasks in the cgroups of vigil_hook_cgroups (namespaced policies) */
#define VIGIL_HOOKF_DEFERRED (1u << 5) /* Override is a verdict for the thread's next cgroup hook (connect) */
#define VIGIL_HOOKF_AT_EXIT  (1u << 6) /* syscall equivalents decided when the syscall succeeded
					* (result >= 0): arguments from its result and the task */

#define VIGIL_HOOK_GUARDS    2   /* guards per hook */
#define VIGIL_TP_NONE        0xff

/* A condition every call must meet before the hook counts it and its selectors run: how an
 * equivalent narrows a broader hook point to the function it stands for (a TCP state change
 * to SYN_SENT is a tcp_connect; unshare() with CLONE_NEWUSER creates a user namespace). */
enum vigil_guard_op {
	VIGIL_GUARD_EQUAL = 1,    /* raw[src] == value */
	VIGIL_GUARD_MASK = 2,     /* raw[src] & value != 0 */
	VIGIL_GUARD_BIT_IN = 3,   /* raw[src] < 64 and bit raw[src] of value is set (a set of small values) */
	VIGIL_GUARD_PROTOCOL = 4, /* raw[src] is a struct sock * whose protocol is value */
	VIGIL_GUARD_FD_TTY = 5,   /* raw[src] is an fd of a terminal (a tty or pty character device) */
	VIGIL_GUARD_SKB_ETHERTYPE = 6, /* raw[src] is a struct sk_buff * of this ethertype (0x0800: IPv4) */
	VIGIL_GUARD_SKB_HAS_SOCK = 7,  /* raw[src] is a struct sk_buff * owned by a socket */
};

struct vigil_guard {
	__u8 src;    /* index into the raw arguments (as vigil_hook_arg.src) */
	__u8 op;     /* enum vigil_guard_op */
	__u8 reserved[6];
	__u64 value;
};                 /* 16 bytes */

struct vigil_hook_config {
	__u32 hook_id;    /* user space's id of this hook (echoed in every event) */
	__u8 nargs;
	__u8 nselectors;  /* 0: every call matches, with the action Post */
	__u8 flags;       /* VIGIL_HOOKF_* */
	__u8 ret_type;    /* enum vigil_arg_type of the return value */
	struct vigil_hook_arg args[VIGIL_HOOK_ARGS];
	struct vigil_selector selectors[VIGIL_SELECTORS];
	__u8 nguards;
	__u8 tp_nargs;    /* vigil_tp_btf: raw[k] = the tracepoint's argument k, for k < tp_nargs */
	__u8 tp_ret;      /* vigil_tp_btf: the tracepoint argument that is the return value, VIGIL_TP_NONE */
	__u8 reserved[5];
	struct vigil_guard guards[VIGIL_HOOK_GUARDS];
};

/* Syscall equivalents (tracepoint hooks): per syscall number, how to rebuild the hooked
 * function's arguments from the syscall's. Lets one hook (e.g. security_file_permission)
 * attach to several syscalls whose arguments sit at different places (read: the file comes
 * from the fd in syscall argument 0, the mask is the constant MAY_READ); the hook's own
 * configuration stays the one of the function. */
struct vigil_syscall_map {
	__u8 src[VIGIL_SYSCALL_ARGS];  /* syscall argument index, or VIGIL_SRC_CONST (then value[j]) */
	__u8 reserved[2];
	__u64 value[VIGIL_SYSCALL_ARGS];
};

/* Key of the string maps: Equal/In values (hash) and Prefix/Postfix values (LPM trie, whose
 * prefix covers the slot and then the bytes; Postfix values are stored reversed). */
struct vigil_str_key {
	__u32 prefixlen; /* LPM trie only: bits of (slot, bytes) that must match; 0 in the hash */
	__u32 slot;
	char bytes[VIGIL_STR_KEY];
};

/* Key of the InMap / NotInMap map: integer values of a filter. */
struct vigil_int_key {
	__u32 slot;
	__u32 reserved;
	__u64 value;
};

/* vigil_hook_event.flags */
#define VIGIL_HEVF_RETURN     (1u << 0) /* ret is set */
#define VIGIL_HEVF_ENFORCED   (1u << 1) /* the action was carried out (enforce mode) */
#define VIGIL_HEVF_MONITOR    (1u << 2) /* the action was only counted (monitor mode) */
#define VIGIL_HEVF_TRUNCATED  (1u << 3) /* some argument data did not fit */
#define VIGIL_HEVF_ACTION_ERR (1u << 4) /* the action's helper failed (e.g. send_signal) */
#define VIGIL_HEVF_RET_ARG    (1u << 5) /* the last argument is the return value read as ret_type (strings) */
#define VIGIL_HEVF_KSTACK     (1u << 6) /* a VIGIL_ARG_STACK of kernel addresses follows the arguments */
#define VIGIL_HEVF_USTACK     (1u << 7) /* then one of user addresses */

enum vigil_hook_mode {
	VIGIL_MODE_ENFORCE = 0,
	VIGIL_MODE_MONITOR = 1,
};

/* Per-hook counters (per-CPU array vigil_hook_stats). */
enum vigil_hook_stat {
	VIGIL_HS_CALLS = 0,     /* times the hook ran */
	VIGIL_HS_MATCHED = 1,   /* a selector matched */
	VIGIL_HS_POSTED = 2,    /* events written to the ring */
	VIGIL_HS_LOST = 3,      /* events dropped: ring full */
	VIGIL_HS_RATE_LIMITED = 4,
	VIGIL_HS_SIGKILL = 5,
	VIGIL_HS_SIGNAL = 6,
	VIGIL_HS_OVERRIDE = 7,
	VIGIL_HS_MONITOR_ONLY = 8, /* enforcement actions counted but not carried out (monitor) */
	VIGIL_HS_PENDING_LOST = 9, /* entry data lost before the return (pending map full) */
	VIGIL_HS_ACTION_ERR = 10,
	VIGIL_HS_SLOTS = 16,
};

/* Record VIGIL_EV_HOOK: the fixed part, then `nargs` arguments, each a struct vigil_arg_hdr
 * followed by `len` bytes (integers: 8 bytes little-endian; strings and paths: the bytes, no
 * NUL; fd: 4 bytes fd number then the path; cred: struct vigil_cred). */
struct vigil_hook_event {
	struct vigil_hdr hdr;  /*  0 */
	__u32 pid;             /* 16 */
	__u32 tid;             /* 20 */
	__u64 ktime;           /* 24 the process's identity time (vigil_procs), 0 when unknown */
	__u32 hook_id;         /* 32 */
	__u32 syscall;         /* 36 syscall number of a tracepoint hook, else 0xffffffff */
	__s64 ret;             /* 40 return value (VIGIL_HEVF_RETURN) */
	__u8 action;           /* 48 enum vigil_action_kind of the first action */
	__u8 selector;         /* 49 index of the matching selector, 0xff when the hook has none */
	__u8 nargs;            /* 50 */
	__u8 flags;            /* 51 VIGIL_HEVF_* */
	__s32 action_arg;      /* 52 signal / error of that action */
	__u32 data_len;        /* 56 bytes of argument data after the fixed part */
	__u32 reserved;        /* 60 */
};                         /* 64 bytes */

struct vigil_arg_hdr {
	__u16 len;
	__u8 type;   /* enum vigil_arg_type */
	__u8 flags;  /* VIGIL_ARGE_* */
};

/* vigil_arg_hdr.flags */
#define VIGIL_ARGE_TRUNCATED (1u << 0)
#define VIGIL_ARGE_ERROR     (1u << 1) /* could not be read; len is 0 */

/* A struct sock as a hook argument. Addresses in network order (IPv4 in the first 4 bytes). */
struct vigil_sock {
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u8 state;
	__u8 reserved;
	__u32 mark;
	__u32 priority;
	__u16 sport;     /* host order */
	__u16 dport;     /* host order */
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 reserved2;
};                  /* 56 bytes */

/* A struct sk_buff as a hook argument: its packet's ends read from the IP and TCP/UDP headers
 * in a vigil_sock's layout (so that the sock operators apply), then what only a packet has. */
struct vigil_skb {
	struct vigil_sock ends; /* family, protocol (IPPROTO_*), mark, priority, ports, addresses */
	__u32 len;
	__u32 hash;
	__u32 sec_path_len;
	__u32 sec_path_olen;
};                  /* 72 bytes */

struct vigil_user_ns {
	__s32 level;     /* nesting depth: 0 is the initial user namespace */
	__u32 owner;     /* uid of its creator */
	__u32 group;     /* gid of its creator */
	__u32 inum;      /* namespace inode number */
};                  /* 16 bytes */

struct vigil_cred {
	__u32 uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	__u64 cap_permitted, cap_effective, cap_inheritable;
	__u32 securebits;
	__u32 reserved;
};                  /* 64 bytes */

_Static_assert(sizeof(struct vigil_hook_arg) == 16, "vigil_hook_arg layout");
_Static_assert(sizeof(struct vigil_filter) == 72, "vigil_filter layout");
_Static_assert(sizeof(struct vigil_action) == 16, "vigil_action layout");
_Static_assert(sizeof(struct vigil_ns_filter) == 20, "vigil_ns_filter layout");
_Static_assert(sizeof(struct vigil_caps_filter) == 16, "vigil_caps_filter layout");
_Static_assert(sizeof(struct vigil_selector) == 736, "vigil_selector layout");
_Static_assert(sizeof(struct vigil_guard) == 16, "vigil_guard layout");
_Static_assert(sizeof(struct vigil_hook_config) == 3808, "vigil_hook_config layout");
_Static_assert(sizeof(struct vigil_user_ns) == 16, "vigil_user_ns layout");
_Static_assert(sizeof(struct vigil_syscall_map) == 56, "vigil_syscall_map layout");
_Static_assert(sizeof(struct vigil_str_key) == 260, "vigil_str_key layout");
_Static_assert(sizeof(struct vigil_int_key) == 16, "vigil_int_key layout");
_Static_assert(sizeof(struct vigil_hook_event) == 64, "vigil_hook_event layout");
_Static_assert(sizeof(struct vigil_arg_hdr) == 4, "vigil_arg_hdr layout");
_Static_assert(sizeof(struct vigil_cred) == 64, "vigil_cred layout");
_Static_assert(sizeof(struct vigil_sock) == 56, "vigil_sock layout");
_Static_assert(sizeof(struct vigil_skb) == 72, "vigil_skb layout");

#endif /* VIGIL_HOOK_H */
