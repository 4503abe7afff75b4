import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { KafkaBus, Topic, type EventBus, type KafkaBusStats } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import { Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import { BatchHandler } from './batch-handler';
import { ClickHouseSink } from './clickhouse-sink';
import { DuckDbSink } from './duckdb-sink';
import type { EventSink } from './event-sink';
import type { exporterSchema } from './exporter.config';
import { EXPORTER_OPTIONS, type ExporterModuleOptions } from './exporter.options';
import { isRetryableStoreError, retryDelayMs } from './store-retry';

type ExporterConfig = ConfigOf<typeof exporterSchema>;

export type ExporterState = 'starting' | 'waiting for store' | 'running' | 'failed' | 'stopped';

/**
 * Wires bus → BatchHandler → store and owns their lifecycle: at start the bus (when the exporter
 * made it), the store's migrations, then the subscription; at shutdown the reverse, so a batch
 * being stored is either acknowledged before the store closes or not committed at all.
 */
@Injectable()
export class ExporterRuntime implements OnModuleInit, OnApplicationShutdown {
  readonly sink: EventSink;
  readonly bus: EventBus;
  readonly consumer: string;
  readonly handler: BatchHandler;
  state: ExporterState = 'starting';
  /** Why the store could not be opened (while waiting or after failing). */
  startError?: string;
  private readonly ownsBus: boolean;
  private readonly logger = new Logger('exporter');
  private unsubscribe?: () => void;
  /** The batch being handled, so shutdown can wait for it before closing the store. */
  private active: Promise<void> = Promise.resolve();
  private stopping = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    @Inject(VIGIL_CONFIG) config: ExporterConfig,
    @Inject(EXPORTER_OPTIONS) options: ExporterModuleOptions,
    readiness: Readiness,
  ) {
    const e = config.exporter;
    this.consumer = e.consumer;
    this.ownsBus = options.bus === undefined;
    this.bus =
      options.bus ??
      new KafkaBus({
        brokers: config.kafka.brokers,
        clientId: `${config.kafka.clientId}-exporter`,
        topicPrefix: e.topicPrefix,
        spoolDir: e.spoolDir,
        // One handler call = one INSERT: the batch size is the consumer's batch.
        consumerBatchMessages: e.batchSize,
        log: {
          info: (m) => this.logger.log(m),
          warn: (m) => this.logger.warn(m),
          error: (m) => this.logger.error(m),
        },
      });
    const store =
      options.store ?? (e.store === 'duckdb' ? { kind: 'duckdb' as const } : { kind: 'clickhouse' as const });
    this.sink =
      store.kind === 'duckdb'
        ? new DuckDbSink(store.path ?? e.duckdbPath)
        : new ClickHouseSink({
            ...config.clickhouse,
            maxBatchRows: e.batchSize,
            flushIntervalMs: e.flushInterval,
            maxBacklogRows: e.maxBacklogRows,
            onInsertError: (message, willRetry) =>
              this.logger.warn(`ClickHouse insert failed${willRetry ? ' (retrying)' : ''}: ${message}`),
          });
    const bus = this.bus;
    this.handler = new BatchHandler({
      sink: this.sink,
      bus,
      consumer: this.consumer,
      // Only Kafka's flush means "durable"; the in-process bus's flush waits for this very consumer.
      ...(bus instanceof KafkaBus ? { flushDeadLetters: () => bus.flush() } : {}),
      log: { warn: (m) => this.logger.warn(m) },
    });
    readiness.register('store', () => this.state === 'running');
    readiness.register('store connected', () => this.sink.health().connected);
  }

  async onModuleInit(): Promise<void> {
    // Rejects only on a wrong topic configuration; an unreachable broker is retried inside.
    if (this.ownsBus) await (this.bus as KafkaBus).start();
    await this.openStore(1);
  }

  /**
   * Migrations, then the subscription. The first attempt is awaited (the embedded store is ready
   * when the module is); a server that is down is retried in the background while /readyz says
   * not ready; any other failure (a migration refused, a bad database name) stops the start.
   */
  private async openStore(attempt: number): Promise<void> {
    try {
      await this.sink.open();
    } catch (err) {
      this.startError = err instanceof Error ? err.message : String(err);
      if (!isRetryableStoreError(err)) {
        this.state = 'failed';
        throw err;
      }
      this.state = 'waiting for store';
      const delay = retryDelayMs(attempt);
      this.logger.warn(`store not reachable (${this.startError}); retrying in ${delay} ms`);
      this.retryTimer = setTimeout(() => {
        if (this.stopping) return;
        this.openStore(attempt + 1).catch((e: unknown) =>
          this.logger.error(`store cannot be opened: ${e instanceof Error ? e.message : String(e)}`),
        );
      }, delay);
      return;
    }
    this.startError = undefined;
    if (this.stopping) return;
    this.unsubscribe = this.bus.subscribe(Topic.events, this.consumer, (batch) => {
      const handled = this.handler.handle(batch);
      this.active = handled.catch(() => undefined);
      return handled;
    });
    this.state = 'running';
    this.logger.log(`consuming ${Topic.events} as ${this.consumer} into ${this.sink.kind}`);
  }

  /** The bus's own counters for this consumer (undecodable messages, handler failures, drops). */
  busCounters(): { deadLettered: number; handlerErrors: number; dropped: number } {
    const s = this.bus.stats();
    const key = `${Topic.events}/${this.consumer}`;
    const deadLettered = (s as Partial<KafkaBusStats>).deadLettered?.[key] ?? 0;
    return { deadLettered, handlerErrors: s.handlerErrors[key] ?? 0, dropped: s.dropped[key] ?? 0 };
  }

  get transport(): 'kafka' | 'in-process' {
    return this.bus instanceof KafkaBus ? 'kafka' : 'in-process';
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    this.unsubscribe?.();
    // Stops the consumers; Kafka commits nothing for a batch still being handled.
    const closingBus = this.ownsBus ? this.bus.close() : Promise.resolve();
    // A batch being stored gets a while to finish; past that the store's close rejects it
    // (a ClickHouse that is down), which leaves it uncommitted for the next exporter.
    await Promise.race([this.active, new Promise((r) => setTimeout(r, 10_000).unref())]);
    await this.sink.close();
    await closingBus;
    this.state = 'stopped';
  }
}
