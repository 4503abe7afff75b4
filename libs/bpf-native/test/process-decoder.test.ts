import { describe, expect, it } from 'vitest';
import {
  EXEC,
  EXIT,
  FORK,
  HDR,
  ProcessFlag,
  VIGIL_EVENTS_VERSION,
  VigilEventType,
  decodeProcessBatch,
  encodeExecRecord,
  exitCodeOf,
  exitSignalOf,
  forEachRecord,
  frameRecords,
  type RawExecEvent,
} from '../src/index';

function hdr(b: Buffer, type: number, time: bigint): void {
  b[HDR.type] = type;
  b[HDR.version] = VIGIL_EVENTS_VERSION;
  b.writeUInt32LE(b.length, HDR.size);
  b.writeBigUInt64LE(time, HDR.time);
}

function execRecord(o: { binary: string; args: Buffer; cwd: string; cgroup: string }): Buffer {
  return encodeExecRecord({
    pid: 42,
    tid: 43,
    ppid: 7,
    flags: ProcessFlag.execve | ProcessFlag.truncArgs,
    ktime: 1000n,
    parentKtime: 500n,
    cgroupId: 0x1234_5678_9abcn,
    caps: { permitted: 0x1ffffffffffn, effective: 0x3n, inheritable: 0n },
    ids: [1, 2, 3, 4, 5, 6, 7, 8],
    binary: o.binary,
    argv: o.args,
    cwd: o.cwd,
    cgroupPath: o.cgroup,
  });
}

describe('process decoder (pure)', () => {
  it('decodes an exec record field by field', () => {
    const rec = execRecord({
      binary: '/usr/bin/env',
      args: Buffer.from('env\0-i\0\0FOO=é\0'),
      cwd: '/tmp/x',
      cgroup: '/kubepods/pod1/abc',
    });
    const { events, malformed } = decodeProcessBatch(frameRecords([rec]));
    expect(malformed).toBe(0);
    expect(events).toHaveLength(1);
    const e = events[0] as RawExecEvent;
    expect(e).toEqual({
      kind: 'exec',
      ktime: 1000n,
      pid: 42,
      tid: 43,
      ppid: 7,
      parentKtime: 500n,
      creds: { uid: 1, euid: 2, suid: 3, fsuid: 4, gid: 5, egid: 6, sgid: 7, fsgid: 8, auid: 4294967295 },
      binary: '/usr/bin/env',
      argv0: 'env',
      args: ['-i', '', 'FOO=é'],
      cwd: '/tmp/x',
      cgroupId: 0x1234_5678_9abcn,
      cgroupPath: '/kubepods/pod1/abc',
      ns: {
        uts: 4026531835,
        ipc: 4026531836,
        mnt: 4026531837,
        pid: 4026531838,
        pidForChildren: 4026531839,
        net: 4026531840,
        time: 4026531841,
        timeForChildren: 4026531842,
        cgroup: 4026531843,
        user: 4026531844,
      },
      caps: { permitted: 0x1ffffffffffn, effective: 3n, inheritable: 0n },
      flags: ProcessFlag.execve | ProcessFlag.truncArgs,
    });
  });

  it('keeps a truncated last argument (no trailing NUL) and handles empty argv', () => {
    const cut = decodeProcessBatch(
      frameRecords([execRecord({ binary: '/b', args: Buffer.from('b\0one\0tw'), cwd: '/', cgroup: '/' })]),
    ).events[0] as RawExecEvent;
    expect(cut.argv0).toBe('b');
    expect(cut.args).toEqual(['one', 'tw']);
    const none = decodeProcessBatch(
      frameRecords([execRecord({ binary: '/b', args: Buffer.alloc(0), cwd: '/', cgroup: '/' })]),
    ).events[0] as RawExecEvent;
    expect(none.argv0).toBe('');
    expect(none.args).toEqual([]);
  });

  it('decodes fork and exit records, several per batch', () => {
    const fork = Buffer.alloc(FORK.SIZE);
    hdr(fork, VigilEventType.fork, 2000n);
    fork.writeUInt32LE(100, FORK.pid);
    fork.writeUInt32LE(100, FORK.tid);
    fork.writeUInt32LE(99, FORK.ppid);
    fork.writeUInt32LE(ProcessFlag.clone, FORK.flags);
    fork.writeBigUInt64LE(1999n, FORK.ktime);
    fork.writeBigUInt64LE(10n, FORK.parent_ktime);
    const exit = Buffer.alloc(EXIT.SIZE);
    hdr(exit, VigilEventType.exit, 3000n);
    exit.writeUInt32LE(100, EXIT.pid);
    exit.writeUInt32LE(101, EXIT.tid);
    exit.writeUInt32LE(7 << 8, EXIT.status);
    exit.writeUInt32LE(ProcessFlag.clone, EXIT.flags);
    exit.writeBigUInt64LE(1999n, EXIT.ktime);
    const { events } = decodeProcessBatch(frameRecords([fork, exit, fork]));
    expect(events.map((e) => e.kind)).toEqual(['fork', 'exit', 'fork']);
    expect(events[0]).toEqual({
      kind: 'fork',
      ktime: 1999n,
      pid: 100,
      tid: 100,
      ppid: 99,
      parentKtime: 10n,
      flags: ProcessFlag.clone,
    });
    expect(events[1]).toEqual({
      kind: 'exit',
      time: 3000n,
      ktime: 1999n,
      pid: 100,
      tid: 101,
      status: 0x700,
      flags: ProcessFlag.clone,
    });
  });

  it('counts unknown or cut-short records as malformed and stops at a truncated frame', () => {
    const unknown = Buffer.alloc(24);
    hdr(unknown, 99, 1n);
    const oldVersion = Buffer.alloc(EXIT.SIZE);
    hdr(oldVersion, VigilEventType.exit, 1n);
    oldVersion[HDR.version] = 0;
    const badLens = execRecord({ binary: '/x', args: Buffer.alloc(0), cwd: '/', cgroup: '/' });
    badLens.writeUInt16LE(60000, EXEC.cwd_len);
    const r = decodeProcessBatch(frameRecords([unknown, oldVersion, badLens]));
    expect(r).toEqual({ events: [], malformed: 3 });
    const framed = frameRecords([unknown, unknown]);
    expect(forEachRecord(framed.subarray(0, framed.length - 4), () => {})).toBe(1);
  });

  it('reads wait(2) status words', () => {
    expect(exitCodeOf(7 << 8)).toBe(7);
    expect(exitSignalOf(7 << 8)).toBeUndefined();
    expect(exitCodeOf(9)).toBeUndefined();
    expect(exitSignalOf(9)).toBe(9);
    expect(exitSignalOf(0x80 | 11)).toBe(11); // core dumped
  });
});
