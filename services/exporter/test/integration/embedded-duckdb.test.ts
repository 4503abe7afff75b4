import fs from 'node:fs';
import path from 'node:path';
import { InProcessBus, Topic } from '@vigil/bus';
import { afterAll, describe, expect, it } from 'vitest';
import { AFTER_ALL_ISO, eventStream, keyOf, T0_ISO } from '../fixtures/events';
import { TestEnv, waitFor } from './helpers';

/**
 * `vigil run`'s embedded mode — register({ bus: InProcessBus, store: { kind: 'duckdb', path } })
 * — next to a ClickHouse exporter on the same in-process bus: both consume the same events,
 * and every preset must answer the same over HTTP.
 */
describe('embedded DuckDB over an in-process bus answers like ClickHouse', () => {
  const env = new TestEnv();
  const bus = new InProcessBus();

  afterAll(async () => {
    await env.cleanup();
  });

  it('gives the same preset answers on the same events', async () => {
    const duckPath = path.join(env.dir, 'events.duckdb');
    const embedded = await env.startExporter(env.exporterEnv({ VIGIL_EXPORTER_CONSUMER: 'exporter-duckdb' }), {
      bus,
      store: { kind: 'duckdb', path: duckPath },
    });
    const fleet = await env.startExporter(env.exporterEnv({ VIGIL_EXPORTER_CONSUMER: 'exporter-clickhouse' }), {
      bus,
      store: { kind: 'clickhouse' },
    });
    const events = eventStream(0, 2_000, 'embedded');
    for (let i = 0; i < events.length; i += 250)
      await bus.publish(
        Topic.events,
        events.slice(i, i + 250).map((value) => ({ key: keyOf(value), value })),
      );
    await bus.flush();
    await waitFor('ClickHouse to hold every event', () =>
      env.store.countEvents().then(
        (n) => n === 2_000,
        () => false,
      ),
    );
    expect(fs.existsSync(duckPath)).toBe(true);
    for (const e of [embedded, fleet])
      expect(await e.status()).toMatchObject({ state: 'running', transport: 'in-process', inserted: 2_000 });

    const execId = encodeURIComponent(keyOf(events[10]!));
    const queries = [
      `/queries/topBinaries?since=${T0_ISO}&until=${AFTER_ALL_ISO}&limit=3`,
      `/queries/topBinaries?since=${T0_ISO}&namespace=shop`,
      `/queries/policyHits?since=${T0_ISO}&bucketSeconds=60`,
      `/queries/enforcementByWorkload?since=${T0_ISO}`,
      `/queries/connectionsByPod?since=${T0_ISO}`,
      `/queries/firstSeen?binary=/usr/bin/python3`,
      `/queries/processTree?execId=${execId}`,
    ];
    for (const q of queries) {
      const [duck, ch] = await Promise.all([embedded.get(q), fleet.get(q)]);
      expect(duck.status, q).toBe(200);
      expect(duck.body, q).toEqual(ch.body);
      expect(JSON.stringify(duck.body.result), `${q} has an answer`).not.toMatch(/^(\[\]|null)$/);
    }
    const [duckExport, chExport] = await Promise.all([
      embedded.get<string>(`/events/export?since=${T0_ISO}`),
      fleet.get<string>(`/events/export?since=${T0_ISO}`),
    ]);
    expect(duckExport.body.split('\n').length).toBe(2_001);
    expect(duckExport.body).toBe(chExport.body);
  });
});
