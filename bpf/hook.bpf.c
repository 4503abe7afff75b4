// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One TracingPolicy hook: read the configured arguments, run the selectors (matchPIDs,
 * matchBinaries, matchArgs, matchReturnArgs; OR across selectors, AND within one), carry out
 * the first matching selector's actions (Post, NoPost, Sigkill, Signal, Override) and post a
 * VIGIL_EV_HOOK record. Pre-compiled once; user space loads one copy per hook with the hook's
 * configuration in .rodata (vigil_hook_cfg, see vigil_hook.h), enables only the program
 * flavour the kernel probe chose, and attaches it:
 *
 *   vigil_kprobe / vigil_kretprobe        kprobe on any function (pt_regs arguments)
 *   vigil_fentry / vigil_fexit            BPF trampoline (needs a target set before load)
 *   vigil_fmod_ret                        trampoline that can make the function fail (Override)
 *   vigil_lsm                             BPF LSM hook (Override = deny with the error)
 *   vigil_uprobe / vigil_uretprobe        uprobe on a user-space function (user-memory arguments)
 *   vigil_connect4 / vigil_connect6       cgroup programs carrying out an Override that a syscall
 *                                         hook decided (deny connect() where nothing else can)
 *   vigil_sys_enter / vigil_sys_exit      any syscalls:sys_enter_* / sys_exit_* tracepoint:
 *                                         the "equivalent syscall" strategy for kernels
 *                                         without kprobes or trampolines (at the exit only,
 *                                         when the arguments are the syscall's result)
 *   vigil_tp_btf                          a BTF-typed kernel tracepoint standing for a function
 *                                         (inet_sock_set_state for tcp_connect), or a raw one
 *
 * The configuration is constant for the verifier, so each copy verifies (and runs) only the
 * paths its hook uses. The ring buffer and the process map are the process object's
 * (bpf_map__reuse_fd), so hook events are ordered with exec/exit events and carry the
 * process's identity time. Needs bpf_loop (5.17+).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "vigil_hook.h"
#include "vigil_path.h"
#include "vigil_task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGKILL 9
#define NO_SELECTOR 0xff
#define DATA_SLACK (VIGIL_ARG_STR_MAX + sizeof(struct vigil_arg_hdr) + 8)

const volatile struct vigil_hook_config vigil_hook_cfg = {};
/* enum vigil_hook_mode; writable after load: "set mode" needs no reload. */
volatile __u32 vigil_hook_mode = VIGIL_MODE_ENFORCE;

/* Shared with the process object (user space reuses its maps before load). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} vigil_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct vigil_proc_state);
} vigil_procs SEC(".maps");

/* The same wakeup batching as the process object's (user space gives both the same value). */
#include "vigil_ring.h"

/* This hook's own maps. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_HS_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} vigil_hook_stats SEC(".maps");

/* Where each argument landed in the record. */
struct arg_slots {
	__u16 off[VIGIL_HOOK_ARGS]; /* offset of the argument's bytes in data[] */
	__u16 len[VIGIL_HOOK_ARGS];
	__u64 num[VIGIL_HOOK_ARGS]; /* integer value (integers, fd number, capability) */
};

struct hook_heap {
	struct vigil_hook_event ev;
	char data[VIGIL_HOOK_DATA_MAX + DATA_SLACK];
	/* Here, not on the stack: the entry programs' frames must leave room for their callees
	 * (6.1 counts 512 bytes for a whole call chain). */
	struct arg_slots sl;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hook_heap);
} vigil_hook_heap SEC(".maps");

/* Entry records of return hooks, per thread, until the return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct hook_heap);
} vigil_hook_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_str_key);
	__type(value, __u8);
} vigil_hook_strs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_str_key);
	__type(value, __u8);
} vigil_hook_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_int_key);
	__type(value, __u8);
} vigil_hook_ints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_syscall_map);
} vigil_hook_syscalls SEC(".maps");

/* Deferred Override: a syscall hook decided, the cgroup program inside the same syscall
 * carries it out (connect: deny with the error). Keyed by pid_tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __s32);
} vigil_hook_verdicts SEC(".maps");

/* Namespaced policies: the cgroup v2 ids of the workloads the policy applies to, kept current
 * by user space as workloads come and go. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} vigil_hook_cgroups SEC(".maps");

/* matchBinaries results per process, valid while its exe_file stays the same. */
struct bin_cache {
	__u64 exe;
	__u32 known;   /* bit per selector (matchBinaries; +16: matchParentBinaries of its children): computed */
	__u32 matched; /* the same bits: matched */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bin_cache);
} vigil_hook_bins SEC(".maps");

struct rate_key {
	__u64 scope; /* tid, tgid or 0 */
	__u32 selector;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct rate_key);
	__type(value, __u64);
} vigil_hook_rate SEC(".maps");

struct str_scratch {
	struct vigil_str_key key;
	struct vigil_str_key rev;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct str_scratch);
} vigil_hook_scratch SEC(".maps");

static __always_inline void stat_add(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&vigil_hook_stats, &slot);

	if (c)
		*c += 1; /* per-CPU: no atomic needed */
}

/* ---- arguments ---- */

static __always_inline __u64 sign_extend(__u64 v, __u8 type)
{
	switch (type) {
	case VIGIL_ARG_S32: return (__u64)(__s64)(__s32)v;
	case VIGIL_ARG_U32: return (__u32)v;
	case VIGIL_ARG_S16: return (__u64)(__s64)(__s16)v;
	case VIGIL_ARG_U16: return (__u16)v;
	case VIGIL_ARG_S8: return (__u64)(__s64)(__s8)v;
	case VIGIL_ARG_U8: return (__u8)v;
	case VIGIL_ARG_CAPABILITY: return (__u32)v;
	default: return v;
	}
}

static __always_inline bool is_signed(__u8 type)
{
	return type == VIGIL_ARG_S64 || type == VIGIL_ARG_S32 || type == VIGIL_ARG_S16 ||
	       type == VIGIL_ARG_S8;
}

static __always_inline struct file *fd_file(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline int task_root(struct task_struct *task, struct path *root)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	return bpf_core_read(root, sizeof(*root), &fs->root);
}

/* Copies a walked path from the scratch buffer to data[pos]; returns its length. */
static __noinline __u32 put_path(struct hook_heap *h, __u32 pos, const struct path *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct walk_scratch *s;
	struct path root;
	__u32 state = 0, off, len;

	if (task_root(task, &root))
		return 0;
	off = walk_path(p, &root, &state);
	s = bpf_map_lookup_elem(&vigil_walk, &zero);
	if (!s)
		return 0;
	off = walked_start(s, off);
	len = WALK_SIZE - off;
	if (len > VIGIL_ARG_STR_MAX || pos > VIGIL_HOOK_DATA_MAX)
		return 0;
	bpf_probe_read_kernel(&h->data[pos], len & (VIGIL_ARG_STR_MAX - 1 + VIGIL_ARG_STR_MAX),
			      &s->buf[off & (WALK_SIZE - 1)]);
	return len;
}

static __always_inline __u32 put_file(struct hook_heap *h, __u32 pos, struct file *f)
{
	struct path p;

	if (!f || bpf_core_read(&p, sizeof(p), &f->f_path))
		return 0;
	return put_path(h, pos, &p);
}

/* A NUL-terminated string at ptr (user or kernel); returns its length without the NUL. */
static __always_inline __u32 put_str(struct hook_heap *h, __u32 pos, __u64 ptr, bool user, __u32 max)
{
	long n;

	if (pos > VIGIL_HOOK_DATA_MAX)
		return 0;
	if (max > VIGIL_ARG_STR_MAX)
		max = VIGIL_ARG_STR_MAX;
	if (user)
		n = bpf_probe_read_user_str(&h->data[pos], max, (void *)ptr);
	else
		n = bpf_probe_read_kernel_str(&h->data[pos], max, (void *)ptr);
	return n > 0 ? n - 1 : 0;
}

