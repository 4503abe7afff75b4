// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test-only object for libs/bpf-native's generic API: globals in .rodata/.data/.bss, hash,
 * array and per-CPU maps, and one program per attach kind the tests exercise (iterator,
 * uprobe, cgroup connect4, kprobe — the last is expected to fail on kernels without kprobes).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 st_deny_port = 0; /* .rodata: connect4 denies this TCP/UDP port */
__u32 st_target_tgid = 0;              /* .data: the uprobe only counts this process */
__u64 st_bss_hits;                     /* .bss */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} st_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} st_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} st_percpu SEC(".maps");

/* Records of 9..24 bytes (odd sizes exercise the reader's 8-byte framing): u64 sequence
 * number, then (seq % 16) bytes of 0xab. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} st_rb SEC(".maps");

__u64 st_seq;

struct st_record {
	__u64 seq;
	__u8 pad[16];
};

/* One line per thread group leader: "<tgid> <comm>". */
SEC("iter/task")
int vigil_st_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;

	if (!t || t->pid != t->tgid)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d %s\n", t->tgid, t->comm);
	return 0;
}

SEC("uprobe")
int vigil_st_uprobe(void *ctx)
{
	__u32 k = 0;
	__u64 *v;

	if ((bpf_get_current_pid_tgid() >> 32) != st_target_tgid)
		return 0;
	v = bpf_map_lookup_elem(&st_array, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	__sync_fetch_and_add(&st_bss_hits, 1);

	struct st_record r = {};
	__u64 seq = __sync_fetch_and_add(&st_seq, 1);

	r.seq = seq;
	__builtin_memset(r.pad, 0xab, sizeof(r.pad));
	if (bpf_ringbuf_output(&st_rb, &r, 8 + 1 + (seq % 16), 0))
		__sync_fetch_and_add(&st_bss_hits, 1000000); /* makes a loss visible to the test */
	return 0;
}

SEC("cgroup/connect4")
int vigil_st_connect4(struct bpf_sock_addr *ctx)
{
	__u32 k = 1;
	__u64 *v;

	if (st_deny_port && ctx->user_port == bpf_htons((__u16)st_deny_port)) {
		v = bpf_map_lookup_elem(&st_percpu, &k);
		if (v)
			(*v)++;
		return 0; /* connect() fails with EPERM */
	}
	return 1;
}

SEC("kprobe/do_nanosleep")
int vigil_st_kprobe(void *ctx)
{
	return 0;
}
