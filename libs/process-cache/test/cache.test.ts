import {
  BootClock,
  descriptorProblems,
  execId,
  kernelExecId,
  KERNEL_KTIME,
  type GetEventsResponse,
} from '@vigil/events';
import { describe, expect, it } from 'vitest';
import { ProcessCache, type ProcessCacheOptions } from '../src/process-cache';
import { kernelPseudoProcess, readProcess } from '../src/proc-seed';
import { clock, exec, exit, fork, hostNs, MS, NODE, seeded, tetragonDescriptor } from './raw';

const INIT_K = 100n * MS;
const id = (pid: number, ktime: bigint): string => execId(NODE, ktime, pid);
const initId = id(1, INIT_K);

/** A cache that knows "<kernel>" and init (pid 1), as after seeding from /proc. */
function newCache(options: Partial<ProcessCacheOptions> = {}): ProcessCache {
  const cache = new ProcessCache({ nodeName: NODE, clock, hostNamespaces: hostNs, ...options });
  cache.seed([kernelPseudoProcess(), seeded(1, INIT_K, 0, KERNEL_KTIME)]);
  return cache;
}

/** fork + exec of `pid` under a parent image, as the kernel reports a new program starting. */
function spawnProc(
  cache: ProcessCache,
  pid: number,
  ktime: bigint,
  ppid: number,
  parentKtime: bigint,
): GetEventsResponse {
  cache.ingest(fork(pid, ktime, ppid, parentKtime));
  return cache.ingest(exec(pid, ktime + 1n * MS, ppid, parentKtime)) as GetEventsResponse;
}

describe('ProcessCache: lifecycle', () => {
  it('fork → exec → exit yields Tetragon events with process and parent', () => {
    const cache = newCache();
    expect(cache.ingest(fork(200, 1000n * MS, 1, INIT_K))).toBeUndefined();
    const clone = cache.get(id(200, 1000n * MS));
    expect(clone?.process).toMatchObject({
      binary: '/usr/bin/prog1',
      flags: 'clone',
      parent_exec_id: initId,
      pid: 200,
    });

    const ev = cache.ingest(exec(200, 1001n * MS, 1, INIT_K)) as GetEventsResponse;
    expect(
      descriptorProblems(tetragonDescriptor(), 'tetragon', 'GetEventsResponse', JSON.parse(JSON.stringify(ev))),
    ).toEqual([]);
    expect(ev.node_name).toBe(NODE);
    expect(ev.time).toBe('2023-11-14T22:13:21.001Z');
    expect(ev.process_exec?.process).toMatchObject({
      exec_id: id(200, 1001n * MS),
      pid: 200,
      uid: 1000,
      cwd: '/home/u',
      binary: '/usr/bin/prog200',
      arguments: '--id 200',
      flags: 'execve clone',
      start_time: '2023-11-14T22:13:21.001Z',
      auid: 1000,
      parent_exec_id: initId,
      tid: 200,
    });
    expect(ev.process_exec?.process?.ns?.net).toEqual({ inum: 15, is_host: true });
    expect(ev.process_exec?.parent?.exec_id).toBe(initId);
    expect(clone?.alive).toBe(false); // the clone image was replaced by the exec
    expect(cache.getByPid(200)?.execId).toBe(id(200, 1001n * MS));
    expect(cache.get(initId)?.refcnt).toBe(2); // itself + the child

    const ex = cache.ingest(exit(200, 1001n * MS, 9)) as GetEventsResponse;
    expect(ex.process_exit).toMatchObject({
      signal: 'SIGKILL',
      process: { exec_id: id(200, 1001n * MS) },
      parent: { exec_id: initId },
    });
    expect(ex.process_exit).not.toHaveProperty('status');
    expect(
      descriptorProblems(tetragonDescriptor(), 'tetragon', 'GetEventsResponse', JSON.parse(JSON.stringify(ex))),
    ).toEqual([]);
    expect(cache.getByPid(200)).toBeUndefined();
    expect(cache.get(initId)?.refcnt).toBe(1);
    expect(cache.get(id(200, 1001n * MS))?.refcnt).toBe(0);
  });

  it('seeds "<kernel>" → init with Tetragon ids, procFS flags and exec events', () => {
    const cache = new ProcessCache({ nodeName: NODE, clock });
    const events = cache.seed([seeded(1, INIT_K, 0, KERNEL_KTIME), kernelPseudoProcess()]);
    expect(events.map((e) => e.process_exec?.process?.binary)).toEqual(['<kernel>', '/usr/bin/prog1']);
    expect(events[1]?.process_exec?.process).toMatchObject({
      flags: 'procFS auid',
      parent_exec_id: kernelExecId(NODE),
    });
    expect(events[1]?.process_exec?.parent?.binary).toBe('<kernel>');
    expect(events[0]?.process_exec?.process).not.toHaveProperty('parent_exec_id');
  });
});

