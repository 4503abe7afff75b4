import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { KafkaBus, type EventBus } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import { contractsCodec } from '@vigil/contracts';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import type { collectorSchema } from './collector.config';
import { COLLECTOR_OPTIONS, type CollectorModuleOptions } from './collector.options';

type CollectorConfig = ConfigOf<typeof collectorSchema>;

/** The transport as GET /status shows it: every drop counted, the spool and the broker's state. */
export interface CollectorBusStatus {
  transport: 'kafka' | 'in-process';
  /** Messages the transport took in, per topic (Kafka: acknowledged by the broker). */
  published: Record<string, number>;
  /** Per topic (and topic/consumer): spool full, refused by the broker, not encodable, queue full. */
  dropped: Record<string, number>;
  /** Kafka only: accepted and still in memory. */
  buffered?: number;
  /** Kafka only: written to the spool while the broker was away, and replayed from it since. */
  spooled?: Record<string, number>;
  replayed?: Record<string, number>;
  spool?: { bytes: number; records: number; maxBytes: number };
  broker?: { connected: boolean; lastError?: string };
}

/**
 * The collector's bus: the one the composition root gave (`vigil run`: in-process), else a
 * KafkaBus built from configuration (the fleet), which the collector then starts at module init
 * and closes last at shutdown, after the pipeline has handed over its last events.
 */
@Injectable()
export class CollectorBus implements OnModuleInit {
  readonly bus: EventBus;
  /** Whether the collector made the bus, and so starts and closes it. */
  readonly owned: boolean;
  private readonly spoolMaxBytes: number;
  private readonly logger = new Logger('collector bus');

  constructor(
    @Inject(VIGIL_CONFIG) config: CollectorConfig,
    @Inject(COLLECTOR_OPTIONS) options: CollectorModuleOptions,
  ) {
    const c = config.collector;
    this.spoolMaxBytes = c.spoolMaxBytes;
    this.owned = options.bus === undefined;
    this.bus =
      options.bus ??
      new KafkaBus({
        brokers: config.kafka.brokers,
        clientId: `${config.kafka.clientId}-collector-${config.node.name}`,
        topicPrefix: c.topicPrefix,
        spoolDir: c.spoolDir,
        spoolMaxBytes: c.spoolMaxBytes,
        // At least eight segments: a drained segment is deleted whole, so a small spool still
        // frees room while it replays (the bus's 16 MiB default would not even fit under 16 MiB).
        spoolSegmentBytes: Math.min(16 * 1024 ** 2, Math.floor(c.spoolMaxBytes / 8)),
        // Protobuf on the policy topics (PolicySync), JSON for the events, as every service agrees.
        codec: contractsCodec,
        ...(options.kafkaConfig ? { kafkaConfig: options.kafkaConfig } : {}),
        log: {
          info: (m) => this.logger.log(m),
          warn: (m) => this.logger.warn(m),
          error: (m) => this.logger.error(m),
        },
      });
  }

  /** Rejects only on a wrong topic configuration; an unreachable broker means spooling, retried inside. */
  async onModuleInit(): Promise<void> {
    if (this.owned) await (this.bus as KafkaBus).start();
  }

  /** Sends or spools what is still in memory; only for a bus the collector made. */
  async close(): Promise<void> {
    if (this.owned) await this.bus.close();
  }

  status(): CollectorBusStatus {
    if (!(this.bus instanceof KafkaBus)) {
      const s = this.bus.stats();
      return { transport: 'in-process', published: s.published, dropped: s.dropped };
    }
    const s = this.bus.stats();
    return {
      transport: 'kafka',
      published: s.published,
      dropped: s.dropped,
      buffered: s.buffered,
      spooled: s.spooled,
      replayed: s.replayed,
      spool: { bytes: s.spool.bytes, records: s.spool.records, maxBytes: this.spoolMaxBytes },
      broker: s.broker,
    };
  }
}
