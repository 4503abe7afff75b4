import { afterEach, describe, expect, it } from 'vitest';
import { Topic, type BusMessage } from '../../src';
import { orderViolations, partitionSizes, testEnv, until, type TestEnv } from './helpers';

let env: TestEnv;
afterEach(async () => env.cleanup());

const KEYS = 24;
const MESSAGES = 3_000;

describe('KafkaBus round trip through the real broker', () => {
  it('delivers every message once, in order per key, with keys spread over the partitions', async () => {
    env = testEnv();
    const producer = env.bus({ spoolDir: `${env.spoolDir}/producer`, batchMessages: 400 });
    await producer.start();
    const consumer = env.bus({ spoolDir: `${env.spoolDir}/consumer` });
    await consumer.start();

    const seen: Array<{ key: string; seq: number }> = [];
    const batchSizes: number[] = [];
    consumer.subscribe<{ seq: number }>(Topic.eventsRaw, 'enricher', (batch) => {
      batchSizes.push(batch.length);
      for (const m of batch) seen.push({ key: m.key, seq: m.value.seq });
    });

    const perKey = new Map<string, number>();
    for (let start = 0; start < MESSAGES; start += 100) {
      const batch: BusMessage<{ seq: number }>[] = [];
      for (let i = start; i < start + 100; i++) {
        const key = `exec-${i % KEYS}`;
        const seq = perKey.get(key) ?? 0;
        perKey.set(key, seq + 1);
        batch.push({ key, value: { seq } });
      }
      await producer.publish(Topic.eventsRaw, batch);
    }
    await producer.delivered(30_000);
    await until(`${MESSAGES} messages consumed`, () => seen.length >= MESSAGES, 60_000);

    expect(seen).toHaveLength(MESSAGES);
    expect(orderViolations(seen, perKey)).toEqual([]);
    const sizes = await partitionSizes(`${env.prefix}vigil.events.raw`);
    expect(sizes).toHaveLength(4);
    expect(sizes.every((n) => n > 0)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
    expect(batchSizes.some((n) => n > 1)).toBe(true);
    expect(producer.stats()).toMatchObject({
      published: { 'vigil.events.raw': MESSAGES },
      dropped: {},
      spooled: {},
      spool: { records: 0 },
      broker: { connected: true },
    });
    await until('offsets committed', () => consumer.stats().delivered['vigil.events.raw/enricher'] === MESSAGES);
  });
});
