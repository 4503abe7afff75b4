// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Process lifecycle: exec, fork (new processes only), exit (whole thread group) and free
 * (to drop the kernel-side process map entry), each as tp_btf, raw_tp and classic tp
 * variants. User space enables one variant per hook (autoload) before load: tp_btf where the
 * kernel has BTF for it, raw_tp otherwise, classic tp (needs tracefs) as the last resort.
 *
 * All handlers read kernel memory with BPF_CORE_READ (probe reads), so one body serves all
 * three program types and field offsets are relocated per kernel (6.1 … 6.18).
 * Needs bpf_loop (5.17+) and the BPF ring buffer (5.8+).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vigil_events.h"
#include "vigil_path.h"
#include "vigil_task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define CGROUP_DEPTH 64             /* kernfs steps of the cgroup walk */
#define DATA_MAX (3 * VIGIL_PATH_MAX + VIGIL_ARGS_MAX)

/* Argument bytes sent per exec; user space may lower it before load. */
const volatile __u32 vigil_args_max = VIGIL_ARGS_MAX;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* user space resizes before load */
} vigil_events SEC(".maps");

#include "vigil_ring.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} vigil_lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, struct vigil_proc_state);
} vigil_procs SEC(".maps");

/* Exec records are built here, then copied to the ring buffer with their exact size. */
struct exec_heap {
	struct vigil_exec_event ev;
	char data[DATA_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_heap);
} vigil_heap SEC(".maps");

/* kernfs_node.parent became __parent in 6.15; both flavors keep the source independent of
 * which kernel's vmlinux.h it is built with. */
struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline void count_lost(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&vigil_lost, &slot);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline __u64 proc_ktime(__u32 tgid)
{
	struct vigil_proc_state *ps = bpf_map_lookup_elem(&vigil_procs, &tgid);

	return ps && !ps->exited ? ps->ktime : 0;
}

static __always_inline void proc_track(__u32 tgid, __u64 ktime, __u32 flags, struct task_struct *task)
{
	struct vigil_proc_state ps = { .ktime = ktime, .flags = flags };

	task_caps_ns(task, ps.caps, ps.ns);
	if (bpf_map_update_elem(&vigil_procs, &tgid, &ps, BPF_ANY))
		count_lost(VIGIL_LOST_PROCS_FULL);
}

/* ---- cgroup v2 path: kernfs walk of the default hierarchy cgroup ---- */

struct kn_walk {
	struct kernfs_node *kn;
	__u32 off;
	__u32 state;
};

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___new, __parent))
		return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static long kn_step(__u32 i, void *arg)
{
	struct kn_walk *w = arg;
	struct walk_scratch *s = bpf_map_lookup_elem(&vigil_walk, &zero);
	struct kernfs_node *kn = w->kn, *parent;
	const char *name;
	long n;
	__u32 len, o;

	if (!s || !kn) {
		w->state |= WALK_DONE | WALK_ERR;
		return 1;
	}
	parent = kn_parent(kn);
	if (!parent) { /* the hierarchy root: its name is not part of the path */
		w->state |= WALK_DONE;
		return 1;
	}
	name = BPF_CORE_READ(kn, name);
	n = bpf_probe_read_kernel_str(s->name, NAME_CHUNK, name);
	if (n <= 1) {
		w->state |= WALK_DONE | WALK_ERR;
		return 1;
	}
	len = n - 1;
	if (w->off < len + 1) {
		w->state |= WALK_DONE | WALK_TRUNC;
		return 1;
	}
	w->off -= len + 1;
	o = w->off & (WALK_SIZE - 1);
	s->buf[o] = '/';
	bpf_probe_read_kernel(&s->buf[o + 1], len & (NAME_CHUNK - 1), s->name);
	w->kn = parent;
	return 0;
}

static __always_inline __u32 walk_cgroup(struct task_struct *task, __u32 *state)
{
	struct kn_walk w = {
		.kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn),
		.off = WALK_SIZE,
	};

	bpf_loop(CGROUP_DEPTH, kn_step, &w, 0);
	if (!(w.state & WALK_DONE))
		w.state |= WALK_TRUNC;
	*state |= w.state;
	return w.off;
}

/* Copies the walked path (buf[off, WALK_SIZE), or "/" when empty) to data[pos]; returns its
 * length. pos must be bounded by the caller so that pos + VIGIL_PATH_MAX <= DATA_MAX. */