static __always_inline __u32 put_bytes(struct hook_heap *h, __u32 pos, __u64 ptr, bool user, __u64 size)
{
	if (pos > VIGIL_HOOK_DATA_MAX || !size)
		return 0;
	size &= VIGIL_ARG_STR_MAX * 2 - 1;
	if (size > VIGIL_ARG_STR_MAX)
		size = VIGIL_ARG_STR_MAX;
	if (user ? bpf_probe_read_user(&h->data[pos], size, (void *)ptr) :
		   bpf_probe_read_kernel(&h->data[pos], size, (void *)ptr))
		return 0;
	return size;
}

static __noinline __u32 put_cred(struct hook_heap *h, __u32 pos, const struct cred *c)
{
	struct vigil_cred vc = {};

	if (pos > VIGIL_HOOK_DATA_MAX || !c)
		return 0;
	vc.uid = BPF_CORE_READ(c, uid.val);
	vc.gid = BPF_CORE_READ(c, gid.val);
	vc.euid = BPF_CORE_READ(c, euid.val);
	vc.egid = BPF_CORE_READ(c, egid.val);
	vc.suid = BPF_CORE_READ(c, suid.val);
	vc.sgid = BPF_CORE_READ(c, sgid.val);
	vc.fsuid = BPF_CORE_READ(c, fsuid.val);
	vc.fsgid = BPF_CORE_READ(c, fsgid.val);
	bpf_core_read(&vc.cap_permitted, 8, &c->cap_permitted);
	bpf_core_read(&vc.cap_effective, 8, &c->cap_effective);
	bpf_core_read(&vc.cap_inheritable, 8, &c->cap_inheritable);
	vc.securebits = BPF_CORE_READ(c, securebits);
	__builtin_memcpy(&h->data[pos], &vc, sizeof(vc));
	return sizeof(vc);
}

