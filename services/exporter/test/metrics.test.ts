/**
 * GET /metrics of the exporter (embedded mode: in-process bus, DuckDB in memory, the fleet gRPC
 * API on a free port): each vigil_exporter_* metric moved by what causes it, and docs/metrics.md
 * naming exactly what it serves. ClickHouse's backlog and retries: test/integration/metrics.test.ts.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import { eventPayload, type GetEventsResponse } from '@vigil/events';
import { getEvents, sensorsClient } from '@vigil/rpc';
import { metricsDocProblems, sampleValue } from '@vigil/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ExporterModule, ExporterRuntime, FleetSensors } from '../src';
import { eventStream, keyOf } from './fixtures/events';

const DOC = path.resolve(__dirname, '../../../docs/metrics.md');

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start() {
  const bus = new InProcessBus();
  app = await NestFactory.create(
    ExporterModule.register({
      bus,
      store: { kind: 'duckdb', path: ':memory:' },
      load: { env: { VIGIL_EXPORTER_GRPC_ADDRESS: '127.0.0.1:0', VIGIL_EXPORTER_POLICY_ENGINE_ADDRESS: '' } },
    }),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const publish = async (events: unknown[]) => {
    await bus.publish(
      Topic.events,
      events.map((value, i) => ({ key: keyOf(value as GetEventsResponse) || `k${i}`, value })),
    );
    await bus.flush();
  };
  return {
    bus,
    publish,
    runtime: app.get(ExporterRuntime),
    grpc: app.get(FleetSensors).boundAddress,
    scrape: async () => (await fetch(`${url}/metrics`)).text(),
  };
}

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('exporter /metrics', () => {
  it('counts consumed, inserted and dead-lettered messages, events by type/namespace/policy, and times writes and batches', async () => {
    const e = await start();
    let text = await e.scrape();
    expect(sampleValue(text, 'vigil_exporter_state', { state: 'running' })).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_state', { state: 'starting' })).toBe(0);
    expect(sampleValue(text, 'vigil_exporter_store_connected', { store: 'duckdb' })).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_rows_inserted_total')).toBe(0);

    const events = eventStream(0, 60);
    await e.publish([...events, { process_exec: {} }]);
    text = await e.scrape();
    expect(sampleValue(text, 'vigil_exporter_messages_consumed_total')).toBe(61);
    expect(sampleValue(text, 'vigil_exporter_rows_inserted_total')).toBe(60);
    expect(sampleValue(text, 'vigil_exporter_events_dead_lettered_total')).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_in_flight_messages')).toBe(0);
    // Every event of the handled batches by type, namespace and policy: the fixture's mix.
    const count = (labels: Record<string, string>) => sampleValue(text, 'vigil_exporter_events_total', labels);
    const expected = (pred: (ev: GetEventsResponse) => boolean) => events.filter(pred).length;
    // The unmappable message is an exec too: handled (dead-lettered), so counted.
    expect(count({ type: 'exec' })).toBe(expected((ev) => ev.process_exec !== undefined) + 1);
    expect(count({ type: 'exit' })).toBe(expected((ev) => ev.process_exit !== undefined));
    expect(count({ type: 'kprobe' })).toBe(expected((ev) => ev.process_kprobe !== undefined));
    expect(count({ type: 'kprobe' })).toBeGreaterThan(0);
    const kprobe = events.find((ev) => ev.process_kprobe)!.process_kprobe!;
    expect(count({ type: 'kprobe', policy: kprobe.policy_name! })).toBeGreaterThan(0);
    expect(count({ namespace: 'shop' })).toBe(
      expected((ev) => eventPayload(ev)?.payload.process?.pod?.namespace === 'shop'),
    );
    expect(count({ namespace: 'shop' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_exporter_insert_duration_seconds_count', { store: 'duckdb', result: 'ok' })).toBe(
      sampleValue(text, 'vigil_exporter_batch_duration_seconds_count', { result: 'ok' }),
    );
    expect(sampleValue(text, 'vigil_exporter_batch_duration_seconds_count', { result: 'ok' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_bus_consumer_lag', { topic: Topic.events, consumer: 'exporter' })).toBe(0);
  });

  it('shows the messages of a batch in hand, then a store that fails: insert errors, failed batches, store down', async () => {
    const e = await start();
    const sink = e.runtime.sink;
    // A store write that waits for the test (wrapping the timed one).
    const timedWrite = sink.write.bind(sink);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    sink.write = async (batch) => {
      await gate;
      return timedWrite(batch);
    };
    void e.bus.publish(
      Topic.events,
      eventStream(0, 5).map((value) => ({ key: keyOf(value), value })),
    );
    await until(
      'the batch in hand',
      async () => sampleValue(await e.scrape(), 'vigil_exporter_in_flight_messages') === 5,
    );
    expect(sampleValue(await e.scrape(), 'vigil_bus_consumer_lag', { consumer: 'exporter' })).toBe(5);
    release();
    await e.bus.flush();
    expect(sampleValue(await e.scrape(), 'vigil_exporter_in_flight_messages')).toBe(0);

    await sink.close();
    await e.publish(eventStream(5, 3));
    const text = await e.scrape();
    expect(sampleValue(text, 'vigil_exporter_insert_errors_total', { store: 'duckdb' })).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_insert_duration_seconds_count', { result: 'error' })).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_failed_batches_total')).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_batch_duration_seconds_count', { result: 'error' })).toBe(1);
    expect(sampleValue(text, 'vigil_exporter_store_connected', { store: 'duckdb' })).toBe(0);
    expect(sampleValue(text, 'vigil_bus_handler_errors_total', { topic: Topic.events, consumer: 'exporter' })).toBe(3);
  });

  it('counts the fleet gRPC streams: open, opened, sent, dropped when a stream closes with events queued, encode errors', async () => {
    const e = await start();
    const client = sensorsClient(e.grpc);
    const abort = new AbortController();
    try {
      const stream = getEvents(client, {}, abort.signal)[Symbol.asyncIterator]();
      const first = stream.next();
      await until(
        'the stream open',
        async () => sampleValue(await e.scrape(), 'vigil_exporter_grpc_streams_open') === 1,
      );
      // The stream's consumer starts at the end of the topic: publish once it follows.
      await until('the stream following vigil.events', async () => {
        await e.publish(eventStream(0, 1));
        return sampleValue(await e.scrape(), 'vigil_exporter_grpc_events_sent_total') > 0;
      });
      await first;
      // Not read any further: the client's window fills, the server queues, then the close drops the queue.
      await e.publish(eventStream(1, 3000));
      // An event that cannot be encoded (its time is no RFC 3339 timestamp).
      await e.publish([{ time: 'yesterday', process_exec: { process: { exec_id: 'x' } } }]);
      let text = await e.scrape();
      expect(sampleValue(text, 'vigil_exporter_grpc_streams_opened_total')).toBe(1);
      expect(sampleValue(text, 'vigil_exporter_grpc_encode_errors_total')).toBe(1);
      abort.abort();
      await until(
        'the stream closed',
        async () => sampleValue(await e.scrape(), 'vigil_exporter_grpc_streams_open') === 0,
      );
      text = await e.scrape();
      expect(sampleValue(text, 'vigil_exporter_grpc_events_dropped_total')).toBeGreaterThan(0);
      expect(
        sampleValue(text, 'vigil_exporter_grpc_events_sent_total') +
          sampleValue(text, 'vigil_exporter_grpc_events_dropped_total'),
      ).toBeGreaterThanOrEqual(3000);
    } finally {
      abort.abort();
      client.close();
    }
  });

  it('serves exactly the metrics docs/metrics.md documents for the exporter and the bus', async () => {
    const e = await start();
    expect(
      metricsDocProblems(fs.readFileSync(DOC, 'utf8'), await e.scrape(), ['vigil_exporter_', 'vigil_bus_']),
    ).toEqual([]);
  });
});
