import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterHeader, Topic, type DeadLetterValue } from '../../src';
import { adminClient, readTopic, testEnv, until, type TestEnv } from './helpers';

let env: TestEnv;
afterEach(async () => env.cleanup());

/** Writes raw bytes to a topic with a plain kafkajs producer, as a foreign or broken producer would. */
async function produceRaw(topic: string, messages: Array<{ key: string; value: string }>): Promise<void> {
  const producer = adminClient().producer();
  await producer.connect();
  // Keyed alike, so they share a partition and keep their order.
  await producer.send({ topic, messages });
  await producer.disconnect();
}

async function committedOffset(groupId: string, topic: string): Promise<number> {
  const admin = adminClient().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return entry!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('KafkaBus consumers on the real broker', () => {
  it("starts a new consumer at the end with startAt 'latest', at the beginning by default", async () => {
    env = testEnv();
    const bus = env.bus();
    await bus.start();
    await bus.publish(
      Topic.events,
      [1, 2, 3].map((n) => ({ key: 'p1', value: { n } })),
    );
    await bus.flush();
    const live: number[] = [];
    const replay: number[] = [];
    bus.subscribe<{ n: number }>(Topic.events, 'stream', (b) => void live.push(...b.map((m) => m.value.n)), {
      startAt: 'latest',
    });
    bus.subscribe<{ n: number }>(Topic.events, 'replay', (b) => void replay.push(...b.map((m) => m.value.n)));
    // 'latest' is resolved when the group gets its partitions: publish only once it has them.
    const admin = adminClient().admin();
    await admin.connect();
    try {
      const stable = async (): Promise<boolean> => {
        const { groups } = await admin.describeGroups([`${env.prefix}stream`]);
        return groups[0]?.state === 'Stable';
      };
      const deadline = Date.now() + 30_000;
      while (!(await stable())) {
        if (Date.now() > deadline) throw new Error('the stream group never became stable');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await admin.disconnect();
    }
    await until('replay read the first three', () => replay.length >= 3);
    await bus.publish(
      Topic.events,
      [4, 5].map((n) => ({ key: 'p1', value: { n } })),
    );
    await until('both saw the new two', () => live.length >= 2 && replay.length >= 5);
    expect(live).toEqual([4, 5]);
    expect(replay).toEqual([1, 2, 3, 4, 5]);
  });

  it('dead-letters an undecodable message with the reason and keeps delivering the later ones', async () => {
    env = testEnv();
    const bus = env.bus();
    await bus.start();
    const topic = bus.kafkaTopic(Topic.events);
    await produceRaw(topic, [
      { key: 'p1', value: '{"n":1}' },
      { key: 'p1', value: '{"n":2' },
      { key: 'p1', value: '{"n":3}' },
    ]);
    const got: number[] = [];
    bus.subscribe<{ n: number }>(Topic.events, 'exporter', (batch) => void got.push(...batch.map((m) => m.value.n)));
    await until('two messages handled', () => got.length >= 2);
    expect(got).toEqual([1, 3]);

    const [letter] = await readTopic(bus.kafkaTopic(Topic.deadLetter), 1);
    expect(letter!.key).toBe('p1');
    const headers = Object.fromEntries(Object.entries(letter!.headers).map(([k, v]) => [k, String(v)]));
    expect(headers).toEqual({
      [DeadLetterHeader.reason]: 'undecodable',
      [DeadLetterHeader.topic]: topic,
      [DeadLetterHeader.partition]: expect.stringMatching(/^[0-3]$/),
      [DeadLetterHeader.offset]: '1',
      [DeadLetterHeader.consumer]: 'exporter',
      [DeadLetterHeader.error]: expect.stringMatching(/^SyntaxError: .*JSON/),
    });
    const value = JSON.parse(letter!.value) as DeadLetterValue;
    expect(value).toEqual({
      reason: 'undecodable',
      topic,
      partition: Number(headers[DeadLetterHeader.partition]),
      offset: '1',
      consumer: 'exporter',
      error: headers[DeadLetterHeader.error],
      key: 'p1',
      valueBase64: Buffer.from('{"n":2').toString('base64'),
    });
    await until('stats', () => bus.stats().delivered['vigil.events/exporter'] === 2);
    expect(bus.stats().deadLettered).toEqual({ 'vigil.events/exporter': 1 });
    expect(
      env.log.lines.some((l) =>
        l.startsWith(`warn consumer vigil.events/exporter: dead-lettered 1 message from ${topic}[`),
      ),
    ).toBe(true);
  });

  it('retries a failing handler with backoff, then dead-letters that batch and goes on', async () => {
    env = testEnv();
    const bus = env.bus({ handlerRetries: 2, consumerBatchMessages: 1 });
    await bus.start();
    await bus.publish(Topic.policyStatus, [
      { key: 'node-a', value: { ok: 1 } },
      { key: 'node-a', value: { poison: true } },
      { key: 'node-a', value: { ok: 2 } },
    ]);
    await bus.flush();
    const attempts: number[] = [];
    const ok: number[] = [];
    bus.subscribe<{ ok?: number; poison?: boolean }>(Topic.policyStatus, 'engine', (batch) => {
      for (const m of batch) {
        if (m.value.poison) {
          attempts.push(Date.now());
          throw new Error('cannot apply status');
        }
        ok.push(m.value.ok!);
      }
    });
    await until('the message after the poison one', () => ok.length >= 2);
    expect(ok).toEqual([1, 2]);
    expect(attempts).toHaveLength(3);
    // Backoff doubles from 20 ms: 20 then 40 between the three attempts.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(18);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(38);
    const stats = bus.stats();
    expect(stats.handlerErrors).toEqual({ 'vigil.policy-status/engine': 3 });
    expect(stats.deadLettered).toEqual({ 'vigil.policy-status/engine': 1 });
    const [letter] = await readTopic(bus.kafkaTopic(Topic.deadLetter), 1);
    expect(JSON.parse(letter!.value)).toMatchObject({
      reason: 'handler-failed',
      offset: '1',
      consumer: 'engine',
      error: 'handler failed 3 times: Error: cannot apply status',
      valueBase64: Buffer.from('{"poison":true}').toString('base64'),
    });
  });

  it('commits nothing while the handler fails: a new consumer in the group gets the message again', async () => {
    env = testEnv();
    const first = env.bus({ spoolDir: `${env.spoolDir}/1`, handlerRetries: 1_000 });
    await first.start();
    await first.publish(Topic.workloads, [{ key: 'node-a', value: { pods: 3 } }]);
    await first.flush();
    let calls = 0;
    first.subscribe(Topic.workloads, 'collector-node-a', () => {
      calls++;
      throw new Error('store unavailable');
    });
    const groupId = `${env.prefix}collector-node-a`;
    await until('the handler failing three times', () => calls >= 3);
    // Still failing and retrying: nothing committed yet.
    expect(await committedOffset(groupId, first.kafkaTopic(Topic.workloads))).toBe(0);
    // Stopped in the middle of the retries: still nothing committed.
    await first.close();
    expect(await committedOffset(groupId, first.kafkaTopic(Topic.workloads))).toBe(0);
    expect(first.stats().deadLettered).toEqual({});
    expect(first.stats().handlerErrors['vigil.workloads/collector-node-a']).toBe(calls);

    const second = env.bus({ spoolDir: `${env.spoolDir}/2` });
    await second.start();
    const got: unknown[] = [];
    second.subscribe(Topic.workloads, 'collector-node-a', (batch) => void got.push(...batch.map((m) => m.value)));
    await until('redelivery', () => got.length >= 1);
    expect(got).toEqual([{ pods: 3 }]);
    // Committed after the handler resolved.
    const deadline = Date.now() + 10_000;
    while ((await committedOffset(groupId, second.kafkaTopic(Topic.workloads))) !== 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await committedOffset(groupId, second.kafkaTopic(Topic.workloads))).toBe(1);
  });
});
