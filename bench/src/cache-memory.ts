import { BootClock } from '@vigil/events';
import { ProcessCache } from '@vigil/process-cache';
import { encodeExecRecord, decodeProcessBatch, frameRecords, type RawExecEvent } from '@vigil/bpf-native';
import { fmt, type BenchResult } from './report';

function rssMiB(): number {
  global.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * Collector memory with a full process cache: RSS after caching N distinct processes (a parent
 * and N-1 children with realistic arguments, credentials and namespaces), against the RSS of the
 * same process before (baseline, same run). Run it in a fresh process (cache-memory-main.ts)
 * with --expose-gc, so nothing else in the heap blurs the reading.
 */
export function cacheMemoryBench(options: { processes: number }): BenchResult {
  const raws: RawExecEvent[] = [];
  for (let i = 0; i < options.processes; i++) {
    const record = encodeExecRecord({
      pid: 1_000 + i,
      tid: 1_000 + i,
      ppid: i === 0 ? 1 : 1_000,
      ktime: 5_000_000_000n + BigInt(i) * 1_000n,
      parentKtime: i === 0 ? 0n : 5_000_000_000n,
      binary: `/usr/bin/worker-${i % 50}`,
      argv: [`worker-${i % 50}`, '--id', String(i), '--config', '/etc/app/config.yaml'],
      cwd: '/srv/app',
      cgroupPath: `/kubepods/pod${i % 200}/container`,
    });
    raws.push(...(decodeProcessBatch(frameRecords([record])).events as RawExecEvent[]));
  }
  const before = rssMiB();
  const cache = new ProcessCache({ nodeName: 'bench', clock: BootClock.calibrate(), capacity: options.processes });
  const t = process.hrtime.bigint();
  for (const raw of raws) cache.ingest(raw);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const after = rssMiB();
  const size = cache.metrics().size;
  if (size < options.processes) throw new Error(`cache holds ${size}, expected ${options.processes}`);
  const perProcess = ((after - before) * 2 ** 20) / options.processes;
  return {
    title: `Collector memory with ${options.processes.toLocaleString('en-US')} cached processes`,
    method:
      'RSS of the benchmark process (after a forced GC) before and after ingesting that many exec events into a ProcessCache ' +
      'of the same capacity; the "before" reading is the baseline of the same run.',
    columns: ['measure', 'value'],
    rows: [
      ['RSS before (baseline)', `${fmt(before, 1)} MiB`],
      ['RSS with the cache full', `${fmt(after, 1)} MiB`],
      ['ratio', fmt(after / before, 2)],
      ['per cached process', `${fmt(perProcess / 1024, 2)} KiB`],
      ['ingest rate', `${fmt(options.processes / seconds, 0)} events/s`],
    ],
    summary: `${fmt(after - before, 1)} MiB for ${options.processes.toLocaleString('en-US')} processes (${fmt(perProcess / 1024, 2)} KiB each; RSS ×${fmt(after / before, 2)})`,
  };
}
