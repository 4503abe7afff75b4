/** Raw kernel events for tests, in the exact shapes the BPF side produces. */
import type { RawExecEvent, RawExitEvent, RawForkEvent } from '@vigil/bpf-native';
import { BootClock, ProcessFlag } from '@vigil/events';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const NODE = 'test-node';
/** Boot at 2023-11-14T22:13:20Z, so start_time = that + ktime. */
export const clock = BootClock.fromOffset(1_700_000_000_000_000_000n);
export const MS = 1_000_000n;

const hostNs = {
  uts: 11,
  ipc: 12,
  mnt: 13,
  pid: 14,
  pidForChildren: 14,
  net: 15,
  time: 16,
  timeForChildren: 16,
  cgroup: 17,
  user: 18,
};
export { hostNs };

export function exec(
  pid: number,
  ktime: bigint,
  ppid: number,
  parentKtime: bigint,
  over: Partial<RawExecEvent> = {},
): RawExecEvent {
  return {
    kind: 'exec',
    ktime,
    pid,
    tid: pid,
    ppid,
    parentKtime,
    creds: {
      uid: 1000,
      euid: 1000,
      suid: 1000,
      fsuid: 1000,
      gid: 1000,
      egid: 1000,
      sgid: 1000,
      fsgid: 1000,
      auid: 1000,
    },
    binary: `/usr/bin/prog${pid}`,
    args: ['--id', String(pid)],
    argv0: `prog${pid}`,
    cwd: '/home/u',
    cgroupId: 1n,
    cgroupPath: '/',
    ns: hostNs,
    caps: { permitted: 0n, effective: 0n, inheritable: 0n },
    flags: ProcessFlag.execve,
    ...over,
  };
}

export function fork(pid: number, ktime: bigint, ppid: number, parentKtime: bigint): RawForkEvent {
  return { kind: 'fork', ktime, pid, tid: pid, ppid, parentKtime, flags: ProcessFlag.clone };
}

export function exit(pid: number, ktime: bigint, status = 0, time = ktime + 1000n * MS): RawExitEvent {
  return { kind: 'exit', time, ktime, pid, tid: pid, status, flags: 0 };
}

/** A procfs-seeded process as readProcFs returns it. */
export function seeded(pid: number, ktime: bigint, ppid: number, parentKtime: bigint): RawExecEvent {
  return exec(pid, ktime, ppid, parentKtime, { flags: ProcessFlag.procFS | ProcessFlag.needsAUID });
}

export function tetragonDescriptor(): object {
  const file =
    process.env['VIGIL_TETRAGON_API'] ?? path.resolve(__dirname, '../../../../shared/tetragon-api/tetragon-api.json');
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}
