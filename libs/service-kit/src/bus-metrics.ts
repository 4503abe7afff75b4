import type { BusStats, ConsumerLag, EventBus, KafkaBusStats } from '@vigil/bus';
import type { Registry } from 'prom-client';
import { perScrape, scrapedCounter, scrapedGauge, type Reading } from './scraped';

/** "topic" or "topic/consumer" (the bus's stats keys) as labels. */
function topicConsumer(key: string): { topic: string; consumer: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { topic: key, consumer: '' } : { topic: key.slice(0, slash), consumer: key.slice(slash + 1) };
}

function byTopic(counts: Record<string, number> | undefined): Reading {
  return Object.entries(counts ?? {}).map(([key, n]) => [{ topic: key }, n] as const);
}

function byTopicConsumer(counts: Record<string, number> | undefined): Reading {
  return Object.entries(counts ?? {}).map(([key, n]) => [topicConsumer(key), n] as const);
}

function kafkaStats(stats: BusStats): KafkaBusStats | undefined {
  return 'spool' in stats ? (stats as KafkaBusStats) : undefined;
}

/** How long a scrape waits for the broker's offsets. */
const LAG_TIMEOUT_MS = 2_000;

/**
 * The vigil_bus_* metrics of one bus (docs/metrics.md, "Bus"), read at scrape time from its
 * stats() and consumerLag(). The Kafka-only ones have no sample on the in-process bus.
 */
export function registerBusMetrics(registry: Registry, bus: () => EventBus): void {
  const stats = perScrape(() => bus().stats());
  const kafka = () => kafkaStats(stats());
  // One measurement per scrape, shared by the lag gauge and its error counter.
  let lagErrors = 0;
  const lag = perScrape(async (): Promise<ConsumerLag[] | undefined> => {
    const b = bus();
    if (!b.consumerLag) return undefined;
    try {
      return await b.consumerLag(LAG_TIMEOUT_MS);
    } catch {
      lagErrors++;
      return undefined;
    }
  });
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_consumer_lag_errors_total',
      help: 'Scrapes whose consumer lag could not be measured (the broker did not answer in time): no vigil_bus_consumer_lag samples then.',
    },
    async () => {
      await lag();
      return lagErrors;
    },
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_published_total',
      help: 'Messages the transport took in, per topic (Kafka: acknowledged by the broker, directly or replayed from the spool).',
      labelNames: ['topic'],
    },
    () => byTopic(stats().published),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_delivered_total',
      help: "Messages a consumer's handler accepted, per topic and consumer.",
      labelNames: ['topic', 'consumer'],
    },
    () => byTopicConsumer(stats().delivered),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_dropped_total',
      help: 'Messages lost and counted: per topic on the producing side (spool full, refused by Kafka, not encodable), per topic and consumer on the consuming side (in-process queue full, failures on the dead-letter topic).',
      labelNames: ['topic', 'consumer'],
    },
    () => byTopicConsumer(stats().dropped),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_handler_errors_total',
      help: 'Messages in handler calls that threw, per topic and consumer (each attempt counts).',
      labelNames: ['topic', 'consumer'],
    },
    () => byTopicConsumer(stats().handlerErrors),
  );
  scrapedGauge(
    registry,
    {
      name: 'vigil_bus_consumer_lag',
      help: "Messages a consumer has still to handle, per topic, consumer and partition (Kafka: the partition's end offset minus the group's committed offset; in-process: its queue).",
      labelNames: ['topic', 'consumer', 'partition'],
    },
    async () =>
      (await lag())?.map((l) => [{ topic: l.topic, consumer: l.consumer, partition: l.partition }, l.lag] as const),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_dead_lettered_total',
      help: 'KafkaBus: messages the bus sent to vigil.dead-letter (undecodable, or the handler kept failing), per topic and consumer they came from.',
      labelNames: ['topic', 'consumer'],
    },
    () => byTopicConsumer(kafka()?.deadLettered),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_spooled_total',
      help: 'KafkaBus: messages written to the on-disk spool (broker away, or queued behind older spooled ones), per topic.',
      labelNames: ['topic'],
    },
    () => byTopic(kafka()?.spooled),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_replayed_total',
      help: 'KafkaBus: spooled messages that reached Kafka, per topic.',
      labelNames: ['topic'],
    },
    () => byTopic(kafka()?.replayed),
  );
  scrapedCounter(
    registry,
    {
      name: 'vigil_bus_consumer_restarts_total',
      help: 'KafkaBus: consumers replaced after a crash or an eviction from their group, per topic and consumer.',
      labelNames: ['topic', 'consumer'],
    },
    () => byTopicConsumer(kafka()?.restarts),
  );
  scrapedGauge(
    registry,
    {
      name: 'vigil_bus_buffered_messages',
      help: 'KafkaBus: messages accepted by publish() and still in memory (neither in Kafka nor in the spool).',
    },
    () => kafka()?.buffered,
  );
  scrapedGauge(
    registry,
    { name: 'vigil_bus_spool_bytes', help: 'KafkaBus: bytes of the on-disk spool (segment files).' },
    () => kafka()?.spool.bytes,
  );
  scrapedGauge(
    registry,
    { name: 'vigil_bus_spool_records', help: 'KafkaBus: messages in the on-disk spool, waiting for the broker.' },
    () => kafka()?.spool.records,
  );
  scrapedGauge(
    registry,
    { name: 'vigil_bus_broker_connected', help: 'KafkaBus: 1 while the producer is connected to the broker, else 0.' },
    () => {
      const k = kafka();
      return k ? (k.broker.connected ? 1 : 0) : undefined;
    },
  );
}