static __always_inline __u32 put_walked(struct exec_heap *h, __u32 pos, __u32 off)
{
	struct walk_scratch *s = bpf_map_lookup_elem(&vigil_walk, &zero);
	__u32 len;

	if (!s)
		return 0;
	off = walked_start(s, off);
	len = WALK_SIZE - off;
	if (len > VIGIL_PATH_MAX || pos > DATA_MAX - VIGIL_PATH_MAX)
		return 0;
	bpf_probe_read_kernel(&h->data[pos], len, &s->buf[off & (WALK_SIZE - 1)]);
	return len;
}

/* ---- exec ---- */

static __always_inline void fill_exec_identity(struct vigil_exec_event *ev, struct task_struct *task)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	ev->uid = BPF_CORE_READ(cred, uid.val);
	ev->euid = BPF_CORE_READ(cred, euid.val);
	ev->suid = BPF_CORE_READ(cred, suid.val);
	ev->fsuid = BPF_CORE_READ(cred, fsuid.val);
	ev->gid = BPF_CORE_READ(cred, gid.val);
	ev->egid = BPF_CORE_READ(cred, egid.val);
	ev->sgid = BPF_CORE_READ(cred, sgid.val);
	ev->fsgid = BPF_CORE_READ(cred, fsgid.val);
	if (bpf_core_field_exists(task->loginuid)) {
		ev->auid = BPF_CORE_READ(task, loginuid.val);
	} else {
		ev->auid = 0xffffffff;
		ev->flags |= VIGIL_F_NEEDS_AUID;
	}
	/* kernel_cap_t is u64 since 6.3 and u32[2] before: 8 little-endian bytes either way. */
	bpf_core_read(&ev->cap_permitted, 8, &cred->cap_permitted);
	bpf_core_read(&ev->cap_effective, 8, &cred->cap_effective);
	bpf_core_read(&ev->cap_inheritable, 8, &cred->cap_inheritable);

	ev->ns_uts = task_ns_inum(task, VIGIL_NS_UTS);
	ev->ns_ipc = task_ns_inum(task, VIGIL_NS_IPC);
	ev->ns_mnt = task_ns_inum(task, VIGIL_NS_MNT);
	ev->ns_pid = task_ns_inum(task, VIGIL_NS_PID);
	ev->ns_pid_for_children = task_ns_inum(task, VIGIL_NS_PID_FOR_CHILDREN);
	ev->ns_net = task_ns_inum(task, VIGIL_NS_NET);
	ev->ns_time = task_ns_inum(task, VIGIL_NS_TIME);
	ev->ns_time_for_children = task_ns_inum(task, VIGIL_NS_TIME_FOR_CHILDREN);
	ev->ns_cgroup = task_ns_inum(task, VIGIL_NS_CGROUP);
	ev->ns_user = task_ns_inum(task, VIGIL_NS_USER);
}

