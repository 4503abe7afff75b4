import { decodeProcessBatch, encodeExecRecord, frameRecords } from '@vigil/bpf-native';
import { fmt, median, type BenchResult } from './report';

/** A realistic exec record: a shell command with a handful of arguments, in a pod cgroup. */
function sampleRecord(i: number): Buffer {
  return encodeExecRecord({
    pid: 10_000 + i,
    tid: 10_000 + i,
    ppid: 4_000,
    ktime: 1_000_000_000n + BigInt(i),
    parentKtime: 900_000_000n,
    binary: '/usr/bin/curl',
    argv: ['curl', '-sS', '--max-time', '5', `https://example.internal/api/v1/items/${i}`],
    cwd: '/home/app',
    cgroupPath: '/kubepods/burstable/pod0c6d7f1e-5b1b-4c57-a0f4-7d2c0c6d7f1e/3f2a9c1b7e6d',
  });
}

function timeIt(fn: () => void, reps: number): number {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return median(times);
}

/**
 * Ring-buffer-to-JS decode on a synthetic flood: batches as the native reader hands them over
 * (one Buffer of framed records), decoded into RawExecEvent objects. Baselines in the same run:
 * JSON.parse of the same events as JSON lines (what an agent shipping JSON from the kernel side
 * would pay), and a plain Buffer copy of the batch (the floor: touching the bytes once).
 */
export function decodeBench(options: { events: number; batch: number; reps: number }): BenchResult {
  const records = Array.from({ length: options.events }, (_, i) => sampleRecord(i));
  const batches: Buffer[] = [];
  for (let i = 0; i < records.length; i += options.batch)
    batches.push(frameRecords(records.slice(i, i + options.batch)));
  const bytes = batches.reduce((s, b) => s + b.length, 0);
  const decoded = batches.flatMap((b) => decodeProcessBatch(b).events);
  const jsonBatches = batches.map((b) =>
    decodeProcessBatch(b)
      .events.map((e) => JSON.stringify(e, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
      .join('\n'),
  );

  let sink = 0;
  const decode = timeIt(() => batches.forEach((b) => (sink += decodeProcessBatch(b).events.length)), options.reps);
  const json = timeIt(
    () => jsonBatches.forEach((j) => j.split('\n').forEach((line) => (sink += (JSON.parse(line) as object) ? 1 : 0))),
    options.reps,
  );
  const copy = timeIt(() => batches.forEach((b) => (sink += Buffer.from(b).length)), options.reps);
  if (sink === 0 || decoded.length !== options.events) throw new Error('decode benchmark lost events');

  const rate = (s: number) => options.events / s;
  return {
    title: 'Ring buffer to JS: decode throughput on a synthetic flood',
    method:
      `${options.events.toLocaleString('en-US')} exec records (${fmt(bytes / options.events, 0)} B each on average) in batches of ${options.batch}, ` +
      `decoded by \`decodeProcessBatch\` into RawExecEvent objects; median of ${options.reps} passes. Baselines in the same run: ` +
      'JSON.parse of the same events as JSON lines, and a Buffer copy of the batches.',
    columns: ['path', 'events/s', 'MB/s', 'ratio to JSON.parse'],
    rows: [
      ['decodeProcessBatch', fmt(rate(decode), 0), fmt(bytes / decode / 1e6, 1), fmt(json / decode, 2)],
      ['JSON.parse of JSON lines (baseline)', fmt(rate(json), 0), '—', '1.00'],
      ['Buffer copy (floor)', fmt(rate(copy), 0), fmt(bytes / copy / 1e6, 1), fmt(json / copy, 2)],
    ],
    summary: `decode runs at ${fmt(rate(decode), 0)} events/s, ${fmt(json / decode, 2)}× JSON.parse of the same events`,
  };
}
