import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BusClosedError, DiskSpool, EncodeError, jsonCodec, KafkaBus, Topic, type Codec } from '../src';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

/** A port nothing listens on: connections are refused at once, as with a stopped broker. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

async function offlineBus(codec?: Codec): Promise<KafkaBus> {
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bus-offline-'));
  dirs.push(spoolDir);
  return new KafkaBus({
    brokers: [`127.0.0.1:${await closedPort()}`],
    spoolDir,
    log: quiet,
    lingerMs: 1,
    reconnectInitialMs: 60_000,
    ...(codec ? { codec } : {}),
  });
}

describe('KafkaBus without a reachable broker (no broker needed)', () => {
  it('starts anyway, says why it is not connected, and spools what is published', async () => {
    const bus = await offlineBus();
    await bus.start();
    expect(bus.stats().broker).toEqual({
      connected: false,
      lastError: expect.stringMatching(/^cannot reach Kafka: .*ECONNREFUSED/),
    });
    await bus.publish(Topic.eventsRaw, [
      { key: 'a', value: { n: 1 } },
      { key: 'a', value: { n: 2 } },
    ]);
    await bus.flush();
    expect(bus.stats()).toMatchObject({
      spooled: { 'vigil.events.raw': 2 },
      spool: { records: 2 },
      published: {},
      buffered: 0,
    });
    await expect(bus.delivered(50)).rejects.toThrow(
      /^KafkaBus: not delivered after 50 ms: 0 messages in memory, 2 in the spool, broker unavailable \(cannot reach Kafka: /,
    );
    await bus.close();
  });

  it('counts values the codec cannot encode as dropped and names them, publishing the rest', async () => {
    const bus = await offlineBus();
    await bus.start();
    const error = await bus
      .publish<unknown>(Topic.events, [
        { key: 'ok', value: 1 },
        { key: 'big', value: 10n },
        { key: 'none', value: undefined },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as Error).message).toBe(
      'publish to vigil.events: 2 of 3 messages could not be encoded (dropped, counted): ' +
        'message 1 (key "big"): Do not know how to serialize a BigInt; message 2 (key "none"): cannot encode undefined as JSON',
    );
    await bus.flush();
    expect(bus.stats()).toMatchObject({ dropped: { 'vigil.events': 2 }, spooled: { 'vigil.events': 1 } });
    await bus.close();
  });

  it('spools a null value as a tombstone without calling the codec, apart from a value the codec makes empty', async () => {
    const encoded: unknown[] = [];
    // Like the contracts codec: '' becomes zero bytes. null must never reach it.
    const codec: Codec = {
      encode(value, topic) {
        encoded.push(value);
        if (value === null) throw new Error('the codec was given null');
        return value === '' ? Buffer.alloc(0) : jsonCodec.encode(value, topic);
      },
      decode: jsonCodec.decode,
    };
    const bus = await offlineBus(codec);
    await bus.start();
    await bus.publish<string | { v: number } | null>(Topic.policies, [
      { key: 'p1', value: { v: 1 } },
      { key: 'p1', value: null },
      { key: 'p2', value: '' },
    ]);
    await bus.publish(Topic.eventsRaw, [{ key: 'e1', value: null }]);
    await bus.flush();
    expect(encoded).toEqual([{ v: 1 }, '']);
    expect(bus.stats()).toMatchObject({
      spooled: { 'vigil.policies': 3, 'vigil.events.raw': 1 },
      dropped: {},
      spool: { records: 4 },
    });
    await bus.close();

    const spool = await DiskSpool.open({ dir: dirs.at(-1)!, maxBytes: 1 << 20, segmentBytes: 1 << 16, log: quiet });
    try {
      const batch = await spool.read(10, 1 << 20);
      expect(batch!.records.map((r) => [r.topic, r.key, r.value])).toEqual([
        ['vigil.policies', 'p1', Buffer.from('{"v":1}')],
        ['vigil.policies', 'p1', null],
        ['vigil.policies', 'p2', Buffer.alloc(0)],
        ['vigil.events.raw', 'e1', null],
      ]);
    } finally {
      await spool.close();
    }
  });

  it('still refuses undefined (only null is a tombstone)', async () => {
    const bus = await offlineBus();
    await bus.start();
    await expect(bus.publish<unknown>(Topic.policies, [{ key: 'p', value: undefined }])).rejects.toThrow(EncodeError);
    expect(bus.stats().dropped).toEqual({ 'vigil.policies': 1 });
    await bus.close();
  });

  it('refuses use before start() and after close() with what to do', async () => {
    const bus = await offlineBus();
    await expect(bus.publish(Topic.events, [{ key: 'k', value: 1 }])).rejects.toThrow(
      'KafkaBus.publish(): call start() first',
    );
    await bus.start();
    await bus.close();
    await expect(bus.publish(Topic.events, [{ key: 'k', value: 1 }])).rejects.toThrow(BusClosedError);
    expect(() => bus.subscribe(Topic.events, 'c', () => {})).toThrow('KafkaBus.subscribe(): the bus is closed');
  });
});