/* file: the executed file (bprm->file, or mm->exe_file where bprm is not at hand). */
static __always_inline int handle_exec(struct file *file)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_heap *h = bpf_map_lookup_elem(&vigil_heap, &zero);
	struct vigil_exec_event *ev;
	struct mm_struct *mm;
	struct fs_struct *fs;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_boot_ns();
	unsigned long arg_start, arg_end;
	__u32 state, off, blen = 0, alen = 0, clen = 0, glen = 0, amax, pos, size;

	if (!h)
		return 0;
	ev = &h->ev;
	ev->hdr.type = VIGIL_EV_EXEC;
	ev->hdr.version = VIGIL_EVENTS_VERSION;
	ev->hdr.reserved = 0;
	ev->hdr.time = now;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->flags = VIGIL_F_EXECVE;
	ev->ktime = now;
	ev->parent_ktime = proc_ktime(ev->ppid);
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->reserved = 0;
	fill_exec_identity(ev, task);

	fs = BPF_CORE_READ(task, fs);

	/* binary */
	if (file) {
		state = 0;
		off = walk_path(&file->f_path, &fs->root, &state);
		if (state & WALK_TRUNC)
			ev->flags |= VIGIL_F_TRUNC_FILENAME;
		if (state & WALK_ERR)
			ev->flags |= VIGIL_F_ERROR_PATH;
		blen = put_walked(h, 0, off);
	} else {
		ev->flags |= VIGIL_F_ERROR_FILENAME;
	}
	if (blen > VIGIL_PATH_MAX)
		blen = 0;

	/* argv block, straight from the new image's stack */
	mm = BPF_CORE_READ(task, mm);
	arg_start = BPF_CORE_READ(mm, arg_start);
	arg_end = BPF_CORE_READ(mm, arg_end);
	amax = vigil_args_max;
	if (amax > VIGIL_ARGS_MAX)
		amax = VIGIL_ARGS_MAX;
	alen = arg_end > arg_start ? arg_end - arg_start : 0;
	if (alen > amax) {
		alen = amax;
		ev->flags |= VIGIL_F_TRUNC_ARGS;
	}
	if (alen > VIGIL_ARGS_MAX)
		alen = VIGIL_ARGS_MAX;
	pos = blen;
	if (alen && bpf_probe_read_user(&h->data[pos], alen, (void *)arg_start)) {
		alen = 0;
		ev->flags |= VIGIL_F_ERROR_ARGS;
	}

	/* cwd */
	pos = blen + alen;
	{
		struct dentry *pwd = BPF_CORE_READ(fs, pwd.dentry), *root = BPF_CORE_READ(fs, root.dentry);
		struct vfsmount *pwd_mnt = BPF_CORE_READ(fs, pwd.mnt), *root_mnt = BPF_CORE_READ(fs, root.mnt);

		if (pwd == root && pwd_mnt == root_mnt)
			ev->flags |= VIGIL_F_ROOT_CWD;
	}
	state = 0;
	off = walk_path(&fs->pwd, &fs->root, &state);
	if (state & WALK_TRUNC)
		ev->flags |= VIGIL_F_TRUNC_CWD;
	if (state & WALK_ERR)
		ev->flags |= VIGIL_F_ERROR_CWD | VIGIL_F_ERROR_PATH_CWD;
	clen = put_walked(h, pos, off);
	if (clen > VIGIL_PATH_MAX)
		clen = 0;

	/* cgroup v2 path */
	pos = blen + alen + clen;
	state = 0;
	off = walk_cgroup(task, &state);
	if (state & (WALK_ERR | WALK_TRUNC))
		ev->flags |= VIGIL_F_ERROR_CGROUP_KN;
	glen = put_walked(h, pos, off);
	if (glen > VIGIL_PATH_MAX)
		glen = 0;

	ev->binary_len = blen;
	ev->args_len = alen;
	ev->cwd_len = clen;
	ev->cgroup_len = glen;
	size = VIGIL_EXEC_FIXED_SIZE + blen + alen + clen + glen;
	if (size > sizeof(*h))
		return 0;
	ev->hdr.size = size;

	proc_track(ev->pid, now, VIGIL_F_EXECVE, task);
	if (bpf_ringbuf_output(&vigil_events, h, size, rb_flags()))
		count_lost(VIGIL_LOST_EXEC);
	return 0;
}

/* ---- fork: a new thread group leader ---- */

static __always_inline int handle_fork(struct task_struct *child)
{
	struct vigil_fork_event *ev;
	__u32 pid = BPF_CORE_READ(child, tgid);
	__u32 tid = BPF_CORE_READ(child, pid);
	__u32 ppid;
	__u64 ktime;

	if (pid != tid) /* a thread, not a process */
		return 0;
	if (bpf_core_field_exists(child->start_boottime))
		ktime = BPF_CORE_READ(child, start_boottime); /* /proc/<pid>/stat starttime, in ns */
	else
		ktime = bpf_ktime_get_boot_ns();
	ppid = BPF_CORE_READ(child, real_parent, tgid);
	proc_track(pid, ktime, VIGIL_F_CLONE, child);

	ev = bpf_ringbuf_reserve(&vigil_events, sizeof(*ev), 0);
	if (!ev) {
		count_lost(VIGIL_LOST_FORK);
		return 0;
	}
	ev->hdr.type = VIGIL_EV_FORK;
	ev->hdr.version = VIGIL_EVENTS_VERSION;
	ev->hdr.reserved = 0;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.time = bpf_ktime_get_boot_ns();
	ev->pid = pid;
	ev->tid = tid;
	ev->ppid = ppid;
	ev->flags = VIGIL_F_CLONE;
	ev->ktime = ktime;
	ev->parent_ktime = proc_ktime(ppid);
	bpf_ringbuf_submit(ev, rb_flags());
	return 0;
}

/* ---- exit: the last thread of the group ---- */

