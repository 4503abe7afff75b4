import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { BatchHandler, BusMessage } from '../bus';
import type { Codec } from '../codec';
import type { BusLogger } from '../logger';
import { bump, type KafkaBusCounters } from './counters';
import type { DeadLetter, DeadLetterSender } from './dead-letter';
import { describeError } from './send-errors';

export interface SubscriptionOptions {
  kafka: Kafka;
  /** Name in Kafka, and the name counters use (`<statsTopic>/<consumer>`). */
  kafkaTopic: string;
  statsTopic: string;
  consumer: string;
  groupId: string;
  handler: BatchHandler<unknown>;
  codec: Codec;
  /** On the dead-letter topic itself a failure is dropped and counted, never dead-lettered again. */
  isDeadLetterTopic: boolean;
  deadLetters: DeadLetterSender;
  counters: KafkaBusCounters;
  log: BusLogger;
  /** Most messages handed to the handler at once (a Kafka fetch is cut into such batches). */
  maxBatchMessages: number;
  /** Retries of a failing batch before it is dead-lettered, and the first backoff (doubling). */
  handlerRetries: number;
  handlerBackoffMs: number;
  /** Where a consumer group without committed offsets starts: true = the oldest message. */
  fromBeginning: boolean;
  reconnectMs: number;
  topicsReady: () => Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * One consumer group (named after the consumer) reading one topic. At-least-once: an offset is
 * committed only after the handler resolved for every message before it, or after those
 * messages were stored on the dead-letter topic. Stopping during a handler or its retries
 * commits nothing, so the batch is delivered again to whoever reads the partition next.
 */
export class Subscription {
  private consumer: Consumer | undefined;
  private stopped = false;
  private readonly stopWaiters = new Set<() => void>();
  private running: Promise<void> | undefined;
  private readonly statsKey: string;

  constructor(private readonly o: SubscriptionOptions) {
    this.statsKey = `${o.statsTopic}/${o.consumer}`;
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.stopWaiters) wake();
    this.stopWaiters.clear();
    await this.running;
    // disconnect() waits for the batch in progress, which returns at once without committing.
    await this.consumer?.disconnect().catch(() => {});
  }

  private async run(): Promise<void> {
    await Promise.race([this.o.topicsReady(), this.sleep(Number.POSITIVE_INFINITY)]);
    let delay = this.o.reconnectMs;
    while (!this.stopped) {
      const consumer = this.o.kafka.consumer({
        groupId: this.o.groupId,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 500,
      });
      consumer.on(consumer.events.CRASH, (event) => {
        const { error, restart } = event.payload as { error: unknown; restart: boolean };
        this.o.log.error(`consumer ${this.statsKey}: ${describeError(error)}${restart ? ' — restarting' : ''}`);
      });
      try {
        this.consumer = consumer;
        await consumer.connect();
        await consumer.subscribe({ topics: [this.o.kafkaTopic], fromBeginning: this.o.fromBeginning });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => this.eachBatch(payload),
        });
        return;
      } catch (e) {
        this.o.log.warn(`consumer ${this.statsKey}: cannot start: ${describeError(e)} — retrying in ${delay} ms`);
        await consumer.disconnect().catch(() => {});
        this.consumer = undefined;
        await this.sleep(delay);
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (let i = 0; i < batch.messages.length; i += this.o.maxBatchMessages) {
      if (this.stopped || !isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + this.o.maxBatchMessages);
      const where = { topic: batch.topic, partition: batch.partition };
      const decoded: Array<{ raw: KafkaMessage; message: BusMessage<unknown> }> = [];
      const undecodable: DeadLetter[] = [];
      for (const raw of chunk) {
        try {
          decoded.push({ raw, message: { key: raw.key?.toString('utf8') ?? '', value: this.decode(raw) } });
        } catch (e) {
          undecodable.push(this.letter('undecodable', where, raw, e));
        }
      }
      await this.deadLetter(undecodable);
      if (decoded.length > 0 && !(await this.handle(decoded, where, heartbeat))) return;
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await this.consumer!.commitOffsets([{ ...where, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    }
  }

  /** A null value is a tombstone (a deleted key on a compacted topic): handed on as null. */
  private decode(raw: KafkaMessage): unknown {
    if (raw.value === null) return null;
    return this.o.codec.decode(raw.value, this.o.statsTopic);
  }

  /** true = handled or dead-lettered (commit); false = stopping (do not commit). */
  private async handle(
    decoded: Array<{ raw: KafkaMessage; message: BusMessage<unknown> }>,
    where: { topic: string; partition: number },
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    const { counters, handlerRetries, handlerBackoffMs } = this.o;
    const messages = decoded.map((d) => d.message);
    let lastError: unknown;
    for (let attempt = 0; attempt <= handlerRetries; attempt++) {
      if (attempt > 0) {
        await this.sleep(Math.min(handlerBackoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS));
        if (this.stopped) return false;
        await heartbeat();
      }
      try {
        await this.o.handler(messages);
        bump(counters.delivered, this.statsKey, messages.length);
        return true;
      } catch (e) {
        lastError = e;
        bump(counters.handlerErrors, this.statsKey, messages.length);
      }
    }
    if (this.stopped) return false;
    const error = `handler failed ${handlerRetries + 1} times: ${describeError(lastError)}`;
    await this.deadLetter(decoded.map((d) => this.letter('handler-failed', where, d.raw, error)));
    return true;
  }

  private async deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const first = letters[0]!;
    const what = `${letters.length} message${letters.length === 1 ? '' : 's'} from ${first.topic}[${first.partition}] at offset ${first.offset}${letters.length > 1 ? '…' : ''} (${first.reason}: ${first.error})`;
    if (this.o.isDeadLetterTopic) {
      bump(this.o.counters.dropped, this.statsKey, letters.length);
      this.o.log.error(`consumer ${this.statsKey}: dropped ${what} — already on the dead-letter topic`);
      return;
    }
    // Throws if the dead letters cannot be stored: kafkajs then redelivers the batch, uncommitted.
    await this.o.deadLetters.send(letters);
    bump(this.o.counters.deadLettered, this.statsKey, letters.length);
    this.o.log.warn(`consumer ${this.statsKey}: dead-lettered ${what}`);
  }

  private letter(
    reason: DeadLetter['reason'],
    where: { topic: string; partition: number },
    raw: KafkaMessage,
    error: unknown,
  ): DeadLetter {
    return {
      reason,
      ...where,
      offset: raw.offset,
      consumer: this.o.consumer,
      error: typeof error === 'string' ? error : describeError(error),
      message: raw,
    };
  }

  /** Waits, or less when the subscription stops. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.stopWaiters.delete(wake);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      this.stopWaiters.add(wake);
    });
  }
}
