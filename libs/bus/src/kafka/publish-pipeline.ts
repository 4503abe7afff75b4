import { CompressionTypes } from 'kafkajs';
import type { BusLogger } from '../logger';
import type { DiskSpool } from '../spool/disk-spool';
import type { SpoolRecord } from '../spool/record-format';
import type { BrokerLink } from './broker-link';
import { bump, type KafkaBusCounters } from './counters';
import { describeError, isRecordRejection } from './send-errors';

export interface PublishPipelineOptions {
  /** How long the first message of a batch waits for company before the batch goes out. */
  lingerMs: number;
  batchBytes: number;
  batchMessages: number;
  /** Bytes waiting in memory before publish() waits (back-pressure on the producer). */
  bufferBytes: number;
}

interface Deps {
  link: BrokerLink;
  spool: DiskSpool;
  counters: KafkaBusCounters;
  log: BusLogger;
  /** Kafka topic name → the name counters use (the bus's prefix removed). */
  statsName: (kafkaTopic: string) => string;
}

/** Result of a send: how many leading records Kafka has (or refused for good), and why it stopped. */
interface SendOutcome {
  done: number;
  unavailable?: unknown;
}

const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The one sequential loop between publish() and Kafka. Each turn does the first that applies:
 *  1. a batch is ready and the spool is not empty, or the broker is away → append it to the spool
 *     (new messages queue behind older spooled ones: per-key order holds end to end);
 *  2. the broker is there and the spool is not empty → replay the spool's oldest batch;
 *  3. a batch is ready → send it; if the broker fails it, the batch goes to the (empty) spool.
 * Being one loop, it never has two sends in flight, which is what ordering needs.
 */
export class PublishPipeline {
  private buffer: SpoolRecord[] = [];
  private bufferedBytes = 0;
  private lingerExpired = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private roomWaiters: Array<() => void> = [];
  /** Resolved when everything accepted before the flush() call has been sent or spooled. */
  private flushWaiters: Array<{ upTo: number; resolve: () => void }> = [];
  private accepted = 0;
  private handled = 0;
  private idleWaiters: Array<() => void> = [];
  private closing = false;
  private loopDone: Promise<void> | undefined;
  private droppedSinceLog = 0;
  private lastDropLog = 0;

  constructor(
    private readonly options: PublishPipelineOptions,
    private readonly deps: Deps,
  ) {}

  start(): void {
    this.loopDone = this.loop();
  }

  get bufferedMessages(): number {
    return this.buffer.length;
  }

