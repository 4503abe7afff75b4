import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BootClock,
  epochNsFromTimestamp,
  execId,
  kernelExecId,
  descriptorProblems,
  type GetEventsResponse,
} from '@vigil/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCache } from '../src/process-cache';
import { clockTicksPerSecond, hostNamespaces, readNamespaces, readProcess, readProcFs } from '../src/proc-seed';
import { tetragonDescriptor } from './raw';

const NODE = 'seed-node';
let child: ChildProcess;
let spawnedAtNs: bigint;

beforeAll(async () => {
  spawnedAtNs = BigInt(Date.now()) * 1_000_000n;
  child = spawn('sleep', ['30'], { cwd: '/tmp' });
  await new Promise((resolve) => child.once('spawn', resolve));
});
afterAll(() => {
  child.kill('SIGKILL');
});

describe('readProcFs', () => {
  it('finds the test runner with its ppid, binary and cwd, and the spawned child with its args', () => {
    const { processes } = readProcFs();
    const self = processes.find((p) => p.pid === process.pid);
    expect(self).toMatchObject({
      kind: 'exec',
      ppid: process.ppid,
      binary: '/usr/bin/node',
      cwd: process.cwd(),
      tid: process.pid,
    });
    expect(self?.creds).toMatchObject({ uid: process.getuid?.(), gid: process.getgid?.() });
    expect(self?.ns.pid).toBeGreaterThan(0);
    const sleep = processes.find((p) => p.pid === child.pid);
    expect(sleep).toMatchObject({
      ppid: process.pid,
      binary: '/usr/bin/sleep',
      args: ['30'],
      argv0: 'sleep',
      cwd: '/tmp',
    });
    expect(sleep?.parentKtime).toBe(self?.ktime); // parent identity read from its own stat
  });

  it('gives start times on the kernel ktime base (CLOCK_BOOTTIME, tick-floored)', () => {
    const sleep = readProcess(child.pid as number);
    const wall = BootClock.calibrate().toEpochNs(sleep?.ktime ?? 0n);
    const tick = 1_000_000_000n / BigInt(clockTicksPerSecond());
    expect(wall).toBeGreaterThanOrEqual(spawnedAtNs - tick - 2_000_000n);
    expect(wall).toBeLessThanOrEqual(spawnedAtNs + 1_000_000_000n);
  });

  it('keeps kernel threads the Tetragon way: comm as binary, no args, parent kthreadd', () => {
    const { processes } = readProcFs();
    const kthreadd = processes.find((p) => p.pid === 2);
    expect(kthreadd).toMatchObject({ binary: 'kthreadd', args: [], ppid: 0 });
    const worker = processes.find((p) => p.ppid === 2);
    expect(worker?.binary).toMatch(/^[\w/:.+-]+/);
    expect(worker?.args).toEqual([]);
    expect(processes[0]).toMatchObject({ pid: 0, binary: '<kernel>', ktime: 1n });
  });

  it('reads namespaces, falling back to its own for the host when pid 1 hides them', () => {
    const self = readNamespaces('self');
    expect(self.net).toBeGreaterThan(0);
    expect(hostNamespaces()).toEqual(self); // on these VMs pid 1's ns links are EACCES
  });

  it('returns undefined for a process that does not exist', () => {
    expect(readProcess(2 ** 22 + 12345)).toBeUndefined();
  });
});

/** A fake /proc with a vanished pid, a zombie and an oddly named process with a deleted binary. */
function fakeProc(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fakeproc-'));
  mkdirSync(path.join(root, '100')); // listed, then gone before we read it
  const zombie = path.join(root, '101');
  mkdirSync(zombie);
  writeFileSync(path.join(zombie, 'stat'), '101 (defunct) Z 1 101 101 0 -1 4194308 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0');
  const odd = path.join(root, '102');
  mkdirSync(odd);
  writeFileSync(path.join(odd, 'stat'), '102 (we ird) (x)) S 1 102 102 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1234 0 0');
  writeFileSync(
    path.join(odd, 'status'),
    'Name:\tx\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nCapInh:\t0000000000000000\nCapPrm:\t0000000000200000\nCapEff:\t0000000000200001\n',
  );
  writeFileSync(path.join(odd, 'cmdline'), 'odd\0--flag\0two words\0');
  writeFileSync(path.join(odd, 'loginuid'), '1000');
  writeFileSync(path.join(odd, 'cgroup'), '4:memory:/x\n0::/kubepods/pod1/abc\n');
  symlinkSync('/opt/app/odd (deleted)', path.join(odd, 'exe'));
  symlinkSync('/', path.join(odd, 'cwd'));
  writeFileSync(path.join(root, 'not-a-pid'), '');
  return root;
}

