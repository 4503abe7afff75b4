import { policyBenchSize, policyOverheadBench } from './policy-overhead';
import { writeSections } from './report';

/**
 * `npm run bench:policy`: the TracingPolicy overhead benchmark alone. Rewrites only its own
 * section of BENCHMARKS.md. Needs root (BPF). Sizes: see policyBenchSize.
 */
async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('benchmarks load BPF: run as root');
  console.error('bench: TracingPolicy overhead (no policy / policy misses / policy posts)');
  const result = await policyOverheadBench(policyBenchSize());
  console.log(`${result.title}: ${result.summary}`);
  console.log(`written: ${writeSections([result])}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
