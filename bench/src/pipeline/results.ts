import os from 'node:os';
import { fmt, median, type BenchResult } from '../report';
import type { EnrichMode, EnrichRun } from './enrich-stage';
import type { ExportMode } from './export-stage';
import { percentile, type LatencyRun } from './latency-stage';
import type { LatencyMode } from './latency-stack';
import type { PublishMode } from './publish-stage';
import { fmtRatio, roundRatios } from './rounds';

export interface ThroughputRuns {
  events: number;
  bytesPerEvent: number;
  pods: number;
  rounds: number;
  publish: Record<PublishMode, number[]>;
  enrich: Record<EnrichMode, EnrichRun[]>;
  exporter: Record<ExportMode, number[]>;
}

const rate = (n: number) => fmt(n, 0);

/**
 * How to rerun, and on what: these sections are rewritten alone (the file's header keeps the
 * date of the full run), and the other sessions' load on the shared cores is what moves the
 * absolute numbers, so it is recorded (1-minute load average when the stage began and ended).
 */
export function provenance(load: { start: number; end: number }): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return (
    ` Rerun: \`scripts/services up && cd bench && sudo npm run bench:pipeline\` (rewrites these two sections). Measured ` +
    `${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, Linux ${os.release()}, Node ${process.versions.node}; ` +
    `load average ${fmt(load.start, 1)} at the start, ${fmt(load.end, 1)} at the end.`
  );
}
const perRound = (values: number[]) => values.map(rate).join(', ');

export function throughputResult(r: ThroughputRuns, where: string): BenchResult {
  const row = (stage: string, path: string, values: number[], baseline: number[]) => {
    const ratio = roundRatios(values, baseline);
    return [stage, path, rate(median(values)), perRound(values), fmtRatio(ratio.median), ratio.list];
  };
  const enricher = r.enrich.enricher.map((x) => x.rate);
  const republish = r.enrich.republish.map((x) => x.rate);
  const e = r.enrich.enricher;
  const kafka = roundRatios(r.publish.kafka, r.publish['in-process']).median;
  const enrich = roundRatios(enricher, republish).median;
  const exp = roundRatios(r.exporter.exporter, r.exporter['raw insert']).median;
  return {
    title: 'Fleet pipeline: sustained events/s per stage',
    method:
      `${r.events.toLocaleString('en-US')} Tetragon-shaped events (exec and exit of ${(r.events / 2).toLocaleString('en-US')} processes, ` +
      `${fmt(r.bytesPerEvent, 0)} B of JSON each, four in five in one of ${r.pods} pod containers) made by the collector's own ` +
      'ProcessCache and ContainerTagger from kernel-shaped exec records, pushed through each stage on the Kafka 3.9 broker and ' +
      `ClickHouse 18.16 server of \`scripts/services\` (${os.cpus().length} shared cores); ${r.rounds} rounds, modes in rotating order, ` +
      'each ratio taken against the baseline of the same round, medians. **collector → Kafka**: one awaited publish() per 256 ' +
      "events (the collector's kernel batches) on a KafkaBus configured as the collector's (contracts codec, gzip, acks=all, " +
      'idempotent producer), timed until flush() says the broker acknowledged all; baseline: the same events through InProcessBus ' +
      'to one consumer; the spool row is the same KafkaBus with the broker unreachable, until every event is in the on-disk spool ' +
      "(fdatasync per batch, the default); the encode row is the codec's JSON encoding of each event alone, what any wire " +
      'transport pays first. **enricher**: a new consumer group reads the events from vigil.events.raw; timed from ' +
      'the first batch handed over (the group join is excluded) to the acknowledgement of the last event on vigil.events; the ' +
      `real Enricher with every pod in its cache (${fmt(median(e.map((x) => x.enriched)), 0)} events enriched per run, ` +
      `${Math.max(...e.map((x) => x.waited))} waited for a pod) vs a handler that republishes each batch unchanged on the same bus. ` +
      "**exporter → ClickHouse**: the enricher's output in batches of 5,000 (the exporter's consumer batch), each awaited, " +
      "through the exporter's BatchHandler and ClickHouseSink (shape check, row mapping, event id, INSERT … JSONEachRow) vs " +
      '@clickhouse/client inserting the same rows, mapped beforehand, into a table of the same definition.' +
      where,
    columns: ['stage', 'path', 'events/s (median)', 'events/s per round', 'ratio to baseline', 'ratio per round'],
    rows: [
      row('collector → Kafka', 'KafkaBus → broker (acks=all)', r.publish.kafka, r.publish['in-process']),
      row('', 'InProcessBus → one consumer (baseline)', r.publish['in-process'], r.publish['in-process']),
      row('', 'KafkaBus, broker down → spool', r.publish.spool, r.publish['in-process']),
      row('', 'contracts codec encode only (floor of a wire)', r.publish.encode, r.publish['in-process']),
      row('enricher', 'Enricher, warm pod cache', enricher, republish),
      row('', 'consume + republish, same KafkaBus (baseline)', republish, republish),
      row(
        'exporter → ClickHouse',
        'BatchHandler + ClickHouseSink (rows/s)',
        r.exporter.exporter,
        r.exporter['raw insert'],
      ),
      row('', '@clickhouse/client JSONEachRow insert (baseline)', r.exporter['raw insert'], r.exporter['raw insert']),
    ],
    summary:
      `collector → Kafka ${rate(median(r.publish.kafka))} events/s (×${fmtRatio(kafka)} the in-process bus; ` +
      `encoding alone ${rate(median(r.publish.encode))}/s, into the spool with the broker down ${rate(median(r.publish.spool))}/s), ` +
      `enricher ${rate(median(enricher))} events/s (×${fmt(enrich, 2)} a bare republish), ` +
      `exporter → ClickHouse ${rate(median(r.exporter.exporter))} rows/s (×${fmt(exp, 2)} a raw insert)`,
  };
}

