import { afterEach, describe, expect, it } from 'vitest';
import { Topic } from '../../src';
import { brokerProxy, testEnv, until, type TestEnv } from './helpers';

let env: TestEnv;
afterEach(async () => env.cleanup());

describe('KafkaBus.consumerLag on the real broker', () => {
  it("is end offset minus committed offset per partition: the whole backlog before the first commit, 0 once handled; 'latest' groups without a commit are left out", async () => {
    env = testEnv();
    const bus = env.bus();
    await bus.start();
    expect(await bus.consumerLag()).toEqual([]);
    await bus.publish(
      Topic.events,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: i })),
    );
    await bus.flush();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    bus.subscribe<number>(Topic.events, 'slow', async (batch) => {
      await gate;
      handled += batch.length;
    });
    bus.subscribe(Topic.events, 'live', () => {}, { startAt: 'latest' });
    // Nothing committed yet: the 40 messages of the 4 partitions are all behind 'slow'.
    const before = await bus.consumerLag();
    expect(before.every((l) => l.topic === Topic.events && l.consumer === 'slow')).toBe(true);
    expect(before.map((l) => l.partition)).toEqual([0, 1, 2, 3]);
    expect(before.reduce((n, l) => n + l.lag, 0)).toBe(40);
    release();
    await until('every message handled', () => handled >= 40, 30_000);
    let after = before;
    const deadline = Date.now() + 20_000;
    while (after.some((l) => l.consumer === 'slow' && l.lag > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await bus.consumerLag();
    }
    expect(after.filter((l) => l.consumer === 'slow').map((l) => l.lag)).toEqual([0, 0, 0, 0]);
  });

  it('rejects within its timeout while the broker is unreachable, and answers again once it is back', async () => {
    env = testEnv();
    const { proxy, via } = await brokerProxy();
    const bus = env.bus(via);
    await bus.start();
    bus.subscribe(Topic.events, 'c', () => {});
    expect((await bus.consumerLag()).length).toBe(4);
    await proxy.stop();
    const started = Date.now();
    // Whichever comes first: kafkajs giving up on the connection, or the timeout.
    await expect(bus.consumerLag(500)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await proxy.start();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const lag = await bus.consumerLag(1_000).catch(() => undefined);
      if (lag?.length === 4) break;
      if (Date.now() > deadline) throw new Error('no consumer lag answer after the broker came back');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
