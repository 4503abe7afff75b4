import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { median } from '../report';
import type { BenchEnv } from './env';
import { startStack, LATENCY_MODES, type LatencyMode, type Stack } from './latency-stack';
import { rotatingRounds } from './rounds';

export interface LatencyRun {
  /** Per exec, ms from the kernel's exec time to the query that first returned its row. */
  latenciesMs: number[];
  /** Round trips of the poll query (ms): the resolution of the measure, and its floor. */
  pollMs: number[];
  execs: number;
}

export interface LatencyOptions {
  execs: number;
  perSecond: number;
  rounds: number;
}

/**
 * Exec → queryable row. Per round and mode the three services start (not timed), a warm-up exec
 * must become visible (consumer groups joined, store migrated), then `/bin/sh` runs N execs of a
 * copy of /bin/true whose path nothing else runs, at a steady rate. Meanwhile the benchmark polls
 * the store, one query after another, for that binary's process_exec rows; an exec's latency is
 * from its kernel time (the row's time_ns: the collector's exec timestamp, bpf_ktime_get_boot_ns
 * on the realtime clock) to the moment the first query that returned its row was sent.
 */
export async function latencyStage(env: BenchEnv, options: LatencyOptions): Promise<Record<LatencyMode, LatencyRun[]>> {
  return rotatingRounds(options.rounds, LATENCY_MODES, async (mode, round) => {
    const run = `${mode}-${round}`;
    const stack = await startStack(env, mode, run);
    try {
      const warm = marker(env, `${run}-warm`);
      await execsVisible(stack, warm, 1, 1, 60_000);
      const result = await execsVisible(stack, marker(env, run), options.execs, options.perSecond, 60_000);
      const p = (q: number) => percentile(result.latenciesMs, q).toFixed(0);
      console.error(
        `  exec → row, round ${round + 1}: ${mode}: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms over ${result.execs} execs (poll ${median(result.pollMs).toFixed(1)} ms)`,
      );
      return result;
    } finally {
      await stack.close();
    }
  });
}

/** A copy of /bin/true under a path of its own: its exec rows are exactly the ones this run made. */
function marker(env: BenchEnv, name: string): string {
  const file = env.scratch(`true-${name}`);
  fs.copyFileSync('/bin/true', file);
  fs.chmodSync(file, 0o755);
  return file;
}

async function execsVisible(
  stack: Stack,
  binary: string,
  execs: number,
  perSecond: number,
  timeoutMs: number,
): Promise<LatencyRun> {
  // The shell paces the execs, so the benchmark's own event loop (where the services run) does not fork them.
  const script = `i=0; while [ $i -lt ${execs} ]; do "$BIN"; sleep ${(1 / perSecond).toFixed(3)}; i=$((i+1)); done`;
  const child = spawn('/bin/sh', ['-c', script], { env: { ...process.env, BIN: binary }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seen = new Map<string, number>();
  const pollMs: number[] = [];
  const deadline = Date.now() + timeoutMs + (execs / perSecond) * 1000;
  while (seen.size < execs) {
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`${binary}: ${seen.size} of ${execs} exec rows visible after ${timeoutMs} ms`);
    }
    const sentAt = Date.now();
    const t = performance.now();
    const rows = await stack.execRows(binary);
    pollMs.push(performance.now() - t);
    for (const r of rows) if (!seen.has(r.execId)) seen.set(r.execId, sentAt - Number(r.timeNs / 1000n) / 1000);
    await new Promise((r) => setTimeout(r, 2));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`the exec loop exited ${code}`);
  // Kernel time and Date.now() are both the realtime clock (BootClock calibrates one to the other).
  const earliest = Math.min(...seen.values());
  if (earliest < 0)
    console.error(`  warning: a row seen ${earliest.toFixed(1)} ms before its exec: clock calibration is off`);
  return { latenciesMs: [...seen.values()], pollMs, execs };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
