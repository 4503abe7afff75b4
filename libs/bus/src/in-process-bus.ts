import type { BatchHandler, BusMessage, BusStats, ConsumerLag, EventBus } from './bus';
import type { TopicName } from './topics';

interface Subscriber {
  id: string;
  topic: string;
  consumer: string;
  handler: BatchHandler<unknown>;
  queue: BusMessage<unknown>[][];
  queued: number;
  /** Messages of the batch its handler has now. */
  handling: number;
  running: boolean;
  idle: Array<() => void>;
}

export interface InProcessBusOptions {
  /** Messages a slow consumer may have waiting before new ones are dropped (and counted). */
  maxQueuedPerConsumer?: number;
}

/**
 * The bus inside one process. Each consumer has its own bounded queue and sees batches in
 * publish order, one batch at a time (a handler's promise is awaited before the next batch), so
 * a slow consumer never blocks the producer or other consumers. A full queue drops the batch
 * for that consumer and counts it; a throwing handler is counted and the consumer continues.
 */
export class InProcessBus implements EventBus {
  private readonly topics = new Map<string, Subscriber[]>();
  private readonly counters: BusStats = { published: {}, delivered: {}, dropped: {}, handlerErrors: {} };
  private readonly maxQueued: number;

  constructor(options: InProcessBusOptions = {}) {
    this.maxQueued = options.maxQueuedPerConsumer ?? 1_000_000;
  }

  async publish<T>(topic: TopicName, messages: BusMessage<T>[]): Promise<void> {
    if (messages.length === 0) return;
    bump(this.counters.published, topic, messages.length);
    for (const sub of this.topics.get(topic) ?? []) {
      if (sub.queued + messages.length > this.maxQueued) {
        bump(this.counters.dropped, sub.id, messages.length);
        continue;
      }
      sub.queue.push(messages as BusMessage<unknown>[]);
      sub.queued += messages.length;
      if (!sub.running) void this.drain(sub);
    }
  }

  /** No history is kept, so every subscription starts at 'latest' whatever SubscribeOptions say. */
  subscribe<T>(topic: TopicName, consumer: string, handler: BatchHandler<T>): () => void {
    const sub: Subscriber = {
      id: `${topic}/${consumer}`,
      topic,
      consumer,
      handler: handler as BatchHandler<unknown>,
      queue: [],
      queued: 0,
      handling: 0,
      running: false,
      idle: [],
    };
    const subs = this.topics.get(topic) ?? [];
    subs.push(sub);
    this.topics.set(topic, subs);
    return () => {
      const remaining = (this.topics.get(topic) ?? []).filter((s) => s !== sub);
      this.topics.set(topic, remaining);
      if (sub.queued > 0) bump(this.counters.dropped, sub.id, sub.queued);
      sub.queue = [];
      sub.queued = 0;
    };
  }

  /** Resolves once every consumer has handled everything published so far. */
  async flush(): Promise<void> {
    const pending = [...this.topics.values()].flat().filter((s) => s.running || s.queued > 0);
    await Promise.all(pending.map((s) => new Promise<void>((resolve) => s.idle.push(resolve))));
  }

  stats(): BusStats {
    return structuredClone(this.counters);
  }

  /** Per subscription (one partition, 0): messages queued for it plus those its handler has now. */
  async consumerLag(): Promise<ConsumerLag[]> {
    return [...this.topics.values()]
      .flat()
      .map((s) => ({ topic: s.topic, consumer: s.consumer, partition: 0, lag: s.queued + s.handling }));
  }

  async close(): Promise<void> {
    await this.flush();
    this.topics.clear();
  }

  private async drain(sub: Subscriber): Promise<void> {
    sub.running = true;
    // Deliver on a later turn of the event loop: consumer code never runs inside publish()'s
    // caller, so a producer cannot be re-entered by its own consumers.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let batch: BusMessage<unknown>[] | undefined;
    while ((batch = sub.queue.shift()) !== undefined) {
      sub.queued -= batch.length;
      sub.handling = batch.length;
      try {
        await sub.handler(batch);
        bump(this.counters.delivered, sub.id, batch.length);
      } catch {
        bump(this.counters.handlerErrors, sub.id, batch.length);
      } finally {
        sub.handling = 0;
      }
    }
    sub.running = false;
    for (const resolve of sub.idle.splice(0)) resolve();
  }
}

function bump(counter: Record<string, number>, key: string, n: number): void {
  counter[key] = (counter[key] ?? 0) + n;
}
