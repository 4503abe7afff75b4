/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Wakeup batching for the events ring (vigil_events, defined by the including object before
 * this header). Shared by bpf/process.bpf.c and bpf/hook.bpf.c, which write the same ring.
 */
#ifndef VIGIL_RING_H
#define VIGIL_RING_H

/* 0: the kernel's adaptive wakeup (the reader is woken for a record whenever it had caught
 * up, i.e. per record at low rates). N > 0: no wakeup until N bytes wait in the ring; the
 * reader then polls on a timer. A wakeup is an irq_work self-IPI, several µs in VMs, which
 * at exec-flood rates costs more than building the event. */
const volatile __u64 vigil_wakeup_bytes = 0;

static __always_inline __u64 rb_flags(void)
{
	if (!vigil_wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&vigil_events, BPF_RB_AVAIL_DATA) >= vigil_wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

#endif /* VIGIL_RING_H */
