import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const MESSAGES = 10_000;
const PARTITIONS = 4;
const KEYS = 64;

describe('real Kafka broker', () => {
  const kafka = new Kafka({ clientId: 'vigil-it', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
  const topic = `vigil.it.order.${randomUUID()}`;
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it(`produces ${MESSAGES} keyed messages and consumes every one back, in order per partition`, async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Each key carries its own sequence: a process's events share a key, so they must stay ordered.
    const nextSeq = new Array<number>(KEYS).fill(0);
    const batch = 1_000;
    for (let start = 0; start < MESSAGES; start += batch) {
      const messages = Array.from({ length: batch }, (_, j) => {
        const id = start + j;
        const key = id % KEYS;
        return { key: `k${key}`, value: JSON.stringify({ id, key, seq: nextSeq[key]!++ }) };
      });
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `vigil-it-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<number>();
    const lastOffset = new Map<number, bigint>();
    const lastSeqPerKey = new Map<number, number>();
    const keyPartition = new Map<number, number>();
    const violations: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${seen.size}/${MESSAGES} consumed`)), 90_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const { id, key, seq } = JSON.parse(message.value!.toString()) as { id: number; key: number; seq: number };
            const offset = BigInt(message.offset);
            if ((lastOffset.get(partition) ?? -1n) >= offset)
              violations.push(`partition ${partition} offset ${offset} not increasing`);
            lastOffset.set(partition, offset);
            if ((lastSeqPerKey.get(key) ?? -1) + 1 !== seq)
              violations.push(`key ${key}: seq ${seq} after ${lastSeqPerKey.get(key)}`);
            lastSeqPerKey.set(key, seq);
            if ((keyPartition.get(key) ?? partition) !== partition) violations.push(`key ${key} on two partitions`);
            keyPartition.set(key, partition);
            if (seen.has(id)) violations.push(`duplicate ${id}`);
            seen.add(id);
            if (seen.size === MESSAGES) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(violations).toEqual([]);
    expect(seen.size).toBe(MESSAGES);
    expect(new Set(keyPartition.values()).size).toBe(PARTITIONS);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(MESSAGES);
  });
});
