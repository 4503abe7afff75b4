import os from 'node:os';
import { section, writeSections, type BenchResult } from './report';
import { enrichStage } from './pipeline/enrich-stage';
import { BenchEnv } from './pipeline/env';
import { averageJsonBytes, generateEvents } from './pipeline/events';
import { exportStage } from './pipeline/export-stage';
import { latencyStage } from './pipeline/latency-stage';
import { publishStage } from './pipeline/publish-stage';
import { latencyResult, provenance, throughputResult } from './pipeline/results';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/**
 * `npm run bench:pipeline`: the fleet pipeline's stages (collector → Kafka, enricher,
 * exporter → ClickHouse) and exec → queryable row latency, on the broker and server of
 * `scripts/services up`. Rewrites only its own two sections of BENCHMARKS.md. Needs root (the
 * latency stage runs the real collector). Sizes: VIGIL_BENCH_ROUNDS (3),
 * VIGIL_BENCH_PIPELINE_PROCESSES (7,500: an exec and an exit each), VIGIL_BENCH_E2E_EXECS (100
 * per round), VIGIL_BENCH_E2E_RATE (20 execs/s).
 */
async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the latency stage loads BPF: run as root');
  const rounds = num('VIGIL_BENCH_ROUNDS', 3);
  const env = new BenchEnv();
  console.error(`bench: pipeline (topics ${env.prefix}*, databases ${env.database}_*)`);
  const results: BenchResult[] = [];
  try {
    let load = { start: os.loadavg()[0]!, end: 0 };
    const { messages, pods } = generateEvents(num('VIGIL_BENCH_PIPELINE_PROCESSES', 7_500));
    console.error(`bench: collector → bus (${messages.length} events)`);
    const publish = await publishStage(env, messages, rounds);
    console.error('bench: enricher (vigil.events.raw → vigil.events)');
    const enrich = await enrichStage(env, messages, pods, rounds);
    console.error('bench: exporter → ClickHouse');
    const exporter = await exportStage(env, messages, pods, rounds);
    load.end = os.loadavg()[0]!;
    results.push(
      throughputResult(
        {
          events: messages.length,
          bytesPerEvent: averageJsonBytes(messages),
          pods: pods.length,
          rounds,
          publish,
          enrich,
          exporter,
        },
        provenance(load),
      ),
    );
    load = { start: os.loadavg()[0]!, end: 0 };
    const perSecond = num('VIGIL_BENCH_E2E_RATE', 20);
    console.error('bench: exec → queryable row (fleet / all-in-one)');
    const latency = await latencyStage(env, { execs: num('VIGIL_BENCH_E2E_EXECS', 100), perSecond, rounds });
    load.end = os.loadavg()[0]!;
    results.push(latencyResult(latency, perSecond, provenance(load)));
  } finally {
    await env.cleanup();
  }
  for (const r of results) console.log(section(r).join('\n'));
  console.log(`written: ${writeSections(results)}`);
}

main().then(
  // Kafka clients and Nest leave timers behind; the results are written, nothing is pending.
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
