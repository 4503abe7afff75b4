import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Topic, type BusMessage, type KafkaBus } from '../../src';
import { brokerProxy, orderViolations, readTopic, testEnv, until, type TestEnv } from './helpers';
import type { TcpProxy } from './tcp-proxy';

let env: TestEnv;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await env.cleanup();
});

const KEYS = 8;

/** Publishes `n` messages with per-key sequence numbers continuing from `perKey`. */
async function publish(bus: KafkaBus, perKey: Map<string, number>, n: number, per = 50): Promise<void> {
  for (let done = 0; done < n; done += per) {
    const batch: BusMessage<{ seq: number }>[] = [];
    for (let i = 0; i < Math.min(per, n - done); i++) {
      const key = `exec-${(done + i) % KEYS}`;
      const seq = perKey.get(key) ?? 0;
      perKey.set(key, seq + 1);
      batch.push({ key, value: { seq } });
    }
    await bus.publish(Topic.eventsRaw, batch);
  }
}

const total = (perKey: Map<string, number>) => [...perKey.values()].reduce((a, b) => a + b, 0);
const parsed = (messages: Array<{ key: string; value: string }>) =>
  messages.map((m) => ({ key: m.key, seq: (JSON.parse(m.value) as { seq: number }).seq }));

describe('KafkaBus spool with the real broker behind a TCP proxy', () => {
  it('spools while the broker is unreachable and replays in order before newer messages when it returns', async () => {
    env = testEnv();
    const p = await brokerProxy();
    proxy = p.proxy;
    // Small batches, so the replay takes many round trips and newer messages arrive during it.
    const bus = env.bus({ ...p.via, sendRetries: 1, batchMessages: 40 });
    await bus.start();
    const perKey = new Map<string, number>();

    await publish(bus, perKey, 500);
    await bus.delivered(20_000);
    expect(bus.stats().spool.records).toBe(0);

    await proxy.stop();
    await publish(bus, perKey, 500);
    await bus.flush();
    await until('the broker to be seen as gone', () => !bus.stats().broker.connected);
    await publish(bus, perKey, 500);
    await bus.flush();
    const during = bus.stats();
    expect(during.broker.connected).toBe(false);
    expect(during.spool.records).toBe(1000);
    expect(during.spooled['vigil.events.raw']).toBe(1000);
    expect(env.log.lines.some((l) => /^warn Kafka unavailable: /.test(l))).toBe(true);

    await proxy.start();
    await until('the broker to be back', () => bus.stats().broker.connected);
    // New messages keep coming while the spool drains: they must queue behind it.
    const spoolWhenNewerStarted = bus.stats().spool.records;
    await publish(bus, perKey, 500, 10);
    await bus.delivered(60_000);
    expect(spoolWhenNewerStarted).toBeGreaterThan(0);

    const after = bus.stats();
    expect(after).toMatchObject({ broker: { connected: true }, spool: { records: 0, segments: 0 }, dropped: {} });
    expect(after.replayed['vigil.events.raw']).toBeGreaterThanOrEqual(1000);
    expect(env.log.lines).toContain('info Kafka connected again: replaying the spool first');

    const read = await readTopic(`${env.prefix}vigil.events.raw`, total(perKey));
    expect(orderViolations(parsed(read), perKey)).toEqual([]);
  });

  it('counts what does not fit a full spool as dropped, per topic, and delivers what it kept', async () => {
    env = testEnv();
    const p = await brokerProxy(false);
    proxy = p.proxy;
    const bus = env.bus({ ...p.via, spoolSegmentBytes: 4096, spoolMaxBytes: 8192 });
    await bus.start();
    expect(bus.stats().broker).toMatchObject({
      connected: false,
      lastError: expect.stringContaining('cannot reach Kafka'),
    });

    const perKey = new Map<string, number>();
    await publish(bus, perKey, 1000);
    await bus.flush();
    const full = bus.stats();
    const kept = full.spool.records;
    expect(kept).toBeGreaterThan(50);
    expect(kept).toBeLessThan(1000);
    expect(full.spool.bytes).toBeLessThanOrEqual(8192);
    expect(full.dropped).toEqual({ 'vigil.events.raw': 1000 - kept });
    expect(full.spooled).toEqual({ 'vigil.events.raw': kept });
    expect(env.log.lines.some((l) => /^error \d+ messages dropped: spool full \(8192 bytes\)/.test(l))).toBe(true);

    await proxy.start();
    await bus.delivered(30_000);
    expect(bus.stats().replayed).toEqual({ 'vigil.events.raw': kept });
    const read = await readTopic(`${env.prefix}vigil.events.raw`, kept);
    expect(read).toHaveLength(kept);
  });

  it('replays what a closed bus left in the spool when a new bus starts on the same directory', async () => {
    env = testEnv();
    const p = await brokerProxy(false);
    proxy = p.proxy;
    const first = env.bus({ ...p.via });
    await first.start();
    const perKey = new Map<string, number>();
    await publish(first, perKey, 300);
    await first.close();

    const second = env.bus();
    await second.start();
    expect(
      env.log.lines.some((l) =>
        /^info spool .*: 300 records \(\d+ bytes\) left by an earlier run will be replayed first$/.test(l),
      ),
    ).toBe(true);
    await second.delivered(30_000);
    expect(second.stats().replayed).toEqual({ 'vigil.events.raw': 300 });
    const read = await readTopic(`${env.prefix}vigil.events.raw`, 300);
    expect(orderViolations(parsed(read), perKey)).toEqual([]);
  });

  it('skips a spool record torn by a crash mid-write, counts and logs it, and replays the rest', async () => {
    env = testEnv();
    const p = await brokerProxy(false);
    proxy = p.proxy;
    const first = env.bus({ ...p.via });
    await first.start();
    const perKey = new Map<string, number>();
    await publish(first, perKey, 200);
    await first.close();
    const segments = fs.readdirSync(env.spoolDir).filter((f) => f.endsWith('.seg'));
    expect(segments).toHaveLength(1);
    const file = path.join(env.spoolDir, segments[0]!);
    fs.truncateSync(file, fs.statSync(file).size - 5);

    const second = env.bus();
    await second.start();
    expect(second.stats().spool).toMatchObject({ records: 199, truncatedRecords: 1, corruptRecords: 0 });
    expect(env.log.lines.filter((l) => l.includes(`spool ${file}: truncated record at byte`))).toHaveLength(1);
    await second.delivered(30_000);
    const read = await readTopic(`${env.prefix}vigil.events.raw`, 199);
    // The last message (key exec-7, its last seq) was the torn one.
    perKey.set('exec-7', perKey.get('exec-7')! - 1);
    expect(orderViolations(parsed(read), perKey)).toEqual([]);
  });
});
