import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import { Enricher } from '@vigil/enricher';
import { PodCache } from '@vigil/enricher/dist/domain/kubernetes/pod-cache';
import type { PodRecord } from '@vigil/enricher/dist/domain/kubernetes/pod-record';
import type { GetEventsResponse } from '@vigil/events';
import { BatchHandler, ClickHouseSink } from '@vigil/exporter';
import { EVENTS_TABLE, eventToRow } from '@vigil/store';
import { toClickHouseRecord } from '@vigil/store/dist/clickhouse/row-format';
import type { BenchEnv } from './env';
import { rotatingRounds, seconds } from './rounds';

export const EXPORT_MODES = ['exporter', 'raw insert'] as const;
export type ExportMode = (typeof EXPORT_MODES)[number];

/** The exporter's default batch (VIGIL_EXPORTER_BATCH_SIZE): messages per handler call = rows per INSERT. */
export const EXPORT_BATCH = 5_000;

/**
 * vigil.events messages → rows in ClickHouse, batch by batch as the bus hands them to the
 * exporter, each awaited (the next batch comes only after the offsets of this one may be
 * committed). Modes: the exporter's BatchHandler over its ClickHouseSink (shape check, row
 * mapping, event id, the writer's INSERT … JSONEachRow), and the baseline: the same rows, mapped
 * beforehand, inserted with @clickhouse/client into a table of the same definition.
 */
export async function exportStage(
  env: BenchEnv,
  raw: BusMessage<unknown>[],
  pods: PodRecord[],
  rounds: number,
): Promise<Record<ExportMode, number[]>> {
  const messages = await enrich(raw, pods);
  const database = env.db('export');
  const sink = new ClickHouseSink({
    url: env.clickhouseUrl,
    database,
    username: 'default',
    password: '',
    maxBatchRows: EXPORT_BATCH,
    flushIntervalMs: 1_000,
    maxBacklogRows: 1_000_000,
  });
  const handler = new BatchHandler({ sink, bus: new InProcessBus(), consumer: 'exporter' });
  const client = createClient({ url: env.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
  const baselineTable = `${database}.${EVENTS_TABLE}_baseline`;
  try {
    await sink.open();
    await client.command({ query: `CREATE TABLE IF NOT EXISTS ${baselineTable} AS ${database}.${EVENTS_TABLE}` });
    const records = messages.map((m) => toClickHouseRecord(eventToRow(m.value)));
    return await rotatingRounds(rounds, EXPORT_MODES, async (mode, round) => {
      const start = performance.now();
      if (mode === 'exporter') {
        const before = handler.stats().inserted;
        for (let i = 0; i < messages.length; i += EXPORT_BATCH)
          await handler.handle(messages.slice(i, i + EXPORT_BATCH));
        const inserted = handler.stats().inserted - before;
        if (inserted !== messages.length) throw new Error(`exporter stored ${inserted} of ${messages.length}`);
      } else {
        for (let i = 0; i < records.length; i += EXPORT_BATCH)
          await client.insert({
            table: baselineTable,
            values: records.slice(i, i + EXPORT_BATCH),
            format: 'JSONEachRow',
          });
      }
      const rate = messages.length / seconds(start);
      console.error(`  exporter, round ${round + 1}: ${mode}: ${Math.round(rate).toLocaleString('en-US')} rows/s`);
      return rate;
    });
  } finally {
    await client.close();
    await sink.close();
  }
}

/** The rows the exporter gets in the fleet: the enricher's output for these raw events. */
async function enrich(raw: BusMessage<unknown>[], pods: PodRecord[]): Promise<BusMessage<GetEventsResponse>[]> {
  const bus = new InProcessBus();
  const cache = new PodCache({ maxPods: 20_000, deletedRetentionMs: 120_000 });
  cache.replace(pods);
  const out: BusMessage<GetEventsResponse>[] = [];
  bus.subscribe<GetEventsResponse>(Topic.events, 'collect', (batch) => void out.push(...batch));
  const enricher = new Enricher({ bus, pods: cache, consumer: 'enricher', bufferSize: 10_000, maxWaitMs: 5_000 });
  enricher.start();
  // A copy: the enricher fills the processes in place, the other stages keep the raw events.
  await bus.publish(Topic.eventsRaw, structuredClone(raw));
  await bus.flush();
  await enricher.close();
  await bus.flush();
  if (out.length !== raw.length) throw new Error(`enricher gave ${out.length} of ${raw.length} events`);
  return out;
}
