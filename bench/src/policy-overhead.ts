import os from 'node:os';
import { BpfObject, ensureTracefs, ProcessEventSource } from '@vigil/bpf-native';
import { defaultProbeObjectPath, probeKernel } from '@vigil/kernel-probe';
import { parsePolicy } from '@vigil/policy';
import { kernelFromProbe, tracedSyscalls, PolicyRuntime, SYSCALLS_X86_64 } from '@vigil/policy-kernel';
import { fmt, median, type BenchResult } from './report';
import { prepareSyscallLoop, runSyscallLoop, SYSCALL_LOOP, type Workload } from './syscall-loop';

const binaries = (bin: string) => `    - matchBinaries:\n      - { operator: In, values: [${JSON.stringify(bin)}] }\n`;

/** A kprobe policy on a syscall (syscall: true) with one selector. */
const onSyscall = (name: string, call: string, selector: string) => `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: ${name} }
spec:
  kprobes:
  - call: "${call}"
    syscall: true
    selectors:
${selector}`;

/** security_file_permission with its file argument, for our binary, filtered by path prefix in the kernel. */
const filePrefix = (name: string, prefix: string) => `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: ${name} }
spec:
  kprobes:
  - call: "security_file_permission"
    syscall: false
    args:
    - { index: 0, type: "file" }
    - { index: 1, type: "int" }
    selectors:
${binaries(SYSCALL_LOOP)}      matchArgs:
      - { index: 0, operator: Prefix, values: [${JSON.stringify(prefix)}] }
      matchActions:
      - action: Post
`;

/** VIGIL_BENCH_SYSCALLS (2,000,000 calls per run), VIGIL_BENCH_ROUNDS (5). */
export function policyBenchSize(): { calls: number; rounds: number } {
  return {
    calls: Number(process.env['VIGIL_BENCH_SYSCALLS'] ?? 2_000_000),
    rounds: Number(process.env['VIGIL_BENCH_ROUNDS'] ?? 5),
  };
}

interface Mode {
  label: string;
  workload: Workload;
  /** Policy YAML; none: this workload's baseline. */
  policy?: string;
  /** Every call of the workload is expected to reach JS as a hook event. */
  posts?: boolean;
  /** Instead of a policy: an empty BPF program on sys_enter_getpid, the mechanism's own cost. */
  emptyProgram?: boolean;
}

/**
 * The kernel probe's empty program on syscalls/sys_enter_getpid (bpf/probe.bpf.c): what any BPF
 * program on that tracepoint costs, so the policy rows can be split into mechanism and Vigil's hook.
 */
function attachEmptyProgram(): { close(): void } {
  ensureTracefs();
  const obj = BpfObject.open(defaultProbeObjectPath());
  try {
    for (const p of obj.programs()) p.autoload = p.name === 'vigil_probe_tracepoint';
    obj.load();
    obj.attach('vigil_probe_tracepoint');
    return obj;
  } catch (err) {
    obj.close();
    throw err;
  }
}

const MODES: Mode[] = [
  { label: 'getpid: no policy (baseline)', workload: 'getpid' },
  { label: 'getpid: empty BPF program on sys_enter_getpid (floor)', workload: 'getpid', emptyProgram: true },
  {
    label: 'getpid: policy on getpid, matchBinaries misses',
    workload: 'getpid',
    policy: onSyscall('bench-getpid-miss', 'sys_getpid', binaries('/nonexistent/binary')),
  },
  {
    label: 'getpid: policy on getpid, posts every call',
    workload: 'getpid',
    policy: onSyscall(
      'bench-getpid-post',
      'sys_getpid',
      `${binaries(SYSCALL_LOOP)}      matchActions:\n      - action: Post\n`,
    ),
    posts: true,
  },
  {
    // A syscall tracepoint switches every task onto the kernel's traced syscall path, so even
    // syscalls no policy names pay something: this row shows how much.
    label: 'getpid: policy on read only, matchBinaries misses',
    workload: 'getpid',
    policy: onSyscall('bench-read-miss', 'sys_read', binaries('/nonexistent/binary')),
  },
  { label: 'read: no policy (baseline)', workload: 'read' },
  {
    label: 'read: security_file_permission, path Prefix misses',
    workload: 'read',
    policy: filePrefix('bench-file-prefix-miss', '/nonexistent/'),
  },
  {
    label: 'read: security_file_permission, path Prefix matches, posts',
    workload: 'read',
    policy: filePrefix('bench-file-prefix-post', '/dev/zero'),
    posts: true,
  },
];

interface Run {
  cpuNs: number;
  wallNs: number;
  posted: number;
  received: number;
  /** Not posted: the kernel ring was full (the hook's lost and pendingLost counters). */
  kernelLost: number;
  /** Posted, then dropped by the native reader when JS did not take its batches in time. */
  dropped: number;
  /** Hook events per second from the loop's start to the last one handled in JS. */
  eventsPerSec: number;
  /** How long after the loop ended the last event reached JS: near 0 means JS kept up. */
  lagMs: number;
  /** onEvents calls: few events per batch means a ring wakeup for nearly every event. */
  batches: number;
}

