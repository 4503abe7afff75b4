import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { BusLogger } from '../logger';
import { describeError } from './send-errors';
import { ensureTopics, TopicSetupError, type TopicSpec } from './topic-setup';

export interface BrokerLinkOptions {
  kafka: Kafka;
  topics: TopicSpec[];
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** kafkajs retries of one send before the bus calls the broker unavailable. */
  sendRetries: number;
  log: BusLogger;
  /** Called after every successful (re)connection: the publisher replays its spool then. */
  onConnected: () => void;
}

/**
 * The producer's connection to the cluster: connect, set up topics, produce; on failure,
 * reconnect with exponential backoff until close(). Topic setup runs on every connection (it is
 * idempotent and cheap), so topics deleted while the bus was away are created again.
 */
export class BrokerLink {
  producer: Producer | undefined;
  lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private closed = false;
  private attempt: Promise<void> | undefined;
  private lastLogged: string | undefined;
  /** Set while the broker is unavailable, so its return is logged once. */
  private down = false;
  private topicsDone = false;
  private topicsWaiters: Array<() => void> = [];

  constructor(private readonly options: BrokerLinkOptions) {
    this.delay = options.reconnectInitialMs;
  }

  get connected(): boolean {
    return this.producer !== undefined;
  }

  /** Resolves once topic setup has succeeded (consumers subscribe after it). */
  topicsReady(): Promise<void> {
    if (this.topicsDone) return Promise.resolve();
    return new Promise((resolve) => this.topicsWaiters.push(resolve));
  }

  /**
   * First connection attempt. A wrong topic configuration rejects (the operator must fix it);
   * an unreachable broker does not: the bus starts spooling and keeps trying in the background.
   */
  async start(): Promise<void> {
    const error = await this.connectOnce();
    if (error instanceof TopicSetupError) throw error;
    if (error) this.scheduleReconnect();
  }

  /** The producer failed: drop it and reconnect later with a fresh one (new producer id). */
  markFailed(error: unknown): void {
    const producer = this.producer;
    if (!producer) return;
    this.producer = undefined;
    this.down = true;
    this.note(`Kafka unavailable: ${describeError(error)} — messages go to the spool until it returns`, 'warn');
    void producer.disconnect().catch(() => {});
    this.scheduleReconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.attempt?.catch(() => {});
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => {});
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt = this.connectOnce().then((error) => {
        if (error) {
          this.delay = Math.min(this.delay * 2, this.options.reconnectMaxMs);
          this.scheduleReconnect();
        }
      });
    }, this.delay);
  }

  /** Returns the error of a failed attempt (already logged), or undefined once connected. */
  private async connectOnce(): Promise<unknown> {
    const { kafka } = this.options;
    const admin = kafka.admin();
    let producer: Producer | undefined;
    try {
      await admin.connect();
      const report = await ensureTopics(admin, this.options.topics);
      if (report.created.length > 0) this.options.log.info(`created Kafka topics ${report.created.join(', ')}`);
      for (const note of report.notes) this.note(note, 'warn');
      this.markTopicsReady();
      producer = kafka.producer({
        idempotent: true,
        // One request in flight per broker: with idempotence this is what keeps a key's
        // messages in order across kafkajs's own retries.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: this.options.sendRetries, initialRetryTime: 100, maxRetryTime: 2_000 },
      });
      await producer.connect();
      if (this.closed) {
        await producer.disconnect();
        return new Error('closed');
      }
      this.producer = producer;
      this.delay = this.options.reconnectInitialMs;
      this.lastError = undefined;
      if (this.down) this.options.log.info('Kafka connected again: replaying the spool first');
      this.down = false;
      this.lastLogged = undefined;
      this.options.onConnected();
      return undefined;
    } catch (e) {
      await producer?.disconnect().catch(() => {});
      this.down = true;
      const text = e instanceof TopicSetupError ? e.message : `cannot reach Kafka: ${describeError(e)}`;
      this.note(
        `${text} — retrying in ${this.delay} ms; messages go to the spool meanwhile`,
        e instanceof TopicSetupError ? 'error' : 'warn',
      );
      this.lastError = text;
      return e;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  private markTopicsReady(): void {
    this.topicsDone = true;
    for (const resolve of this.topicsWaiters.splice(0)) resolve();
  }

  /** Logs a state once, not at every retry of the same outage. */
  private note(text: string, level: 'info' | 'warn' | 'error'): void {
    const key = text.replace(/retrying in \d+ ms/, '');
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.options.log[level](text);
  }
}
