import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ClickHouseConnection,
  ClickHouseEventStore,
  ClickHouseEventWriter,
  ClickHouseServerError,
  type ClickHouseWriterStats,
} from '../../src';
import { exec, fleetEvents, P4, T0 } from '../fixtures/fleet';
import { timestampFromEpochNs, type GetEventsResponse } from '@vigil/events';
import { TcpProxy } from './tcp-proxy';

/** Outage length: the acceptance says 30 s; 3 s exercise the same path (several backoffs). */
const OUTAGE_MS = 3_000;

/** n distinct exec events (one process exec'd n times a ms apart). */
function manyEvents(n: number): GetEventsResponse[] {
  return Array.from({ length: n }, (_, i) => ({
    ...exec(P4, 0),
    time: timestampFromEpochNs(T0 + BigInt(i) * 1_000_000n),
  }));
}

describe('ClickHouseEventWriter against a server that goes away (real server behind a TCP proxy)', () => {
  const database = `vigil_store_it_${randomUUID().replace(/-/g, '')}`;
  let store: ClickHouseEventStore;
  let proxy: TcpProxy;
  let viaProxy: ClickHouseConnection;

  beforeAll(async () => {
    const url = new URL(inject('clickhouseUrl'));
    store = new ClickHouseEventStore({ url: url.toString(), database });
    await store.migrate();
    proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.start();
    viaProxy = new ClickHouseConnection({ url: proxy.url, requestTimeoutMs: 2_000 });
  });

  afterAll(async () => {
    await proxy?.stop();
    await viaProxy?.close();
    await store?.connection.command(`DROP DATABASE IF EXISTS ${database}`);
    await store?.close();
  });

  it('keeps the backlog while the server is unreachable and drains it when it returns', async () => {
    const errors: ClickHouseServerError[] = [];
    const writer = new ClickHouseEventWriter({
      connection: viaProxy,
      database,
      maxBatchRows: 2_000,
      flushIntervalMs: 100,
      retryInitialDelayMs: 100,
      retryMaxDelayMs: 500,
      onError: (err) => errors.push(err),
    });
    const before = manyEvents(1_000);
    await writer.write(before);
    expect(writer.stats()).toMatchObject({ connected: true, insertedRows: 1_000, backlogRows: 0 });

    await proxy.stop();
    const during = manyEvents(6_000).slice(1_000);
    let acknowledged = false;
    const pending = Promise.all([writer.write(during.slice(0, 2_500)), writer.write(during.slice(2_500))]).then((r) => {
      acknowledged = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const down: ClickHouseWriterStats = writer.stats();
    expect(acknowledged).toBe(false);
    expect(down.connected).toBe(false);
    expect(down.backlogRows).toBe(5_000);
    expect(down.insertErrors).toBeGreaterThanOrEqual(3);
    expect(down.lastError).toMatch(/server unreachable/);
    expect(errors.every((e) => e.retryable)).toBe(true);

    await proxy.start();
    const results = await pending;
    expect(results.map((r) => r.inserted)).toEqual([2_500, 2_500]);
    expect(writer.stats()).toMatchObject({ connected: true, backlogRows: 0, insertedRows: 6_000, failedRows: 0 });
    await writer.close();
    expect(await store.countEvents()).toBe(6_000);
  });

  it('rejects a batch the server refuses for good (no retry), and says why', async () => {
    const writer = new ClickHouseEventWriter({
      connection: store.connection,
      database: `${database}_missing`,
      flushIntervalMs: 20,
    });
    const err = await writer.write(fleetEvents()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseServerError);
    expect((err as ClickHouseServerError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/ClickHouse error 81: .*Database .*_missing doesn't exist/);
    expect(writer.stats()).toMatchObject({
      connected: true,
      failedRows: fleetEvents().length,
      insertErrors: 1,
      backlogRows: 0,
    });
    await writer.close();
  });

  it('rejects what it could not insert when closed during an outage (offsets must not be committed)', async () => {
    await proxy.stop();
    const writer = new ClickHouseEventWriter({
      connection: viaProxy,
      database,
      flushIntervalMs: 20,
      retryInitialDelayMs: 50,
    });
    const pending = writer.write(manyEvents(10)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    await writer.close(200);
    expect(await pending).toMatchObject({
      name: 'WriterClosedError',
      message: expect.stringMatching(/10 rows not inserted/),
    });
    await expect(writer.write(manyEvents(1))).rejects.toThrow('writer closed');
    await proxy.start();
  });
});