const waitUntil = async (done: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

/**
 * Per-syscall cost of a loaded TracingPolicy: a C loop of one syscall timed with no policy and
 * with policies hooked on it, each ratio against that workload's no-policy run in the same round.
 * One ProcessEventSource stays open throughout (Vigil running, no policy, is the baseline); each
 * policy shares its ring, so posted events arrive through the same onEvents as in the collector.
 */
export async function policyOverheadBench(options: { calls: number; rounds: number }): Promise<BenchResult> {
  prepareSyscallLoop();
  const probe = await probeKernel();
  const kernel = kernelFromProbe(probe, tracedSyscalls(SYSCALLS_X86_64));
  let hookEvents = 0;
  let lastHookAt = 0;
  const source = ProcessEventSource.open({
    // 64 MiB: room for seconds of posted events should JS fall behind; any loss is counted below.
    ringBufferBytes: 64 << 20,
    pollIntervalMs: 10,
    onEvents: (events) => {
      for (const e of events)
        if (e.kind === 'hook') {
          hookEvents++;
          lastHookAt = performance.now();
        }
    },
  });
  const runtime = new PolicyRuntime({ kernel, shared: source.sharedMaps() });
  const hooksOf = new Map<string, string>();

  const runMode = async (mode: Mode): Promise<Run> => {
    if (!mode.policy) {
      const empty = mode.emptyProgram ? attachEmptyProgram() : undefined;
      try {
        const r = await runSyscallLoop(mode.workload, options.calls);
        return {
          cpuNs: r.cpuNsPerCall,
          wallNs: r.nsPerCall,
          posted: 0,
          received: 0,
          kernelLost: 0,
          dropped: 0,
          eventsPerSec: 0,
          lagMs: 0,
          batches: 0,
        };
      } finally {
        empty?.close();
      }
    }
    const parsed = parsePolicy(mode.policy, `${mode.label}.yaml`);
    if (!parsed.ok) throw new Error(`${mode.label}: ${parsed.errors.map((e) => e.reason).join('; ')}`);
    const name = parsed.policy.metadata.name;
    const status = runtime.add(parsed.policy);
    const attachments = status.hooks.flatMap((h) => h.attachments.map((a) => a.split(' → ')[1]!));
    hooksOf.set(
      name,
      attachments.length > 2 ? `${attachments[0]} and ${attachments.length - 1} more` : attachments.join(', '),
    );
    const before = source.stats();
    hookEvents = 0;
    lastHookAt = 0;
    try {
      const start = performance.now();
      const r = await runSyscallLoop(mode.workload, options.calls);
      const loopEnd = performance.now();
      const counters = () => runtime.status(name)!.counters;
      const dropped = () => source.stats().droppedUserspace - before.droppedUserspace;
      // Everything the kernel posted must reach JS or be counted as dropped; a slow consumer gets time.
      await waitUntil(() => hookEvents + dropped() >= Number(counters().posted), 60_000);
      const c = counters();
      const posted = Number(c.posted);
      return {
        cpuNs: r.cpuNsPerCall,
        wallNs: r.nsPerCall,
        posted,
        received: hookEvents,
        kernelLost: Number(c.lost + c.pendingLost),
        dropped: dropped(),
        eventsPerSec: hookEvents && hookEvents / ((lastHookAt - start) / 1000),
        lagMs: hookEvents && Math.max(0, lastHookAt - loopEnd),
        batches: source.stats().batches - before.batches,
      };
    } finally {
      runtime.delete(name);
    }
  };

  const runs = new Map<Mode, Run[]>(MODES.map((m) => [m, []]));
  try {
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order each round so drift on a shared machine does not favour one mode.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
      for (const mode of order) {
        const run = await runMode(mode);
        runs.get(mode)!.push(run);
        const events = mode.posts
          ? `, ${run.received}/${run.posted} events to JS (${fmt(run.eventsPerSec, 0)}/s, ` +
            `${fmt(run.received / Math.max(1, run.batches), 1)} per batch, last ${fmt(run.lagMs, 0)} ms after the loop), ` +
            `lost in the kernel ${run.kernelLost}, dropped before JS ${run.dropped}`
          : '';
        console.error(
          `  policy overhead, round ${round + 1}: ${mode.label}: ${fmt(run.cpuNs, 1)} CPU ns/call (wall ${fmt(run.wallNs, 1)})${events}`,
        );
      }
    }
  } finally {
    runtime.close();
    source.close();
  }

  // Each round's ratio uses that round's own baseline of the same workload: load on a shared
  // machine drifts between rounds far more than within one.
  const baseline = (w: Workload) => runs.get(MODES.find((m) => m.workload === w && !m.policy && !m.emptyProgram)!)!;
  const ratios = (m: Mode, ns: 'cpuNs' | 'wallNs' = 'cpuNs') =>
    runs.get(m)!.map((r, i) => r[ns] / baseline(m.workload)[i]![ns]);
  // Events the kernel produced that never reached JS: not posted (ring full), or posted and not received.
  const missed = (r: Run) => r.kernelLost + r.posted - r.received;
  const worst = (m: Mode) => runs.get(m)!.reduce((a, r) => (missed(r) > missed(a) ? r : a));
  const rows = MODES.map((m) => {
    const rs = runs.get(m)!;
    const w = worst(m);
    return [
      m.label,
      fmt(median(rs.map((r) => r.cpuNs)), 1),
      fmt(median(ratios(m)), 2),
      ratios(m)
        .map((x) => fmt(x, 2))
        .join(', '),
      fmt(median(rs.map((r) => r.wallNs)), 1),
      fmt(median(ratios(m, 'wallNs')), 2),
      m.policy ? `${w.received.toLocaleString('en-US')}/${w.posted.toLocaleString('en-US')}` : '—',
      m.policy ? `${w.kernelLost.toLocaleString('en-US')} / ${w.dropped.toLocaleString('en-US')}` : '—',
      m.posts ? fmt(median(rs.map((r) => r.eventsPerSec)), 0) : '—',
      m.posts ? fmt(median(rs.map((r) => r.received / Math.max(1, r.batches))), 1) : '—',
    ];
  });
  const ratioOf = (label: string, ns: 'cpuNs' | 'wallNs' = 'cpuNs') =>
    median(
      ratios(
        MODES.find((m) => m.label.startsWith(label))!,
        ns,
      ),
    );
  const posting = MODES.filter((m) => m.posts).flatMap((m) => runs.get(m)!);
  const missing = posting.reduce((s, r) => s + missed(r), 0);
  const lossyRounds = posting.filter((r) => missed(r) > 0).length;
  const maxLag = Math.max(...posting.map((r) => r.lagMs));
  const hooks = [...hooksOf].map(([name, h]) => `${name} → ${h}`).join('; ');
  return {
    title: 'TracingPolicy overhead: ns per syscall with a policy vs no policy',
    method:
      `\`syscall-loop\` (C, one thread) makes ${options.calls.toLocaleString('en-US')} getpid() calls, or 1-byte read()s of /dev/zero, ` +
      'timed with no policy and with one TracingPolicy loaded at run time by PolicyRuntime, its hook events sharing the ring (64 MiB) ' +
      `and onEvents of an open ProcessEventSource; ${options.rounds} rounds in rotating order. ns/syscall is the looping thread's CPU ` +
      'time per call (the hook runs inside the syscall, so it counts; other load on this shared machine does not); wall time is ' +
      'beside it. The ratio is, per round, CPU ns/syscall with the policy / CPU ns/syscall of the same workload with no policy in ' +
      'that round; the table gives its median and every round. ' +
      '"events to JS" is hook events counted in onEvents / the kernel\'s posted counter, in the round that missed most; "lost" is, ' +
      "in that round, events the kernel could not post (ring full: the hook's lost + pendingLost counters) / events posted but " +
      "dropped by the native reader because JS did not take them within its queue wait (default 1 s). events/s runs from the loop's start " +
      `to the last event handled in JS, while the loop competes with JS for the 2 cores. On Linux ${os.release()} ` +
      `(kernel functions hook as: ${probe.hookStrategy.kernelFunction.mechanism}) the policies attach as: ${hooks}. ` +
      "The floor row is an empty BPF program (bpf/probe.bpf.c) on the getpid tracepoint: the attach mechanism's own cost. " +
      (maxLag < 100 && missing === 0
        ? `The last event reached JS at most ${fmt(maxLag, 0)} ms after the loop ended: JS kept up, so events/s is the loop's own rate, not a ceiling of JS.`
        : `The last event reached JS up to ${fmt(maxLag, 0)} ms after the loop ended: JS fell behind, so events/s is what JS could take.`),
    columns: [
      'workload: policy',
      'CPU ns/syscall (median)',
      'ratio to no policy',
      'ratio per round',
      'wall ns/syscall (median)',
      'wall ratio (median)',
      'events to JS / posted (worst round)',
      'lost: kernel / before JS (worst round)',
      'events/s into JS (median)',
      'events per onEvents batch (median)',
    ],
    rows,
    summary:
      `a policy whose selector misses costs ×${fmt(ratioOf('getpid: policy on getpid, matchBinaries'), 2)} per getpid ` +
      `(an empty BPF program on the same tracepoint: ×${fmt(ratioOf('getpid: empty BPF program'), 2)}); ` +
      `posting every call ×${fmt(ratioOf('getpid: policy on getpid, posts'), 2)} ` +
      `(wall ×${fmt(ratioOf('getpid: policy on getpid, posts', 'wallNs'), 2)}, JS draining on the same cores); ` +
      `an in-kernel path Prefix filter ×${fmt(ratioOf('read: security_file_permission, path Prefix misses'), 2)} per read; ` +
      (missing === 0
        ? 'every posted event reached JS, none lost'
        : `${missing.toLocaleString('en-US')} events did NOT reach JS (${lossyRounds} of ${posting.length} posting runs)`),
  };
}