describe('ProcessCache: out-of-order and missing events', () => {
  it('exit before its fork: minimal "miss" process emitted, the late fork is cached as exited', () => {
    const cache = newCache();
    const ev = cache.ingest(exit(300, 2000n * MS, 1 << 8)) as GetEventsResponse;
    expect(ev.process_exit?.process).toEqual({
      exec_id: id(300, 2000n * MS),
      pid: 300,
      flags: 'miss',
      start_time: '2023-11-14T22:13:22Z',
      tid: 300,
    });
    expect(ev.process_exit?.status).toBe(1);
    expect(cache.ingest(fork(300, 2000n * MS, 1, INIT_K))).toBeUndefined();
    expect(cache.get(id(300, 2000n * MS))).toMatchObject({ alive: false, refcnt: 0 });
    expect(cache.getByPid(300)).toBeUndefined();
    expect(cache.get(initId)?.refcnt).toBe(1);
    expect(cache.metrics()).toMatchObject({ exitsWithoutProcess: 1, startsAfterExit: 1 });
  });

  it('exit of a process never seen and without ktime: pid only', () => {
    const ev = newCache().ingest(exit(301, 0n, 15)) as GetEventsResponse;
    expect(ev.process_exit?.process).toEqual({ pid: 301, flags: 'miss', tid: 301 });
    expect(ev.process_exit?.signal).toBe('SIGTERM');
  });

  it('child exec before its parent: parent_exec_id empty and counted, linked when the parent arrives', () => {
    const cache = newCache();
    const child = cache.ingest(exec(401, 3000n * MS, 400, 2900n * MS)) as GetEventsResponse;
    expect(child.process_exec?.process).not.toHaveProperty('parent_exec_id');
    expect(child.process_exec).not.toHaveProperty('parent');
    expect(cache.metrics().parentsUnknown).toBe(1);

    cache.ingest(exec(400, 2900n * MS, 1, INIT_K));
    const linked = cache.get(id(401, 3000n * MS));
    expect(linked?.parentExecId).toBe(id(400, 2900n * MS));
    expect(linked?.process.parent_exec_id).toBe(id(400, 2900n * MS));
    expect(Object.keys(linked?.process ?? {}).indexOf('parent_exec_id')).toBeLessThan(
      Object.keys(linked?.process ?? {}).indexOf('tid'),
    );
    expect(cache.get(id(400, 2900n * MS))?.refcnt).toBe(2);
    expect(cache.ancestors(id(401, 3000n * MS)).map((p) => p.pid)).toEqual([400, 1]);
    expect(cache.metrics()).toMatchObject({ parentsUnknown: 1, parentsLinkedLate: 1 });
  });

  it('a fork whose parent comes later gets the parent image copied in; a newer process with that pid is not adopted', () => {
    const cache = newCache();
    cache.ingest(fork(501, 3000n * MS, 500, 0n));
    expect(cache.get(id(501, 3000n * MS))?.process.flags).toBe('miss clone');
    cache.ingest(fork(601, 3000n * MS, 600, 0n));
    cache.ingest(exec(500, 2500n * MS, 1, INIT_K));
    cache.ingest(exec(600, 3500n * MS, 1, INIT_K)); // started after the orphan: pid reuse, not its parent
    expect(cache.get(id(501, 3000n * MS))?.process).toMatchObject({
      binary: '/usr/bin/prog500',
      flags: 'clone',
      parent_exec_id: id(500, 2500n * MS),
    });
    expect(cache.get(id(601, 3000n * MS))?.parentExecId).toBe('');
    expect(cache.metrics().parentsLinkedLate).toBe(1);
  });

  it('a parent seeded from /proc is found by pid (the kernel reports parentKtime 0 for it)', () => {
    const cache = newCache();
    cache.seed([seeded(700, 50n * MS, 1, INIT_K)]);
    const ev = cache.ingest(exec(701, 5000n * MS, 700, 0n)) as GetEventsResponse;
    expect(ev.process_exec?.parent?.exec_id).toBe(id(700, 50n * MS));
    expect(ev.process_exec?.parent?.flags).toBe('procFS auid');
    // Its exit, with the kernel's ns start time (the seed has it floored to a 10 ms tick).
    const ex = cache.ingest(exit(700, 50n * MS + 3_141_592n)) as GetEventsResponse;
    expect(ex.process_exit?.process?.exec_id).toBe(id(700, 50n * MS));
    expect(cache.metrics().exitsWithoutProcess).toBe(0);
  });

  it('exec of a /proc-seeded process: new exec_id, parent is the real parent, the seeded image retires', () => {
    const cache = newCache();
    cache.seed([seeded(800, 60n * MS, 1, INIT_K)]);
    const ev = cache.ingest(exec(800, 6000n * MS, 1, 0n)) as GetEventsResponse;
    expect(ev.process_exec?.process).toMatchObject({
      exec_id: id(800, 6000n * MS),
      flags: 'execve',
      parent_exec_id: initId,
    });
    expect(cache.get(id(800, 60n * MS))).toMatchObject({ alive: false, refcnt: 0 });
    expect(cache.getByPid(800)?.execId).toBe(id(800, 6000n * MS));
    expect(cache.ingest(exit(800, 0n))?.process_exit?.process?.exec_id).toBe(id(800, 6000n * MS));
  });

  it('a /proc snapshot older than what the kernel reported is ignored', () => {
    const cache = newCache();
    spawnProc(cache, 900, 7000n * MS, 1, INIT_K);
    expect(cache.seed([seeded(900, 7000n * MS, 1, INIT_K)])).toEqual([]);
    expect(cache.metrics().duplicates).toBe(1);
  });

  it('counts a fork that takes the pid of a process whose exit was lost', () => {
    const cache = newCache();
    spawnProc(cache, 950, 7000n * MS, 1, INIT_K);
    cache.ingest(fork(950, 9000n * MS, 1, INIT_K));
    expect(cache.metrics().missedExits).toBe(1);
    expect(cache.get(id(950, 7001n * MS))?.alive).toBe(false);
  });
});

