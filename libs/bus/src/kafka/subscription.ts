import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { BatchHandler, BusMessage } from '../bus';
import type { Codec } from '../codec';
import type { BusLogger } from '../logger';
import { bump, type KafkaBusCounters } from './counters';
import type { DeadLetter, DeadLetterSender } from './dead-letter';
import { describeError, rootError } from './send-errors';

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
  /**
   * Group session: the coordinator evicts a member it has not heard from for sessionTimeoutMs.
   * The subscription heartbeats every heartbeatIntervalMs, also while a handler runs or waits
   * between retries, so a handler may take longer than the session.
   */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Backoff of (re)starting the consumer: reconnectMs doubling up to reconnectMaxMs. */
  reconnectMs: number;
  reconnectMaxMs: number;
  topicsReady: () => Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;
/** A consumer that ran this long, or committed a batch, starts its next restart at the first backoff again. */
const HEALTHY_AFTER_MS = 60_000;

/** Answers after which kafkajs rejoins the group by itself (its `isRebalancing`): no restart needed. */
const REJOIN_ERRORS: ReadonlySet<string> = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP',
]);
/** The coordinator dropped the member (session expired): its partitions may be someone else's now. */
const EVICTED_ERRORS: ReadonlySet<string> = new Set(['UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

function groupErrorType(error: unknown): 'rejoin' | 'evicted' | undefined {
  const type = rootError(error).type;
  if (type === undefined) return undefined;
  if (REJOIN_ERRORS.has(type)) return 'rejoin';
  if (EVICTED_ERRORS.has(type)) return 'evicted';
  return undefined;
}

/**
 * Thrown out of eachBatch when the member was evicted: non-retriable, so kafkajs crashes the
 * consumer instead of fetching again with a member id the coordinator no longer knows, and the
 * subscription starts a new consumer in the group.
 */
class ConsumerEvictedError extends Error {
  override name = 'ConsumerEvictedError';
  readonly retriable = false;
}

/**
 * Heartbeats on a timer while a batch is being handled (the handler, its retries and their
 * backoff, dead letters, the commit): kafkajs heartbeats only between batches on its own.
 * Records the first answer that says the membership is over, so the retry loop can give up.
 */
class HeartbeatKeeper {
  private readonly timer: NodeJS.Timeout;
  private inFlight = false;
  private logged = false;
  /** A heartbeat answer that ended this member's generation (rebalance or eviction). */
  groupError: unknown;

  constructor(
    private readonly heartbeat: () => Promise<void>,
    intervalMs: number,
    private readonly onFailure: (error: unknown, first: boolean) => void,
  ) {
    // kafkajs sends at most one heartbeat per heartbeatInterval, measured from the last answer:
    // ticking at half the interval keeps the gap between heartbeats under 1.5 intervals.
    this.timer = setInterval(() => this.beat(), Math.max(100, Math.floor(intervalMs / 2)));
  }

  private beat(): void {
    if (this.inFlight) return;
    this.inFlight = true;
    this.heartbeat()
      .catch((e: unknown) => {
        if (groupErrorType(e) !== undefined && this.groupError === undefined) this.groupError = e;
        this.onFailure(e, !this.logged);
        this.logged = true;
      })
      .finally(() => {
        this.inFlight = false;
      });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

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
  /** The current consumer committed a batch: it worked, so the restart backoff starts over. */
  private committed = false;
  /**
   * Consumers whose commit failed since they last joined the group. kafkajs hands over the rest
   * of the fetched batches before it rejoins or crashes; they are skipped (not committed, so
   * delivered again after the rejoin or restart) instead of being handled for nothing.
   */
  private readonly lostMembership = new WeakSet<Consumer>();

  constructor(private readonly o: SubscriptionOptions) {
    this.statsKey = `${o.statsTopic}/${o.consumer}`;
  }

  /** What it reads and as which group (KafkaBus.consumerLag asks the broker about it). */
  get target(): { kafkaTopic: string; statsTopic: string; consumer: string; groupId: string; fromBeginning: boolean } {
    const { kafkaTopic, statsTopic, consumer, groupId, fromBeginning } = this.o;
    return { kafkaTopic, statsTopic, consumer, groupId, fromBeginning };
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

  /**
   * Starts a consumer and keeps one running until stop(): a consumer that crashes — a
   * non-retriable error, eviction from the group, retries exhausted — is replaced by a new one in
   * the same group after a backoff. Nothing is skipped: the new member starts at the committed
   * offsets, so whatever was not committed is delivered again.
   */
  private async run(): Promise<void> {
    await Promise.race([this.o.topicsReady(), this.sleep(Number.POSITIVE_INFINITY)]);
    let delay = this.o.reconnectMs;
    const backoff = async (): Promise<void> => {
      await this.sleep(delay);
      delay = Math.min(delay * 2, Math.max(this.o.reconnectMs, this.o.reconnectMaxMs));
    };
    while (!this.stopped) {
      const consumer = this.o.kafka.consumer({
        groupId: this.o.groupId,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 500,
        sessionTimeout: this.o.sessionTimeoutMs,
        heartbeatInterval: this.o.heartbeatIntervalMs,
        rebalanceTimeout: Math.max(60_000, this.o.sessionTimeoutMs),
        // kafkajs would restart a crashed consumer itself, but only after retriable errors; the
        // subscription restarts every crash the same way (below), so kafkajs never does.
        retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
      });
      let crash: (error: unknown) => void = () => {};
      const crashed = new Promise<unknown>((resolve) => (crash = resolve));
      consumer.on(consumer.events.CRASH, (event) => crash((event.payload as { error: unknown }).error));
      consumer.on(consumer.events.GROUP_JOIN, () => this.lostMembership.delete(consumer));
      this.committed = false;
      try {
        this.consumer = consumer;
        await consumer.connect();
        await consumer.subscribe({ topics: [this.o.kafkaTopic], fromBeginning: this.o.fromBeginning });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => this.eachBatch(consumer, payload),
        });
      } catch (e) {
        this.o.log.warn(`consumer ${this.statsKey}: cannot start: ${describeError(e)} — retrying in ${delay} ms`);
        await consumer.disconnect().catch(() => {});
        this.consumer = undefined;
        await backoff();
        continue;
      }
      const since = Date.now();
      const error = await this.untilStoppedOr(crashed);
      if (this.stopped) return;
      // kafkajs has disconnected the crashed consumer already; once more does no harm.
      await consumer.disconnect().catch(() => {});
      this.consumer = undefined;
      if (this.committed || Date.now() - since >= HEALTHY_AFTER_MS) delay = this.o.reconnectMs;
      const described = describeError(error);
      bump(this.o.counters.restarts, this.statsKey);
      this.o.counters.consumerErrors[this.statsKey] = described;
      this.o.log.error(
        `consumer ${this.statsKey}: crashed: ${described} — restarting in ${delay} ms (uncommitted messages are delivered again)`,
      );
      await backoff();
    }
  }

  private async eachBatch(
    consumer: Consumer,
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  ): Promise<void> {
    if (this.lostMembership.has(consumer)) return;
    const keeper = new HeartbeatKeeper(heartbeat, this.o.heartbeatIntervalMs, (e, first) => {
      if (first)
        this.o.log.warn(
          `consumer ${this.statsKey}: heartbeat failed while handling ${batch.topic}[${batch.partition}]: ${describeError(e)}`,
        );
    });
    try {
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
        if (decoded.length > 0 && !(await this.handle(consumer, decoded, where, keeper))) return;
        const last = chunk[chunk.length - 1]!.offset;
        resolveOffset(last);
        await this.commit(consumer, { ...where, offset: (BigInt(last) + 1n).toString() });
        await heartbeat();
      }
    } finally {
      keeper.stop();
    }
  }

  /**
   * Commits after a handled batch. A commit refused because the group is rebalancing throws
   * kafkajs's own error, so kafkajs rejoins and the uncommitted batch comes again from the
   * committed offset; any other failure (eviction: "not aware of this member") crashes the
   * consumer and run() starts a new one.
   */
  private async commit(
    consumer: Consumer,
    offset: { topic: string; partition: number; offset: string },
  ): Promise<void> {
    try {
      await consumer.commitOffsets([offset]);
      this.committed = true;
    } catch (e) {
      this.lostMembership.add(consumer);
      if (groupErrorType(e) === 'rejoin') throw rootError(e) as Error;
      throw e;
    }
  }

  /** A null value is a tombstone (a deleted key on a compacted topic): handed on as null. */
  private decode(raw: KafkaMessage): unknown {
    if (raw.value === null) return null;
    return this.o.codec.decode(raw.value, this.o.statsTopic);
  }

  /** true = handled or dead-lettered (commit); false = stopping (do not commit). */
  private async handle(
    consumer: Consumer,
    decoded: Array<{ raw: KafkaMessage; message: BusMessage<unknown> }>,
    where: { topic: string; partition: number },
    keeper: HeartbeatKeeper,
  ): Promise<boolean> {
    const { counters, handlerRetries, handlerBackoffMs } = this.o;
    const messages = decoded.map((d) => d.message);
    let lastError: unknown;
    for (let attempt = 0; attempt <= handlerRetries; attempt++) {
      if (attempt > 0) {
        // The keeper heartbeats through the backoff; a membership that ended meanwhile stops the
        // retries (nothing committed) instead of retrying for a partition no longer ours.
        await this.sleep(Math.min(handlerBackoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS));
        if (this.stopped) return false;
        this.throwIfMembershipEnded(consumer, keeper);
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

  private throwIfMembershipEnded(consumer: Consumer, keeper: HeartbeatKeeper): void {
    const error = keeper.groupError;
    if (error === undefined) return;
    this.lostMembership.add(consumer);
    // A rebalance: kafkajs's own error makes kafkajs rejoin; the batch comes again after it.
    if (groupErrorType(error) === 'rejoin') throw rootError(error) as Error;
    throw new ConsumerEvictedError(`evicted from the group while retrying a batch: ${describeError(error)}`);
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

  /** Resolves with what `event` resolves with, or undefined as soon as the subscription stops. */
  private async untilStoppedOr<T>(event: Promise<T>): Promise<T | undefined> {
    if (this.stopped) return undefined;
    let wake: (() => void) | undefined;
    const stopped = new Promise<undefined>((resolve) => {
      wake = () => resolve(undefined);
      this.stopWaiters.add(wake);
    });
    try {
      return await Promise.race([event, stopped]);
    } finally {
      this.stopWaiters.delete(wake!);
    }
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
