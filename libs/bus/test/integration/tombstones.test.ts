import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonCodec, Topic, type Codec, type DeadLetterValue } from '../../src';
import { brokerProxy, readTopic, testEnv, until, type TestEnv } from './helpers';
import type { TcpProxy } from './tcp-proxy';

let env: TestEnv;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await env.cleanup();
});

/**
 * JSON, except that '' is zero bytes and zero bytes are '' (as the contracts codec does for its
 * own purposes): so an empty value can be told from a null one all the way through Kafka.
 */
const emptyAsEmpty: Codec = {
  encode: (value, topic) => (value === '' ? Buffer.alloc(0) : jsonCodec.encode(value, topic)),
  decode: (bytes, topic) => (bytes.length === 0 ? '' : jsonCodec.decode(bytes, topic)),
};

type Policy = { v: number } | '' | null;
const POLICIES: Array<{ key: string; value: Policy }> = [
  { key: 'p1', value: { v: 1 } },
  { key: 'p1', value: null },
  { key: 'p2', value: '' },
  { key: 'p3', value: { v: 3 } },
  { key: 'p3', value: null },
];
/** What a plain kafkajs consumer must find for POLICIES, in order (one partition per key). */
const RAW_POLICIES: Array<[string, Buffer | null]> = [
  ['p1', Buffer.from('{"v":1}')],
  ['p1', null],
  ['p2', Buffer.alloc(0)],
  ['p3', Buffer.from('{"v":3}')],
  ['p3', null],
];

/** The raw records of a topic as [key, value], ordered per key (keys on other partitions interleave). */
async function rawRecords(topic: string, count: number): Promise<Array<[string, Buffer | null]>> {
  const read = await readTopic(topic, count);
  const byKey = [...new Set(read.map((m) => m.key))].sort();
  return byKey.flatMap((key) =>
    read.filter((m) => m.key === key).map((m): [string, Buffer | null] => [m.key, m.rawValue]),
  );
}