static __noinline __u32 put_sock(struct hook_heap *h, __u32 pos, struct sock *sk)
{
	struct vigil_sock vs = {};

	if (pos > VIGIL_HOOK_DATA_MAX || !sk)
		return 0;
	vs.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	vs.type = BPF_CORE_READ(sk, sk_type);
	vs.protocol = BPF_CORE_READ(sk, sk_protocol);
	vs.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	vs.mark = BPF_CORE_READ(sk, sk_mark);
	vs.priority = BPF_CORE_READ(sk, sk_priority);
	vs.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	vs.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (vs.family == 10 /* AF_INET6 */) {
		bpf_core_read(vs.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(vs.daddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		bpf_core_read(vs.saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(vs.daddr, 4, &sk->__sk_common.skc_daddr);
	}
	__builtin_memcpy(&h->data[pos], &vs, sizeof(vs));
	return sizeof(vs);
}

#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86DD

/* The packet's ends from its IP and TCP/UDP headers (set on the way out; on the way in once the
 * IP layer has them), its length, hash, mark and priority. */
static __noinline __u32 put_skb(struct hook_heap *h, __u32 pos, struct sk_buff *skb)
{
	struct vigil_skb vs = {};
	unsigned char *head;
	__u16 nh, proto;
	__u32 th = 0;

	if (pos > VIGIL_HOOK_DATA_MAX || !skb)
		return 0;
	vs.len = BPF_CORE_READ(skb, len);
	vs.hash = BPF_CORE_READ(skb, hash);
	vs.ends.mark = BPF_CORE_READ(skb, mark);
	vs.ends.priority = BPF_CORE_READ(skb, priority);
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (proto == ETH_P_IP) {
		struct iphdr ip;

		bpf_probe_read_kernel(&ip, sizeof(ip), head + nh);
		vs.ends.family = 2; /* AF_INET */
		vs.ends.protocol = ip.protocol;
		__builtin_memcpy(vs.ends.saddr, &ip.saddr, 4);
		__builtin_memcpy(vs.ends.daddr, &ip.daddr, 4);
		th = nh + ip.ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh);
		vs.ends.family = 10; /* AF_INET6 */
		vs.ends.protocol = ip6.nexthdr;
		bpf_probe_read_kernel(vs.ends.saddr, 16, &ip6.saddr);
		bpf_probe_read_kernel(vs.ends.daddr, 16, &ip6.daddr);
		th = nh + sizeof(ip6);
	}
	if (th && (vs.ends.protocol == 6 || vs.ends.protocol == 17)) { /* TCP, UDP: ports first */
		__be16 ports[2] = {};

		bpf_probe_read_kernel(ports, sizeof(ports), head + th);
		vs.ends.sport = bpf_ntohs(ports[0]);
		vs.ends.dport = bpf_ntohs(ports[1]);
	}
	__builtin_memcpy(&h->data[pos], &vs, sizeof(vs));
	return sizeof(vs);
}

/* A struct bpf_map in the layout of BPF_MAP_CREATE's attributes (what user space asked for). */
static __noinline __u32 put_bpf_map(struct hook_heap *h, __u32 pos, struct bpf_map *map)
{
	struct {
		__u32 map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node;
		char map_name[16];
	} m = {};

	if (pos > VIGIL_HOOK_DATA_MAX || !map)
		return 0;
	m.map_type = BPF_CORE_READ(map, map_type);
	m.key_size = BPF_CORE_READ(map, key_size);
	m.value_size = BPF_CORE_READ(map, value_size);
	m.max_entries = BPF_CORE_READ(map, max_entries);
	m.map_flags = BPF_CORE_READ(map, map_flags);
	bpf_probe_read_kernel_str(m.map_name, sizeof(m.map_name), (void *)map + bpf_core_field_offset(struct bpf_map, name));
	__builtin_memcpy(&h->data[pos], &m, sizeof(m));
	return sizeof(m);
}

static __noinline __u32 put_user_ns(struct hook_heap *h, __u32 pos, struct user_namespace *ns)
{
	struct vigil_user_ns vn = {};

	if (pos > VIGIL_HOOK_DATA_MAX || !ns)
		return 0;
	vn.level = BPF_CORE_READ(ns, level);
	vn.owner = BPF_CORE_READ(ns, owner.val);
	vn.group = BPF_CORE_READ(ns, group.val);
	vn.inum = BPF_CORE_READ(ns, ns.inum);
	__builtin_memcpy(&h->data[pos], &vn, sizeof(vn));
	return sizeof(vn);
}

#define S_IFMT   0170000
#define S_IFSOCK 0140000

/* The sock behind a socket's fd (a socket file's private_data is its struct socket). */
static __always_inline struct sock *fd_sock(__u32 fd)
{
	struct file *f = fd_file(fd);
	struct socket *sock;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

#define S_IFCHR 0020000
#define TTY_MAJOR 4          /* /dev/tty[0-9]*, /dev/ttyS* */
#define TTYAUX_MAJOR 5       /* /dev/tty, /dev/console, /dev/ptmx */
#define UNIX98_PTY_SLAVE_MAJOR 136 /* /dev/pts/N: majors 136-143 */

/* Whether fd is a terminal: what tty_write() writes to. */
static __always_inline bool fd_is_tty(__u32 fd)
{
	struct file *f = fd_file(fd);
	struct inode *ino;
	__u32 major;

	if (!f)
		return false;
	ino = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(ino, i_mode) & S_IFMT) != S_IFCHR)
		return false;
	major = BPF_CORE_READ(ino, i_rdev) >> 20; /* MINORBITS */
	return major == TTY_MAJOR || major == TTYAUX_MAJOR ||
	       (major >= UNIX98_PTY_SLAVE_MAJOR && major < UNIX98_PTY_SLAVE_MAJOR + 8);
}

/* Reads argument i of the function arguments raw[] into the record at pos; returns the
 * position after it. */
static __noinline __u32 read_arg(struct hook_heap *h, __u32 pos, struct arg_slots *sl, __u32 i,
				 const __u64 *raw)
{
	const volatile struct vigil_hook_arg *a = &vigil_hook_cfg.args[i];
	bool user = a->flags & VIGIL_ARGF_USER;
	struct vigil_arg_hdr ah = { .type = a->type };
	__u64 v = a->src < VIGIL_SYSCALL_ARGS ? raw[a->src] : a->value;
	__u64 size = a->size_src < VIGIL_SYSCALL_ARGS ? raw[a->size_src] : 0;
	/* 64-bit offsets: 6.1's verifier forgets the bounds of 32-bit values spilled to the stack. */
	__u64 at, p, len = 0;
	struct file *f;

	if (i >= VIGIL_HOOK_ARGS || pos >= VIGIL_HOOK_DATA_MAX) {
		h->ev.flags |= VIGIL_HEVF_TRUNCATED;
		return pos;
	}
	at = pos & (VIGIL_HOOK_DATA_MAX - 1); /* an identity the verifier can bound every write by */
	p = at;
	p += sizeof(ah);
	sl->num[i] = sign_extend(v, a->type);
	switch (a->type) {
	case VIGIL_ARG_S64: case VIGIL_ARG_U64: case VIGIL_ARG_S32: case VIGIL_ARG_U32:
	case VIGIL_ARG_S16: case VIGIL_ARG_U16: case VIGIL_ARG_S8: case VIGIL_ARG_U8:
	case VIGIL_ARG_CAPABILITY:
		__builtin_memcpy(&h->data[p], &sl->num[i], 8);
		len = 8;
		break;
	case VIGIL_ARG_STRING:
		len = put_str(h, p, v, user, a->max_data);
		break;
	case VIGIL_ARG_FILENAME: /* struct filename: ->name is the kernel copy of the user string */
		len = put_str(h, p, (__u64)BPF_CORE_READ((struct filename *)v, name), false, a->max_data);
		break;
	case VIGIL_ARG_CHAR_BUF:
	case VIGIL_ARG_SOCKADDR:
		/* A sockaddr without a size argument: as much as a sockaddr_storage. */
		if (a->type == VIGIL_ARG_SOCKADDR && a->size_src >= VIGIL_SYSCALL_ARGS)
			size = a->max_data;
		if (size > a->max_data)
			size = a->max_data;
		len = put_bytes(h, p, v, user, size);
		break;
	case VIGIL_ARG_FILE:
		len = put_file(h, p, (struct file *)v);
		break;
	case VIGIL_ARG_PATH:
		len = put_path(h, p, (const struct path *)v);
		break;
	case VIGIL_ARG_BINPRM:
		len = put_file(h, p, BPF_CORE_READ((struct linux_binprm *)v, file));
		break;
	case VIGIL_ARG_FD:
		sl->num[i] = (__s64)(__s32)v;
		__builtin_memcpy(&h->data[p], &sl->num[i], 4);
		f = fd_file((__u32)v);
		len = 4 + (f ? put_file(h, p + 4, f) : 0);
		break;
	case VIGIL_ARG_DENTRY:
		len = put_str(h, p, (__u64)BPF_CORE_READ((struct dentry *)v, d_name.name), false,
			      VIGIL_ARG_STR_MAX);
		break;
	case VIGIL_ARG_CRED:
		len = put_cred(h, p, (const struct cred *)v);
		break;
	case VIGIL_ARG_SOCK:
		len = put_sock(h, p, (struct sock *)v);
		break;
	case VIGIL_ARG_SOCKET:
		len = put_sock(h, p, BPF_CORE_READ((struct socket *)v, sk));
		break;
	case VIGIL_ARG_FD_SOCK:
		len = put_sock(h, p, fd_sock((__u32)v));
		break;
	case VIGIL_ARG_USER_NS:
		len = put_user_ns(h, p, (struct user_namespace *)v);
		break;
	case VIGIL_ARG_SKB:
		len = put_skb(h, p, (struct sk_buff *)v);
		break;
	case VIGIL_ARG_SKB_SOCK:
		len = put_sock(h, p, BPF_CORE_READ((struct sk_buff *)v, sk));
		break;
	case VIGIL_ARG_NET_DEVICE:
		len = put_str(h, p, v + bpf_core_field_offset(struct net_device, name), false, 16);
		break;
	case VIGIL_ARG_BPF_ATTR:
		len = put_bytes(h, p, v, user, VIGIL_BPF_ATTR_BYTES);
		break;
	case VIGIL_ARG_PERF_EVENT:
		len = put_bytes(h, p, user ? v : v + bpf_core_field_offset(struct perf_event, attr), user,
				VIGIL_PERF_ATTR_BYTES);
		break;
	case VIGIL_ARG_BPF_MAP:
		len = user ? put_bytes(h, p, v, true, VIGIL_BPF_MAP_BYTES) : put_bpf_map(h, p, (struct bpf_map *)v);
		break;
	case VIGIL_ARG_KERNEL_CAP:
		sl->num[i] = 0;
		bpf_probe_read_kernel(&sl->num[i], 8, (void *)v);
		__builtin_memcpy(&h->data[p], &sl->num[i], 8);
		len = 8;
		break;
	default:
		ah.flags = VIGIL_ARGE_ERROR;
	}
	ah.len = len;
	/* Where the argument's bytes are, for the string filters; an fd's path follows its number. */
	sl->off[i] = a->type == VIGIL_ARG_FD ? p + 4 : p;
	sl->len[i] = a->type == VIGIL_ARG_FD ? (len > 4 ? len - 4 : 0) : len;
	__builtin_memcpy(&h->data[at], &ah, sizeof(ah));
	return p + len;
}

static __always_inline void read_args(struct hook_heap *h, struct arg_slots *sl, const __u64 *raw)
{
	__u32 pos = 0, i;

	for (i = 0; i < VIGIL_HOOK_ARGS; i++) {
		if (i >= vigil_hook_cfg.nargs)
			break;
		pos = read_arg(h, pos, sl, i, raw);
	}
	h->ev.nargs = vigil_hook_cfg.nargs;
	h->ev.data_len = pos;
}

/* ---- strings through the maps ---- */

struct rev_ctx {
	struct str_scratch *s;
	__u32 len;
};

static long rev_step(__u32 i, void *arg)
{
	struct rev_ctx *r = arg;
	__u32 j = r->len - 1 - i;

	if (i >= r->len || i >= VIGIL_STR_KEY || j >= VIGIL_STR_KEY)
		return 1;
	r->s->rev.bytes[i] = r->s->key.bytes[j];
	return 0;
}

/* Loads the string into the scratch keys: key.bytes as is, rev.bytes reversed (Postfix);
 * returns the compared length (at most VIGIL_STR_KEY - 1). */
static __noinline __u32 load_str(struct str_scratch *s, const char *src, __u32 len, __u32 slot)
{
	struct rev_ctx r = { .s = s };

	__builtin_memset(s, 0, sizeof(*s));
	if (len > VIGIL_STR_KEY - 1) /* Equal/Prefix see the first bytes, Postfix the last */
		len = VIGIL_STR_KEY - 1;
	bpf_probe_read_kernel(s->key.bytes, len, src);
	s->key.slot = slot;
	s->rev.slot = slot;
	r.len = len;
	bpf_loop(VIGIL_STR_KEY, rev_step, &r, 0);
	return len;
}

static __noinline bool str_match(struct str_scratch *s, __u8 op, __u32 slot, __u32 len)
{
	bool hit;

	switch (op) {
	case VIGIL_OP_EQUAL: case VIGIL_OP_NOT_EQUAL: case VIGIL_OP_IN: case VIGIL_OP_NOT_IN:
		s->key.prefixlen = 0;
		s->key.slot = slot;
		hit = bpf_map_lookup_elem(&vigil_hook_strs, &s->key) != NULL;
		return (op == VIGIL_OP_EQUAL || op == VIGIL_OP_IN) ? hit : !hit;
	case VIGIL_OP_PREFIX: case VIGIL_OP_NOT_PREFIX:
		s->key.prefixlen = 32 + 8 * len;
		s->key.slot = slot;
		hit = bpf_map_lookup_elem(&vigil_hook_prefix, &s->key) != NULL;
		return op == VIGIL_OP_PREFIX ? hit : !hit;
	case VIGIL_OP_POSTFIX: case VIGIL_OP_NOT_POSTFIX:
		/* Postfix values live in the trie under slot | 1<<31, reversed. */
		s->rev.prefixlen = 32 + 8 * len;
		s->rev.slot = slot | 0x80000000u;
		hit = bpf_map_lookup_elem(&vigil_hook_prefix, &s->rev) != NULL;
		return op == VIGIL_OP_POSTFIX ? hit : !hit;
	}
	return false;
}

/* ---- selectors ---- */

static __noinline bool int_match(const volatile struct vigil_filter *f, __u64 v, bool sgn)
{
	bool any = false;
	__u32 k;

	if (f->op == VIGIL_OP_IN_MAP || f->op == VIGIL_OP_NOT_IN_MAP) {
		struct vigil_int_key key = { .slot = f->slot, .value = v };
		bool hit = bpf_map_lookup_elem(&vigil_hook_ints, &key) != NULL;

		return f->op == VIGIL_OP_IN_MAP ? hit : !hit;
	}
	for (k = 0; k < VIGIL_FILTER_VALUES; k++) {
		__u64 x = f->values[k];

		if (k >= f->nvalues)
			break;
		switch (f->op) {
		case VIGIL_OP_EQUAL: case VIGIL_OP_NOT_EQUAL: any |= v == x; break;
		case VIGIL_OP_GT: any |= sgn ? (__s64)v > (__s64)x : v > x; break;
		case VIGIL_OP_LT: any |= sgn ? (__s64)v < (__s64)x : v < x; break;
		case VIGIL_OP_MASK: any |= (v & x) != 0; break;
		}
	}
	return f->op == VIGIL_OP_NOT_EQUAL ? !any : any;
}

/* The ends of a socket argument: a sockaddr has one (source and destination alike), a sock two. */
struct sock_ends {
	__u16 family;
	__u16 protocol;
	__u16 sport;
	__u16 dport;
	__u32 saddr4;
	__u32 daddr4;
	__u8 state;
};

static __always_inline bool read_ends(struct hook_heap *h, __u8 type, __u32 off, __u32 len, struct sock_ends *e)
{
	if (off > VIGIL_HOOK_DATA_MAX)
		return false;
	if (type == VIGIL_ARG_SOCK || type == VIGIL_ARG_SOCKET || type == VIGIL_ARG_FD_SOCK ||
	    type == VIGIL_ARG_SKB_SOCK || type == VIGIL_ARG_SKB) {
		struct vigil_sock vs;

		if (len < sizeof(vs))
			return false;
		bpf_probe_read_kernel(&vs, sizeof(vs), &h->data[off]);
		e->family = vs.family;
		e->protocol = vs.protocol;
		e->sport = vs.sport;
		e->dport = vs.dport;
		__builtin_memcpy(&e->saddr4, vs.saddr, 4);
		__builtin_memcpy(&e->daddr4, vs.daddr, 4);
		e->state = vs.state;
		return true;
	} else {
		struct { __u16 family; __u16 port; __u32 addr4; } sa;

		if (len < sizeof(sa))
			return false;
		bpf_probe_read_kernel(&sa, sizeof(sa), &h->data[off]);
		e->family = sa.family;
		e->sport = e->dport = bpf_ntohs(sa.port);
		e->saddr4 = e->daddr4 = sa.addr4;
		return true;
	}
}

static __always_inline bool addr4_in(__u32 addr, __u64 x)
{
	__u32 plen = x & 0xff;
	__u32 mask = plen ? bpf_htonl(~0u << (32 - plen)) : 0;

	return (addr & mask) == ((__u32)(x >> 32) & mask);
}

/* Socket operators (Family, ports, IPv4 CIDRs, Protocol, State) over a sockaddr or sock argument. */
static __noinline bool sock_match(struct hook_heap *h, const volatile struct vigil_filter *f, __u8 type, __u32 off,
				  __u32 len)
{
	struct sock_ends e = {};
	bool any = false, neg;
	__u8 op = f->op;
	__u32 k;

	if (!read_ends(h, type, off, len, &e))
		return false;
	neg = op == VIGIL_OP_NOT_PORT || op == VIGIL_OP_NOT_PORT_PRIV || op == VIGIL_OP_NOT_ADDR4 ||
	      op == VIGIL_OP_NOT_DPORT || op == VIGIL_OP_NOT_DPORT_PRIV || op == VIGIL_OP_NOT_DADDR4;
	if (op == VIGIL_OP_PORT_PRIV || op == VIGIL_OP_NOT_PORT_PRIV)
		return (e.sport < 1024) != neg;
	if (op == VIGIL_OP_DPORT_PRIV || op == VIGIL_OP_NOT_DPORT_PRIV)
		return (e.dport < 1024) != neg;
	for (k = 0; k < VIGIL_FILTER_VALUES; k++) {
		__u64 x = f->values[k];

		if (k >= f->nvalues)
			break;
		switch (op) {
		case VIGIL_OP_FAMILY: any |= e.family == x; break;
		case VIGIL_OP_PROTOCOL: any |= e.protocol == x; break;
		case VIGIL_OP_STATE: any |= e.state == x; break;
		case VIGIL_OP_PORT: case VIGIL_OP_NOT_PORT: any |= e.sport == x; break;
		case VIGIL_OP_DPORT: case VIGIL_OP_NOT_DPORT: any |= e.dport == x; break;
		case VIGIL_OP_ADDR4: case VIGIL_OP_NOT_ADDR4: any |= e.family == 2 && addr4_in(e.saddr4, x); break;
		case VIGIL_OP_DADDR4: case VIGIL_OP_NOT_DADDR4: any |= e.family == 2 && addr4_in(e.daddr4, x); break;
		}
	}
	return any != neg;
}

static __noinline bool filter_match(struct hook_heap *h, const volatile struct vigil_filter *f,
					 struct arg_slots *sl)
{
	struct str_scratch *s;
	__u32 i = f->arg, len;

	if (i >= VIGIL_HOOK_ARGS)
		return false;
	if (f->op >= VIGIL_OP_FAMILY)
		return sock_match(h, f, vigil_hook_cfg.args[i].type, sl->off[i], sl->len[i]);
	if (!(f->flags & VIGIL_FILTF_STRING))
		return int_match(f, sl->num[i], is_signed(vigil_hook_cfg.args[i].type));
	s = bpf_map_lookup_elem(&vigil_hook_scratch, &zero);
	if (!s || sl->off[i] > VIGIL_HOOK_DATA_MAX)
		return false;
	len = load_str(s, &h->data[sl->off[i] & (VIGIL_HOOK_DATA_MAX * 2 - 1)], sl->len[i], f->slot);
	return str_match(s, f->op, f->slot, len);
}

static __noinline bool pid_match(const volatile struct vigil_selector *sel)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, k;
	bool any = false;

	if (sel->flags & VIGIL_SELF_PID_NS) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct pid *p = BPF_CORE_READ(task, thread_pid);
		__u32 level = BPF_CORE_READ(p, level);
		struct upid up;

		/* numbers[] is a flexible array: read the innermost namespace's entry. */
		if (bpf_core_read(&up, sizeof(up), &p->numbers[level & 31]) == 0)
			pid = up.nr;
	}
	for (k = 0; k < VIGIL_PIDS; k++) {
		if (k >= sel->npids)
			break;
		any |= sel->pids[k] == pid;
	}
	return sel->pid_op == VIGIL_OP_NOT_IN ? !any : any;
}

