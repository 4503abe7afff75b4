/**
 * The inverse of process-decoder for exec records: builds the bytes bpf/process.bpf.c would
 * put in the ring buffer. For tests and benchmarks (synthetic floods); the kernel is the only
 * producer in production.
 */
import { ProcessFlag } from '@vigil/events';
import { EXEC, HDR, VIGIL_EVENTS_VERSION, VigilEventType } from './process-layout';

export interface ExecRecordInput {
  pid: number;
  tid?: number;
  ppid: number;
  ktime: bigint;
  parentKtime?: bigint;
  /** Event time; defaults to ktime. */
  time?: bigint;
  flags?: number;
  binary: string;
  /** argv[0..]: joined with NUL as the kernel copies them. Or the raw argument block. */
  argv: string[] | Buffer;
  cwd: string;
  cgroupPath: string;
  cgroupId?: bigint;
  caps?: { permitted: bigint; effective: bigint; inheritable: bigint };
  /** uid, euid, suid, fsuid, gid, egid, sgid, fsgid. */
  ids?: [number, number, number, number, number, number, number, number];
  auid?: number;
  /** uts, ipc, mnt, pid, pid_for_children, net, time, time_for_children, cgroup, user. */
  ns?: number[];
}

export function encodeExecRecord(e: ExecRecordInput): Buffer {
  const bin = Buffer.from(e.binary);
  const args = Buffer.isBuffer(e.argv) ? e.argv : Buffer.from(e.argv.map((a) => `${a}\0`).join(''));
  const cwd = Buffer.from(e.cwd);
  const cg = Buffer.from(e.cgroupPath);
  const b = Buffer.alloc(EXEC.SIZE + bin.length + args.length + cwd.length + cg.length);
  b[HDR.type] = VigilEventType.exec;
  b[HDR.version] = VIGIL_EVENTS_VERSION;
  b.writeUInt32LE(b.length, HDR.size);
  b.writeBigUInt64LE(e.time ?? e.ktime, HDR.time);
  b.writeUInt32LE(e.pid, EXEC.pid);
  b.writeUInt32LE(e.tid ?? e.pid, EXEC.tid);
  b.writeUInt32LE(e.ppid, EXEC.ppid);
  b.writeUInt32LE(e.flags ?? ProcessFlag.execve, EXEC.flags);
  b.writeBigUInt64LE(e.ktime, EXEC.ktime);
  b.writeBigUInt64LE(e.parentKtime ?? 0n, EXEC.parent_ktime);
  b.writeBigUInt64LE(e.cgroupId ?? 1n, EXEC.cgroup_id);
  const caps = e.caps ?? { permitted: 0x1ffffffffffn, effective: 0x1ffffffffffn, inheritable: 0n };
  b.writeBigUInt64LE(caps.permitted, EXEC.cap_permitted);
  b.writeBigUInt64LE(caps.effective, EXEC.cap_effective);
  b.writeBigUInt64LE(caps.inheritable, EXEC.cap_inheritable);
  (e.ids ?? [0, 0, 0, 0, 0, 0, 0, 0]).forEach((v, i) => b.writeUInt32LE(v, EXEC.uid + 4 * i));
  b.writeUInt32LE(e.auid ?? 0xffffffff, EXEC.auid);
  (e.ns ?? Array.from({ length: 10 }, (_, i) => 4026531835 + i)).forEach((v, i) =>
    b.writeUInt32LE(v, EXEC.ns_uts + 4 * i),
  );
  b.writeUInt16LE(bin.length, EXEC.binary_len);
  b.writeUInt16LE(args.length, EXEC.args_len);
  b.writeUInt16LE(cwd.length, EXEC.cwd_len);
  b.writeUInt16LE(cg.length, EXEC.cgroup_len);
  Buffer.concat([bin, args, cwd, cg]).copy(b, EXEC.SIZE);
  return b;
}
