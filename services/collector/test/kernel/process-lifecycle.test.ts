import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execId, formatArguments, parseExecId } from '@vigil/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroup2Root, kernelSkipReason, NODE, startPipeline } from './harness';

const NAMESPACES = ['uts', 'ipc', 'mnt', 'pid', 'net', 'cgroup', 'time', 'user'] as const;

describe.skipIf(kernelSkipReason)('process lifecycle through the collector pipeline (real kernel)', () => {
  let harness: ReturnType<typeof startPipeline>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-lifecycle-'));
  const cgroup = path.join(cgroup2Root(), `vigil-test-${process.pid}`);

  beforeAll(() => {
    fs.chmodSync(dir, 0o777);
    fs.mkdirSync(cgroup, { recursive: true });
    harness = startPipeline();
  });

  afterAll(async () => {
    await harness.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmdirSync(cgroup);
  });

  it('reports every field of a process started in a fresh cgroup and new namespaces, as another user, and its exit code', async () => {
    const marker = `lifecycle-${process.pid}`;
    // The target records its own namespace inodes, then exits 7. It runs as uid/gid 4321 in `dir`,
    // in a new cgroup-v2 child and new uts/ipc/mnt/pid/net/cgroup/time namespaces.
    fs.writeFileSync(
      path.join(dir, 'target.sh'),
      `for n in ${NAMESPACES.join(' ')}; do readlink /proc/self/ns/$n; done > ns.txt; exit 7\n`,
    );
    const inner = `cd ${dir} && exec /bin/sh ./target.sh ${marker} 'two words'`;
    const launcher = spawn('/bin/sh', [
      '-c',
      `echo $$ > ${cgroup}/cgroup.procs && exec unshare --uts --ipc --net --mount --pid --cgroup --time --fork -- ` +
        `setpriv --reuid=4321 --regid=4321 --clear-groups -- /bin/sh -c "${inner}"`,
    ]);
    const launcherExit = await new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    expect(launcherExit).toBe(7);

    const exec = await harness.waitFor(
      () => harness.execOf((p) => p.arguments?.includes(marker) === true && p.cwd === dir),
      'the target exec',
    );
    const p = exec.process;
    const exit = await harness.waitFor(() => harness.exitOf(p.exec_id), 'the target exit');
    const unshare = harness.execOf((q) => q.pid === launcher.pid && q.binary === '/usr/bin/unshare');
    expect(unshare, 'the launcher exec of unshare').toBeDefined();

    const loginuid = Number(fs.readFileSync('/proc/self/loginuid', 'utf8'));
    const recordedNs = fs.readFileSync(path.join(dir, 'ns.txt'), 'utf8').trim().split('\n');
    const inum = (n: string) =>
      Number(/\[(\d+)\]/.exec(recordedNs[NAMESPACES.indexOf(n as (typeof NAMESPACES)[number])]!)![1]);
    const hostInum = (n: string) => Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/ns/${n}`))![1]);

    const { ktime, pid, node } = parseExecId(p.exec_id)!;
    expect(node).toBe(NODE);
    expect(p.exec_id).toBe(execId(NODE, ktime, pid));
    expect(p.pid).toBe(pid);
    expect(p.pid).toBeGreaterThan(launcher.pid!);
    expect(p.tid).toBe(p.pid);
    expect(p.uid).toBe(4321);
    expect(p.auid).toBe(loginuid);
    expect(p.cwd).toBe(dir);
    expect(p.binary).toBe(fs.realpathSync('/bin/sh'));
    expect(p.arguments).toBe(formatArguments(['./target.sh', marker, 'two words']));
    expect(p.flags).toBe('execve');
    expect(Math.abs(Date.parse(p.start_time!) - Date.now())).toBeLessThan(30_000);
    expect(p.parent_exec_id).toBe(unshare!.process.exec_id);
    expect(exec.parent?.exec_id).toBe(unshare!.process.exec_id);
    expect(exec.parent?.binary).toBe('/usr/bin/unshare');
    expect(p.process_credentials).toMatchObject({
      uid: 4321,
      gid: 4321,
      euid: 4321,
      egid: 4321,
      suid: 4321,
      sgid: 4321,
      fsuid: 4321,
      fsgid: 4321,
    });
    // A non-root exec without ambient capabilities ends with empty permitted and effective sets.
    expect(p.cap?.permitted ?? []).toEqual([]);
    expect(p.cap?.effective ?? []).toEqual([]);
    for (const n of ['uts', 'ipc', 'mnt', 'pid', 'net', 'cgroup', 'time'] as const) {
      expect(p.ns?.[n], n).toEqual({ inum: inum(n) });
      expect(inum(n), `${n} is new`).not.toBe(hostInum(n));
    }
    expect(p.ns?.user).toEqual({ inum: inum('user'), is_host: true });

    const cached = harness.cache.get(p.exec_id)!;
    expect(cached.cgroupPath).toBe(`/${path.basename(cgroup)}`);
    expect(cached.cgroupId).toBe(BigInt(fs.statSync(cgroup).ino));

    expect(exit.status).toBe(7);
    expect(exit.signal).toBeUndefined();
    expect(exit.process?.exec_id).toBe(p.exec_id);
    expect(exit.parent?.exec_id).toBe(unshare!.process.exec_id);
  });

  it('reports the signal of a killed process', async () => {
    const child = spawn('/bin/sleep', ['300']);
    const exec = await harness.waitFor(
      () => harness.execOf((p) => p.pid === child.pid && p.binary === '/usr/bin/sleep'),
      'sleep exec',
    );
    child.kill('SIGKILL');
    const exit = await harness.waitFor(() => harness.exitOf(exec.process.exec_id), 'sleep exit');
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.status ?? 0).toBe(0);
  });

  it('links a child to the parent that forked it, across a fork without exec', async () => {
    // sh forks a subshell (no exec), which forks again for its first command: that true's parent
    // is the subshell, a clone that never exec'd. (The last command of a subshell is exec'd in place.)
    const res = spawnSync('/bin/sh', ['-c', `( /bin/true fork-marker-${process.pid}; /bin/true ); exit 0`]);
    expect(res.status).toBe(0);
    const exec = await harness.waitFor(
      () => harness.execOf((p) => p.arguments === `fork-marker-${process.pid}`),
      'true exec',
    );
    const sh = harness.execOf((p) => p.pid === res.pid);
    expect(sh).toBeDefined();
    const parent = harness.cache.get(exec.process.parent_exec_id!);
    expect(parent?.pid).not.toBe(res.pid);
    expect(parent?.process.flags).toContain('clone');
    expect(parent?.parentExecId).toBe(sh!.process.exec_id);
  });
});
