import { describe, expect, it } from 'vitest';
import { InProcessBus, Topic, type BusMessage } from '../src';

const msgs = (from: number, n: number): BusMessage<number>[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 3}`, value: from + i }));

describe('InProcessBus', () => {
  it('delivers every batch to every consumer in publish order, after publish returns', async () => {
    const bus = new InProcessBus();
    const a: number[] = [];
    const b: number[] = [];
    bus.subscribe<number>(Topic.events, 'a', async (batch) => {
      await new Promise((r) => setTimeout(r, 1));
      a.push(...batch.map((m) => m.value));
    });
    bus.subscribe<number>(Topic.events, 'b', (batch) => void b.push(...batch.map((m) => m.value)));
    for (let i = 0; i < 100; i += 10) await bus.publish(Topic.events, msgs(i, 10));
    expect(b.length).toBeLessThan(100);
    await bus.flush();
    const all = Array.from({ length: 100 }, (_, i) => i);
    expect(a).toEqual(all);
    expect(b).toEqual(all);
    expect(bus.stats().delivered).toEqual({ 'vigil.events/a': 100, 'vigil.events/b': 100 });
  });

  it('keeps topics apart', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    bus.subscribe(Topic.eventsRaw, 'x', (batch) => void seen.push(...batch.map((m) => m.key)));
    await bus.publish(Topic.events, msgs(0, 2));
    await bus.publish(Topic.eventsRaw, [{ key: 'raw', value: 1 }]);
    await bus.flush();
    expect(seen).toEqual(['raw']);
  });

  it('counts what a slow consumer could not queue, without slowing the others', async () => {
    const bus = new InProcessBus({ maxQueuedPerConsumer: 20 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: number[] = [];
    const fast: number[] = [];
    bus.subscribe<number>(Topic.events, 'slow', async (batch) => {
      await gate;
      slow.push(...batch.map((m) => m.value));
    });
    bus.subscribe<number>(Topic.events, 'fast', (batch) => void fast.push(...batch.map((m) => m.value)));
    for (let i = 0; i < 50; i += 10) {
      await bus.publish(Topic.events, msgs(i, 10));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(fast).toHaveLength(50);
    release();
    await bus.flush();
    // The first batch was in the handler, two more fit the queue of 20; two batches were dropped.
    expect(slow).toHaveLength(30);
    expect(bus.stats().dropped).toEqual({ 'vigil.events/slow': 20 });
  });

  it('counts a failing handler and keeps delivering', async () => {
    const bus = new InProcessBus();
    const ok: number[] = [];
    bus.subscribe<number>(Topic.events, 'flaky', (batch) => {
      if (batch[0]!.value === 0) throw new Error('boom');
      ok.push(...batch.map((m) => m.value));
    });
    await bus.publish(Topic.events, msgs(0, 5));
    await bus.publish(Topic.events, msgs(5, 5));
    await bus.flush();
    expect(ok).toEqual([5, 6, 7, 8, 9]);
    expect(bus.stats().handlerErrors).toEqual({ 'vigil.events/flaky': 5 });
  });

  it('stops delivering after unsubscribe and counts what was still queued', async () => {
    const bus = new InProcessBus();
    const seen: number[] = [];
    const stop = bus.subscribe<number>(Topic.events, 'c', (batch) => void seen.push(...batch.map((m) => m.value)));
    await bus.publish(Topic.events, msgs(0, 3));
    stop();
    await bus.publish(Topic.events, msgs(3, 3));
    await bus.flush();
    expect(seen).toEqual([]);
    expect(bus.stats().dropped).toEqual({ 'vigil.events/c': 3 });
  });

  it('hands a null value (a tombstone) on as null, in order with the other values', async () => {
    const bus = new InProcessBus();
    const seen: Array<BusMessage<{ v: number } | null>> = [];
    bus.subscribe<{ v: number } | null>(Topic.policies, 'engine', (batch) => void seen.push(...batch));
    await bus.publish<{ v: number } | null>(Topic.policies, [
      { key: 'p1', value: { v: 1 } },
      { key: 'p1', value: null },
      { key: 'p2', value: { v: 2 } },
    ]);
    await bus.flush();
    expect(seen).toEqual([
      { key: 'p1', value: { v: 1 } },
      { key: 'p1', value: null },
      { key: 'p2', value: { v: 2 } },
    ]);
    expect(seen[1]!.value).toBeNull();
    expect(bus.stats()).toMatchObject({
      published: { 'vigil.policies': 3 },
      delivered: { 'vigil.policies/engine': 3 },
    });
  });
});