/* matchBinaries against the current process's executable, cached per (process, exe_file). */
/* matchBinaries (parent false) or matchParentBinaries (parent true) of selector idx. The result
 * is cached per process (the one whose binary is examined) until its binary changes. */
static __noinline bool bin_match(__u32 idx, const volatile struct vigil_selector *sel, bool parent)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u8 op = parent ? sel->pbin_op : sel->bin_op;
	__u32 slot = parent ? sel->pbin_slot : sel->bin_slot;
	__u32 tgid, bit = 1u << (parent ? idx + 16 : idx), len, off, state = 0;
	struct file *exe;
	struct bin_cache fresh = {}, *c;
	struct walk_scratch *w;
	struct str_scratch *s;
	struct path p, root;
	bool hit;

	if (parent)
		task = BPF_CORE_READ(task, real_parent);
	tgid = BPF_CORE_READ(task, tgid);
	exe = BPF_CORE_READ(task, mm, exe_file);
	fresh.exe = (__u64)exe;
	c = bpf_map_lookup_elem(&vigil_hook_bins, &tgid);
	if (c && c->exe == (__u64)exe && (c->known & bit))
		return c->matched & bit;
	if (!exe || bpf_core_read(&p, sizeof(p), &exe->f_path) ||
	    task_root(task, &root))
		return op == VIGIL_OP_NOT_IN || op == VIGIL_OP_NOT_PREFIX || op == VIGIL_OP_NOT_POSTFIX;
	off = walk_path(&p, &root, &state);
	w = bpf_map_lookup_elem(&vigil_walk, &zero);
	s = bpf_map_lookup_elem(&vigil_hook_scratch, &zero);
	if (!w || !s || off >= WALK_SIZE)
		return false;
	len = load_str(s, &w->buf[off & (WALK_SIZE - 1)], WALK_SIZE - off, slot);
	hit = str_match(s, op, slot, len);
	if (c && c->exe == (__u64)exe) {
		c->known |= bit;
		c->matched = hit ? c->matched | bit : c->matched & ~bit;
	} else {
		fresh.known = bit;
		fresh.matched = hit ? bit : 0;
		bpf_map_update_elem(&vigil_hook_bins, &tgid, &fresh, BPF_ANY);
	}
	return hit;
}

