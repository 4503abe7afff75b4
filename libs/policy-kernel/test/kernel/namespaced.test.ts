/**
 * TracingPolicyNamespaced, podSelector and containerSelector on the real kernel: the policy's
 * hooks fire only for tasks in the cgroups of the workloads in scope, and follow workloads as
 * they come and go (refreshWorkloads). Workloads come from pod cgroups named as kubelet and
 * containerd name them, and a static mapping file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeKernel } from '@vigil/kernel-probe';
import { hostNamespaces } from '@vigil/process-cache';
import { parsePolicy } from '@vigil/policy';
import {
  kernelFromProbe,
  tracedSyscalls,
  kernelFunctions,
  PolicyRuntime,
  readWorkloadFile,
  scanPodCgroups,
  SYSCALLS_X86_64,
} from '../../src/index';
import { cgroup2Root, FakeKubeNode } from '../../src/testing/fake-kube-node';

const skip = process.getuid?.() !== 0 ? 'needs root' : undefined;
if (skip) console.warn(`SKIPPED namespaced policy kernel tests: ${skip}`);

describe.skipIf(skip !== undefined)('workload-scoped policies (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ns-'));
  const secret = path.join(dir, 'secret.txt');
  const myCat = path.join(dir, 'cat');
  const node = new FakeKubeNode();
  let workloadFile = '';
  let runtime: PolicyRuntime;

  beforeAll(async () => {
    fs.writeFileSync(secret, 'the secret content\n');
    fs.copyFileSync('/usr/bin/cat', myCat);
    fs.chmodSync(myCat, 0o755);
    runtime = new PolicyRuntime({
      kernel: kernelFromProbe(
        await probeKernel(),
        tracedSyscalls(SYSCALLS_X86_64),
        hostNamespaces(),
        kernelFunctions(),
      ),
      workloads: { pods: () => readWorkloadFile(workloadFile), cgroups: () => scanPodCgroups(cgroup2Root()) },
    });
  }, 60_000);
  afterAll(() => {
    runtime?.close();
    node.remove();
    fs.rmSync(dir, { recursive: true, force: true });
    if (workloadFile) fs.rmSync(workloadFile, { force: true });
  });

  const policy = (kind: string, extra: string) => {
    const r = parsePolicy(`apiVersion: cilium.io/v1alpha1
kind: ${kind}
metadata: { name: scoped${kind === 'TracingPolicyNamespaced' ? ', namespace: team-a' : ''} }
spec:
${extra}  kprobes:
  - call: security_file_permission
    syscall: false
    args: [{ index: 0, type: file }, { index: 1, type: int }]
    selectors:
    - matchArgs: [{ index: 0, operator: Equal, values: ["${secret}"] }]
      matchActions: [{ action: Sigkill }]
`);
    if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.reason}`).join('; '));
    return r.policy;
  };

  it("a namespaced policy acts only in its namespace's pods, and follows pods that come later", () => {
    const a = node.addPod('team-a', 'web');
    const b = node.addPod('team-b', 'web');
    workloadFile = node.writeWorkloadFile();
    const status = runtime.add(policy('TracingPolicyNamespaced', ''));
    expect(status.scope).toMatchObject({ namespace: 'team-a', cgroups: 2 }); // the pod's cgroup and its container's
    try {
      expect(FakeKubeNode.runIn(a.cgroup, [myCat, secret]).signal).toBe('SIGKILL');
      expect(FakeKubeNode.runIn(b.cgroup, [myCat, secret]).stdout).toBe('the secret content\n');
      expect(FakeKubeNode.runIn(path.dirname(path.dirname(a.cgroup)), [myCat, secret]).stdout).toBe(
        'the secret content\n',
      );

      // A second team-a pod appears: covered after the next refresh.
      const a2 = node.addPod('team-a', 'worker');
      workloadFile = node.writeWorkloadFile();
      expect(FakeKubeNode.runIn(a2.cgroup, [myCat, secret]).stdout).toBe('the secret content\n');
      runtime.refreshWorkloads();
      expect(runtime.status('scoped')!.scope!.cgroups).toBe(4);
      expect(FakeKubeNode.runIn(a2.cgroup, [myCat, secret]).signal).toBe('SIGKILL');
    } finally {
      runtime.delete('scoped');
    }
  });

  it('podSelector and containerSelector narrow a cluster-wide policy to matching pods and containers', () => {
    const api = node.addPod('team-c', 'api', { app: 'api', tier: 'back' }, 'server');
    const ui = node.addPod('team-c', 'ui', { app: 'ui' }, 'server');
    const sidecar = node.addPod('team-c', 'api-2', { app: 'api' }, 'sidecar');
    workloadFile = node.writeWorkloadFile();
    runtime.add(
      policy(
        'TracingPolicy',
        '  podSelector:\n    matchLabels: { app: api }\n  containerSelector:\n    matchExpressions: [{ key: name, operator: In, values: [server] }]\n',
      ),
    );
    try {
      expect(FakeKubeNode.runIn(api.cgroup, [myCat, secret]).signal).toBe('SIGKILL');
      expect(FakeKubeNode.runIn(ui.cgroup, [myCat, secret]).status).toBe(0); // other labels
      expect(FakeKubeNode.runIn(sidecar.cgroup, [myCat, secret]).status).toBe(0); // other container
      expect(spawnSync(myCat, [secret]).status).toBe(0); // not in a pod at all
    } finally {
      runtime.delete('scoped');
    }
  });

  it('refuses a scoped policy when the node has no workload source', async () => {
    const bare = new PolicyRuntime({
      kernel: kernelFromProbe(
        await probeKernel(),
        tracedSyscalls(SYSCALLS_X86_64),
        hostNamespaces(),
        kernelFunctions(),
      ),
    });
    expect(() => bare.add(policy('TracingPolicyNamespaced', ''))).toThrow(/no workload source/);
    expect(bare.list()).toEqual([]);
  });
});
