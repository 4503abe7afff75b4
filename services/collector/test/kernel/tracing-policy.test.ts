/**
 * The users' example TracingPolicy, end to end on the real kernel: YAML → parse → compile for
 * this kernel → hooks loaded at run time beside the process hooks → a matching binary is killed
 * before the file's content reaches it, a non-matching one reads normally, ProcessKprobe
 * events carry file path, mask, return value, action and the process with its parent; deleting
 * the policy restores normal behaviour at once. The policy is a TracingPolicyNamespaced without
 * a namespace, so it applies to the pods of namespace "default": the readers run in such a pod's
 * container cgroup. On the host this runs as syscall equivalents;
 * in the kernel-matrix VMs as a real kprobe.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessKprobe } from '@vigil/events';
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
} from '@vigil/policy-kernel';
import { cgroup2Root, FakeKubeNode } from '@vigil/policy-kernel/dist/testing/fake-kube-node';
import { kernelSkipReason, startPipeline } from './harness';

// The users' example policy verbatim (libs/policy keeps the one copy).
const EXAMPLE = fs.readFileSync(
  path.resolve(__dirname, '../../../../libs/policy/test/fixtures/file-monitoring-filtered.yaml'),
  'utf8',
);

describe.skipIf(kernelSkipReason !== undefined)('TracingPolicy file-monitoring-filtered (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-policy-'));
  const secret = path.join(dir, 'secret.txt');
  // A copy of cat at a path the selector names (the policy's own /usr/bin/cat stays untouched).
  const myCat = path.join(dir, 'cat');
  let harness: ReturnType<typeof startPipeline>;
  let runtime: PolicyRuntime;
  const node = new FakeKubeNode();
  const pod = node.addPod('default', 'reader');
  const workloadFile = node.writeWorkloadFile();
  /** Runs in the pod's container cgroup. */
  const inPod = (cmd: string[]) => FakeKubeNode.runIn(pod.cgroup, cmd);

  beforeAll(async () => {
    fs.writeFileSync(secret, 'the secret content\n');
    fs.copyFileSync('/usr/bin/cat', myCat);
    fs.chmodSync(myCat, 0o755);
    harness = startPipeline();
    const report = await probeKernel();
    runtime = new PolicyRuntime({
      kernel: kernelFromProbe(report, tracedSyscalls(SYSCALLS_X86_64), hostNamespaces(), kernelFunctions()),
      shared: harness.pipeline.sharedMaps(),
      workloads: { pods: () => readWorkloadFile(workloadFile), cgroups: () => scanPodCgroups(cgroup2Root()) },
    });
    harness.pipeline.usePolicies(runtime);
  }, 60_000);
  afterAll(async () => {
    runtime?.close();
    await harness?.close();
    node.remove();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(workloadFile, { force: true });
  });

  const kprobes = () => harness.events.flatMap((e) => (e.process_kprobe ? [e.process_kprobe] : []));

  it('loads at run time, kills the matching reader, spares the others, posts Tetragon events; delete restores', async () => {
    const parsed = parsePolicy(
      EXAMPLE.replace('"/usr/bin/cat"', JSON.stringify(myCat)),
      'file-monitoring-filtered.yaml',
    );
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.reason).join('; '));
    const status = runtime.add(parsed.policy);
    expect(status).toMatchObject({ name: 'file-monitoring-filtered', state: 'enabled', mode: 'enforce' });
    expect(status.hooks.length).toBeGreaterThan(0);
    expect(status.hooks.every((h) => h.attachments.length > 0)).toBe(true);
    console.log(
      `file-monitoring-filtered on ${os.release()}: ${status.hooks.map((h) => `${h.mechanism}: ${h.attachments.length} attachments`).join(', ')}`,
    );

    expect(status.scope).toMatchObject({ namespace: 'default', cgroups: 2 });
    const killed = inPod([myCat, secret]);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    const spared = inPod(['/usr/bin/head', '-n1', secret]); // same pod, binary not named
    expect(spared.status).toBe(0);
    expect(spared.stdout).toBe('the secret content\n');
    const outside = spawnSync(myCat, [secret], { encoding: 'utf8' }); // named binary, not in the namespace
    expect(outside.stdout).toBe('the secret content\n');

    const ev = await harness.waitFor(
      () =>
        kprobes().find((k) => k.process?.pid === killed.pid) as
          (ProcessKprobe & Required<Pick<ProcessKprobe, 'args'>>) | undefined,
      'the kprobe event of the killed cat',
    );
    expect(ev).toMatchObject({
      function_name: 'security_file_permission',
      policy_name: 'file-monitoring-filtered',
      action: 'KPROBE_ACTION_SIGKILL',
      return_action: 'KPROBE_ACTION_POST',
    });
    expect(ev.process?.binary).toBe(myCat);
    expect(ev.process?.exec_id).toBeTruthy();
    expect(ev.parent?.pid).toBe(process.pid); // the shell that moved itself into the pod exec'd cat
    expect(ev.args[0]?.file_arg?.path).toMatch(/^\//);
    expect(ev.args[1]?.int_arg).toBe(4); // MAY_READ
    expect(ev.return?.int_arg).toEqual(expect.any(Number));
    expect(kprobes().some((k) => k.process?.pid === spared.pid)).toBe(false);
    expect(harness.pipeline.stats()).toMatchObject({ hookEventsUnknown: 0 });
    const after = runtime.status('file-monitoring-filtered')!;
    expect(after.counters.sigkill).toBeGreaterThanOrEqual(1n);
    expect(after.counters.lost).toBe(0n);

    expect(runtime.delete('file-monitoring-filtered')).toBe(true);
    const again = inPod([myCat, secret]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('the secret content\n');
    expect(runtime.list()).toEqual([]);
  });

  it('refuses a policy it cannot run here with every reason, and leaves the loaded set unchanged', () => {
    const ok = parsePolicy(EXAMPLE.replace('"/usr/bin/cat"', JSON.stringify(myCat)));
    if (!ok.ok) throw new Error('fixture');
    runtime.add(ok.policy);
    const bad = parsePolicy(`
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: usdt-and-list }
spec:
  usdts:
  - path: /usr/bin/bash
    provider: vigil
    name: probe
  kprobes:
  - call: list:nothing
    syscall: false
  lists:
  - name: nothing
    type: generated_ftrace
    pattern: "^vigil_none_.*"
`);
    if (!bad.ok) throw new Error(bad.errors.map((e) => e.reason).join('; '));
    try {
      expect(() => runtime.add(bad.policy)).toThrow(
        /policy "usdt-and-list" not loaded: .*spec\.kprobes\[0\] \(list:nothing\): list nothing: pattern \^vigil_none_\.\* matches no function of this kernel/,
      );
      expect(() => runtime.add(bad.policy)).toThrow(
        /spec\.usdts\[0\] \(\/usr\/bin\/bash:vigil:probe\): USDT probes are not supported yet/,
      );
      expect(runtime.list().map((p) => p.name)).toEqual(['file-monitoring-filtered']);
      expect(runtime.status('file-monitoring-filtered')?.state).toBe('enabled');
      expect(inPod([myCat, secret]).signal).toBe('SIGKILL');
    } finally {
      runtime.delete('file-monitoring-filtered');
    }
  });

  it('a uprobe on bash readline reports each typed command line, from the real bash in a pty', async () => {
    const parsed = parsePolicy(`
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: bash-readline }
spec:
  uprobes:
  - path: /usr/bin/bash
    symbols: [readline]
    return: true
    returnArg: { index: 0, type: string, label: line }
`);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.path}: ${e.reason}`).join('; '));
    const status = runtime.add(parsed.policy);
    expect(status.hooks).toMatchObject([
      {
        mechanism: 'uprobe',
        attachments: ['vigil_uretprobe → /usr/bin/bash:readline', 'vigil_uprobe → /usr/bin/bash:readline'],
      },
    ]);
    // script(1) gives bash a terminal, so it reads its commands with readline, as a user's shell does.
    const session = spawnSync('script', ['-qec', 'bash --norc --noprofile -i', '/dev/null'], {
      input: 'echo vigil-one\nls /nonexistent-vigil-two\nexit 0\n',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(session.status, session.stderr).toBe(0);
    const lines = () =>
      harness.events.flatMap((e) =>
        e.process_uprobe?.policy_name === 'bash-readline'
          ? [e.process_uprobe.args?.find((a) => a.label === 'line')?.string_arg]
          : [],
      );
    await harness.waitFor(() => lines().includes('exit 0'), 'the readline events up to "exit 0"');
    expect(lines()).toEqual(expect.arrayContaining(['echo vigil-one', 'ls /nonexistent-vigil-two', 'exit 0']));
    const ev = harness.events.find((e) => e.process_uprobe?.policy_name === 'bash-readline')!.process_uprobe!;
    expect(ev).toMatchObject({ path: '/usr/bin/bash', symbol: 'readline', action: 'KPROBE_ACTION_POST' });
    expect(ev.process?.binary).toBe('/usr/bin/bash');
    runtime.delete('bash-readline');
  });
});