describe('ProcessCache: ancestry', () => {
  it('walks a 100-deep chain, and puts the ancestors above the parent into events', () => {
    const cache = newCache({ ancestors: true });
    let parentPid = 1;
    let parentK = INIT_K;
    let last: GetEventsResponse | undefined;
    for (let i = 0; i < 100; i++) {
      const pid = 1000 + i;
      const k = (10_000n + 2n * BigInt(i)) * MS;
      last = spawnProc(cache, pid, k, parentPid, parentK);
      parentPid = pid;
      parentK = k + MS;
    }
    const leaf = id(1099, parentK);
    const chain = cache.ancestors(leaf);
    expect(chain).toHaveLength(100);
    expect(chain.map((p) => p.pid)).toEqual([...Array.from({ length: 99 }, (_, i) => 1098 - i), 1]);
    expect(cache.ancestors(leaf, 10).map((p) => p.pid)).toEqual(Array.from({ length: 10 }, (_, i) => 1098 - i));
    expect(last?.process_exec?.parent?.pid).toBe(1098);
    expect(last?.process_exec?.ancestors?.map((p) => p.pid)).toEqual([
      ...Array.from({ length: 98 }, (_, i) => 1097 - i),
      1,
    ]);
    expect(
      descriptorProblems(tetragonDescriptor(), 'tetragon', 'GetEventsResponse', JSON.parse(JSON.stringify(last))),
    ).toEqual([]);
  });

  it('event processes are copies: changing one does not change the cache', () => {
    const cache = newCache();
    const ev = spawnProc(cache, 1200, 20_000n * MS, 1, INIT_K);
    (ev.process_exec?.process as { binary?: string }).binary = '/tmp/evil';
    expect(cache.getByPid(1200)?.process.binary).toBe('/usr/bin/prog1200');
  });
});