export function latencyResult(r: Record<LatencyMode, LatencyRun[]>, perSecond: number, where: string): BenchResult {
  const ms = (n: number) => fmt(n, 0);
  const p = (runs: LatencyRun[], q: number) => runs.map((x) => percentile(x.latenciesMs, q));
  const fleet50 = p(r.fleet, 0.5);
  const aio50 = p(r['all-in-one'], 0.5);
  const ratio = roundRatios(fleet50, aio50);
  const row = (mode: string, runs: LatencyRun[], ratioCells: string[]) => {
    const all = runs.flatMap((x) => x.latenciesMs);
    return [
      mode,
      all.length,
      ms(median(p(runs, 0.5))),
      ms(median(p(runs, 0.99))),
      ms(Math.max(...all)),
      p(runs, 0.5).map(ms).join(', '),
      p(runs, 0.99).map(ms).join(', '),
      ...ratioCells,
    ];
  };
  const floor = (mode: string, runs: LatencyRun[]) => {
    const polls = runs.flatMap((x) => x.pollMs);
    return [
      mode,
      polls.length,
      fmt(percentile(polls, 0.5), 1),
      fmt(percentile(polls, 0.99), 1),
      fmt(Math.max(...polls), 1),
      '—',
      '—',
      '—',
      '—',
    ];
  };
  const execs = r.fleet[0]?.execs ?? 0;
  return {
    title: 'Fleet pipeline: exec to queryable row',
    method:
      `The real collector (BPF on this kernel) + enricher + exporter, composed in one process as integration/test/fleet-e2e.test.ts ` +
      `composes them; per round and mode the services start, one warm-up exec must show up, then \`/bin/sh\` runs ${execs} execs of a ` +
      `copy of /bin/true (a path nothing else runs) at ${perSecond}/s while the benchmark polls the store, one query after another, for ` +
      "that binary's process_exec rows. Latency per exec: from its kernel time (the row's time_ns) to the sending of the first query " +
      'that returned its row. **fleet**: KafkaBus between the services (broker of `scripts/services`), ClickHouse 18.16 as the store, ' +
      "every service on its defaults (the exporter's consumer batch of 5,000, flushed at the end of each batch). **all-in-one** " +
      '(baseline): the same three modules on one InProcessBus with the exporter on an in-memory DuckDB, as `vigil run`. Kubernetes ' +
      `is off in the enricher (host processes: nothing to look up). ${r.fleet.length} rounds in rotating order; percentiles per ` +
      "round, their median; the ratio is fleet p50 / all-in-one p50 of the same round. The floor rows are the poll queries' own " +
      'round trips during those runs: the resolution of the measure and the least any row could take to be seen.' +
      where,
    columns: [
      'mode',
      'N',
      'p50 ms (median)',
      'p99 ms (median)',
      'max ms',
      'p50 per round',
      'p99 per round',
      'p50 ratio to all-in-one',
      'ratio per round',
    ],
    rows: [
      row('fleet: Kafka + ClickHouse', r.fleet, [fmt(ratio.median, 2), ratio.list]),
      row('all-in-one: InProcessBus + DuckDB (baseline)', r['all-in-one'], [
        '1.00',
        aio50.map(() => '1.00').join(', '),
      ]),
      floor('floor: ClickHouse poll query round trip', r.fleet),
      floor('floor: DuckDB poll query round trip', r['all-in-one']),
    ],
    summary:
      `an exec is queryable in ClickHouse ${ms(median(fleet50))} ms after it ran (p50; p99 ${ms(median(p(r.fleet, 0.99)))} ms), ` +
      `×${fmt(ratio.median, 2)} the all-in-one's ${ms(median(aio50))} ms`,
  };
}
