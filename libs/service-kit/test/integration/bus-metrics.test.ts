/**
 * The KafkaBus side of vigil_bus_* on the real broker: each metric moved by what causes it — an
 * outage made by a TCP proxy (spool, broker state, lag errors), the return (replay), a slow
 * publish batch (buffered), a failing handler (handler errors, dead letters), a backlog (lag), an
 * eviction from the group (consumer restarts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Topic } from '@vigil/bus';
import { brokerProxy, testEnv, until, type TestEnv } from '../../../bus/test/integration/helpers';
import type { TcpProxy } from '../../../bus/test/integration/tcp-proxy';
import { Metrics, parseExposition, sampleValue } from '../../src';

let env: TestEnv;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await env.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const messages = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 4}`, value: { n: from + i } }));

/** Scrapes until check() holds for the exposition, or fails with the last one. */
async function scrapeUntil(metrics: Metrics, what: string, check: (text: string) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  let text = await metrics.text();
  while (!check(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text}`);
    await sleep(100);
    text = await metrics.text();
  }
  return text;
}

describe('vigil_bus_* of a KafkaBus', () => {
  it('an outage: spooled, spool bytes and records, broker down, lag errors; its end: replayed, spool empty, broker up', async () => {
    env = testEnv();
    const through = await brokerProxy();
    proxy = through.proxy;
    const bus = env.bus({ ...through.via, reconnectMaxMs: 300 });
    await bus.start();
    bus.subscribe(Topic.eventsRaw, 'reader', () => {});
    const metrics = new Metrics('it', bus);
    let text = await metrics.text();
    expect(sampleValue(text, 'vigil_bus_broker_connected')).toBe(1);
    expect(sampleValue(text, 'vigil_bus_consumer_lag_errors_total')).toBe(0);

    await proxy.stop();
    await bus.publish(Topic.events, messages(20));
    await bus.flush();
    text = await metrics.text();
    expect(sampleValue(text, 'vigil_bus_spooled_total', { topic: Topic.events })).toBe(20);
    expect(sampleValue(text, 'vigil_bus_spool_records')).toBe(20);
    expect(sampleValue(text, 'vigil_bus_spool_bytes')).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_bus_broker_connected')).toBe(0);
    // The broker does not answer: no lag samples, one error per scrape.
    expect(sampleValue(text, 'vigil_bus_consumer_lag_errors_total')).toBeGreaterThanOrEqual(1);
    expect(parseExposition(text).get('vigil_bus_consumer_lag')?.samples).toEqual([]);

    await proxy.start();
    text = await scrapeUntil(
      metrics,
      'the spool replayed',
      (t) => sampleValue(t, 'vigil_bus_replayed_total', { topic: Topic.events }) === 20,
    );
    expect(sampleValue(text, 'vigil_bus_spool_records')).toBe(0);
    expect(sampleValue(text, 'vigil_bus_broker_connected')).toBe(1);
    expect(sampleValue(text, 'vigil_bus_published_total', { topic: Topic.events })).toBe(20);
  });

  it('buffered: what publish() accepted and a long linger still holds in memory', async () => {
    env = testEnv();
    const bus = env.bus({ lingerMs: 60_000 });
    await bus.start();
    const metrics = new Metrics('it', bus);
    await bus.publish(Topic.events, messages(3));
    expect(sampleValue(await metrics.text(), 'vigil_bus_buffered_messages')).toBe(3);
    await bus.flush();
    expect(sampleValue(await metrics.text(), 'vigil_bus_buffered_messages')).toBe(0);
  });

  it('a consumer: lag while it holds a backlog, then delivered; a failing handler: handler errors and dead letters', async () => {
    env = testEnv();
    const bus = env.bus({ handlerRetries: 1, handlerBackoffMs: 10 });
    await bus.start();
    const metrics = new Metrics('it', bus);
    await bus.publish(Topic.events, messages(40));
    await bus.publish(Topic.eventsRaw, messages(1));
    await bus.flush();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    bus.subscribe(Topic.events, 'slow', () => gate);
    bus.subscribe(Topic.eventsRaw, 'failing', () => {
      throw new Error('cannot handle this');
    });
    let text = await metrics.text();
    expect(sampleValue(text, 'vigil_bus_consumer_lag', { topic: Topic.events, consumer: 'slow' })).toBe(40);
    release();
    text = await scrapeUntil(
      metrics,
      'the backlog handled and committed, the failing message dead-lettered',
      (t) =>
        sampleValue(t, 'vigil_bus_delivered_total', { topic: Topic.events, consumer: 'slow' }) >= 40 &&
        sampleValue(t, 'vigil_bus_consumer_lag', { topic: Topic.events, consumer: 'slow' }) === 0 &&
        sampleValue(t, 'vigil_bus_dead_lettered_total', { topic: Topic.eventsRaw, consumer: 'failing' }) === 1,
    );
    // Two attempts (one retry) of the one message.
    expect(sampleValue(text, 'vigil_bus_handler_errors_total', { topic: Topic.eventsRaw, consumer: 'failing' })).toBe(
      2,
    );
  });

  it('consumer restarts: a member evicted from its group (no heartbeat for longer than the session) is replaced', async () => {
    env = testEnv();
    const through = await brokerProxy();
    proxy = through.proxy;
    const producer = env.bus({ spoolDir: `${env.spoolDir}/producer` });
    await producer.start();
    const consumer = env.bus({
      ...through.via,
      spoolDir: `${env.spoolDir}/consumer`,
      // The broker's shortest session (group.min.session.timeout.ms).
      consumerSessionTimeoutMs: 6_000,
      consumerHeartbeatMs: 1_000,
    });
    await consumer.start();
    const metrics = new Metrics('it', consumer);
    await producer.publish(Topic.events, messages(8));
    await producer.flush();
    let calls = 0;
    consumer.subscribe(Topic.events, 'evicted', async () => {
      if (++calls > 1) return;
      await proxy!.stop();
      await sleep(9_000);
      await proxy!.start();
    });
    await until('a restart', () => (consumer.stats().restarts['vigil.events/evicted'] ?? 0) >= 1, 90_000);
    expect(
      sampleValue(await metrics.text(), 'vigil_bus_consumer_restarts_total', {
        topic: Topic.events,
        consumer: 'evicted',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});
