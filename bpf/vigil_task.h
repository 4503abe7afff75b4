/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a task is in the kernel's terms, read with CO-RE: its namespaces by kind. Shared by
 * bpf/process.bpf.c (exec records) and bpf/hook.bpf.c (matchNamespaces).
 */
#ifndef VIGIL_TASK_H
#define VIGIL_TASK_H

/* Namespace kinds, in Tetragon's order (matchNamespaces' `namespace:` names). */
enum vigil_ns_kind {
	VIGIL_NS_UTS = 0,
	VIGIL_NS_IPC = 1,
	VIGIL_NS_MNT = 2,
	VIGIL_NS_PID = 3,
	VIGIL_NS_PID_FOR_CHILDREN = 4,
	VIGIL_NS_NET = 5,
	VIGIL_NS_TIME = 6,
	VIGIL_NS_TIME_FOR_CHILDREN = 7,
	VIGIL_NS_CGROUP = 8,
	VIGIL_NS_USER = 9,
	VIGIL_NS_KINDS = 10,
};

/* The pid namespace the task's pid lives in (numbers[level]). */
static __always_inline __u32 task_pid_ns_inum(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	return BPF_CORE_READ(up.ns, ns.inum);
}

/* The inode number of the task's namespace of that kind; 0 when the kernel lacks the kind. */
static __always_inline __u32 task_ns_inum(struct task_struct *task, __u32 kind)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);

	switch (kind) {
	case VIGIL_NS_UTS: return BPF_CORE_READ(nsp, uts_ns, ns.inum);
	case VIGIL_NS_IPC: return BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	case VIGIL_NS_MNT: return BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	case VIGIL_NS_PID: return task_pid_ns_inum(task);
	case VIGIL_NS_PID_FOR_CHILDREN: return BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	case VIGIL_NS_NET: return BPF_CORE_READ(nsp, net_ns, ns.inum);
	case VIGIL_NS_TIME: /* CONFIG_TIME_NS */
		return bpf_core_field_exists(nsp->time_ns) ? BPF_CORE_READ(nsp, time_ns, ns.inum) : 0;
	case VIGIL_NS_TIME_FOR_CHILDREN:
		return bpf_core_field_exists(nsp->time_ns_for_children) ?
			BPF_CORE_READ(nsp, time_ns_for_children, ns.inum) : 0;
	case VIGIL_NS_CGROUP: return BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	case VIGIL_NS_USER: return BPF_CORE_READ(task, cred, user_ns, ns.inum);
	}
	return 0;
}

/* The task's capability sets and namespaces, as vigil_proc_state keeps them. */
static __always_inline void task_caps_ns(struct task_struct *task, __u64 caps[3], __u32 ns[VIGIL_PROC_NS])
{
	const struct cred *cred = BPF_CORE_READ(task, cred);
	__u32 k;

	/* kernel_cap_t is u64 since 6.3 and u32[2] before: 8 little-endian bytes either way. */
	bpf_core_read(&caps[0], 8, &cred->cap_permitted);
	bpf_core_read(&caps[1], 8, &cred->cap_effective);
	bpf_core_read(&caps[2], 8, &cred->cap_inheritable);
	for (k = 0; k < VIGIL_PROC_NS; k++)
		ns[k] = task_ns_inum(task, k);
}

#endif /* VIGIL_TASK_H */
