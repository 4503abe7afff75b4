/**
 * `vigil run`'s metrics, without the collector (it needs root and BPF; its metrics are tested in
 * services/collector): the combined /metrics holds every service's registry and the shared bus's
 * metrics once; /enricher/metrics and /exporter/metrics are each service's own under its prefix.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import { execId, execResponse, makeProcess, timestampFromEpochNs } from '@vigil/events';
import { metricsDocProblems, parseExposition, sampleValue } from '@vigil/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../src/all-in-one/admin-token';
import { AllInOneModule } from '../src/all-in-one/all-in-one.module';
import { allInOneServices } from '../src/all-in-one/services';

const DOC = path.resolve(__dirname, '../../docs/metrics.md');

describe('vigil run: /metrics', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-all-in-one-metrics-'));
  const bus = new InProcessBus();
  let app: INestApplication;
  let url: string;
  const scrape = async (p: string) => {
    const res = await fetch(`${url}${p}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return res.text();
  };

  beforeAll(async () => {
    const admin = ensureAdminToken(dir);
    const services = allInOneServices({
      bus,
      dataDir: dir,
      duckdbPath: path.join(dir, 'events.duckdb'),
      policyEngineEnv: { VIGIL_POLICY_ENGINE_TOKENS: admin.tokensJson, VIGIL_POLICY_ENGINE_REPLAY_QUIET_MS: '0' },
      collector: false,
    });
    app = await NestFactory.create(AllInOneModule.register({ bus, services }), { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await bus.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('/metrics: every service’s metrics and the shared bus’s once, moving with the events', async () => {
    const before = await scrape('/metrics');
    const names = [...parseExposition(before).keys()];
    for (const prefix of ['vigil_enricher_', 'vigil_exporter_', 'vigil_policy_engine_', 'vigil_bus_'])
      expect(names.some((n) => n.startsWith(prefix))).toBe(true);
    expect(before.match(/^# TYPE vigil_bus_published_total /gm)).toHaveLength(1);
    // Everything documented for these services and the bus, nothing else.
    expect(
      metricsDocProblems(fs.readFileSync(DOC, 'utf8'), before, [
        'vigil_enricher_',
        'vigil_exporter_',
        'vigil_policy_engine_',
        'vigil_bus_',
      ]),
    ).toEqual([]);

    const process = makeProcess({ exec_id: execId('n', 1n, 7), pid: 7, binary: '/bin/true', flags: 'execve' });
    const time = timestampFromEpochNs(BigInt(Date.now()) * 1_000_000n);
    await bus.publish(Topic.eventsRaw, [
      { key: process.exec_id!, value: execResponse({ process, nodeName: 'n', time }) },
    ]);
    await bus.flush();
    await bus.flush();
    const after = await scrape('/metrics');
    expect(sampleValue(after, 'vigil_enricher_events_received_total')).toBe(1);
    expect(sampleValue(after, 'vigil_exporter_rows_inserted_total')).toBe(1);
    expect(sampleValue(after, 'vigil_bus_published_total', { topic: Topic.events })).toBe(1);
    expect(sampleValue(after, 'vigil_policy_engine_replay_ready')).toBe(1);
  });

  it('/enricher/metrics and /exporter/metrics: each service’s own, with the bus', async () => {
    for (const service of ['enricher', 'exporter']) {
      const names = [...parseExposition(await scrape(`/${service}/metrics`)).keys()];
      expect(names.every((n) => n.startsWith(`vigil_${service}_`) || n.startsWith('vigil_bus_'))).toBe(true);
      expect(names.some((n) => n.startsWith(`vigil_${service}_`))).toBe(true);
    }
  });

  it('lists /metrics at the base URL', async () => {
    expect(((await (await fetch(url)).json()) as { metrics: string }).metrics).toBe('/metrics');
  });
});