describe('readProcFs robustness', () => {
  it('skips vanished processes and zombies (counted), parses hard stat and status lines', () => {
    const result = readProcFs({ procRoot: fakeProc(), clockTicksPerSecond: 100, cgroup2Root: '' });
    expect(result).toMatchObject({ vanished: 1, zombies: 1, failed: 0 });
    const odd = result.processes.find((p) => p.pid === 102);
    expect(odd).toMatchObject({
      ktime: 12_340_000_000n,
      ppid: 1,
      parentKtime: 0n, // pid 1 is not in the fake tree
      binary: '/opt/app/odd',
      args: ['--flag', 'two words'],
      argv0: 'odd',
      cwd: '/',
      cgroupPath: '/kubepods/pod1/abc',
      creds: { uid: 1, euid: 2, suid: 3, fsuid: 4, gid: 5, egid: 6, sgid: 7, fsgid: 8, auid: 1000 },
      caps: { inheritable: 0n, permitted: 1n << 21n, effective: (1n << 21n) | 1n },
    });
    const cache = new ProcessCache({ nodeName: NODE, clock: BootClock.fromOffset(0n) });
    const [, ev] = cache.seed(result.processes);
    expect(ev?.process_exec?.process).toMatchObject({
      flags: 'procFS auid rootcwd',
      arguments: '--flag "two words"',
      cap: { permitted: ['CAP_SYS_ADMIN'], effective: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] },
    });
  });
});

describe('seeding the cache from /proc', () => {
  it('links the runner to its parent and the spawned child to the runner, with Tetragon-shaped events', () => {
    const clock = BootClock.calibrate();
    const cache = new ProcessCache({ nodeName: NODE, clock, hostNamespaces: hostNamespaces(), ancestors: true });
    const { processes } = readProcFs();
    const events = cache.seed(processes);
    expect(events.length).toBe(processes.length);
    const descriptor = tetragonDescriptor();
    for (const ev of events)
      expect(descriptorProblems(descriptor, 'tetragon', 'GetEventsResponse', JSON.parse(JSON.stringify(ev)))).toEqual(
        [],
      );

    const self = cache.getByPid(process.pid);
    const parent = cache.getByPid(process.ppid);
    expect(self?.parentExecId).toBe(parent?.execId);
    expect(self?.process.binary).toBe('/usr/bin/node');
    expect(self?.process.flags).toBe('procFS auid');

    const sleepEv = events.find((e) => e.process_exec?.process?.pid === child.pid) as GetEventsResponse;
    const sleep = sleepEv.process_exec?.process;
    expect(sleep).toMatchObject({
      binary: '/usr/bin/sleep',
      arguments: '30',
      cwd: '/tmp',
      flags: 'procFS auid',
      parent_exec_id: self?.execId,
    });
    expect(sleepEv.process_exec?.parent?.pid).toBe(process.pid);
    expect(sleepEv.process_exec?.ancestors?.[0]?.pid).toBe(process.ppid);
    expect(sleep?.ns?.net).toMatchObject({ is_host: true });
    expect(sleep?.exec_id).toBe(execId(NODE, readProcess(child.pid as number)?.ktime ?? 0n, child.pid as number));
    const started = epochNsFromTimestamp(sleep?.start_time ?? '') ?? 0n;
    expect(started > spawnedAtNs - 20_000_000n && started < spawnedAtNs + 1_000_000_000n).toBe(true);

    expect(cache.getByPid(1)?.parentExecId).toBe(kernelExecId(NODE));
    expect(cache.getByPid(2)?.parentExecId).toBe(kernelExecId(NODE));
    expect(cache.metrics().parentsUnknown).toBe(0);
  });

  it('the kernel later reporting the seeded child exit (ktime unknown: 0) resolves it', async () => {
    const cache = new ProcessCache({ nodeName: NODE, clock: BootClock.calibrate() });
    cache.seed(readProcFs().processes);
    const victim = spawn('sleep', ['30']);
    await new Promise((r) => victim.once('spawn', r));
    cache.seed([readProcess(victim.pid as number)].filter((p) => p !== undefined));
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    const ev = cache.ingest({
      kind: 'exit',
      time: BootClock.calibrate().nowBootNs(),
      ktime: 0n,
      pid: victim.pid as number,
      tid: victim.pid as number,
      status: 9,
      flags: 0,
    });
    expect(ev?.process_exit).toMatchObject({
      signal: 'SIGKILL',
      process: { binary: '/usr/bin/sleep', arguments: '30' },
      parent: { pid: process.pid },
    });
  });
});
