import { Topic, type DeadLetterValue } from '@vigil/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExporterDeadLetter } from '../../src';
import { AFTER_ALL_ISO, eventStream, T0_ISO } from '../fixtures/events';
import { publishEvents, rawCodec, TestEnv, waitFor, type Exporter } from './helpers';

/** Real Kafka → the exporter (its own KafkaBus, as deployed) → real ClickHouse. */
describe('exporter: vigil.events on Kafka → ClickHouse', () => {
  const env = new TestEnv();
  let exporter: Exporter;
  const N = 3_000;
  const events = eventStream(0, N);

  beforeAll(async () => {
    exporter = await env.startExporter(env.exporterEnv());
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('stores exactly the N published events, queryable within seconds; every preset answers', async () => {
    const producer = await env.bus();
    const published = Date.now();
    await publishEvents(producer, events);
    const waited = await waitFor(`${N} events in ClickHouse`, () =>
      env.store.countEvents().then(
        (n) => n === N,
        () => false,
      ),
    );
    console.log(
      `${N} events queryable ${Date.now() - published} ms after publishing started (${waited} ms after the last was in Kafka)`,
    );
    expect(Date.now() - published).toBeLessThan(20_000);
    const status = await exporter.status();
    expect(status).toMatchObject({ state: 'running', consumed: N, inserted: N, deadLettered: 0, backlog: 0 });
    expect(status.clickhouseConnected).toBe(true);

    // Presets over HTTP = the store's answers, and the fixture's hand-countable totals.
    const since = new Date(T0_ISO);
    const top = await exporter.get<{ result: Array<{ executions: number }> }>(
      `/queries/topBinaries?since=${T0_ISO}&until=${AFTER_ALL_ISO}&limit=100`,
    );
    expect(top.status).toBe(200);
    expect(top.body.result).toEqual(await env.store.topBinaries({ since, until: new Date(AFTER_ALL_ISO), limit: 100 }));
    const execs = events.filter((e) => e.process_exec).length;
    expect(top.body.result.reduce((sum, r) => sum + r.executions, 0)).toBe(execs);

    const hooks = events.filter((e) => e.process_kprobe);
    const hits = await exporter.get<{ result: Array<{ hits: number; enforced: number }> }>(
      `/queries/policyHits?since=${T0_ISO}&bucketSeconds=3600`,
    );
    expect(hits.body.result.reduce((s, r) => s + r.hits, 0)).toBe(hooks.length);
    const sigkills = hooks.filter((e) => e.process_kprobe?.action === 'KPROBE_ACTION_SIGKILL').length;
    expect(hits.body.result.reduce((s, r) => s + r.enforced, 0)).toBe(sigkills);

    const enforcement = await exporter.get<{ result: Array<{ count: number }> }>(
      `/queries/enforcementByWorkload?since=${T0_ISO}`,
    );
    expect(enforcement.body.result.reduce((s, r) => s + r.count, 0)).toBe(sigkills);
    const connections = await exporter.get<{ result: Array<{ connections: number }> }>(
      `/queries/connectionsByPod?since=${T0_ISO}`,
    );
    expect(connections.body.result.reduce((s, r) => s + r.connections, 0)).toBe(hooks.length);
    const first = await exporter.get<{ result: { executions: number } }>('/queries/firstSeen?binary=/usr/bin/curl');
    expect(first.body.result).toEqual(await env.store.firstSeen('/usr/bin/curl'));
    const execId = events[0]!.process_exec!.process!.exec_id!;
    const tree = await exporter.get<{ result: { nodes: unknown[] } }>(
      `/queries/processTree?execId=${encodeURIComponent(execId)}`,
    );
    expect(tree.body.result).toEqual(await env.store.processTree({ execId }));

    const exported = await exporter.get<string>(`/events/export?since=${T0_ISO}&until=${AFTER_ALL_ISO}`);
    expect(exported.status).toBe(200);
    const lines = exported.body.split('\n').filter(Boolean);
    expect(lines.length).toBe(N);
    expect(JSON.parse(lines[N - 1]!)).toEqual(events[N - 1]);
  });

  it('dead-letters a malformed message with the reason and keeps storing what follows', async () => {
    const before = await exporter.status();
    const reader = await env.bus();
    const letters: unknown[] = [];
    reader.subscribe(Topic.deadLetter, 'dead-letter-reader', (batch) => {
      letters.push(...batch.map((m) => m.value));
    });
    // Bytes that are not JSON (the bus's codec refuses them), then JSON that is no event.
    const raw = await env.bus({ codec: rawCodec });
    await raw.publish(Topic.events, [{ key: 'garbage', value: '{"process_exec": {' }]);
    await raw.delivered(10_000);
    const producer = await env.bus();
    await producer.publish(Topic.events, [
      { key: 'no-time', value: { process_exec: { process: { binary: '/bin/x' } } } },
    ]);
    const later = eventStream(N, 500);
    await publishEvents(producer, later);

    await waitFor('the later events', () =>
      env.store.countEvents().then(
        (n) => n === N + 500,
        () => false,
      ),
    );
    await waitFor('two dead letters', () => letters.length >= 2, 30_000);
    const byReason = Object.fromEntries(letters.map((l) => [(l as { reason: string }).reason, l]));
    expect(byReason['unmappable']).toEqual({
      reason: 'unmappable',
      topic: Topic.events,
      consumer: 'exporter',
      key: 'no-time',
      error: 'time: missing (rows are partitioned by day)',
      value: { process_exec: { process: { binary: '/bin/x' } } },
    } satisfies ExporterDeadLetter);
    expect(byReason['undecodable']).toMatchObject({
      reason: 'undecodable',
      topic: `${env.prefix}${Topic.events}`,
      consumer: 'exporter',
      key: 'garbage',
      valueBase64: Buffer.from('{"process_exec": {').toString('base64'),
    } satisfies Partial<DeadLetterValue>);
    expect((byReason['undecodable'] as DeadLetterValue).error).toMatch(/JSON/);

    const after = await exporter.status();
    expect(after.deadLettered - before.deadLettered).toBe(2);
    expect(after.deadLetters).toEqual({ unmappable: 1, byBus: 1 });
    expect(after.inserted - before.inserted).toBe(500);
  });
});
