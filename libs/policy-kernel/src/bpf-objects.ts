/**
 * BPF programs, maps and perf events as Tetragon reports them (KprobeBpfAttr, KprobeBpfMap,
 * KprobePerfEvent), from the bytes of their user-space attributes (bpf/vigil_hook.h): the
 * kernel side copies them, user space names them.
 */
import type { KprobeArgument } from '@vigil/events';

/** include/uapi/linux/bpf.h, enum bpf_prog_type. */
const PROG_TYPES = [
  'UNSPEC',
  'SOCKET_FILTER',
  'KPROBE',
  'SCHED_CLS',
  'SCHED_ACT',
  'TRACEPOINT',
  'XDP',
  'PERF_EVENT',
  'CGROUP_SKB',
  'CGROUP_SOCK',
  'LWT_IN',
  'LWT_OUT',
  'LWT_XMIT',
  'SOCK_OPS',
  'SK_SKB',
  'CGROUP_DEVICE',
  'SK_MSG',
  'RAW_TRACEPOINT',
  'CGROUP_SOCK_ADDR',
  'LWT_SEG6LOCAL',
  'LIRC_MODE2',
  'SK_REUSEPORT',
  'FLOW_DISSECTOR',
  'CGROUP_SYSCTL',
  'RAW_TRACEPOINT_WRITABLE',
  'CGROUP_SOCKOPT',
  'TRACING',
  'STRUCT_OPS',
  'EXT',
  'LSM',
  'SK_LOOKUP',
  'SYSCALL',
  'NETFILTER',
];

/** include/uapi/linux/bpf.h, enum bpf_map_type. */
const MAP_TYPES = [
  'UNSPEC',
  'HASH',
  'ARRAY',
  'PROG_ARRAY',
  'PERF_EVENT_ARRAY',
  'PERCPU_HASH',
  'PERCPU_ARRAY',
  'STACK_TRACE',
  'CGROUP_ARRAY',
  'LRU_HASH',
  'LRU_PERCPU_HASH',
  'LPM_TRIE',
  'ARRAY_OF_MAPS',
  'HASH_OF_MAPS',
  'DEVMAP',
  'SOCKMAP',
  'CPUMAP',
  'XSKMAP',
  'SOCKHASH',
  'CGROUP_STORAGE',
  'REUSEPORT_SOCKARRAY',
  'PERCPU_CGROUP_STORAGE',
  'QUEUE',
  'STACK',
  'SK_STORAGE',
  'DEVMAP_HASH',
  'STRUCT_OPS',
  'RINGBUF',
  'INODE_STORAGE',
  'TASK_STORAGE',
  'BLOOM_FILTER',
  'USER_RINGBUF',
  'CGRP_STORAGE',
  'ARENA',
];

/** include/uapi/linux/perf_event.h, enum perf_type_id. */
const PERF_TYPES = [
  'PERF_TYPE_HARDWARE',
  'PERF_TYPE_SOFTWARE',
  'PERF_TYPE_TRACEPOINT',
  'PERF_TYPE_HW_CACHE',
  'PERF_TYPE_RAW',
  'PERF_TYPE_BREAKPOINT',
];

const named = (names: string[], prefix: string, v: number) => (names[v] ? `${prefix}${names[v]}` : String(v));
const cString = (b: Buffer) => b.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0));

/** union bpf_attr for BPF_PROG_LOAD: prog_type @0, insn_cnt @4, prog_name[16] @48. */
export function bpfAttrArg(b: Buffer): KprobeArgument {
  if (b.length < 64) return {};
  return {
    bpf_attr_arg: {
      ProgType: named(PROG_TYPES, 'BPF_PROG_TYPE_', b.readUInt32LE(0)),
      InsnCnt: b.readUInt32LE(4),
      ProgName: cString(b.subarray(48, 64)),
    },
  };
}

/** BPF_MAP_CREATE's attributes: map_type, key_size, value_size, max_entries @0..12, map_name[16] @28. */
export function bpfMapArg(b: Buffer): KprobeArgument {
  if (b.length < 44) return {};
  return {
    bpf_map_arg: {
      MapType: named(MAP_TYPES, 'BPF_MAP_TYPE_', b.readUInt32LE(0)),
      KeySize: b.readUInt32LE(4),
      ValueSize: b.readUInt32LE(8),
      MaxEntries: b.readUInt32LE(12),
      MapName: cString(b.subarray(28, 44)),
    },
  };
}

/**
 * struct perf_event_attr: type @0, config @8, config2 (a kprobe's offset) @64. The kprobe's
 * function (config1) is a pointer into the caller's memory, not read: KprobeFunc stays empty.
 */
export function perfEventArg(b: Buffer): KprobeArgument {
  if (b.length < 72) return {};
  return {
    perf_event_arg: {
      KprobeFunc: '',
      Type: PERF_TYPES[b.readUInt32LE(0)] ?? String(b.readUInt32LE(0)),
      Config: b.readBigUInt64LE(8).toString(),
      ProbeOffset: b.readBigUInt64LE(64).toString(),
    },
  };
}
