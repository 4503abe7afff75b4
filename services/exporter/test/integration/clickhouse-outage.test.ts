import { afterAll, describe, expect, it } from 'vitest';
import { eventStream } from '../fixtures/events';
import { clickhouseUrl, publishEvents, TestEnv, waitFor, type Exporter } from './helpers';
import { TcpProxy } from './tcp-proxy';

/**
 * How long ClickHouse is away. 5 s and 30 s take the same path: the writer keeps the batch and
 * retries with backoff capped at 5 s, the handler waits, nothing is committed. The consumer
 * survives a handler that waits past kafkajs's 30 s session timeout: libs/bus heartbeats on a
 * timer while a handler runs (and restarts a consumer that is evicted or crashes anyway).
 * Measured with VIGIL_IT_OUTAGE_MS=35000: the member stays in its group, no restart, the
 * backlog drains to the exact count. The default stays at 5 s to keep the lane short.
 */
const OUTAGE_MS = Number(process.env['VIGIL_IT_OUTAGE_MS'] ?? 5_000);

describe('ClickHouse unreachable for a while (real server behind a TCP proxy the test owns)', () => {
  const env = new TestEnv();
  let proxy: TcpProxy;

  afterAll(async () => {
    await proxy?.stop();
    await env.cleanup();
  });

  it('keeps the backlog while the server is away and drains it to the exact count after', async () => {
    const url = new URL(clickhouseUrl());
    proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.start();
    const exporter: Exporter = await env.startExporter(env.exporterEnv({ VIGIL_CLICKHOUSE_URL: proxy.url }));
    const producer = await env.bus();

    await publishEvents(producer, eventStream(0, 2_000, 'outage'));
    await waitFor('2000 events before the outage', () =>
      env.store.countEvents().then(
        (n) => n === 2_000,
        () => false,
      ),
    );

    await proxy.stop();
    await publishEvents(producer, eventStream(2_000, 8_000, 'outage'));
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const down = await exporter.status();
    expect(down.clickhouseConnected).toBe(false);
    expect(down.backlog).toBeGreaterThan(0);
    expect(down.inFlight).toBeGreaterThan(0);
    expect(down.insertErrors).toBeGreaterThanOrEqual(3);
    expect(down.lastError).toMatch(/unreachable|ECONNREFUSED|ECONNRESET/);
    expect(await env.store.countEvents()).toBe(2_000);

    await proxy.start();
    const drained = await waitFor('the backlog to drain', () =>
      env.store.countEvents().then(
        (n) => n === 10_000,
        () => false,
      ),
    );
    console.log(
      `outage ${OUTAGE_MS} ms: ${down.backlog} rows waited, ${down.insertErrors} failed attempts; drained ${drained} ms after the server returned`,
    );
    await waitFor('the exporter to be idle', async () => {
      const s = await exporter.status();
      return s.backlog === 0 && s.inFlight === 0;
    });
    const up = await exporter.status();
    expect(up).toMatchObject({ clickhouseConnected: true, backlog: 0, deadLettered: 0 });
    expect(up.inserted).toBeGreaterThanOrEqual(10_000);
    expect(await env.store.countEvents()).toBe(10_000);
  });
});
