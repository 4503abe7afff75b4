/**
 * Every selector kind and operator the kernel side enforces, positive and negative, on real
 * syscalls: each case loads a small policy (YAML → compile for this kernel → load), runs a
 * process that must NOT match and then one that must, and checks the events (the negative
 * one ran first, so once the positive event is in, a negative event would be too). On the
 * host the hooks run as syscall tracepoints; in the kernel-matrix VMs as kprobes.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessEventSource, type RawHookEvent } from '@vigil/bpf-native';
import { probeKernel } from '@vigil/kernel-probe';
import { hostNamespaces } from '@vigil/process-cache';
import { parsePolicy } from '@vigil/policy';
import { kernelFromProbe, kernelFunctions, tracedSyscalls, PolicyRuntime, SYSCALLS_X86_64 } from '../../src/index';

const skip = process.getuid?.() !== 0 ? 'needs root' : undefined;
if (skip) console.warn(`SKIPPED policy selector kernel tests: ${skip}`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sel-'));
const fileA = path.join(dir, 'alpha.txt');
const fileB = path.join(dir, 'beta.log');
const catA = path.join(dir, 'cat-a');
const catB = path.join(dir, 'other-b');
/** A copy of the shell, as the parent binary matchParentBinaries names. */
const parentSh = path.join(dir, 'parent-sh');

type Run = () => SpawnSyncReturns<string>;
const cat =
  (bin: string, file: string): Run =>
  () =>
    spawnSync(bin, [file], { encoding: 'utf8' });
/** openat(..., O_WRONLY|O_CREAT|O_TRUNC) from a shell redirection. */
const write =
  (file: string): Run =>
  () =>
    spawnSync('/bin/sh', ['-c', `: > ${file}`], { encoding: 'utf8' });
/** cat as a child of the copied shell (`; true`: the shell forks instead of exec'ing cat). */
const catUnderShell =
  (file: string): Run =>
  () =>
    spawnSync(parentSh, ['-c', `${catA} ${file}; true`], { encoding: 'utf8' });
/** The same cat as an unprivileged user: no capabilities. */
const catAsNobody =
  (file: string): Run =>
  () =>
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', catA, file], { encoding: 'utf8' });
/** The same cat, as pid 1 of a new pid namespace. */
const catInPidNs =
  (file: string): Run =>
  () =>
    spawnSync('unshare', ['--fork', '--pid', catA, file], { encoding: 'utf8' });

const O_WRONLY = 1;
const O_CREAT = 0o100;

/** A policy on openat(dfd, filename, flags) with the given selector lines (YAML, 4-space indented under `- `). */
function openatPolicy(name: string, selector: string, extra = ''): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: ${name} }
spec:
  kprobes:
  - call: sys_openat
    syscall: true
${extra}    args:
    - { index: 0, type: int }
    - { index: 1, type: string }
    - { index: 2, type: int }
    selectors:
    - ${selector.trim().replace(/\n/g, '\n      ')}
