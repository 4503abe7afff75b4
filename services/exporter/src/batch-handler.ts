/**
 * The exporter's consumer logic, framework-free: one batch of vigil.events messages in, stored
 * rows and dead letters out. It resolves only when both are done, so the bus commits the batch's
 * offsets after the insert (at-least-once); a rejection makes the bus deliver the batch again
 * (Kafka: retries, then its own dead letters; in-process: counted as a handler error).
 */
import { Topic, type BusMessage, type EventBus } from '@vigil/bus';
import type { GetEventsResponse } from '@vigil/events';
import { deadLetterFor, type ExporterDeadLetter } from './dead-letter';
import type { EventSink } from './event-sink';
import { eventShapeProblem } from './event-shape';

export interface BatchHandlerStats {
  /** Messages handed to the handler (a re-delivered message counts again). */
  consumed: number;
  /** Events the store acknowledged (re-deliveries too; the store collapses the copies). */
  inserted: number;
  /** Messages sent to vigil.dead-letter because they cannot be rows. */
  deadLettered: number;
  /** Messages of batches being handled right now (not yet stored, not committed). */
  inFlight: number;
  /** Batches that failed (store error, dead letter not accepted): delivered again by the bus. */
  failedBatches: number;
  lastError?: string;
}

export interface BatchHandlerOptions {
  sink: EventSink;
  /** Where dead letters go (the same bus the events come from). */
  bus: EventBus;
  consumer: string;
  /**
   * Resolves once published dead letters are durable (KafkaBus.flush: in Kafka or in its
   * spool), before the batch may be committed. Not for the in-process bus: its flush waits for
   * every consumer, this one included.
   */
  flushDeadLetters?: () => Promise<void>;
  log?: { warn(message: string): void };
}

export class BatchHandler {
  private readonly counters: Omit<BatchHandlerStats, 'inFlight'> = {
    consumed: 0,
    inserted: 0,
    deadLettered: 0,
    failedBatches: 0,
  };
  private inFlight = 0;

  constructor(private readonly o: BatchHandlerOptions) {}

  /** The bus handler: bind it as `(batch) => handler.handle(batch)`. */
  async handle(batch: BusMessage<unknown>[]): Promise<void> {
    this.counters.consumed += batch.length;
    this.inFlight += batch.length;
    try {
      const events: GetEventsResponse[] = [];
      const origin: number[] = [];
      const unmappable: Array<{ index: number; reason: string }> = [];
      batch.forEach((message, index) => {
        const problem = eventShapeProblem(message.value);
        if (problem === undefined) {
          events.push(message.value as GetEventsResponse);
          origin.push(index);
        } else unmappable.push({ index, reason: problem });
      });
      const written = events.length > 0 ? await this.o.sink.write(events) : { stored: 0, rejected: [] };
      for (const r of written.rejected) unmappable.push({ index: origin[r.index]!, reason: r.reason });
      if (unmappable.length > 0) await this.deadLetter(batch, unmappable);
      this.counters.inserted += written.stored;
    } catch (err) {
      this.counters.failedBatches += 1;
      this.counters.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      this.inFlight -= batch.length;
    }
  }

  stats(): BatchHandlerStats {
    return { ...this.counters, inFlight: this.inFlight };
  }

  private async deadLetter(batch: BusMessage<unknown>[], bad: Array<{ index: number; reason: string }>): Promise<void> {
    bad.sort((a, b) => a.index - b.index);
    const where = { topic: Topic.events, consumer: this.o.consumer };
    const letters: BusMessage<ExporterDeadLetter>[] = bad.map(({ index, reason }) =>
      deadLetterFor(batch[index]!, where, reason),
    );
    await this.o.bus.publish(Topic.deadLetter, letters);
    await this.o.flushDeadLetters?.();
    this.counters.deadLettered += letters.length;
    const first = bad[0]!;
    this.o.log?.warn(
      `dead-lettered ${letters.length} of ${batch.length} messages from ${Topic.events} (first: key ${JSON.stringify(batch[first.index]!.key)}: ${first.reason})`,
    );
  }
}