  /** Takes records in order; waits only while the in-memory buffer is over its bound. */
  async accept(records: SpoolRecord[]): Promise<void> {
    while (this.bufferedBytes > this.options.bufferBytes && !this.closing)
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    for (const record of records) {
      this.buffer.push(record);
      this.bufferedBytes += messageBytes(record);
    }
    this.accepted += records.length;
    if (!this.lingerTimer && !this.lingerExpired) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.lingerExpired = true;
        this.signal();
      }, this.options.lingerMs);
    }
    if (this.bufferedBytes >= this.options.batchBytes || this.buffer.length >= this.options.batchMessages)
      this.signal();
  }

  /** Resolves when everything accepted so far is in Kafka or in the spool. */
  flush(): Promise<void> {
    if (this.handled >= this.accepted) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ upTo: this.accepted, resolve });
      this.signal();
    });
  }

  /** Resolves when nothing waits in memory or in the spool (everything reached Kafka or was dropped). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The broker is (back) up: replay the spool now. */
  signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Sends or spools what is buffered, then stops. The spool keeps the rest for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const resolve of this.roomWaiters.splice(0)) resolve();
    this.signal();
    await this.loopDone;
    clearTimeout(this.lingerTimer);
  }

  private isIdle(): boolean {
    return this.buffer.length === 0 && this.deps.spool.pendingRecords === 0;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const { spool, link } = this.deps;
      const ready =
        this.buffer.length > 0 &&
        (this.lingerExpired ||
          this.closing ||
          this.flushWaiters.length > 0 ||
          this.bufferedBytes >= this.options.batchBytes ||
          this.buffer.length >= this.options.batchMessages);
      try {
        if (ready && (spool.pendingRecords > 0 || !link.connected)) await this.spoolBatch(this.takeBatch());
        else if (link.connected && spool.pendingRecords > 0 && !this.closing) await this.replayBatch();
        else if (ready) await this.sendBatch(this.takeBatch());
        else {
          this.settleWaiters();
          if (this.closing) return;
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      } catch (e) {
        // Only the spool's read/commit I/O can get here (sends report through SendOutcome and
        // appends count their own drops); the records stay on disk. Pause instead of spinning.
        this.deps.log.error(`publish loop: ${describeError(e)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      this.settleWaiters();
    }
  }

  private takeBatch(): SpoolRecord[] {
    let bytes = 0;
    let n = 0;
    while (n < this.buffer.length && n < this.options.batchMessages) {
      const r = this.buffer[n]!;
      const size = messageBytes(r);
      if (n > 0 && bytes + size > this.options.batchBytes) break;
      bytes += size;
      n++;
    }
    const batch = this.buffer.splice(0, n);
    this.bufferedBytes -= bytes;
    if (this.buffer.length === 0) {
      this.lingerExpired = false;
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    for (const resolve of this.roomWaiters.splice(0)) resolve();
    return batch;
  }

  private async sendBatch(batch: SpoolRecord[]): Promise<void> {
    const outcome = await this.send(batch);
    this.handled += outcome.done;
    if (outcome.unavailable !== undefined) {
      this.deps.link.markFailed(outcome.unavailable);
      await this.spoolBatch(batch.slice(outcome.done));
    }
  }

  private async spoolBatch(batch: SpoolRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const { counters, statsName } = this.deps;
    let dropped: Awaited<ReturnType<DiskSpool['append']>>['dropped'];
    try {
      dropped = (await this.deps.spool.append(batch)).dropped;
    } catch (e) {
      dropped = batch.map((record) => ({ record, reason: `spool append failed: ${describeError(e)}` }));
    }
    this.handled += batch.length;
    const lost = new Set(dropped.map((d) => d.record));
    for (const record of batch) bump(lost.has(record) ? counters.dropped : counters.spooled, statsName(record.topic));
    if (dropped.length > 0) this.reportDrops(dropped.length, dropped[0]!.reason);
  }

  private async replayBatch(): Promise<void> {
    const { spool, link, counters, statsName } = this.deps;
    const batch = await spool.read(this.options.batchMessages, this.options.batchBytes);
    if (!batch) return;
    const outcome = await this.send(batch.records);
    if (outcome.unavailable !== undefined) {
      // Left in the spool: the records Kafka already has will be sent again (at-least-once).
      link.markFailed(outcome.unavailable);
      return;
    }
    await spool.commit(batch);
    for (const record of batch.records) bump(counters.replayed, statsName(record.topic));
  }

  /**
   * Sends in order. A refusal that blames the records (too large, invalid) is narrowed down by
   * halving until the one refused record is found; it is dropped and counted, the rest goes on.
   */
  private async send(records: SpoolRecord[]): Promise<SendOutcome> {
    const producer = this.deps.link.producer;
    if (!producer) return { done: 0, unavailable: new Error('no producer connection') };
    try {
      await producer.sendBatch({
        compression: CompressionTypes.GZIP,
        acks: -1,
        topicMessages: byTopic(records),
      });
      for (const r of records) bump(this.deps.counters.published, this.deps.statsName(r.topic));
      return { done: records.length };
    } catch (e) {
      if (!isRecordRejection(e)) return { done: 0, unavailable: e };
      if (records.length === 1) {
        const r = records[0]!;
        bump(this.deps.counters.dropped, this.deps.statsName(r.topic));
        const what = r.value === null ? 'a tombstone (null value)' : `${r.value.length} bytes`;
        this.deps.log.error(
          `Kafka refused a message on ${r.topic} (key ${JSON.stringify(r.key)}, ${what}): ${describeError(e)} — dropped`,
        );
        return { done: 1 };
      }
      const half = Math.ceil(records.length / 2);
      const first = await this.send(records.slice(0, half));
      if (first.unavailable !== undefined) return first;
      const second = await this.send(records.slice(half));
      return { done: half + second.done, unavailable: second.unavailable };
    }
  }

  /** Every drop is counted; the log says so at once, then sums up at most every 10 s. */
  private reportDrops(n: number, reason: string): void {
    this.droppedSinceLog += n;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.deps.log.error(`${this.droppedSinceLog} messages dropped: ${reason} (counted in stats().dropped)`);
    this.droppedSinceLog = 0;
    this.lastDropLog = now;
  }

  private settleWaiters(): void {
    this.flushWaiters = this.flushWaiters.filter((w) => (this.handled >= w.upTo ? (w.resolve(), false) : true));
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/**
 * What a message counts for in the memory bound and the batch size: key and value; a tombstone's
 * null value counts 0 (batchMessages still bounds a batch of them).
 */
function messageBytes(r: SpoolRecord): number {
  return (r.value?.length ?? 0) + r.key.length;
}

/** Groups by topic, keeping each topic's messages in their order. A null value goes out as null: a tombstone. */
function byTopic(
  records: SpoolRecord[],
): Array<{ topic: string; messages: Array<{ key: string; value: Buffer | null; timestamp: string }> }> {
  const topics = new Map<string, Array<{ key: string; value: Buffer | null; timestamp: string }>>();
  for (const r of records) {
    let list = topics.get(r.topic);
    if (!list) topics.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, timestamp: String(r.timestamp) });
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