static __noinline bool ns_match(const volatile struct vigil_selector *sel)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 k, v;

	for (k = 0; k < VIGIL_NS_FILTERS; k++) {
		const volatile struct vigil_ns_filter *f = &sel->ns[k];
		__u32 inum;
		bool any = false;

		if (k >= sel->nns)
			break;
		inum = task_ns_inum(task, f->kind);
		for (v = 0; v < VIGIL_NS_VALUES; v++) {
			if (v >= f->nvalues)
				break;
			any |= f->values[v] == inum;
		}
		if (any != (f->op == VIGIL_OP_IN))
			return false;
	}
	return true;
}

/* The capability set a filter names, of a cred. */
static __always_inline __u64 cred_caps(const struct cred *cred, __u8 set)
{
	__u64 caps = 0;

	/* kernel_cap_t is u64 since 6.3 and u32[2] before: 8 little-endian bytes either way. */
	if (set == 1)
		bpf_core_read(&caps, 8, &cred->cap_permitted);
	else if (set == 2)
		bpf_core_read(&caps, 8, &cred->cap_inheritable);
	else
		bpf_core_read(&caps, 8, &cred->cap_effective);
	return caps;
}

/* isNamespaceCapability: the filter only applies outside the host's user namespace (level 0). */
static __always_inline bool host_userns_excluded(const volatile struct vigil_caps_filter *f, const struct cred *cred)
{
	return (f->flags & VIGIL_CAPF_NOT_HOST_USERNS) && BPF_CORE_READ(cred, user_ns, level) == 0;
}

static __noinline bool caps_match(const volatile struct vigil_selector *sel)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(task, cred);
	__u32 k;

	for (k = 0; k < VIGIL_CAPS_FILTERS; k++) {
		const volatile struct vigil_caps_filter *f = &sel->caps[k];

		if (k >= sel->ncaps)
			break;
		if (host_userns_excluded(f, cred))
			return false;
		if (((cred_caps(cred, f->set) & f->mask) != 0) != (f->op == VIGIL_OP_IN))
			return false;
	}
	return true;
}

/* vigil_proc_state.caps holds permitted, effective, inheritable; a filter's set is 0 effective,
 * 1 permitted, 2 inheritable. */
static __always_inline __u32 state_caps_index(__u8 set)
{
	return set == 0 ? 1 : set == 1 ? 0 : 2;
}

/* matchCapabilityChanges and matchNamespaceChanges against the state at the process's exec
 * (Tetragon's semantics: a process not seen exec'ing does not match). */
static __noinline bool changes_match(const volatile struct vigil_selector *sel)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, k;
	const volatile struct vigil_caps_filter *f = &sel->capchg;
	struct vigil_proc_state *ps;
	__u64 caps[3] = {}, was, now;
	__u32 ns[VIGIL_PROC_NS] = {};
	bool changed = false;

	if (!sel->ncapchg && sel->nschg_op == VIGIL_OP_NONE)
		return true;
	ps = bpf_map_lookup_elem(&vigil_procs, &tgid);
	if (!ps || ps->exited)
		return false;
	task_caps_ns(task, caps, ns);
	if (sel->ncapchg) {
		if (host_userns_excluded(f, BPF_CORE_READ(task, cred)))
			return false;
		k = state_caps_index(f->set);
		was = k == 0 ? ps->caps[0] : k == 1 ? ps->caps[1] : ps->caps[2];
		now = caps[k & 3];
		if ((was & f->mask) != (now & f->mask))
			changed = f->op == VIGIL_OP_IN;
		else if (was != now)
			changed = f->op == VIGIL_OP_NOT_IN;
		if (!changed)
			return false;
	}
	if (sel->nschg_op != VIGIL_OP_NONE) {
		changed = false;
		for (k = 0; k < VIGIL_PROC_NS; k++) {
			bool watched = (sel->nschg_mask >> k) & 1;

			if (watched != (sel->nschg_op == VIGIL_OP_IN))
				continue;
			if (ps->ns[k] && ps->ns[k] != ns[k])
				changed = true;
		}
		if (!changed)
			return false;
	}
	return true;
}

/* A selector with change filters matched: the current state becomes the one to compare with,
 * so that each change is reported once. */
static __noinline void record_changes(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vigil_proc_state *ps = bpf_map_lookup_elem(&vigil_procs, &tgid);

	if (ps)
		task_caps_ns((struct task_struct *)bpf_get_current_task(), ps->caps, ps->ns);
}

