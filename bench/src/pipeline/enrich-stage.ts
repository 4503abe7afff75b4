import {
  jsonCodec,
  KafkaBus,
  Topic,
  type BatchHandler,
  type BusMessage,
  type EventBus,
  type TopicName,
} from '@vigil/bus';
import { Enricher } from '@vigil/enricher';
import { PodCache } from '@vigil/enricher/dist/domain/kubernetes/pod-cache';
import type { PodRecord } from '@vigil/enricher/dist/domain/kubernetes/pod-record';
import type { BenchEnv } from './env';
import { rotatingRounds, waitFor } from './rounds';

export const ENRICH_MODES = ['enricher', 'republish'] as const;
export type EnrichMode = (typeof ENRICH_MODES)[number];

export interface EnrichRun {
  rate: number;
  /** Events that left with pod context (the rest: host processes, nothing to look up). */
  enriched: number;
  /** Events that had to wait for their pod: 0 with a warm cache. */
  waited: number;
}

/**
 * vigil.events.raw → vigil.events on one KafkaBus, the N events published beforehand. Each run is
 * a new consumer group reading them from the start; its time runs from the first batch handed
 * to the handler (the group join is not the stage's throughput) to the broker's acknowledgement
 * of the last event published to vigil.events. Modes: the enricher's domain (Enricher, the
 * handler EnrichmentProvider subscribes) with a pod cache already holding every pod, and the
 * baseline: a handler that republishes each batch unchanged.
 */
export async function enrichStage(
  env: BenchEnv,
  messages: BusMessage<unknown>[],
  pods: PodRecord[],
  rounds: number,
): Promise<Record<EnrichMode, EnrichRun[]>> {
  // JSON on both topics, as the enricher's bus in the fleet (fleet-e2e.test.ts) is configured.
  const bus = new KafkaBus({
    brokers: env.brokers,
    topicPrefix: env.stagePrefix('enrich'),
    spoolDir: env.scratch('spool-enrich'),
    codec: jsonCodec,
    log: env.log,
  });
  await bus.start();
  try {
    for (let i = 0; i < messages.length; i += 1000) await bus.publish(Topic.eventsRaw, messages.slice(i, i + 1000));
    await bus.flush();
    return await rotatingRounds(rounds, ENRICH_MODES, async (mode, round) => {
      const run = await enrichRun(bus, mode, `${mode}-${round}`, messages.length, pods);
      console.error(
        `  enricher, round ${round + 1}: ${mode}: ${Math.round(run.rate).toLocaleString('en-US')} events/s`,
      );
      return run;
    });
  } finally {
    await bus.close();
  }
}

async function enrichRun(
  bus: KafkaBus,
  mode: EnrichMode,
  consumer: string,
  total: number,
  pods: PodRecord[],
): Promise<EnrichRun> {
  const published = () => bus.stats().published[Topic.events] ?? 0;
  const before = published();
  let first: number | undefined;
  // The same bus, with the first handed-over batch timed.
  const tapped: EventBus = {
    publish: (topic, batch) => bus.publish(topic, batch),
    subscribe: <T>(topic: TopicName, name: string, handler: BatchHandler<T>) =>
      bus.subscribe<T>(topic, name, (batch) => {
        first ??= performance.now();
        return handler(batch);
      }),
    stats: () => bus.stats(),
    close: () => bus.close(),
  };
  let stop: () => Promise<void>;
  let enricher: Enricher | undefined;
  if (mode === 'enricher') {
    const cache = new PodCache({ maxPods: 20_000, deletedRetentionMs: 120_000 });
    cache.replace(pods);
    // The enricher's defaults (enricher.config.ts): 10,000 held events, 5 s wait for a pod.
    enricher = new Enricher({ bus: tapped, pods: cache, consumer, bufferSize: 10_000, maxWaitMs: 5_000 });
    enricher.start();
    stop = () => enricher!.close();
  } else {
    const unsubscribe = tapped.subscribe<unknown>(Topic.eventsRaw, consumer, (batch) =>
      tapped.publish(
        Topic.events,
        batch.map(({ key, value }) => ({ key, value })),
      ),
    );
    stop = async () => unsubscribe();
  }
  await waitFor(`${mode}: ${total} events on ${Topic.events}`, () => published() - before >= total, 120_000);
  const elapsed = (performance.now() - first!) / 1000;
  await stop();
  const s = enricher?.stats();
  return { rate: total / elapsed, enriched: s?.enriched ?? 0, waited: s?.unknownPod ?? 0 };
}
