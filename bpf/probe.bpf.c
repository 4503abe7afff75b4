// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel capability probe (libs/kernel-probe, `vigil probe`): one tiny program per attach type
 * and per helper Vigil's hook strategies depend on. User space loads them ONE AT A TIME (every
 * other program's autoload off, a fresh open per try) so that one failure never hides another,
 * attaches, checks, and closes everything again.
 *
 * Portability (6.1 .. 6.18): no program reads a kernel structure field, so there are no CO-RE
 * field relocations to fail; no kfuncs (no extern can fail the whole object); hook targets are
 * functions that exist on every kernel since 5.x (security_file_open, tracepoints
 * sched_process_exec / sys_enter / syscalls:sys_enter_getpid). libbpf resolves a program's
 * attach target only when that program is loaded, so a missing target fails that try alone.
 * Every program returns the neutral verdict: allow (0 from fmod_ret/lsm, 1 from connect4),
 * and the helpers that could change behaviour only fire for a process user space names.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set after load (.bss is writable from user space at run time). 0 never matches: no user
 * space process has tgid 0. */
__u32 probe_rb_tgid;     /* ringbuf: the process whose next syscall emits one record */
__u32 probe_sig_tgid;    /* send_signal: the process whose next syscall gets probe_sig_num */
__u32 probe_sig_num;
__s64 probe_sig_ret = 1; /* bpf_send_signal's return value (1 = not called yet) */
__u32 probe_override_tgid; /* override_return: stays 0, the helper never fires */
__u64 probe_hits;        /* loop: iterations bpf_loop ran */
__u64 probe_uprobe_hits; /* uprobe: calls seen (attached for one process only) */

#define PROBE_RB_MAGIC 0x76696731706f7262ULL /* "vig1porb" */

struct probe_record {
	__u64 magic;
	__u32 tgid;
	__u32 pad;
};

/* The only map: created with every try, so it is kept tiny (one page). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_rb SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* ---- attach types ---------------------------------------------------------------------- */

SEC("kprobe/security_file_open")
int BPF_KPROBE(vigil_probe_kprobe)
{
	return 0;
}

SEC("kretprobe/security_file_open")
int BPF_KRETPROBE(vigil_probe_kretprobe)
{
	return 0;
}

SEC("fentry/security_file_open")
int BPF_PROG(vigil_probe_fentry, struct file *file)
{
	return 0;
}

SEC("fexit/security_file_open")
int BPF_PROG(vigil_probe_fexit, struct file *file, int ret)
{
	return 0;
}

/* security_* functions accept fmod_ret even without ALLOW_ERROR_INJECTION. 0: the original
 * function runs and its result stands. */
SEC("fmod_ret/security_file_open")
int BPF_PROG(vigil_probe_fmod_ret, struct file *file)
{
	return 0;
}

/* Passes on the previous BPF LSM program's verdict (0 = allow when there is none). */
SEC("lsm/file_open")
int BPF_PROG(vigil_probe_lsm, struct file *file, int ret)
{
	return ret;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigil_probe_tp_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int vigil_probe_raw_tp(void *ctx)
{
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int vigil_probe_tracepoint(void *ctx)
{
	return 0;
}

/* Attached by function name to a libc function, for one process only. */
SEC("uprobe")
int vigil_probe_uprobe(void *ctx)
{
	__sync_fetch_and_add(&probe_uprobe_hits, 1);
	return 0;
}

SEC("cgroup/connect4")
int vigil_probe_cgroup(struct bpf_sock_addr *ctx)
{
	return 1; /* allow */
}

/* One line on the first task, so that a read of the iterator proves it ran. */
SEC("iter/task")
int vigil_probe_iter(struct bpf_iter__task *ctx)
{
	if (ctx->meta->seq_num == 0 && ctx->task)
		BPF_SEQ_PRINTF(ctx->meta->seq, "vigil-probe-iter\n");
	return 0;
}

/* ---- helpers and features ---------------------------------------------------------------- */

/* One record from the named process' next syscall (a few if its threads race). */
SEC("raw_tp/sys_enter")
int vigil_probe_ringbuf(void *ctx)
{
	struct probe_record *r;
	__u32 tgid = current_tgid();

	if (!probe_rb_tgid || tgid != probe_rb_tgid)
		return 0;
	probe_rb_tgid = 0;
	r = bpf_ringbuf_reserve(&probe_rb, sizeof(*r), 0);
	if (!r)
		return 0;
	r->magic = PROBE_RB_MAGIC;
	r->tgid = tgid;
	r->pad = 0;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* probe_sig_num to the named process at its next syscall. */
SEC("raw_tp/sys_enter")
int vigil_probe_send_signal(void *ctx)
{
	if (!probe_sig_tgid || current_tgid() != probe_sig_tgid)
		return 0;
	probe_sig_tgid = 0;
	probe_sig_ret = bpf_send_signal(probe_sig_num);
	return 0;
}

/* Loads only on kernels with CONFIG_BPF_KPROBE_OVERRIDE; attaches only to functions on the
 * error-injection list. probe_override_tgid stays 0, so nothing is ever overridden. */
SEC("kprobe")
int vigil_probe_override(struct pt_regs *ctx)
{
	if (probe_override_tgid && current_tgid() == probe_override_tgid)
		bpf_override_return(ctx, -1);
	return 0;
}

static long loop_cb(__u64 i, void *data)
{
	__sync_fetch_and_add(&probe_hits, 1);
	return 0;
}

/* bpf_loop (5.17+): loading is the probe. */
SEC("raw_tp/sys_enter")
int vigil_probe_loop(void *ctx)
{
	bpf_loop(4, loop_cb, NULL, 0);
	return 0;
}

/* ---- housekeeping ------------------------------------------------------------------------ */

/* Ids of every loaded program, so that user space can wait until the kernel has freed the
 * probe's (programs behind raw tracepoint links are freed after an RCU grace period, some
 * 10-300 ms after their link is closed). Not a capability. */
SEC("iter/bpf_prog")
int vigil_probe_progs(struct bpf_iter__bpf_prog *ctx)
{
	struct bpf_prog *prog = ctx->prog;

	if (!prog)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%u\n", prog->aux->id);
	return 0;
}
