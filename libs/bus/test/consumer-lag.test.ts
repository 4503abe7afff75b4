import { describe, expect, it } from 'vitest';
import { InProcessBus, Topic, type BusMessage } from '../src';

const msgs = (n: number): BusMessage<number>[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: i }));

describe('InProcessBus.consumerLag', () => {
  it("counts each consumer's queued messages and the batch its handler holds, down to 0 once handled", async () => {
    const bus = new InProcessBus();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    bus.subscribe(Topic.events, 'slow', () => gate);
    bus.subscribe(Topic.events, 'fast', () => {});
    await bus.publish(Topic.events, msgs(3));
    await bus.publish(Topic.events, msgs(4));
    expect(await bus.consumerLag()).toEqual([
      { topic: Topic.events, consumer: 'slow', partition: 0, lag: 7 },
      { topic: Topic.events, consumer: 'fast', partition: 0, lag: 7 },
    ]);
    // The slow handler holds the first batch; the fast consumer has handled both.
    await new Promise((r) => setTimeout(r, 20));
    expect(await bus.consumerLag()).toEqual([
      { topic: Topic.events, consumer: 'slow', partition: 0, lag: 7 },
      { topic: Topic.events, consumer: 'fast', partition: 0, lag: 0 },
    ]);
    release();
    await bus.flush();
    expect((await bus.consumerLag()).map((l) => l.lag)).toEqual([0, 0]);
  });

  it('forgets a consumer once unsubscribed', async () => {
    const bus = new InProcessBus();
    const stop = bus.subscribe(Topic.events, 'gone', () => {});
    expect(await bus.consumerLag()).toHaveLength(1);
    stop();
    expect(await bus.consumerLag()).toEqual([]);
  });
});
