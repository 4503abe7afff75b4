import type { TopicName } from './topics';

/** A keyed message. The key decides ordering: messages with one key are delivered in order. */
export interface BusMessage<T> {
  key: string;
  value: T;
}

export type BatchHandler<T> = (batch: BusMessage<T>[]) => void | Promise<void>;

/**
 * What producers and consumers see of the transport. Kafka implements it for the fleet; the
 * in-process bus implements it for `vigil run`. Same code paths above it, different transport.
 */
export interface EventBus {
  publish<T>(topic: TopicName, messages: BusMessage<T>[]): Promise<void>;
  /** Subscribes under a consumer name; returns the function that ends the subscription. */
  subscribe<T>(topic: TopicName, consumer: string, handler: BatchHandler<T>): () => void;
  /** Drops per topic and consumer: every message that was not delivered is counted here. */
  stats(): BusStats;
  close(): Promise<void>;
}

export interface BusStats {
  published: Record<string, number>;
  delivered: Record<string, number>;
  dropped: Record<string, number>;
  handlerErrors: Record<string, number>;
}
