import type { TopicName } from './topics';

/** A keyed message. The key decides ordering: messages with one key are delivered in order. */
export interface BusMessage<T> {
  key: string;
  value: T;
}

export type BatchHandler<T> = (batch: BusMessage<T>[]) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * Where a consumer name seen for the first time starts: 'earliest' (the default: everything the
   * topic still holds) or 'latest' (only what is published from now on — live views such as a
   * gRPC event stream, which give each instance its own consumer name).
   */
  startAt?: 'earliest' | 'latest';
}

/**
 * What producers and consumers see of the transport. Kafka implements it for the fleet; the
 * in-process bus implements it for `vigil run`. Same code paths above it, different transport.
 */
export interface EventBus {
  publish<T>(topic: TopicName, messages: BusMessage<T>[]): Promise<void>;
  /** Subscribes under a consumer name; returns the function that ends the subscription. */
  subscribe<T>(topic: TopicName, consumer: string, handler: BatchHandler<T>, options?: SubscribeOptions): () => void;
  /** Drops per topic and consumer: every message that was not delivered is counted here. */
  stats(): BusStats;
  /**
   * Messages each subscribed consumer has still to handle, per partition (InProcessBus: its queue,
   * partition 0; KafkaBus: end offset minus committed offset, asked of the broker, rejecting after
   * timeoutMs). Optional: a transport without it reports no lag.
   */
  consumerLag?(timeoutMs?: number): Promise<ConsumerLag[]>;
  close(): Promise<void>;
}

/** One consumer's backlog on one partition of a topic. */
export interface ConsumerLag {
  /** The bus topic name (without the KafkaBus topicPrefix). */
  topic: string;
  consumer: string;
  partition: number;
  /** Messages published to the partition and not yet handled (Kafka: not yet committed) by the consumer. */
  lag: number;
}

export interface BusStats {
  published: Record<string, number>;
  delivered: Record<string, number>;
  dropped: Record<string, number>;
  handlerErrors: Record<string, number>;
}
