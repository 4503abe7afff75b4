/**
 * The exporter's metrics in the fleet: ClickHouse behind a TCP proxy the test owns and its own
 * KafkaBus. While the server is away the backlog, the failed attempts and the consumer lag show;
 * after, rows inserted and a lag back to 0. (Embedded mode: test/metrics.test.ts.)
 */
import { sampleValue } from '@vigil/service-kit';
import { Topic } from '@vigil/bus';
import { afterAll, describe, expect, it } from 'vitest';
import { eventStream } from '../fixtures/events';
import { clickhouseUrl, publishEvents, TestEnv, waitFor } from './helpers';
import { TcpProxy } from './tcp-proxy';

describe('exporter metrics with ClickHouse and Kafka', () => {
  const env = new TestEnv();
  let proxy: TcpProxy;

  afterAll(async () => {
    await proxy?.stop();
    await env.cleanup();
  });

  it('a ClickHouse outage: backlog, insert errors, store down, consumer lag; then rows inserted and no lag', async () => {
    const url = new URL(clickhouseUrl());
    proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.start();
    const exporter = await env.startExporter(env.exporterEnv({ VIGIL_CLICKHOUSE_URL: proxy.url }));
    const scrape = async () => (await exporter.get<string>('/metrics')).body;
    const value = async (name: string, labels: Record<string, string> = {}) =>
      sampleValue(await scrape(), name, labels);
    const producer = await env.bus();

    await publishEvents(producer, eventStream(0, 500, 'metrics'));
    await waitFor('500 rows', async () => (await value('vigil_exporter_rows_inserted_total')) >= 500);
    let text = await scrape();
    expect(sampleValue(text, 'vigil_exporter_store_connected', { store: 'clickhouse' })).toBe(1);
    expect(
      sampleValue(text, 'vigil_exporter_insert_duration_seconds_count', { store: 'clickhouse', result: 'ok' }),
    ).toBeGreaterThan(0);

    await proxy.stop();
    await publishEvents(producer, eventStream(500, 3_000, 'metrics'));
    await waitFor('a backlog and failed attempts', async () => {
      const t = await scrape();
      return (
        sampleValue(t, 'vigil_exporter_store_backlog_rows', { store: 'clickhouse' }) > 0 &&
        sampleValue(t, 'vigil_exporter_insert_errors_total', { store: 'clickhouse' }) >= 2
      );
    });
    text = await scrape();
    expect(sampleValue(text, 'vigil_exporter_store_connected', { store: 'clickhouse' })).toBe(0);
    expect(sampleValue(text, 'vigil_exporter_in_flight_messages')).toBeGreaterThan(0);
    // Kafka lag: what was published and not committed by the exporter's group.
    expect(sampleValue(text, 'vigil_bus_consumer_lag', { topic: Topic.events, consumer: 'exporter' })).toBeGreaterThan(
      0,
    );

    await proxy.start();
    await waitFor('everything stored and committed', async () => {
      const t = await scrape();
      return (
        sampleValue(t, 'vigil_exporter_rows_inserted_total') >= 3_500 &&
        sampleValue(t, 'vigil_exporter_store_backlog_rows') === 0 &&
        sampleValue(t, 'vigil_bus_consumer_lag', { topic: Topic.events, consumer: 'exporter' }) === 0
      );
    });
    expect(await value('vigil_exporter_store_connected', { store: 'clickhouse' })).toBe(1);
  });
});