describe('ProcessCache: capacity and reference counts', () => {
  it('evicts the least recently used unreferenced entries first and counts every eviction', () => {
    const cache = newCache({ capacity: 50 });
    for (let i = 0; i < 5; i++) spawnProc(cache, 2000 + i, (30_000n + BigInt(i) * 10n) * MS, 1, INIT_K); // stay alive
    for (let i = 0; i < 100; i++) {
      const k = (40_000n + BigInt(i) * 10n) * MS;
      spawnProc(cache, 3000 + i, k, 1, INIT_K);
      cache.ingest(exit(3000 + i, k + MS));
    }
    const m = cache.metrics();
    expect(m.size).toBe(50);
    expect(m.evictions).toBe(2 + 5 * 2 + 100 * 2 - 50);
    expect(m.evictionsReferenced).toBe(0);
    for (let i = 0; i < 5; i++) expect(cache.getByPid(2000 + i)?.alive).toBe(true);
    expect(cache.get(initId)).toBeDefined();
    expect(cache.get(kernelExecId(NODE))).toBeDefined();
    expect(cache.getByPid(3099)).toBeUndefined(); // exited
    expect(cache.get(id(3099, (40_000n + 990n) * MS + MS))).toBeDefined(); // but still cached: most recent
    expect(cache.get(id(3000, 40_000n * MS + MS))).toBeUndefined(); // oldest exited: evicted
  });

  it('when every entry is referenced, evicts the least recently used anyway (and says so)', () => {
    const cache = newCache({ capacity: 10 });
    for (let i = 0; i < 12; i++) cache.ingest(exec(4000 + i, (50_000n + BigInt(i)) * MS, 1, INIT_K));
    const m = cache.metrics();
    expect(m.size).toBe(10);
    expect(m.evictions).toBe(4);
    expect(m.evictionsReferenced).toBe(4);
    expect(cache.getByPid(4011)).toBeDefined();
    expect(cache.getByPid(4000)).toBeUndefined();
  });

  it('keeps an exited parent while its child lives, releases it when the child exits', () => {
    const cache = newCache({ capacity: 20 });
    spawnProc(cache, 5000, 60_000n * MS, 1, INIT_K);
    const parentK = 60_001n * MS;
    spawnProc(cache, 5001, 60_010n * MS, 5000, parentK);
    cache.ingest(exit(5000, parentK));
    expect(cache.get(id(5000, parentK))).toMatchObject({ alive: false, refcnt: 1 });
    for (let i = 0; i < 50; i++) {
      const k = (61_000n + BigInt(i) * 10n) * MS;
      spawnProc(cache, 6000 + i, k, 1, INIT_K);
      cache.ingest(exit(6000 + i, k + MS));
    }
    expect(cache.metrics().evictions).toBeGreaterThan(50);
    const childExit = cache.ingest(exit(5001, 60_011n * MS)) as GetEventsResponse;
    expect(childExit.process_exit?.parent?.exec_id).toBe(id(5000, parentK)); // still resolvable
    expect(cache.get(id(5000, parentK))?.refcnt).toBe(0);
    for (let i = 0; i < 50; i++) cache.ingest(exec(7000 + i, (70_000n + BigInt(i)) * MS, 1, INIT_K));
    expect(cache.get(id(5000, parentK))).toBeUndefined(); // evictable once unreferenced
  });

  it('a late child of an exited process pins its whole ancestry again', () => {
    const cache = newCache();
    spawnProc(cache, 8000, 80_000n * MS, 1, INIT_K);
    const gK = 80_001n * MS;
    spawnProc(cache, 8001, 80_010n * MS, 8000, gK);
    const pK = 80_011n * MS;
    cache.ingest(exit(8001, pK));
    cache.ingest(exit(8000, gK));
    expect(cache.get(id(8000, gK))?.refcnt).toBe(0);
    cache.ingest(fork(8002, 80_020n * MS, 8001, pK)); // forked before 8001 exited, reported late
    expect(cache.get(id(8001, pK))).toMatchObject({ refcnt: 1, holdsParentRef: true });
    expect(cache.get(id(8000, gK))?.refcnt).toBe(1);
    cache.ingest(exit(8002, 80_020n * MS));
    expect(cache.get(id(8000, gK))?.refcnt).toBe(0);
    expect(cache.get(id(8001, pK))?.refcnt).toBe(0);
  });
});

describe('ProcessCache: /proc fallback for unknown parents', () => {
  it('reads the parent (and its ancestry) from /proc: here the test runner itself', () => {
    const cache = new ProcessCache({
      nodeName: NODE,
      clock: BootClock.calibrate(),
      procFallback: (pid) => readProcess(pid),
    });
    const now = BootClock.calibrate().nowBootNs();
    const ev = cache.ingest(exec(4_000_000, now, process.pid, 0n)) as GetEventsResponse;
    expect(ev.process_exec?.parent).toMatchObject({ pid: process.pid, binary: '/usr/bin/node', cwd: process.cwd() });
    expect(ev.process_exec?.parent?.flags).toMatch(/^procFS auid/);
    expect(cache.get(ev.process_exec?.process?.parent_exec_id ?? '')?.parentExecId).not.toBe('');
    expect(cache.ancestors(ev.process_exec?.process?.exec_id ?? '')[1]?.pid).toBe(process.ppid);
    expect(cache.metrics().procFallbacks).toBeGreaterThanOrEqual(2);
    expect(cache.metrics().parentsUnknown).toBe(0);
  });

  it('a fallback that throws or finds nothing leaves the parent unknown', () => {
    const cache = new ProcessCache({
      nodeName: NODE,
      clock,
      procFallback: () => {
        throw new Error('boom');
      },
    });
    expect(cache.ingest(exec(10, 5n * MS, 9, 0n))?.process_exec?.process).not.toHaveProperty('parent_exec_id');
    expect(cache.metrics().parentsUnknown).toBe(1);
  });
});
