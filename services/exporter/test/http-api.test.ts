import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterModule, ExporterRuntime } from '../src';
import { AFTER_ALL_ISO, eventStream, keyOf, T0_ISO } from './fixtures/events';

/** The whole module over HTTP, embedded mode (in-process bus, DuckDB in memory): no servers needed. */
describe('exporter HTTP API (embedded mode)', () => {
  let app: INestApplication;
  let base: string;
  let runtime: ExporterRuntime;
  const bus = new InProcessBus();
  const events = eventStream(0, 200);

  beforeAll(async () => {
    app = await NestFactory.create(
      ExporterModule.register({
        bus,
        store: { kind: 'duckdb', path: ':memory:' },
        load: { env: { VIGIL_EXPORTER_GRPC_ADDRESS: '' } },
      }),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    runtime = app.get(ExporterRuntime);
    await bus.publish(
      Topic.events,
      events.map((value) => ({ key: keyOf(value), value })),
    );
    await bus.publish(Topic.events, [{ key: 'bad', value: { process_exec: {} } }]);
    await bus.flush();
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('GET /status counts consumed, inserted and dead-lettered messages', async () => {
    const { status, text } = await get('/status');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      state: 'running',
      transport: 'in-process',
      consumer: 'exporter',
      consumed: 201,
      inserted: 200,
      deadLettered: 1,
      deadLetters: { unmappable: 1, byBus: 0 },
      backlog: 0,
      inFlight: 0,
      clickhouseConnected: null,
      insertErrors: 0,
      lastError: null,
      store: { kind: 'duckdb', connected: true },
    });
  });

  it('GET /queries/:preset answers what the store answers', async () => {
    const since = new Date(T0_ISO);
    const cases: Array<[string, unknown]> = [
      [`/queries/topBinaries?since=${T0_ISO}&limit=3`, await runtime.sink.queries.topBinaries({ since, limit: 3 })],
      [
        `/queries/policyHits?since=${T0_ISO}&until=${AFTER_ALL_ISO}&bucketSeconds=60`,
        await runtime.sink.queries.policyHits({ since, until: new Date(AFTER_ALL_ISO), bucketSeconds: 60 }),
      ],
      [`/queries/enforcementByWorkload?since=${T0_ISO}`, await runtime.sink.queries.enforcementByWorkload({ since })],
      [
        `/queries/connectionsByPod?since=${T0_ISO}&namespace=shop`,
        await runtime.sink.queries.connectionsByPod({ since, namespace: 'shop' }),
      ],
      [`/queries/firstSeen?binary=/usr/bin/curl`, await runtime.sink.queries.firstSeen('/usr/bin/curl')],
      [`/queries/firstSeen?binary=/never/ran`, null],
    ];
    for (const [path, expected] of cases) {
      const { status, text } = await get(path);
      expect(status, path).toBe(200);
      expect(JSON.parse(text), path).toEqual({ preset: path.slice(9, path.indexOf('?')), result: expected });
    }
    // Not vacuous: the fixture has something for every preset.
    expect((await runtime.sink.queries.topBinaries({ since })).length).toBeGreaterThan(0);
    expect((await runtime.sink.queries.enforcementByWorkload({ since })).length).toBeGreaterThan(0);
    expect((await runtime.sink.queries.connectionsByPod({ since })).length).toBeGreaterThan(0);

    const execId = keyOf(events[0]!);
    const tree = await get(`/queries/processTree?execId=${encodeURIComponent(execId)}&maxDepth=2`);
    expect(JSON.parse(tree.text).result.nodes.map((n: { exec_id: string }) => n.exec_id)).toContain(execId);
  });

  it('answers a bad parameter with 400 naming the parameter and why', async () => {
    const limit = await get(`/queries/topBinaries?since=${T0_ISO}&limit=zero`);
    expect(limit.status).toBe(400);
    expect(JSON.parse(limit.text)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'limit: expected an integer in [1, 10000], got "zero"',
      problems: [{ parameter: 'limit', reason: 'expected an integer in [1, 10000], got "zero"' }],
    });
    const missing = await get('/queries/processTree');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text).problems).toEqual([{ parameter: 'execId', reason: 'required' }]);
    const typo = await get(`/queries/connectionsByPod?since=1h&namspace=shop`);
    expect(JSON.parse(typo.text).problems).toEqual([
      { parameter: 'namspace', reason: 'unknown parameter (accepted: since, until, namespace)' },
    ]);
    const bucket = await get(`/queries/policyHits?since=1h&bucketSeconds=-5`);
    expect(JSON.parse(bucket.text).message).toBe('bucketSeconds: expected an integer in [1, 31622400], got -5');
    const exportRange = await get(`/events/export?since=${AFTER_ALL_ISO}&until=${T0_ISO}`);
    expect(exportRange.status).toBe(400);
    expect(JSON.parse(exportRange.text).problems[0].parameter).toBe('until');
  });

  it('answers an unknown preset with 404 listing the presets', async () => {
    const { status, text } = await get('/queries/topBinary?since=1h');
    expect(status).toBe(404);
    expect(JSON.parse(text).message).toBe(
      'no preset "topBinary"; presets: processTree, topBinaries, firstSeen, policyHits, enforcementByWorkload, connectionsByPod',
    );
  });

  it('GET /events/export streams the stored events as NDJSON in time order, paged', async () => {
    const { status, type, text } = await get(`/events/export?since=${T0_ISO}&until=${AFTER_ALL_ISO}&pageSize=7`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/x-ndjson/);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
  });
});
