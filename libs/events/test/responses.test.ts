import { describe, expect, it } from 'vitest';
import { capabilitiesFromMasks } from '../src/capabilities';
import { credentialsFrom, INVALID_UID } from '../src/credentials';
import { descriptorProblems } from '../src/descriptor-check';
import { execId } from '../src/exec-id';
import { flagsToString, ProcessFlag } from '../src/flags';
import { namespacesFrom } from '../src/namespaces';
import { execResponse, exitResponse } from '../src/responses';
import { makeProcess, type Process } from '../src/tetragon';
import { tetragonDescriptor } from './fixtures';

const ns = {
  uts: 1,
  ipc: 2,
  mnt: 3,
  pid: 4,
  pidForChildren: 4,
  net: 5,
  time: 0,
  timeForChildren: 0,
  cgroup: 6,
  user: 7,
};

/** A process with every field the collector fills. */
function fullProcess(pid: number, parentPid: number): Process {
  return makeProcess({
    exec_id: execId('node-a', 1_000_000n + BigInt(pid), pid),
    pid,
    uid: 0,
    cwd: '/root',
    binary: '/usr/bin/curl',
    arguments: '-s "https://x y"',
    flags: flagsToString(ProcessFlag.execve | ProcessFlag.clone),
    start_time: '2024-05-01T10:00:00.123456789Z',
    auid: INVALID_UID,
    parent_exec_id: execId('node-a', 1_000_000n + BigInt(parentPid), parentPid),
    cap: capabilitiesFromMasks({ permitted: 0x1ffffffffffn, effective: 1n << 21n, inheritable: 0n }),
    ns: namespacesFrom(ns, ns),
    tid: pid,
    process_credentials: credentialsFrom({ uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0 }),
    pod: {
      namespace: 'default',
      name: 'web',
      container: { id: 'abc', image: { name: 'nginx' }, pid: 7 },
      pod_labels: { app: 'web' },
    },
  });
}

describe('GetEventsResponse JSON matches the Tetragon descriptor', () => {
  const descriptor = tetragonDescriptor();
  const check = (v: unknown): string[] =>
    descriptorProblems(descriptor, 'tetragon', 'GetEventsResponse', JSON.parse(JSON.stringify(v)));

  it('exec events: every key is a real field with the protojson value form', () => {
    const ev = execResponse({
      process: fullProcess(100, 10),
      parent: fullProcess(10, 1),
      ancestors: [fullProcess(1, 0)],
      nodeName: 'node-a',
      time: '2024-05-01T10:00:00.2Z'.replace('.2Z', '.200Z'),
    });
    expect(check(ev)).toEqual([]);
    expect(Object.keys(ev)).toEqual(['process_exec', 'node_name', 'time']);
    expect(Object.keys(ev.process_exec?.process ?? {})).toEqual([
      'exec_id',
      'pid',
      'uid',
      'cwd',
      'binary',
      'arguments',
      'flags',
      'start_time',
      'auid',
      'pod',
      'parent_exec_id',
      'cap',
      'ns',
      'tid',
      'process_credentials',
    ]);
  });

  it('exit events: signal name, status omitted when 0', () => {
    const killed = exitResponse({
      process: fullProcess(100, 10),
      nodeName: 'node-a',
      time: '2024-05-01T10:00:01Z',
      waitStatus: 9,
    });
    expect(check(killed)).toEqual([]);
    expect(killed.process_exit?.signal).toBe('SIGKILL');
    expect(killed.process_exit).not.toHaveProperty('status');
    const failed = exitResponse({
      process: fullProcess(100, 10),
      nodeName: 'node-a',
      time: '2024-05-01T10:00:01Z',
      waitStatus: 2 << 8,
    });
    expect(failed.process_exit?.status).toBe(2);
    expect(failed.process_exit).not.toHaveProperty('signal');
    const ok = exitResponse({
      process: fullProcess(100, 10),
      nodeName: 'node-a',
      time: '2024-05-01T10:00:01Z',
      waitStatus: 0,
    });
    expect(Object.keys(ok.process_exit ?? {})).toEqual(['process', 'time']);
  });

  it('the checker itself catches wrong names, forms and zero values', () => {
    const bad = {
      process_exec: {
        process: {
          exec_id: '',
          pidd: 1,
          start_time: 1700000000,
          cap: { effective: ['CAP_NOPE'] },
          refcnt: 0,
          ns: { net: { inum: '5' } },
        },
      },
      process_exit: {},
      time: '2024-05-01 10:00',
    };
    const problems = check(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('process_exec.process.exec_id: empty string'),
        expect.stringContaining('process_exec.process.pidd: no such field in Process'),
        expect.stringContaining('process_exec.process.start_time: expected an RFC 3339'),
        expect.stringContaining('process_exec.process.cap.effective[0]: not a value of enum CapabilitiesType'),
        expect.stringContaining('process_exec.process.refcnt: 0'),
        expect.stringContaining('process_exec.process.ns.net.inum: expected an integer'),
        expect.stringContaining('oneof event has process_exec and process_exit'),
        expect.stringContaining('time: expected an RFC 3339'),
      ]),
    );
  });

  it('makeProcess drops what protojson omits and keeps set wrappers at 0', () => {
    expect(
      makeProcess({ binary: '/bin/sh', cwd: '', arguments: '', uid: 0, refcnt: 0, parent_exec_id: undefined }),
    ).toEqual({ uid: 0, binary: '/bin/sh' });
  });
});