/* matchPIDs, matchNamespaces, matchCapabilities, matchBinaries: about the process, decided
 * before any argument is read. */
static __always_inline bool process_match(__u32 idx, const volatile struct vigil_selector *sel)
{
	if (sel->pid_op != VIGIL_OP_NONE && !pid_match(sel))
		return false;
	if (sel->nns && !ns_match(sel))
		return false;
	if (sel->ncaps && !caps_match(sel))
		return false;
	if ((sel->ncapchg || sel->nschg_op != VIGIL_OP_NONE) && !changes_match(sel))
		return false;
	if (sel->bin_op != VIGIL_OP_NONE && !bin_match(idx, sel, false))
		return false;
	if (sel->pbin_op != VIGIL_OP_NONE && !bin_match(idx, sel, true))
		return false;
	return true;
}

static __always_inline bool args_match(struct hook_heap *h, const volatile struct vigil_selector *sel,
				       struct arg_slots *sl)
{
	__u32 k;

	for (k = 0; k < VIGIL_ARG_FILTERS; k++) {
		if (k >= sel->nfilters)
			break;
		if (!filter_match(h, &sel->filters[k], sl))
			return false;
	}
	return true;
}

/* ---- actions ---- */

static __always_inline bool rate_limited(__u32 idx, const volatile struct vigil_action *a)
{
	__u64 now = bpf_ktime_get_ns(), id = bpf_get_current_pid_tgid(), *last;
	struct rate_key key = { .selector = idx };

	if (!a->rate_ns)
		return false;
	key.scope = a->rate_scope == 0 ? id : a->rate_scope == 1 ? id >> 32 : 0;
	last = bpf_map_lookup_elem(&vigil_hook_rate, &key);
	if (last && now - *last < a->rate_ns)
		return true;
	bpf_map_update_elem(&vigil_hook_rate, &key, &now, BPF_ANY);
	return false;
}

/* Carries out the selector's actions. Returns whether to post; *verdict gets Override's error. */
static __noinline bool act(struct hook_heap *h, __u32 idx, const volatile struct vigil_selector *sel,
				__s32 *verdict)
{
	bool post = true, monitor = vigil_hook_mode == VIGIL_MODE_MONITOR;
	__u32 k;

	for (k = 0; k < VIGIL_ACTIONS; k++) {
		const volatile struct vigil_action *a = &sel->actions[k];

		if (k >= sel->nactions)
			break;
		if (k == 0) {
			h->ev.action = a->kind;
			h->ev.action_arg = a->arg;
		}
		switch (a->kind) {
		case VIGIL_ACT_POST:
			if (rate_limited(idx, a)) {
				stat_add(VIGIL_HS_RATE_LIMITED);
				post = false;
			}
			if (a->flags & VIGIL_ACTF_KSTACK)
				h->ev.flags |= VIGIL_HEVF_KSTACK;
			if (a->flags & VIGIL_ACTF_USTACK)
				h->ev.flags |= VIGIL_HEVF_USTACK;
			break;
		case VIGIL_ACT_NOPOST:
			post = false;
			break;
		case VIGIL_ACT_SIGKILL:
		case VIGIL_ACT_SIGNAL:
		case VIGIL_ACT_OVERRIDE:
			h->ev.action = a->kind;
			h->ev.action_arg = a->arg;
			if (monitor) {
				h->ev.flags |= VIGIL_HEVF_MONITOR;
				stat_add(VIGIL_HS_MONITOR_ONLY);
				break;
			}
			h->ev.flags |= VIGIL_HEVF_ENFORCED;
			if (a->kind == VIGIL_ACT_OVERRIDE) {
				if (vigil_hook_cfg.flags & VIGIL_HOOKF_DEFERRED) {
					__u64 id = bpf_get_current_pid_tgid();
					__s32 err = a->arg;

					bpf_map_update_elem(&vigil_hook_verdicts, &id, &err, BPF_ANY);
				} else {
					*verdict = a->arg;
				}
				stat_add(VIGIL_HS_OVERRIDE);
			} else if (bpf_send_signal(a->kind == VIGIL_ACT_SIGKILL ? SIGKILL : a->arg)) {
				h->ev.flags |= VIGIL_HEVF_ACTION_ERR;
				stat_add(VIGIL_HS_ACTION_ERR);
			} else {
				stat_add(a->kind == VIGIL_ACT_SIGKILL ? VIGIL_HS_SIGKILL : VIGIL_HS_SIGNAL);
			}
			break;
		}
	}
	return post;
}

static __noinline void post(struct hook_heap *h)
{
	__u32 size = sizeof(h->ev) + h->ev.data_len;

	h->ev.hdr.size = size;
	if (size > sizeof(*h))
		return;
	if (bpf_ringbuf_output(&vigil_events, h, size, rb_flags())) {
		stat_add(VIGIL_HS_LOST);
		return;
	}
	stat_add(VIGIL_HS_POSTED);
}

/* ---- entry and return ---- */

/* raw[i] by constant indices only: a variable index loses the verifier's bounds. */
static __always_inline __u64 raw_at(const __u64 *raw, __u8 i)
{
	switch (i) {
	case 0: return raw[0];
	case 1: return raw[1];
	case 2: return raw[2];
	case 3: return raw[3];
	case 4: return raw[4];
	case 5: return raw[5];
	default: return 0;
	}
}

static __always_inline bool guard_pass(const volatile struct vigil_guard *g, const __u64 *raw)
{
	__u64 v = raw_at(raw, g->src);

	switch (g->op) {
	case VIGIL_GUARD_EQUAL: return v == g->value;
	case VIGIL_GUARD_MASK: return (v & g->value) != 0;
	case VIGIL_GUARD_BIT_IN: return v < 64 && ((1ull << v) & g->value);
	case VIGIL_GUARD_PROTOCOL: return v && BPF_CORE_READ((struct sock *)v, sk_protocol) == g->value;
	case VIGIL_GUARD_FD_TTY: return fd_is_tty((__u32)v);
	case VIGIL_GUARD_SKB_ETHERTYPE: return v && bpf_ntohs(BPF_CORE_READ((struct sk_buff *)v, protocol)) == g->value;
	case VIGIL_GUARD_SKB_HAS_SOCK: return v && BPF_CORE_READ((struct sk_buff *)v, sk);
	default: return false;
	}
}

/* Every guard holds (see struct vigil_guard). */
static __always_inline bool guards_pass(const __u64 *raw)
{
	__u32 k;

	for (k = 0; k < VIGIL_HOOK_GUARDS; k++) {
		if (k >= vigil_hook_cfg.nguards)
			break;
		if (!guard_pass(&vigil_hook_cfg.guards[k], raw))
			return false;
	}
	return true;
}

/* The kernel or user stack of the hook's context, appended as one more argument. */
static __noinline void put_stack(void *ctx, struct hook_heap *h, bool user)
{
	struct vigil_arg_hdr ah = { .type = VIGIL_ARG_STACK };
	__u32 pos = h->ev.data_len;
	long n;

	if (pos > VIGIL_HOOK_DATA_MAX) {
		h->ev.flags |= VIGIL_HEVF_TRUNCATED;
		h->ev.flags &= ~(user ? VIGIL_HEVF_USTACK : VIGIL_HEVF_KSTACK);
		return;
	}
	n = bpf_get_stack(ctx, &h->data[pos + sizeof(ah)], VIGIL_STACK_DEPTH * 8, user ? BPF_F_USER_STACK : 0);
	if (n < 0)
		ah.flags = VIGIL_ARGE_ERROR;
	ah.len = n > 0 ? n : 0;
	__builtin_memcpy(&h->data[pos], &ah, sizeof(ah));
	h->ev.data_len = pos + sizeof(ah) + ah.len;
	h->ev.nargs += 1;
}

