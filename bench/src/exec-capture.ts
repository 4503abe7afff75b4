import { spawn } from 'node:child_process';
import { ensureTracefs, ProcessEventSource } from '@vigil/bpf-native';
import { InProcessBus } from '@vigil/bus';
import { BootClock } from '@vigil/events';
import { hostNamespaces, ProcessCache, readProcess, readProcFs } from '@vigil/process-cache';
import { ProcessPipeline } from '@vigil/collector';
import { BENCH_TRUE, prepareExecLoop, runExecLoop, type ExecLoopResult } from './exec-loop';
import { fmt, median, type BenchResult } from './report';

interface Run extends ExecLoopResult {
  captured: number;
  lost: number;
  /** Seconds from the first exec to the last event in JS (end-to-end capture). */
  captureSeconds: number;
}

const waitUntil = async (done: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

async function withoutAgent(execloop: string, n: number, w: number): Promise<Run> {
  const r = await runExecLoop(execloop, n, w);
  return { ...r, captured: n, lost: 0, captureSeconds: r.seconds };
}

/** Vigil's whole node path: kernel → ring buffer → decode → process cache → bus. */
async function withVigil(execloop: string, n: number, w: number): Promise<Run> {
  let captured = 0;
  let last = 0;
  const pipeline = new ProcessPipeline({
    cache: new ProcessCache({
      nodeName: 'bench',
      clock: BootClock.calibrate(),
      hostNamespaces: hostNamespaces(),
      procFallback: (pid) => readProcess(pid),
    }),
    bus: new InProcessBus(),
    openSource: (onEvents) =>
      ProcessEventSource.open({
        onEvents: (events) => {
          for (const e of events) if (e.kind === 'exec' && e.binary === BENCH_TRUE) captured++;
          last = performance.now();
          onEvents(events);
        },
      }),
    readProc: () => readProcFs(),
  });
  pipeline.start();
  const start = performance.now();
  const r = await runExecLoop(execloop, n, w);
  await waitUntil(() => captured >= n, 10_000);
  const stats = pipeline.stats();
  await pipeline.close();
  return {
    ...r,
    captured,
    lost: stats.kernel.lostKernel + stats.kernel.droppedUserspace,
    captureSeconds: (last - start) / 1000,
  };
}

/** libbpf-tools' execsnoop (C, libbpf, CO-RE): the C baseline for capture overhead. */
async function withExecsnoop(execloop: string, n: number, w: number): Promise<Run> {
  ensureTracefs();
  // stdbuf: execsnoop's stdout is a pipe here, which glibc would otherwise buffer in 4 KiB blocks.
  const snoop = spawn('stdbuf', ['-oL', '/usr/sbin/execsnoop'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pids = new Set<string>();
  let ready = false;
  let buf = '';
  snoop.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('PCOMM')) ready = true;
      // PCOMM PID PPID RET ARGS: one line per exec, keyed by pid so nothing counts twice.
      else if (line.startsWith('vigil-bench-tru ') && line.includes(BENCH_TRUE)) pids.add(line.split(/\s+/)[1]!);
    }
  });
  await waitUntil(() => ready, 10_000);
  if (!ready) throw new Error('execsnoop did not start (is libbpf-tools installed, tracefs mounted?)');
  const r = await runExecLoop(execloop, n, w);
  await waitUntil(() => pids.size >= n, 10_000);
  snoop.kill('SIGINT');
  return { ...r, captured: pids.size, lost: n - pids.size, captureSeconds: r.seconds };
}

export async function execCaptureBench(options: {
  execs: number;
  workers: number;
  rounds: number;
}): Promise<BenchResult> {
  const execloop = prepareExecLoop();
  const modes = { 'no agent': withoutAgent, Vigil: withVigil, 'execsnoop (libbpf-tools)': withExecsnoop };
  const runs: Record<string, Run[]> = { 'no agent': [], Vigil: [], 'execsnoop (libbpf-tools)': [] };
  for (let round = 0; round < options.rounds; round++) {
    // Rotate the order each round so drift on a shared machine does not favour one mode.
    const order = Object.keys(modes).map((_, i, keys) => keys[(i + round) % keys.length]!);
    for (const mode of order) {
      const run = await modes[mode as keyof typeof modes](execloop, options.execs, options.workers);
      runs[mode]!.push(run);
      console.error(
        `  exec capture, round ${round + 1}: ${mode}: ${fmt(run.rate, 0)} execs/s, captured ${run.captured}/${run.execs}`,
      );
    }
  }
  // Each round's ratio uses that round's own no-agent run: load on a shared machine drifts
  // between rounds far more than within one, so per-round ratios are what can be compared.
  const ratios = (mode: string) => runs[mode]!.map((r, i) => r.rate / runs['no agent']![i]!.rate);
  const rows = Object.entries(runs).map(([mode, rs]) => [
    mode,
    fmt(median(rs.map((r) => r.rate)), 0),
    fmt(median(ratios(mode)), 3),
    `${Math.min(...rs.map((r) => r.captured))}/${options.execs}`,
    Math.max(...rs.map((r) => r.lost)),
    fmt(median(rs.map((r) => r.execs / r.captureSeconds)), 0),
  ]);
  const vigil = median(ratios('Vigil'));
  const snoop = median(ratios('execsnoop (libbpf-tools)'));
  return {
    title: 'Exec capture: events into JS vs the exec rate with no agent',
    method:
      `\`execloop\` (C, fork+execve of a marker binary, ${options.workers} workers) runs ${options.execs} execs with no agent, ` +
      `with Vigil's node path in the benchmark process (BPF → ring buffer → native reader thread → decode → process cache → bus), ` +
      `and with Debian's libbpf-tools \`execsnoop\` printing to a pipe; ${options.rounds} rounds in rotating order, medians. ` +
      'The ratio is the median over rounds of (rate in that mode / rate with no agent in the same round). ' +
      '"captured" is the fewest marker execs seen by the consumer in any round; "capture rate" is execs per second from the first exec to the last event handled in JS.',
    columns: [
      'mode',
      'execs/s (median)',
      'ratio to no agent',
      'captured (worst round)',
      'lost (worst round)',
      'capture rate, events/s',
    ],
    rows,
    summary: `Vigil keeps ${fmt(vigil * 100, 1)}% of the machine's exec rate (execsnoop: ${fmt(snoop * 100, 1)}%) and captures every exec`,
  };
}
