import type { BusMessage } from '@vigil/bus';

/**
 * What the exporter puts on vigil.dead-letter for an event it cannot store. The bus's own dead
 * letters (undecodable bytes, a handler that kept failing) carry reason `undecodable` /
 * `handler-failed` and the raw bytes; these carry `unmappable` and the decoded message, since
 * it was valid JSON. Same key as the original, so one process's dead letters stay in order.
 */
export interface ExporterDeadLetter {
  reason: 'unmappable';
  /** Where the message was read. */
  topic: string;
  consumer: string;
  key: string;
  /** Why it cannot be a row, with the field path (e.g. "time: missing (rows are partitioned by day)"). */
  error: string;
  /** The message as received. */
  value: unknown;
}

export function deadLetterFor(
  message: BusMessage<unknown>,
  where: { topic: string; consumer: string },
  error: string,
): BusMessage<ExporterDeadLetter> {
  return {
    key: message.key,
    value: {
      reason: 'unmappable',
      topic: where.topic,
      consumer: where.consumer,
      key: message.key,
      error,
      value: message.value,
    },
  };
}
