import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { namespacesFrom, type NamespaceInums } from '../src/namespaces';

function inumsOf(pid: number | 'self'): NamespaceInums {
  const read = (kind: string): number => {
    try {
      return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  return {
    uts: read('uts'),
    ipc: read('ipc'),
    mnt: read('mnt'),
    pid: read('pid'),
    pidForChildren: read('pid_for_children'),
    net: read('net'),
    time: read('time'),
    timeForChildren: read('time_for_children'),
    cgroup: read('cgroup'),
    user: read('user'),
  };
}

describe('namespaces', () => {
  // pid 1's ns links are not readable here (EACCES even for root), so this process's own
  // namespaces stand in for the host's, as the collector's do when pid 1's cannot be read.
  it('marks as host what equals the host reference', () => {
    const ns = namespacesFrom(inumsOf('self'), inumsOf('self'));
    expect(Object.keys(ns)).toEqual([
      'uts',
      'ipc',
      'mnt',
      'pid',
      'pid_for_children',
      'net',
      'time',
      'time_for_children',
      'cgroup',
      'user',
    ]);
    expect(ns.net?.inum).toBeGreaterThan(0);
    expect(ns.net?.is_host).toBe(true);
  });

  it('marks a different namespace as not host, and a missing kind as an empty message', () => {
    const host = inumsOf('self');
    const ns = namespacesFrom({ ...host, net: host.net + 1, time: 0 }, host);
    expect(ns.net).toEqual({ inum: host.net + 1 });
    expect(ns.time).toEqual({});
    expect(ns.uts?.is_host).toBe(true);
  });
});
