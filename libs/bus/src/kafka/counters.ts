import type { BusStats } from '../bus';

/** Every counter of a KafkaBus; keys are topic names, or topic/consumer on the consuming side. */
export interface KafkaBusCounters extends BusStats {
  /** Messages sent to the dead-letter topic, per topic/consumer they came from. */
  deadLettered: Record<string, number>;
  /** Messages that went through the spool and then reached Kafka, per topic. */
  replayed: Record<string, number>;
  /** Messages written to the spool (broker unavailable, or queued behind older spooled ones), per topic. */
  spooled: Record<string, number>;
  /** Consumers replaced after a crash (eviction, non-retriable error), per topic/consumer. */
  restarts: Record<string, number>;
  /** The error of the last such crash, per topic/consumer (kept after the restart). */
  consumerErrors: Record<string, string>;
}

export function emptyCounters(): KafkaBusCounters {
  return {
    published: {},
    delivered: {},
    dropped: {},
    handlerErrors: {},
    deadLettered: {},
    replayed: {},
    spooled: {},
    restarts: {},
    consumerErrors: {},
  };
}

export function bump(counter: Record<string, number>, key: string, n = 1): void {
  if (n > 0) counter[key] = (counter[key] ?? 0) + n;
}
