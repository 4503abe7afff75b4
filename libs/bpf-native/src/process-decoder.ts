/**
 * Decodes ring buffer batches of process records (bpf/vigil_events.h) into RawProcessEvent.
 * Pure and allocation-lean: fields are read straight off the Buffer, one object per event.
 */
import type { RawExecEvent, RawExitEvent, RawForkEvent, RawProcessEvent } from './process-events';
import { EXEC, EXIT, FORK, HDR, VIGIL_EVENTS_VERSION, VigilEventType } from './process-layout';
import { forEachRecord } from './ring-buffer-framing';
import { decodeHookRecord } from './hook-decoder';

/** Decodes one record at buf[off, off + len); undefined for a record of unknown type/version/size. */
export function decodeProcessRecord(buf: Buffer, off: number, len: number): RawProcessEvent | undefined {
  if (len < HDR.SIZE || buf[off + HDR.version] !== VIGIL_EVENTS_VERSION) return undefined;
  switch (buf[off + HDR.type]) {
    case VigilEventType.exec:
      return len >= EXEC.SIZE ? decodeExec(buf, off, len) : undefined;
    case VigilEventType.fork:
      return len >= FORK.SIZE ? decodeFork(buf, off) : undefined;
    case VigilEventType.exit:
      return len >= EXIT.SIZE ? decodeExit(buf, off) : undefined;
    case VigilEventType.hook:
      return decodeHookRecord(buf, off, len);
    default:
      return undefined;
  }
}

export interface DecodeResult {
  events: RawProcessEvent[];
  /** Records that were not process records of this layout version (or were cut short). */
  malformed: number;
}

/** Decodes every record of a ring buffer batch (RingBufferReader framing). */
export function decodeProcessBatch(batch: Buffer): DecodeResult {
  const events: RawProcessEvent[] = [];
  let malformed = 0;
  forEachRecord(batch, (buf, off, len) => {
    const ev = decodeProcessRecord(buf, off, len);
    if (ev) events.push(ev);
    else malformed++;
  });
  return { events, malformed };
}

function decodeExec(b: Buffer, o: number, len: number): RawExecEvent | undefined {
  const blen = b.readUInt16LE(o + EXEC.binary_len);
  const alen = b.readUInt16LE(o + EXEC.args_len);
  const clen = b.readUInt16LE(o + EXEC.cwd_len);
  const glen = b.readUInt16LE(o + EXEC.cgroup_len);
  const s0 = o + EXEC.SIZE;
  const s1 = s0 + blen;
  const s2 = s1 + alen;
  const s3 = s2 + clen;
  const s4 = s3 + glen;
  if (s4 > o + len) return undefined;
  const argv = splitArgs(b, s1, s2);
  return {
    kind: 'exec',
    ktime: b.readBigUInt64LE(o + EXEC.ktime),
    pid: b.readUInt32LE(o + EXEC.pid),
    tid: b.readUInt32LE(o + EXEC.tid),
    ppid: b.readUInt32LE(o + EXEC.ppid),
    parentKtime: b.readBigUInt64LE(o + EXEC.parent_ktime),
    creds: {
      uid: b.readUInt32LE(o + EXEC.uid),
      euid: b.readUInt32LE(o + EXEC.euid),
      suid: b.readUInt32LE(o + EXEC.suid),
      fsuid: b.readUInt32LE(o + EXEC.fsuid),
      gid: b.readUInt32LE(o + EXEC.gid),
      egid: b.readUInt32LE(o + EXEC.egid),
      sgid: b.readUInt32LE(o + EXEC.sgid),
      fsgid: b.readUInt32LE(o + EXEC.fsgid),
      auid: b.readUInt32LE(o + EXEC.auid),
    },
    binary: b.toString('utf8', s0, s1),
    args: argv.args,
    argv0: argv.argv0,
    cwd: b.toString('utf8', s2, s3),
    cgroupId: b.readBigUInt64LE(o + EXEC.cgroup_id),
    cgroupPath: b.toString('utf8', s3, s4),
    ns: {
      uts: b.readUInt32LE(o + EXEC.ns_uts),
      ipc: b.readUInt32LE(o + EXEC.ns_ipc),
      mnt: b.readUInt32LE(o + EXEC.ns_mnt),
      pid: b.readUInt32LE(o + EXEC.ns_pid),
      pidForChildren: b.readUInt32LE(o + EXEC.ns_pid_for_children),
      net: b.readUInt32LE(o + EXEC.ns_net),
      time: b.readUInt32LE(o + EXEC.ns_time),
      timeForChildren: b.readUInt32LE(o + EXEC.ns_time_for_children),
      cgroup: b.readUInt32LE(o + EXEC.ns_cgroup),
      user: b.readUInt32LE(o + EXEC.ns_user),
    },
    caps: {
      permitted: b.readBigUInt64LE(o + EXEC.cap_permitted),
      effective: b.readBigUInt64LE(o + EXEC.cap_effective),
      inheritable: b.readBigUInt64LE(o + EXEC.cap_inheritable),
    },
    flags: b.readUInt32LE(o + EXEC.flags),
  };
}

/**
 * The kernel's argv block is "argv0\0arg1\0...\0"; when the BPF side cut it short the last
 * argument has no NUL and is kept as the truncated prefix it is (truncArgs is flagged).
 */
/**
 * argv as the kernel copied it: "argv0\0arg1\0…", the last argument possibly cut short (no NUL).
 * One string conversion and a JS split beat a native indexOf + toString per argument.
 */
function splitArgs(b: Buffer, start: number, end: number): { argv0: string; args: string[] } {
  if (start >= end) return { argv0: '', args: [] };
  const parts = b.toString('utf8', start, end).split('\0');
  if (b[end - 1] === 0) parts.pop();
  const argv0 = parts.shift() ?? '';
  return { argv0, args: parts };
}

function decodeFork(b: Buffer, o: number): RawForkEvent {
  return {
    kind: 'fork',
    ktime: b.readBigUInt64LE(o + FORK.ktime),
    pid: b.readUInt32LE(o + FORK.pid),
    tid: b.readUInt32LE(o + FORK.tid),
    ppid: b.readUInt32LE(o + FORK.ppid),
    parentKtime: b.readBigUInt64LE(o + FORK.parent_ktime),
    flags: b.readUInt32LE(o + FORK.flags),
  };
}

function decodeExit(b: Buffer, o: number): RawExitEvent {
  return {
    kind: 'exit',
    time: b.readBigUInt64LE(o + HDR.time),
    ktime: b.readBigUInt64LE(o + EXIT.ktime),
    pid: b.readUInt32LE(o + EXIT.pid),
    tid: b.readUInt32LE(o + EXIT.tid),
    status: b.readUInt32LE(o + EXIT.status),
    flags: b.readUInt32LE(o + EXIT.flags),
  };
}