describe('KafkaBus tombstones on the real broker', () => {
  it('sends a null value as a Kafka record with a null value, on a compacted and on an event topic', async () => {
    env = testEnv();
    const bus = env.bus({ codec: emptyAsEmpty });
    await bus.start();
    await bus.publish<Policy>(Topic.policies, POLICIES);
    await bus.publish(Topic.eventsRaw, [
      { key: 'e1', value: { n: 1 } },
      { key: 'e1', value: null },
    ]);
    await bus.delivered(20_000);

    // A plain kafkajs consumer: the value is null (a tombstone), not an empty buffer.
    const raw = await rawRecords(bus.kafkaTopic(Topic.policies), POLICIES.length);
    expect(raw).toEqual(RAW_POLICIES);
    expect(raw[1]![1]).toBeNull();
    expect(raw[2]![1]).toEqual(Buffer.alloc(0));
    expect(await rawRecords(bus.kafkaTopic(Topic.eventsRaw), 2)).toEqual([
      ['e1', Buffer.from('{"n":1}')],
      ['e1', null],
    ]);

    // Through the bus: null handed on as null, the empty value decoded by the codec.
    const seen: Array<{ key: string; value: Policy }> = [];
    bus.subscribe<Policy>(Topic.policies, 'engine', (batch) => void seen.push(...batch));
    await until('the policies consumed', () => seen.length >= POLICIES.length);
    const perKey = (key: string) => seen.filter((m) => m.key === key);
    expect(perKey('p1')).toEqual(POLICIES.slice(0, 2));
    expect(perKey('p2')).toEqual([{ key: 'p2', value: '' }]);
    expect(perKey('p3')).toEqual(POLICIES.slice(3));
    await until('delivered counted', () => bus.stats().delivered['vigil.policies/engine'] === POLICIES.length);
    expect(bus.stats()).toMatchObject({
      published: { 'vigil.policies': POLICIES.length, 'vigil.events.raw': 2 },
      dropped: {},
      deadLettered: {},
    });
  });

  it('keeps tombstones null through the spool while the broker is unreachable, then sends them', async () => {
    env = testEnv();
    const p = await brokerProxy();
    proxy = p.proxy;
    const bus = env.bus({ ...p.via, codec: emptyAsEmpty, sendRetries: 1 });
    await bus.start();
    await proxy.stop();
    await bus.publish<Policy>(Topic.policies, POLICIES);
    await bus.flush();
    await until('the broker to be seen as gone', () => !bus.stats().broker.connected);
    expect(bus.stats()).toMatchObject({
      spooled: { 'vigil.policies': POLICIES.length },
      spool: { records: POLICIES.length, corruptRecords: 0 },
      published: {},
    });

    await proxy.start();
    await bus.delivered(30_000);
    expect(bus.stats()).toMatchObject({
      replayed: { 'vigil.policies': POLICIES.length },
      spool: { records: 0, corruptRecords: 0, truncatedRecords: 0 },
      dropped: {},
    });
    expect(await rawRecords(bus.kafkaTopic(Topic.policies), POLICIES.length)).toEqual(RAW_POLICIES);
  });

  it('replays tombstones a closed bus left in the spool as null values when a new bus starts', async () => {
    env = testEnv();
    const p = await brokerProxy(false);
    proxy = p.proxy;
    const first = env.bus({ ...p.via, codec: emptyAsEmpty });
    await first.start();
    await first.publish<Policy>(Topic.policies, POLICIES);
    await first.close();

    const second = env.bus({ codec: emptyAsEmpty });
    await second.start();
    await second.delivered(30_000);
    expect(second.stats()).toMatchObject({
      replayed: { 'vigil.policies': POLICIES.length },
      spool: { corruptRecords: 0, truncatedRecords: 0 },
    });
    expect(await rawRecords(second.kafkaTopic(Topic.policies), POLICIES.length)).toEqual(RAW_POLICIES);
  });

  it('dead-letters a tombstone its handler keeps failing on: original key, valueBase64 null', async () => {
    env = testEnv();
    const bus = env.bus({ handlerRetries: 1, consumerBatchMessages: 1 });
    await bus.start();
    await bus.publish<{ v: number } | null>(Topic.policies, [
      { key: 'p1', value: null },
      { key: 'p1', value: { v: 2 } },
    ]);
    await bus.flush();
    const ok: Array<{ v: number }> = [];
    bus.subscribe<{ v: number } | null>(Topic.policies, 'agent', (batch) => {
      for (const m of batch) {
        if (m.value === null) throw new Error('cannot unload');
        ok.push(m.value);
      }
    });
    await until('the message after the tombstone', () => ok.length >= 1);
    expect(ok).toEqual([{ v: 2 }]);
    const [letter] = await readTopic(bus.kafkaTopic(Topic.deadLetter), 1);
    expect(letter!.key).toBe('p1');
    expect(JSON.parse(letter!.value) as DeadLetterValue).toMatchObject({
      reason: 'handler-failed',
      topic: bus.kafkaTopic(Topic.policies),
      offset: '0',
      consumer: 'agent',
      error: 'handler failed 2 times: Error: cannot unload',
      key: 'p1',
      valueBase64: null,
    });
    await until('delivered counted', () => bus.stats().delivered['vigil.policies/agent'] === 1);
    expect(bus.stats()).toMatchObject({
      handlerErrors: { 'vigil.policies/agent': 2 },
      deadLettered: { 'vigil.policies/agent': 1 },
      dropped: {},
    });
  });

  it('finds a record Kafka refuses by halving a batch of tombstones around it, and sends the tombstones', async () => {
    env = testEnv();
    // One batch for all of them, so Kafka refuses the batch and the bus has to halve it. One
    // partition on purpose: when a batch spans partitions, Kafka stores the records of the other
    // partitions while refusing the one, the halving sends them again, and the idempotent producer
    // gets OUT_OF_ORDER_SEQUENCE_NUMBER (taken for an outage: spooled and replayed again and
    // again). A limitation of the halving whatever the values are, not of null values.
    const bus = env.bus({ batchBytes: 16 * 1024 ** 2, lingerMs: 50, partitions: 1 });
    await bus.start();
    // Incompressible and above the broker's default message.max.bytes (1 MiB), even gzipped.
    const tooLarge = randomBytes(3 * 1024 ** 2).toString('base64');
    await bus.publish<string | null>(Topic.policies, [
      { key: 'a', value: null },
      { key: 'big', value: tooLarge },
      { key: 'b', value: null },
      { key: 'c', value: null },
    ]);
    await bus.delivered(30_000);
    expect(bus.stats()).toMatchObject({
      published: { 'vigil.policies': 3 },
      dropped: { 'vigil.policies': 1 },
      spool: { records: 0 },
    });
    expect(env.log.lines.filter((l) => l.startsWith('error Kafka refused a message on '))).toEqual([
      `error Kafka refused a message on ${bus.kafkaTopic(Topic.policies)} (key "big", ${tooLarge.length + 2} bytes): ` +
        'KafkaJSProtocolError: The request included a message larger than the max message size the server will accept — dropped',
    ]);
    expect(await rawRecords(bus.kafkaTopic(Topic.policies), 3)).toEqual([
      ['a', null],
      ['b', null],
      ['c', null],
    ]);
  });
});
