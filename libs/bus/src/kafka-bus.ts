import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { BatchHandler, BusMessage, BusStats, ConsumerLag, EventBus, SubscribeOptions } from './bus';
import { jsonCodec, type Codec } from './codec';
import { BrokerLink } from './kafka/broker-link';
import { emptyCounters, bump, type KafkaBusCounters } from './kafka/counters';
import { DeadLetterSender } from './kafka/dead-letter';
import { PublishPipeline } from './kafka/publish-pipeline';
import { Subscription } from './kafka/subscription';
import type { TopicSpec } from './kafka/topic-setup';
import { stderrLogger, type BusLogger } from './logger';
import { DiskSpool, type FsyncPolicy, type SpoolStats } from './spool/disk-spool';
import type { SpoolRecord } from './spool/record-format';
import { Topic, type TopicName } from './topics';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** Put before every topic name in Kafka (several Vigil installations in one cluster, tests). */
  topicPrefix?: string;
  /** Partitions of a topic the bus creates (existing topics are never changed). */
  partitions?: number;
  partitionsPerTopic?: Partial<Record<TopicName, number>>;
  /** -1 = the broker's default.replication.factor. */
  replicationFactor?: number;
  codec?: Codec;

  /** Directory of the on-disk spool; one bus per directory. */
  spoolDir: string;
  spoolMaxBytes?: number;
  spoolSegmentBytes?: number;
  spoolFsync?: FsyncPolicy;

  lingerMs?: number;
  batchBytes?: number;
  batchMessages?: number;
  bufferBytes?: number;
  sendRetries?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;

  handlerRetries?: number;
  handlerBackoffMs?: number;
  consumerBatchMessages?: number;
  fromBeginning?: boolean;
  /**
   * The consumer group session: a member not heard from for this long is evicted. The bus
   * heartbeats every consumerHeartbeatMs, also while a handler runs, so handlers may take longer.
   */
  consumerSessionTimeoutMs?: number;
  consumerHeartbeatMs?: number;

  log?: BusLogger;
  /** Passed to kafkajs as is, over the bus's own settings (ssl, sasl, socketFactory, timeouts). */
  kafkaConfig?: Partial<KafkaConfig>;
}

export interface KafkaBusStats extends BusStats {
  deadLettered: Record<string, number>;
  replayed: Record<string, number>;
  spooled: Record<string, number>;
  restarts: Record<string, number>;
  consumerErrors: Record<string, string>;
  /** Messages accepted by publish() and still in memory (neither in Kafka nor in the spool). */
  buffered: number;
  spool: SpoolStats;
  broker: { connected: boolean; lastError?: string };
}

/** Topics whose latest message per key is the state (policy id, node). */
const COMPACTED: ReadonlySet<TopicName> = new Set([Topic.policies, Topic.workloads]);

export class BusClosedError extends Error {
  override name = 'BusClosedError';
}

export class EncodeError extends Error {
  override name = 'EncodeError';
}

/**
 * The event bus on Kafka (see README.md). Call start() before anything else: it opens the spool,
 * sets up the topics and connects — or, with the broker unreachable, starts spooling and keeps
 * trying. publish() resolves once the messages are accepted in order; flush() waits until they
 * are in Kafka or in the spool.
 */
export class KafkaBus implements EventBus {
  private readonly counters: KafkaBusCounters = emptyCounters();
  private readonly kafka: Kafka;
  private readonly codec: Codec;
  private readonly log: BusLogger;
  private readonly prefix: string;
  private readonly subscriptions = new Set<Subscription>();
  private readonly deadLetters: DeadLetterSender;
  private parts: { spool: DiskSpool; link: BrokerLink; pipeline: PublishPipeline } | undefined;
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  /** The admin connection consumerLag() asks the broker through, kept between calls. */
  private lagAdmin: Admin | undefined;
  private lagQuery: Promise<ConsumerLag[]> | undefined;