static __always_inline int handle_exit(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vigil_proc_state *ps;
	struct vigil_exit_event *ev;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, flags;
	__u64 ktime;

	/* signal->live is decremented before the tracepoint; threads exiting concurrently may
	 * all see 0, so the first to flip the map entry's `exited` reports and the rest return.
	 * The entry stays (as a tombstone) until sched_process_free of the leader. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	ps = bpf_map_lookup_elem(&vigil_procs, &tgid);
	if (ps) {
		if (__sync_fetch_and_or(&ps->exited, 1))
			return 0;
		ktime = ps->ktime;
		flags = ps->flags;
	} else {
		/* Started before we loaded: insert a tombstone; only one thread can. */
		struct vigil_proc_state tomb = { .exited = 1 };
		long err = bpf_map_update_elem(&vigil_procs, &tgid, &tomb, BPF_NOEXIST);

		if (err == -17 /* EEXIST */)
			return 0;
		if (err)
			count_lost(VIGIL_LOST_PROCS_FULL);
		ktime = 0;
		flags = VIGIL_F_MISS;
	}

	ev = bpf_ringbuf_reserve(&vigil_events, sizeof(*ev), 0);
	if (!ev) {
		count_lost(VIGIL_LOST_EXIT);
		return 0;
	}
	ev->hdr.type = VIGIL_EV_EXIT;
	ev->hdr.version = VIGIL_EVENTS_VERSION;
	ev->hdr.reserved = 0;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.time = bpf_ktime_get_boot_ns();
	ev->pid = tgid;
	ev->tid = (__u32)pid_tgid;
	ev->status = BPF_CORE_READ(task, exit_code);
	ev->flags = flags;
	ev->ktime = ktime;
	bpf_ringbuf_submit(ev, rb_flags());
	return 0;
}

/* ---- free: drop the tombstone once the leader's task_struct goes away ---- */

static __always_inline int handle_free(__u32 pid)
{
	struct vigil_proc_state *ps = bpf_map_lookup_elem(&vigil_procs, &pid);

	/* Only exited entries: a non-exited one belongs to a new process that reused the pid. */
	if (ps && ps->exited)
		bpf_map_delete_elem(&vigil_procs, &pid);
	return 0;
}

/* ---- tp_btf ---- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigil_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, file));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vigil_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(child);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vigil_exit_btf)
{
	return handle_exit();
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(vigil_free_btf, struct task_struct *p)
{
	return handle_free(BPF_CORE_READ(p, pid));
}

/* ---- raw_tp: same arguments, untrusted pointers ---- */

SEC("raw_tp/sched_process_exec")
int BPF_PROG(vigil_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, file));
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(vigil_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(child);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(vigil_exit_raw)
{
	return handle_exit();
}

SEC("raw_tp/sched_process_free")
int BPF_PROG(vigil_free_raw, struct task_struct *p)
{
	return handle_free(BPF_CORE_READ(p, pid));
}

/* ---- classic tracepoints: only pids in the record, tasks found from current ---- */

SEC("tp/sched/sched_process_exec")
int vigil_exec_tp(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	/* mm->exe_file is bprm->file by now (set in begin_new_exec). */
	return handle_exec(BPF_CORE_READ(task, mm, exe_file));
}

/* Last entry of a task list, as the task that list_add_tail put there. */
#define LAST_TASK(head, member) \
	((struct task_struct *)((void *)BPF_CORE_READ(head, prev) - \
				bpf_core_field_offset(struct task_struct, member)))

SEC("tp/sched/sched_process_fork")
int vigil_fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct signal_struct *sig = BPF_CORE_READ(cur, signal);
	struct task_struct *rp = BPF_CORE_READ(cur, real_parent);
	struct task_struct *t;
	__u32 child_pid = ctx->child_pid;

	/* copy_process appends a new thread to signal->thread_head and a new process to its
	 * real_parent's children (current's, or current's parent's with CLONE_PARENT). */
	t = LAST_TASK(&sig->thread_head, thread_node);
	if (BPF_CORE_READ(t, pid) == child_pid)
		return 0;
	t = LAST_TASK(&cur->children, sibling);
	if (BPF_CORE_READ(t, pid) == child_pid)
		return handle_fork(t);
	t = LAST_TASK(&rp->children, sibling);
	if (BPF_CORE_READ(t, pid) == child_pid)
		return handle_fork(t);
	return 0; /* raced with another fork; the exec/exit still carry the process */
}

SEC("tp/sched/sched_process_exit")
int vigil_exit_tp(void *ctx)
{
	return handle_exit();
}

SEC("tp/sched/sched_process_free")
int vigil_free_tp(struct trace_event_raw_sched_process_template *ctx)
{
	return handle_free(ctx->pid);
}