`;
}

interface Case {
  name: string;
  yaml: string;
  /** Runs first: must produce no event of this policy (about our files). */
  negative: Run;
  /** Runs second: must produce one. */
  positive: Run;
  /** The positive process is a child of the one started (a new pid namespace's pid 1). */
  positiveIsChild?: boolean;
  /** Extra checks on the positive run and its event. */
  check?: (run: SpawnSyncReturns<string>, ev: RawHookEvent) => void;
}

const files = `{ index: 1, operator: Prefix, values: ["${dir}/"] }`;

const CASES: Case[] = [
  // matchArgs on a string argument
  {
    name: 'equal',
    yaml: openatPolicy('equal', `matchArgs: [{ index: 1, operator: Equal, values: ["${fileA}"] }]`),
    negative: cat(catA, fileB),
    positive: cat(catA, fileA),
  },
  {
    name: 'not-equal',
    yaml: openatPolicy('not-equal', `matchArgs: [${files}, { index: 1, operator: NotEqual, values: ["${fileA}"] }]`),
    negative: cat(catA, fileA),
    positive: cat(catA, fileB),
  },
  {
    name: 'prefix',
    yaml: openatPolicy('prefix', `matchArgs: [{ index: 1, operator: Prefix, values: ["${dir}/al"] }]`),
    negative: cat(catA, fileB),
    positive: cat(catA, fileA),
  },
  {
    name: 'not-prefix',
    yaml: openatPolicy('not-prefix', `matchArgs: [${files}, { index: 1, operator: NotPrefix, values: ["${dir}/al"] }]`),
    negative: cat(catA, fileA),
    positive: cat(catA, fileB),
  },
  {
    name: 'postfix',
    yaml: openatPolicy('postfix', `matchArgs: [{ index: 1, operator: Postfix, values: [".log"] }]`),
    negative: cat(catA, fileA),
    positive: cat(catA, fileB),
  },
  {
    name: 'not-postfix',
    yaml: openatPolicy('not-postfix', `matchArgs: [${files}, { index: 1, operator: NotPostfix, values: [".log"] }]`),
    negative: cat(catA, fileB),
    positive: cat(catA, fileA),
  },
  // matchArgs on an integer argument (flags)
  {
    name: 'int-equal',
    yaml: openatPolicy('int-equal', `matchArgs: [${files}, { index: 2, operator: Equal, values: ["0"] }]`),
    negative: write(fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'int-not-equal',
    yaml: openatPolicy('int-not-equal', `matchArgs: [${files}, { index: 2, operator: NotEqual, values: ["0"] }]`),
    negative: cat(catA, fileA),
    positive: write(fileA),
  },
  {
    name: 'mask',
    yaml: openatPolicy('mask', `matchArgs: [${files}, { index: 2, operator: Mask, values: ["${O_CREAT}"] }]`),
    negative: cat(catA, fileA),
    positive: write(fileA),
  },
  {
    name: 'gt',
    yaml: openatPolicy('gt', `matchArgs: [${files}, { index: 2, operator: GT, values: ["${O_WRONLY}"] }]`),
    negative: cat(catA, fileA),
    positive: write(fileA),
  },
  {
    name: 'lt',
    yaml: openatPolicy('lt', `matchArgs: [${files}, { index: 2, operator: LT, values: ["1"] }]`),
    negative: write(fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'in-map',
    yaml: openatPolicy('in-map', `matchArgs: [${files}, { index: 2, operator: InMap, values: ["0", "5"] }]`),
    negative: write(fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'not-in-map',
    yaml: openatPolicy('not-in-map', `matchArgs: [${files}, { index: 2, operator: NotInMap, values: ["0"] }]`),
    negative: cat(catA, fileA),
    positive: write(fileA),
  },
  // matchReturnArgs: openat's result (an fd, or -ENOENT)
  {
    name: 'return-lt',
    yaml: openatPolicy(
      'return-lt',
      `matchArgs: [${files}]\nmatchReturnArgs: [{ index: 0, operator: LT, values: ["0"] }]`,
      '    return: true\n    returnArg: { index: 0, type: int }\n',
    ),
    negative: cat(catA, fileA),
    positive: cat(catA, path.join(dir, 'missing')),
    check: (_run, ev) => expect(ev.ret).toBe(-2n),
  },
  // matchBinaries, each operator
  {
    name: 'bin-in',
    yaml: openatPolicy('bin-in', `matchArgs: [${files}]\nmatchBinaries: [{ operator: In, values: ["${catA}"] }]`),
    negative: cat(catB, fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'bin-not-in',
    yaml: openatPolicy(
      'bin-not-in',
      `matchArgs: [${files}]\nmatchBinaries: [{ operator: NotIn, values: ["${catA}", "/bin/sh", "/usr/bin/dash"] }]`,
    ),
    negative: cat(catA, fileA),
    positive: cat(catB, fileA),
  },
  {
    name: 'bin-prefix',
    yaml: openatPolicy(
      'bin-prefix',
      `matchArgs: [${files}]\nmatchBinaries: [{ operator: Prefix, values: ["${dir}/cat"] }]`,
    ),
    negative: cat(catB, fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'bin-not-prefix',
    yaml: openatPolicy(
      'bin-not-prefix',
      `matchArgs: [${files}]\nmatchBinaries: [{ operator: NotPrefix, values: ["${dir}/cat", "/bin", "/usr"] }]`,
    ),
    negative: cat(catA, fileA),
    positive: cat(catB, fileA),
  },
  {
    name: 'bin-postfix',
    yaml: openatPolicy('bin-postfix', `matchArgs: [${files}]\nmatchBinaries: [{ operator: Postfix, values: ["-b"] }]`),
    negative: cat(catA, fileA),
    positive: cat(catB, fileA),
  },
  {
    name: 'bin-not-postfix',
    yaml: openatPolicy(
      'bin-not-postfix',
      `matchArgs: [${files}]\nmatchBinaries: [{ operator: NotPostfix, values: ["-b", "sh"] }]`,
    ),
    negative: cat(catB, fileA),
    positive: cat(catA, fileA),
  },
  // matchParentBinaries: the binary of the process's parent
  {
    name: 'parent-bin-in',
    yaml: openatPolicy(
      'parent-bin-in',
      `matchArgs: [${files}]\nmatchParentBinaries: [{ operator: In, values: ["${parentSh}"] }]`,
    ),
    negative: cat(catA, fileA),
    positive: catUnderShell(fileA),
    positiveIsChild: true,
  },
  {
    name: 'parent-bin-not-prefix',
    yaml: openatPolicy(
      'parent-bin-not-prefix',
      `matchArgs: [${files}]\nmatchParentBinaries: [{ operator: NotPrefix, values: ["${dir}/"] }]`,
    ),
    negative: catUnderShell(fileA),
    positive: cat(catA, fileA),
  },
  // matchPIDs: In / NotIn, by the pid in the process's own namespace
  {
    name: 'pid-in',
    yaml: openatPolicy(
      'pid-in',
      `matchArgs: [${files}]\nmatchPIDs: [{ operator: In, isNamespacePID: true, values: [1] }]`,
    ),
    negative: cat(catA, fileA),
    positive: catInPidNs(fileA),
    positiveIsChild: true,
  },
  {
    name: 'pid-not-in',
    yaml: openatPolicy(
      'pid-not-in',
      `matchArgs: [${files}]\nmatchPIDs: [{ operator: NotIn, isNamespacePID: true, values: [1] }]`,
    ),
    negative: catInPidNs(fileA),
    positive: cat(catA, fileA),
  },
  // matchNamespaces (against the host's, "host_ns") and matchCapabilities
  {
    name: 'ns-in',
    yaml: openatPolicy(
      'ns-in',
      `matchArgs: [${files}]\nmatchNamespaces: [{ namespace: Pid, operator: In, values: [host_ns] }]`,
    ),
    negative: catInPidNs(fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'ns-not-in',
    yaml: openatPolicy(
      'ns-not-in',
      `matchArgs: [${files}]\nmatchNamespaces: [{ namespace: Pid, operator: NotIn, values: [host_ns] }]`,
    ),
    negative: cat(catA, fileA),
    positive: catInPidNs(fileA),
    positiveIsChild: true,
  },
  {
    name: 'caps-in',
    yaml: openatPolicy(
      'caps-in',
      `matchArgs: [${files}]\nmatchCapabilities: [{ type: Effective, operator: In, values: [CAP_SYS_ADMIN] }]`,
    ),
    negative: catAsNobody(fileA),
    positive: cat(catA, fileA),
  },
  {
    name: 'caps-not-in',
    yaml: openatPolicy(
      'caps-not-in',
      `matchArgs: [${files}]\nmatchCapabilities: [{ type: Effective, operator: NotIn, values: [CAP_SYS_ADMIN, CAP_DAC_OVERRIDE] }]`,
    ),
    negative: cat(catA, fileA),
    positive: catAsNobody(fileA),
  },
  // actions
  {
    name: 'sigkill',
    yaml: openatPolicy(
      'sigkill',
      `matchArgs: [{ index: 1, operator: Equal, values: ["${fileA}"] }]\nmatchActions: [{ action: Sigkill }]`,
    ),
    negative: cat(catA, fileB),
    positive: cat(catA, fileA),
    check: (run, ev) => {
      expect(run.signal).toBe('SIGKILL');
      expect(ev).toMatchObject({ action: 'Sigkill', enforced: true });
    },
  },
  {
    name: 'signal',
    yaml: openatPolicy(
      'signal',
      `matchArgs: [{ index: 1, operator: Equal, values: ["${fileA}"] }]\nmatchActions: [{ action: Signal, argSig: 10 }]`,
    ),
    negative: cat(catA, fileB),
    positive: cat(catA, fileA),
    check: (run, ev) => {
      expect(run.signal).toBe('SIGUSR1');
      expect(ev).toMatchObject({ action: 'Signal', actionArg: 10, enforced: true });
    },
  },
  // selectors are ORed: either one matches
  {
    name: 'or',
    yaml: openatPolicy('or', `matchArgs: [{ index: 1, operator: Equal, values: ["${fileA}"] }]`).replace(
      '    selectors:\n',
      `    selectors:\n    - matchArgs: [{ index: 1, operator: Equal, values: ["${fileB}"] }]\n      matchActions: [{ action: NoPost }]\n`,
    ),
    negative: cat(catA, fileB), // matches the first selector, whose action is NoPost
    positive: cat(catA, fileA),
    check: (_run, ev) => expect(ev.selector).toBe(1),
  },
];

describe.skipIf(skip !== undefined)('in-kernel selectors and actions on real syscalls', () => {
  let source: ProcessEventSource;
  let runtime: PolicyRuntime;
  const events: RawHookEvent[] = [];

  beforeAll(async () => {
    fs.writeFileSync(fileA, 'a\n');
    fs.writeFileSync(fileB, 'b\n');
    for (const bin of [catA, catB]) {
      fs.copyFileSync('/usr/bin/cat', bin);
      fs.chmodSync(bin, 0o755);
    }
    fs.copyFileSync(fs.realpathSync('/bin/sh'), parentSh);
    fs.chmodSync(parentSh, 0o755);
    source = ProcessEventSource.open({
      pollIntervalMs: 5,
      onEvents: (batch) => {
        for (const e of batch) if (e.kind === 'hook') events.push(e);
      },
    });
    runtime = new PolicyRuntime({
      kernel: kernelFromProbe(
        await probeKernel(),
        tracedSyscalls(SYSCALLS_X86_64),
        hostNamespaces(),
        kernelFunctions(),
      ),
      shared: source.sharedMaps(),
    });
  }, 60_000);
  afterAll(() => {
    runtime?.close();
    source?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const parsed = parsePolicy(c.yaml);
      if (!parsed.ok)
        throw new Error(parsed.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.reason}`).join('\n'));
      const status = runtime.add(parsed.policy);
      const hookIds = new Set<number>();
      for (let id = 1; id < 100_000 && hookIds.size < status.hooks.length; id++)
        if (runtime.lookup(id)?.policyName === c.name) hookIds.add(id);
      const mine = (pid: number) => events.filter((e) => hookIds.has(e.hookId) && e.pid === pid);
      try {
        const neg = c.negative();
        const pos = c.positive();
        // A positive process started as a child has a pid we do not know: any other pid's event counts.
        const positives = () =>
          c.positiveIsChild
            ? events.filter((e) => hookIds.has(e.hookId) && e.pid !== neg.pid && e.pid !== process.pid)
            : mine(pos.pid);
        const deadline = Date.now() + 10_000;
        while (positives().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(positives().length, `an event for the positive run (${c.name})`).toBeGreaterThan(0);
        expect(mine(neg.pid), `no event for the negative run (${c.name})`).toEqual([]);
        c.check?.(pos, positives()[0]!);
      } finally {
        runtime.delete(c.name);
      }
    });
  }

  it('rateLimit posts one event per scope and period', async () => {
    const parsed = parsePolicy(
      openatPolicy(
        'rate',
        `matchArgs: [{ index: 1, operator: Equal, values: ["${fileA}"] }]\nmatchActions: [{ action: Post, rateLimit: 1m, rateLimitScope: global }]`,
      ),
    );
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.reason).join('; '));
    runtime.add(parsed.policy);
    try {
      const pids = [1, 2, 3].map(() => cat(catA, fileA)().pid);
      await new Promise((r) => setTimeout(r, 300));
      const counters = runtime.status('rate')!.counters;
      expect(counters.posted).toBe(1n);
      expect(counters.rateLimited).toBeGreaterThanOrEqual(2n);
      expect(
        events.filter((e) => pids.includes(e.pid) && runtime.lookup(e.hookId)?.policyName === 'rate'),
      ).toHaveLength(1);
    } finally {
      runtime.delete('rate');
    }
  });

  it('raw_syscalls/sys_enter with InMap over a syscall list: only those syscalls of a process post', async () => {
    const parsed = parsePolicy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: raw-dups }
spec:
  lists:
  - { name: dups, type: syscalls, values: [sys_dup, sys_dup2] }
  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    args: [{ index: 4, type: syscall64 }]
    selectors:
    - matchArgs: [{ index: 0, operator: InMap, values: ["list:dups"] }]
`);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.reason).join('; '));
    runtime.add(parsed.policy);
    try {
      const py = spawnSync('python3', ['-c', 'import os; os.dup2(1, 5)'], { encoding: 'utf8' });
      expect(py.status).toBe(0);
      const mine = () => events.filter((e) => e.pid === py.pid && runtime.lookup(e.hookId)?.policyName === 'raw-dups');
      const deadline = Date.now() + 10_000;
      while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(mine().map((e) => e.args[0]?.int)).toContain(33n); // dup2
      expect(mine().every((e) => e.args[0]?.int === 32n || e.args[0]?.int === 33n)).toBe(true); // nothing else
    } finally {
      runtime.delete('raw-dups');
    }
  });
});