  constructor(private readonly options: KafkaBusOptions) {
    this.codec = options.codec ?? jsonCodec;
    this.log = options.log ?? stderrLogger;
    this.prefix = options.topicPrefix ?? '';
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'vigil',
      brokers: options.brokers,
      // The bus logs state changes itself; kafkajs would log every retry of an outage.
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3_000,
      // Short, so start() and reconnection attempts give up quickly and the bus spools instead.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      ...options.kafkaConfig,
    });
    this.deadLetters = new DeadLetterSender(this.kafka, this.kafkaTopic(Topic.deadLetter));
  }

  /** The name a topic has in Kafka. */
  kafkaTopic(topic: TopicName): string {
    return `${this.prefix}${topic}`;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`KafkaBus.start(): the bus is ${this.state}, start it once`);
    this.state = 'starting';
    const o = this.options;
    const spool = await DiskSpool.open({
      dir: o.spoolDir,
      maxBytes: o.spoolMaxBytes ?? 1024 ** 3,
      segmentBytes: o.spoolSegmentBytes ?? 16 * 1024 ** 2,
      fsync: o.spoolFsync ?? 'append',
      log: this.log,
    });
    const link = new BrokerLink({
      kafka: this.kafka,
      topics: this.topicSpecs(),
      reconnectInitialMs: o.reconnectInitialMs ?? 250,
      reconnectMaxMs: o.reconnectMaxMs ?? 10_000,
      sendRetries: o.sendRetries ?? 3,
      log: this.log,
      onConnected: () => this.parts?.pipeline.signal(),
    });
    const pipeline = new PublishPipeline(
      {
        lingerMs: o.lingerMs ?? 10,
        batchBytes: o.batchBytes ?? 512 * 1024,
        batchMessages: o.batchMessages ?? 5_000,
        bufferBytes: o.bufferBytes ?? 32 * 1024 ** 2,
      },
      { link, spool, counters: this.counters, log: this.log, statsName: (t) => this.statsName(t) },
    );
    this.parts = { spool, link, pipeline };
    pipeline.start();
    try {
      await link.start();
    } catch (e) {
      await this.close();
      throw e;
    }
    this.state = 'started';
  }

  async publish<T>(topic: TopicName, messages: BusMessage<T>[]): Promise<void> {
    const pipeline = this.started('publish').pipeline;
    const records: SpoolRecord[] = [];
    const failures: string[] = [];
    const now = Date.now();
    messages.forEach((m, i) => {
      try {
        records.push({
          topic: this.kafkaTopic(topic),
          key: m.key,
          // null is a tombstone: it goes to Kafka (and through the spool) as a null value, never
          // through the codec, so a compacted topic deletes the key.
          value: m.value === null ? null : this.codec.encode(m.value, topic),
          timestamp: now,
        });
      } catch (e) {
        failures.push(`message ${i} (key ${JSON.stringify(m.key)}): ${(e as Error).message}`);
      }
    });
    if (records.length > 0) await pipeline.accept(records);
    if (failures.length > 0) {
      bump(this.counters.dropped, topic, failures.length);
      throw new EncodeError(
        `publish to ${topic}: ${failures.length} of ${messages.length} messages could not be encoded (dropped, counted): ${failures.slice(0, 3).join('; ')}`,
      );
    }
  }

  subscribe<T>(
    topic: TopicName,
    consumer: string,
    handler: BatchHandler<T>,
    options: SubscribeOptions = {},
  ): () => void {
    const { link } = this.started('subscribe');
    const o = this.options;
    const sessionTimeoutMs = o.consumerSessionTimeoutMs ?? 30_000;
    const heartbeatIntervalMs = o.consumerHeartbeatMs ?? Math.min(3_000, Math.floor(sessionTimeoutMs / 3));
    if (!(heartbeatIntervalMs > 0 && heartbeatIntervalMs < sessionTimeoutMs))
      throw new Error(
        `KafkaBus.subscribe(): consumerHeartbeatMs (${heartbeatIntervalMs}) must be above 0 and below consumerSessionTimeoutMs (${sessionTimeoutMs}); a third of it is usual`,
      );
    const subscription = new Subscription({
      kafka: this.kafka,
      kafkaTopic: this.kafkaTopic(topic),
      statsTopic: topic,
      consumer,
      groupId: `${this.prefix}${consumer}`,
      handler: handler as BatchHandler<unknown>,
      // Dead letters are JSON whatever the topics' codec is.
      codec: topic === Topic.deadLetter ? jsonCodec : this.codec,
      isDeadLetterTopic: topic === Topic.deadLetter,
      deadLetters: this.deadLetters,
      counters: this.counters,
      log: this.log,
      maxBatchMessages: o.consumerBatchMessages ?? 500,
      handlerRetries: o.handlerRetries ?? 3,
      handlerBackoffMs: o.handlerBackoffMs ?? 200,
      fromBeginning: options.startAt ? options.startAt === 'earliest' : (o.fromBeginning ?? true),
      sessionTimeoutMs,
      heartbeatIntervalMs,
      reconnectMs: o.reconnectInitialMs ?? 250,
      reconnectMaxMs: o.reconnectMaxMs ?? 10_000,
      topicsReady: () => link.topicsReady(),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return () => {
      if (this.subscriptions.delete(subscription)) void subscription.stop();
    };
  }

  /** Resolves once everything published so far is in Kafka or in the spool. */
  async flush(): Promise<void> {
    await this.started('flush').pipeline.flush();
  }

  /** Resolves once nothing waits in memory or in the spool; rejects after timeoutMs saying what is left. */
  async delivered(timeoutMs: number): Promise<void> {
    const { pipeline } = this.started('delivered');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const s = this.stats();
        reject(
          new Error(
            `KafkaBus: not delivered after ${timeoutMs} ms: ${s.buffered} messages in memory, ${s.spool.records} in the spool, broker ${s.broker.connected ? 'connected' : `unavailable (${s.broker.lastError ?? 'no error yet'})`}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([pipeline.idle(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stats(): KafkaBusStats {
    const c = structuredClone(this.counters);
    return {
      ...c,
      buffered: this.parts?.pipeline.bufferedMessages ?? 0,
      spool: this.parts?.spool.stats() ?? {
        bytes: 0,
        records: 0,
        segments: 0,
        corruptRecords: 0,
        truncatedRecords: 0,
        skippedBytes: 0,
      },
      broker: {
        connected: this.parts?.link.connected ?? false,
        ...(this.parts?.link.lastError ? { lastError: this.parts.link.lastError } : {}),
      },
    };
  }

  /**
   * Each subscription's lag per partition: the partition's end offset (high watermark) minus the
   * group's committed offset, asked of the broker — one ListOffsets per topic and one OffsetFetch
   * per group, over one admin connection kept for it, so a scrape every few seconds costs a few
   * small requests. A partition without a committed offset counts from its first offset for a
   * subscription that starts at the beginning and is left out for one that starts at the end
   * ('latest': where it started is not known). Overlapping calls share one query. It rejects when
   * the broker does not answer within timeoutMs (the connection is made anew next time); it
   * resolves to [] before start() and after close().
   */
  consumerLag(timeoutMs = 2_000): Promise<ConsumerLag[]> {
    if (this.state !== 'started' || this.subscriptions.size === 0) return Promise.resolve([]);
    this.lagQuery ??= this.queryLag(timeoutMs).finally(() => {
      this.lagQuery = undefined;
    });
    return this.lagQuery;
  }

  private async queryLag(timeoutMs: number): Promise<ConsumerLag[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consumer lag: Kafka did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.fetchLag(), timeout]);
    } catch (e) {
      const admin = this.lagAdmin;
      this.lagAdmin = undefined;
      await admin?.disconnect().catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetchLag(): Promise<ConsumerLag[]> {
    let admin = this.lagAdmin;
    if (!admin) {
      admin = this.kafka.admin();
      this.lagAdmin = admin;
      await admin.connect();
    }
    const targets = [...this.subscriptions].map((s) => s.target);
    const ends = new Map<string, Promise<Array<{ partition: number; high: string; low: string }>>>();
    for (const t of targets) if (!ends.has(t.kafkaTopic)) ends.set(t.kafkaTopic, admin.fetchTopicOffsets(t.kafkaTopic));
    const perTarget = await Promise.all(
      targets.map(async (t): Promise<ConsumerLag[]> => {
        const [offsets, committed] = await Promise.all([
          ends.get(t.kafkaTopic)!,
          admin.fetchOffsets({ groupId: t.groupId, topics: [t.kafkaTopic] }),
        ]);
        const done = new Map(
          (committed.find((c) => c.topic === t.kafkaTopic)?.partitions ?? []).map((p) => [
            p.partition,
            Number(p.offset),
          ]),
        );
        const out: ConsumerLag[] = [];
        for (const p of offsets) {
          const high = Number(p.high);
          const at = done.get(p.partition) ?? -1;
          if (at < 0 && !t.fromBeginning) continue;
          out.push({
            topic: t.statsTopic,
            consumer: t.consumer,
            partition: p.partition,
            lag: Math.max(0, high - (at >= 0 ? at : Number(p.low))),
          });
        }
        return out;
      }),
    );
    return perTarget
      .flat()
      .sort(
        (a, b) => a.topic.localeCompare(b.topic) || a.consumer.localeCompare(b.consumer) || a.partition - b.partition,
      );
  }

  /**
   * Stops the consumers (a batch being handled is not committed: it is delivered again), sends or
   * spools what is in memory and closes the spool; what the spool holds is replayed at next start.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const subscriptions = [...this.subscriptions];
    this.subscriptions.clear();
    await Promise.all(subscriptions.map((s) => s.stop()));
    if (this.parts) {
      await this.parts.pipeline.close();
      await this.parts.link.close();
      await this.parts.spool.close();
    }
    await this.deadLetters.close().catch(() => {});
    await this.lagQuery?.catch(() => {});
    const admin = this.lagAdmin;
    this.lagAdmin = undefined;
    await admin?.disconnect().catch(() => {});
  }

  private started(what: string): { spool: DiskSpool; link: BrokerLink; pipeline: PublishPipeline } {
    if (this.state === 'closed') throw new BusClosedError(`KafkaBus.${what}(): the bus is closed`);
    if (!this.parts) throw new Error(`KafkaBus.${what}(): call start() first`);
    return this.parts;
  }

  private statsName(kafkaTopic: string): string {
    return kafkaTopic.startsWith(this.prefix) ? kafkaTopic.slice(this.prefix.length) : kafkaTopic;
  }

  private topicSpecs(): TopicSpec[] {
    return Object.values(Topic).map((topic) => ({
      name: this.kafkaTopic(topic),
      partitions: this.options.partitionsPerTopic?.[topic] ?? this.options.partitions ?? 6,
      replicationFactor: this.options.replicationFactor ?? -1,
      compacted: COMPACTED.has(topic),
    }));
  }
}