/* The hook fired with these function arguments. Returns the Override error (0: none). */
static __always_inline __s32 on_entry(void *ctx, __u64 *raw, __u32 syscall)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, candidates = 0, i, match = NO_SELECTOR;
	struct vigil_proc_state *ps;
	struct hook_heap *h;
	__s32 verdict = 0;
	bool want_post = true;

	if (!guards_pass(raw))
		return 0;
	stat_add(VIGIL_HS_CALLS);
	if (vigil_hook_cfg.flags & VIGIL_HOOKF_CGROUPS) {
		__u64 cg = bpf_get_current_cgroup_id();

		if (!bpf_map_lookup_elem(&vigil_hook_cgroups, &cg))
			return 0;
	}
	for (i = 0; i < VIGIL_SELECTORS; i++) {
		if (i >= vigil_hook_cfg.nselectors)
			break;
		if (process_match(i, &vigil_hook_cfg.selectors[i]))
			candidates |= 1u << i;
	}
	if (vigil_hook_cfg.nselectors && !candidates)
		return 0;

	h = bpf_map_lookup_elem(&vigil_hook_heap, &zero);
	if (!h)
		return 0;
	__builtin_memset(&h->ev, 0, sizeof(h->ev));
	__builtin_memset(&h->sl, 0, sizeof(h->sl));
	read_args(h, &h->sl, raw);

	for (i = 0; i < VIGIL_SELECTORS; i++) {
		if (i >= vigil_hook_cfg.nselectors)
			break;
		if ((candidates & (1u << i)) && args_match(h, &vigil_hook_cfg.selectors[i], &h->sl)) {
			match = i;
			break;
		}
	}
	if (vigil_hook_cfg.nselectors && match == NO_SELECTOR)
		return 0;
	stat_add(VIGIL_HS_MATCHED);

	h->ev.hdr.type = VIGIL_EV_HOOK;
	h->ev.hdr.version = VIGIL_EVENTS_VERSION;
	h->ev.hdr.time = bpf_ktime_get_boot_ns();
	h->ev.pid = tgid;
	h->ev.tid = (__u32)id;
	ps = bpf_map_lookup_elem(&vigil_procs, &tgid);
	h->ev.ktime = ps ? ps->ktime : 0;
	h->ev.hook_id = vigil_hook_cfg.hook_id;
	h->ev.syscall = syscall;
	h->ev.selector = match;
	if (match < VIGIL_SELECTORS) {
		const volatile struct vigil_selector *sel = &vigil_hook_cfg.selectors[match];

		if (sel->ncapchg || sel->nschg_op != VIGIL_OP_NONE)
			record_changes();
		want_post = act(h, match, sel, &verdict);
	}
	if (want_post && (h->ev.flags & VIGIL_HEVF_KSTACK))
		put_stack(ctx, h, false);
	if (want_post && (h->ev.flags & VIGIL_HEVF_USTACK))
		put_stack(ctx, h, true);

	if (vigil_hook_cfg.flags & VIGIL_HOOKF_RETURN) {
		/* The return side posts (or not): keep the record until then, whatever the action. */
		h->ev.reserved = want_post;
		if (bpf_map_update_elem(&vigil_hook_pending, &id, h, BPF_ANY))
			stat_add(VIGIL_HS_PENDING_LOST);
	} else if (want_post) {
		post(h);
	}
	return verdict;
}

/* A string return value (e.g. readline's line) goes after the arguments, as one more. */
static __noinline void put_ret_str(struct hook_heap *h, __u64 ptr)
{
	struct vigil_arg_hdr ah = { .type = VIGIL_ARG_STRING };
	__u32 pos = h->ev.data_len, len;

	if (pos > VIGIL_HOOK_DATA_MAX) {
		h->ev.flags |= VIGIL_HEVF_TRUNCATED;
		return;
	}
	len = put_str(h, pos + sizeof(ah), ptr, vigil_hook_cfg.flags & VIGIL_HOOKF_RET_USER, VIGIL_ARG_STR_MAX);
	if (!ptr)
		ah.flags = VIGIL_ARGE_ERROR;
	ah.len = len;
	__builtin_memcpy(&h->data[pos], &ah, sizeof(ah));
	h->ev.data_len = pos + sizeof(ah) + len;
	h->ev.nargs += 1;
	h->ev.flags |= VIGIL_HEVF_RET_ARG;
}

static __always_inline void on_return(__u64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hook_heap *h = bpf_map_lookup_elem(&vigil_hook_pending, &id);
	const volatile struct vigil_selector *sel;
	struct arg_slots sl = {};
	bool want_post;
	__u32 k;

	if (!h)
		return;
	want_post = h->ev.reserved && (vigil_hook_cfg.flags & VIGIL_HOOKF_RET_POST);
	h->ev.reserved = 0;
	h->ev.ret = (__s64)sign_extend(ret, vigil_hook_cfg.ret_type);
	h->ev.flags |= VIGIL_HEVF_RETURN;
	if (vigil_hook_cfg.ret_type == VIGIL_ARG_STRING)
		put_ret_str(h, ret);
	if (h->ev.selector < VIGIL_SELECTORS) {
		sel = &vigil_hook_cfg.selectors[h->ev.selector];
		sl.num[0] = h->ev.ret;
		for (k = 0; k < VIGIL_RET_FILTERS; k++) {
			if (k >= sel->nret_filters)
				break;
			if (!int_match(&sel->ret_filters[k], sl.num[0], is_signed(vigil_hook_cfg.ret_type)))
				want_post = false;
		}
	}
	if (want_post)
		post(h);
	bpf_map_delete_elem(&vigil_hook_pending, &id);
}

/* ---- program flavours ---- */

static __always_inline void regs_args(struct pt_regs *regs, __u64 *raw)
{
	if (vigil_hook_cfg.flags & VIGIL_HOOKF_SYSCALL) {
		/* __x64_sys_*(const struct pt_regs *regs): the syscall's own registers. */
		struct pt_regs *inner = (struct pt_regs *)PT_REGS_PARM1(regs);

		raw[0] = PT_REGS_PARM1_CORE_SYSCALL(inner);
		raw[1] = PT_REGS_PARM2_CORE_SYSCALL(inner);
		raw[2] = PT_REGS_PARM3_CORE_SYSCALL(inner);
		raw[3] = PT_REGS_PARM4_CORE_SYSCALL(inner);
		raw[4] = PT_REGS_PARM5_CORE_SYSCALL(inner);
		return;
	}
	raw[0] = PT_REGS_PARM1(regs);
	raw[1] = PT_REGS_PARM2(regs);
	raw[2] = PT_REGS_PARM3(regs);
	raw[3] = PT_REGS_PARM4(regs);
	raw[4] = PT_REGS_PARM5(regs);
}

SEC("kprobe")
int vigil_kprobe(struct pt_regs *ctx)
{
	__u64 raw[VIGIL_SYSCALL_ARGS] = {};
	__s32 verdict;

	regs_args(ctx, raw);
	verdict = on_entry(ctx, raw, 0xffffffff);
	if (verdict)
		bpf_override_return(ctx, verdict);
	return 0;
}

SEC("kretprobe")
int vigil_kretprobe(struct pt_regs *ctx)
{
	on_return(PT_REGS_RC(ctx));
	return 0;
}

/* cgroup/connect4, connect6: carries out a deferred Override decided by this hook's syscall
 * program earlier in the same connect() (the cgroup program has no exe path to select on). */
