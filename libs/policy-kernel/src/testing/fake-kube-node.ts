/**
 * Test support (not used by Vigil itself): pods' cgroups on a real cgroup2 hierarchy, named as a
 * Kubernetes node names them, for kernel tests of workload-scoped policies. Import it from
 * "@vigil/policy-kernel/dist/testing/fake-kube-node".
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomUUID, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCgroup2Mount } from '@vigil/kernel-probe';
import type { PodInfo } from '../workloads';

/** Where cgroup v2 is mounted (/sys/fs/cgroup/unified here, /sys/fs/cgroup on most). */
export function cgroup2Root(): string {
  const root = findCgroup2Mount();
  if (!root) throw new Error('no cgroup2 mount');
  return root;
}

/**
 * A pod's cgroups as kubelet (systemd driver) and containerd name them, under a test-owned
 * parent: <root>/vigil-test-<rand>/kubepods.slice/kubepods-pod<uid>.slice/cri-containerd-<id>.scope.
 */
export class FakeKubeNode {
  readonly base = path.join(cgroup2Root(), `vigil-test-${randomBytes(4).toString('hex')}`);
  readonly pods: PodInfo[] = [];
  private readonly dirs: string[] = [];

  /** A pod with one container; returns the container's cgroup directory. */
  addPod(
    namespace: string,
    name: string,
    labels: Record<string, string> = {},
    containerName = 'main',
  ): { pod: PodInfo; cgroup: string } {
    const uid = randomUUID();
    const id = randomBytes(32).toString('hex');
    const podDir = path.join(this.base, 'kubepods.slice', `kubepods-pod${uid.replace(/-/g, '_')}.slice`);
    const cgroup = path.join(podDir, `cri-containerd-${id}.scope`);
    fs.mkdirSync(cgroup, { recursive: true });
    this.dirs.push(cgroup, podDir);
    const pod: PodInfo = {
      uid,
      namespace,
      name,
      labels,
      containers: [{ id, name: containerName, image: 'example.com/app:1' }],
    };
    this.pods.push(pod);
    return { pod, cgroup };
  }

  /** Runs a command inside a cgroup (the shell moves itself in, then execs). */
  static runIn(cgroup: string, cmd: string[]): SpawnSyncReturns<string> {
    const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawnSync('/bin/sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec ${quoted}`], { encoding: 'utf8' });
  }

  /** The static workload file the collector would read. */
  writeWorkloadFile(): string {
    const file = path.join(os.tmpdir(), `vigil-workloads-${randomBytes(4).toString('hex')}.json`);
    fs.writeFileSync(file, JSON.stringify({ pods: this.pods }));
    return file;
  }

  /** Removes the cgroups (empty by then: every test process has exited). */
  remove(): void {
    const all = [...new Set([...this.dirs, ...this.dirs.map((d) => path.dirname(d))])].sort(
      (a, b) => b.length - a.length,
    );
    for (const d of [...all, path.join(this.base, 'kubepods.slice'), this.base]) {
      try {
        fs.rmdirSync(d);
      } catch {
        /* already gone or not empty yet */
      }
    }
  }
}
