import { Partitioners, type IHeaders, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';

export type DeadLetterReason = 'undecodable' | 'handler-failed';

export interface DeadLetter {
  reason: DeadLetterReason;
  /** Where the message was read: Kafka topic, partition and offset. */
  topic: string;
  partition: number;
  offset: string;
  consumer: string;
  error: string;
  message: KafkaMessage;
}

/** Header names on every dead letter; the value repeats them with the original key and bytes. */
export const DeadLetterHeader = {
  reason: 'vigil-dead-letter-reason',
  topic: 'vigil-source-topic',
  partition: 'vigil-source-partition',
  offset: 'vigil-source-offset',
  consumer: 'vigil-consumer',
  error: 'vigil-error',
} as const;

/** The JSON value of a dead letter (always JSON, whatever codec the topics use). */
export interface DeadLetterValue {
  reason: DeadLetterReason;
  topic: string;
  partition: number;
  offset: string;
  consumer: string;
  error: string;
  key: string | null;
  /**
   * The original value bytes, base64 (they may not be text at all); null for a tombstone (a null
   * value), "" for an empty value.
   */
  valueBase64: string | null;
}

export function deadLetterMessage(d: DeadLetter): { key: Buffer | null; value: string; headers: IHeaders } {
  const value: DeadLetterValue = {
    reason: d.reason,
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
    consumer: d.consumer,
    error: d.error,
    key: d.message.key?.toString('utf8') ?? null,
    valueBase64: d.message.value?.toString('base64') ?? null,
  };
  return {
    // Same key as the original: the dead letters of one process stay in order too.
    key: d.message.key,
    value: JSON.stringify(value),
    headers: {
      [DeadLetterHeader.reason]: d.reason,
      [DeadLetterHeader.topic]: d.topic,
      [DeadLetterHeader.partition]: String(d.partition),
      [DeadLetterHeader.offset]: d.offset,
      [DeadLetterHeader.consumer]: d.consumer,
      // Headers are for routing and grepping; the whole error text is in the value.
      [DeadLetterHeader.error]: d.error.slice(0, 1_000),
    },
  };
}

/**
 * Sends dead letters for the consumers of one bus, on its own producer: consumers only run while
 * the broker is reachable, and a consumer must know its dead letters are stored before it
 * commits past them, so this sends directly and throws on failure (no spool).
 */
export class DeadLetterSender {
  private producer: Promise<Producer> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const producer = await this.connected();
    try {
      await producer.send({ topic: this.topic, messages: letters.map(deadLetterMessage) });
    } catch (e) {
      // A fresh producer next time rather than one in an unknown state.
      this.producer = undefined;
      await producer.disconnect().catch(() => {});
      throw e;
    }
  }

  async close(): Promise<void> {
    const producer = await this.producer?.catch(() => undefined);
    this.producer = undefined;
    await producer?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producer = producer.connect().then(() => producer);
      this.producer.catch(() => (this.producer = undefined));
    }
    return this.producer;
  }
}
