import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import type { GetEventsResponse } from '@vigil/events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchHandler } from '../src/batch-handler';
import type { ExporterDeadLetter } from '../src/dead-letter';
import { DuckDbSink } from '../src/duckdb-sink';
import type { EventSink, SinkHealth, SinkWriteResult } from '../src/event-sink';
import { eventStream, keyOf } from './fixtures/events';

const messages = (events: unknown[]): BusMessage<unknown>[] =>
  events.map((value, i) => ({ key: keyOf(value as GetEventsResponse) || `k${i}`, value }));

/** A fake store that fails every write: the real stores cannot be made to fail on demand here. */
class FailingSinkFake implements EventSink {
  readonly kind = 'duckdb';
  writes = 0;
  get queries(): never {
    throw new Error('FailingSinkFake has no queries');
  }
  async open(): Promise<void> {}
  async write(): Promise<SinkWriteResult> {
    this.writes++;
    throw new Error('disk on fire');
  }
  health(): SinkHealth {
    return { kind: 'duckdb', connected: false, backlogRows: 0, insertErrors: this.writes };
  }
  async close(): Promise<void> {}
}

describe('BatchHandler (embedded DuckDB in memory, in-process bus)', () => {
  let sink: DuckDbSink;
  let bus: InProcessBus;
  let letters: BusMessage<ExporterDeadLetter>[];

  beforeEach(async () => {
    sink = new DuckDbSink(':memory:');
    await sink.open();
    bus = new InProcessBus();
    letters = [];
    bus.subscribe<ExporterDeadLetter>(Topic.deadLetter, 'test', (batch) => {
      letters.push(...batch);
    });
  });

  afterEach(async () => {
    await sink.close();
  });

  it('stores every event and resolves only after the store acknowledged them', async () => {
    const handler = new BatchHandler({ sink, bus, consumer: 'exporter' });
    await handler.handle(messages(eventStream(0, 300)));
    expect(await sink.queries.countEvents()).toBe(300);
    expect(handler.stats()).toEqual({ consumed: 300, inserted: 300, deadLettered: 0, inFlight: 0, failedBatches: 0 });
  });

  it('dead-letters what cannot be a row with the reason, in batch order, and stores the rest', async () => {
    const good = eventStream(0, 4);
    const noTime = { process_exec: { process: { binary: '/bin/x' } } };
    const badType = { process_exec: { process: { binary: 7 } }, time: '2026-11-28T10:00:00Z' };
    const handler = new BatchHandler({ sink, bus, consumer: 'exporter' });
    await handler.handle([
      ...messages([good[0], noTime, good[1]]),
      { key: 'k-bad', value: badType },
      ...messages([good[2], 'not an event', good[3]]),
    ]);
    await bus.flush();
    expect(await sink.queries.countEvents()).toBe(4);
    expect(letters.map((l) => l.value)).toEqual([
      {
        reason: 'unmappable',
        topic: Topic.events,
        consumer: 'exporter',
        key: 'k1',
        error: 'time: missing (rows are partitioned by day)',
        value: noTime,
      },
      {
        reason: 'unmappable',
        topic: Topic.events,
        consumer: 'exporter',
        key: 'k-bad',
        error: 'process_exec.process.binary: expected a string, got number 7',
        value: badType,
      },
      {
        reason: 'unmappable',
        topic: Topic.events,
        consumer: 'exporter',
        key: 'k1',
        error: 'not a JSON object: string "not an event"',
        value: 'not an event',
      },
    ]);
    // Keys from messages(): the position within each group of messages above.
    expect(letters.map((l) => l.key)).toEqual(['k1', 'k-bad', 'k1']);
    expect(handler.stats()).toMatchObject({ consumed: 7, inserted: 4, deadLettered: 3, failedBatches: 0 });
  });

  it('counts re-delivered copies as inserted while the store keeps one row per event', async () => {
    const handler = new BatchHandler({ sink, bus, consumer: 'exporter' });
    const batch = messages(eventStream(0, 50));
    await handler.handle(batch);
    await handler.handle(batch);
    expect(await sink.queries.countEvents()).toBe(50);
    expect(handler.stats()).toMatchObject({ consumed: 100, inserted: 100 });
  });

  it('rejects the batch when the store fails (the bus delivers it again), counting it and dead-lettering nothing', async () => {
    const failing = new FailingSinkFake();
    const handler = new BatchHandler({ sink: failing, bus, consumer: 'exporter' });
    await expect(handler.handle(messages(eventStream(0, 10)))).rejects.toThrow('disk on fire');
    await bus.flush();
    expect(letters).toEqual([]);
    expect(handler.stats()).toEqual({
      consumed: 10,
      inserted: 0,
      deadLettered: 0,
      inFlight: 0,
      failedBatches: 1,
      lastError: 'disk on fire',
    });
  });

  it('rejects the batch when a dead letter is not accepted, so it is not committed past', async () => {
    let flushed = 0;
    const handler = new BatchHandler({
      sink,
      bus,
      consumer: 'exporter',
      flushDeadLetters: async () => {
        flushed++;
        throw new Error('broker away and spool full');
      },
    });
    await expect(handler.handle(messages([{}]))).rejects.toThrow('broker away and spool full');
    expect(flushed).toBe(1);
    expect(handler.stats()).toMatchObject({ deadLettered: 0, failedBatches: 1 });
  });
});
