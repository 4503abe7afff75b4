import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { decodeBench } from './decode';
import { execCaptureBench } from './exec-capture';
import { policyBenchSize, policyOverheadBench } from './policy-overhead';
import { writeReport, type BenchResult } from './report';

/**
 * Runs every benchmark and writes BENCHMARKS.md. Needs root (BPF, execsnoop).
 * Sizes: VIGIL_BENCH_EXECS (4000 per run), VIGIL_BENCH_ROUNDS (7; policy overhead: 5),
 * VIGIL_BENCH_SYSCALLS (2,000,000 per policy overhead run).
 */
async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('benchmarks load BPF: run as root');
  const results: BenchResult[] = [];
  console.error('bench: decode throughput');
  results.push(decodeBench({ events: 200_000, batch: 512, reps: 5 }));
  console.error('bench: process cache memory');
  const memory = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'cache-memory-main.js'), '65536'],
    { encoding: 'utf8' },
  );
  results.push(JSON.parse(memory) as BenchResult);
  console.error('bench: exec capture (no agent / Vigil / execsnoop)');
  results.push(
    await execCaptureBench({
      execs: Number(process.env['VIGIL_BENCH_EXECS'] ?? 4_000),
      workers: 2,
      rounds: Number(process.env['VIGIL_BENCH_ROUNDS'] ?? 7),
    }),
  );
  console.error('bench: TracingPolicy overhead (no policy / policy misses / policy posts)');
  results.push(await policyOverheadBench(policyBenchSize()));
  for (const r of results) console.log(`${r.title}: ${r.summary}`);
  console.log(`written: ${writeReport(results)}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