static __always_inline int deferred_verdict(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__s32 *err = bpf_map_lookup_elem(&vigil_hook_verdicts, &id);
	__s32 e;

	if (!err)
		return 1;
	e = *err;
	bpf_map_delete_elem(&vigil_hook_verdicts, &id);
	if (vigil_hook_mode == VIGIL_MODE_MONITOR)
		return 1;
	/* The caller sees this error (5.18+); without bpf_set_retval a denial is EPERM. */
	bpf_set_retval(e < 0 && e >= -4095 ? e : -1);
	return 0;
}

SEC("cgroup/connect4")
int vigil_connect4(struct bpf_sock_addr *ctx)
{
	return deferred_verdict();
}

SEC("cgroup/connect6")
int vigil_connect6(struct bpf_sock_addr *ctx)
{
	return deferred_verdict();
}

SEC("uprobe")
int vigil_uprobe(struct pt_regs *ctx)
{
	__u64 raw[VIGIL_SYSCALL_ARGS] = {};

	regs_args(ctx, raw);
	on_entry(ctx, raw, 0xffffffff);
	return 0;
}

SEC("uretprobe")
int vigil_uretprobe(struct pt_regs *ctx)
{
	on_return(PT_REGS_RC(ctx));
	return 0;
}

/* Trampoline flavours read their arguments with bpf_get_func_arg (5.17+): any index is safe,
 * a missing one reads as an error and stays 0. */
static __always_inline void tramp_args(void *ctx, __u64 *raw)
{
	__u32 i;

	for (i = 0; i < VIGIL_HOOK_ARGS; i++)
		bpf_get_func_arg(ctx, i, &raw[i]);
}

SEC("fentry")
int vigil_fentry(void *ctx)
{
	__u64 raw[VIGIL_SYSCALL_ARGS] = {};

	tramp_args(ctx, raw);
	on_entry(ctx, raw, 0xffffffff);
	return 0;
}

SEC("fexit")
int vigil_fexit(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	on_return(ret);
	return 0;
}

SEC("fmod_ret")
int vigil_fmod_ret(void *ctx)
{
	__u64 raw[VIGIL_SYSCALL_ARGS] = {};

	tramp_args(ctx, raw);
	return on_entry(ctx, raw, 0xffffffff);
}

SEC("lsm")
int vigil_lsm(void *ctx)
{
	__u64 raw[VIGIL_SYSCALL_ARGS] = {};
	long verdict;

	tramp_args(ctx, raw);
	/* The verifier holds LSM programs to an error code in [-4095, 0] (MAX_ERRNO). */
	verdict = on_entry(ctx, raw, 0xffffffff);
	if (verdict < -4095 || verdict > 0)
		verdict = 0;
	return verdict;
}

/* syscalls:sys_enter_* / sys_exit_* and raw_syscalls:sys_enter / sys_exit share this layout
 * (raw_syscalls' id is a long: its low half is the number). */
struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[VIGIL_SYSCALL_ARGS];
};

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

static __always_inline const struct cred *task_cred(void)
{
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), cred);
}

/* Function argument j from map entry m: a syscall argument (by constant indices only: a
 * variable index loses the verifier's bounds), the number, a constant, or (at the exit) the
 * syscall's result; the task's cred anywhere. */
static __always_inline __u64 sys_arg(const __u64 *sys, __u8 src, __u64 constant, __u32 nr, __s64 ret)
{
	switch (src) {
	case 0: return sys[0];
	case 1: return sys[1];
	case 2: return sys[2];
	case 3: return sys[3];
	case 4: return sys[4];
	case 5: return sys[5];
	case VIGIL_SRC_NR: return nr;
	case VIGIL_SRC_RETVAL: return ret;
	case VIGIL_SRC_TASK_CRED: return (__u64)task_cred();
	case VIGIL_SRC_TASK_CAP_EFF: return (__u64)__builtin_preserve_access_index(&task_cred()->cap_effective);
	case VIGIL_SRC_TASK_CAP_INH: return (__u64)__builtin_preserve_access_index(&task_cred()->cap_inheritable);
	case VIGIL_SRC_TASK_CAP_PRM: return (__u64)__builtin_preserve_access_index(&task_cred()->cap_permitted);
	default: return constant;
	}
}

SEC("tracepoint")
int vigil_sys_enter(struct sys_enter_ctx *ctx)
{
	__u32 nr = ctx->nr, i;
	__u32 any = VIGIL_SYSCALL_ANY;
	struct vigil_syscall_map *m = bpf_map_lookup_elem(&vigil_hook_syscalls, &nr);
	__u64 raw[VIGIL_SYSCALL_ARGS] = {}, sys[VIGIL_SYSCALL_ARGS];

	if (!m) /* raw_syscalls/sys_enter: one entry for every syscall */
		m = bpf_map_lookup_elem(&vigil_hook_syscalls, &any);
	if (!m)
		return 0;
	/* Copied with a probe read: a direct context read of all six would make the program
	 * unattachable to syscalls with fewer arguments (the kernel checks the largest context
	 * offset read against the event's size); unused slots get whatever follows, unread. */
	bpf_probe_read_kernel(sys, sizeof(sys), ctx->args);
	/* Function argument j is syscall argument m->src[j], or the constant m->value[j]. */
	for (i = 0; i < VIGIL_SYSCALL_ARGS; i++)
		raw[i] = sys_arg(sys, m->src[i], m->value[i], nr, 0);
	on_entry(ctx, raw, nr);
	return 0;
}

SEC("tracepoint")
int vigil_sys_exit(struct sys_exit_ctx *ctx)
{
	__u32 nr = ctx->nr, i;
	struct vigil_syscall_map *m;
	__u64 raw[VIGIL_SYSCALL_ARGS] = {}, none[VIGIL_SYSCALL_ARGS] = {};
	__s64 ret = ctx->ret;

	if (!(vigil_hook_cfg.flags & VIGIL_HOOKF_AT_EXIT)) {
		on_return(ret);
		return 0;
	}
	/* VIGIL_HOOKF_AT_EXIT: the function acts on what the syscall produced (fd_install's fd is
	 * open()'s result; commit_creds' cred is the task's once setuid() returned). */
	if (ret < 0)
		return 0;
	m = bpf_map_lookup_elem(&vigil_hook_syscalls, &nr);
	if (!m)
		return 0;
	for (i = 0; i < VIGIL_SYSCALL_ARGS; i++)
		raw[i] = sys_arg(none, m->src[i], m->value[i], nr, ret);
	on_entry(ctx, raw, nr);
	return 0;
}

/* BTF-typed tracepoint (tp_btf): its context is the tracepoint's arguments as u64s, read only
 * below tp_nargs (the verifier refuses a read past the prototype; tp_nargs is constant, so the
 * reads it excludes are not even verified). Where a tracepoint also carries the result (e.g.
 * cap_capable's), the return side runs at once. */
SEC("tp_btf")
int vigil_tp_btf(__u64 *ctx)
{
	__u64 raw[VIGIL_SYSCALL_ARGS] = {};
	__u8 n = vigil_hook_cfg.tp_nargs;

	if (n > 0) raw[0] = ctx[0];
	if (n > 1) raw[1] = ctx[1];
	if (n > 2) raw[2] = ctx[2];
	if (n > 3) raw[3] = ctx[3];
	if (n > 4) raw[4] = ctx[4];
	if (n > 5) raw[5] = ctx[5];
	on_entry(ctx, raw, 0xffffffff);
	if (vigil_hook_cfg.tp_ret < VIGIL_SYSCALL_ARGS && (vigil_hook_cfg.flags & VIGIL_HOOKF_RETURN))
		on_return(raw_at(raw, vigil_hook_cfg.tp_ret));
	return 0;
}
