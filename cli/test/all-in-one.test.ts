import 'reflect-metadata';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import { execId, execResponse, makeProcess, timestampFromEpochNs, type GetEventsResponse } from '@vigil/events';
import { ExporterRuntime } from '@vigil/exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../src/all-in-one/admin-token';
import { AllInOneModule } from '../src/all-in-one/all-in-one.module';
import { allInOneServices } from '../src/all-in-one/services';

// The all-in-one application without the collector (which needs root and BPF: test/kernel/
// covers the whole of it): routes, the combined endpoints, raw events through the enricher into
// DuckDB, the policy API's token, `vigil query` against it, and a close that stores everything.
const CLI = path.join(__dirname, '..', 'dist', 'main.js');
const NODE = 'all-in-one-test';

function rawExec(i: number, binary: string): { key: string; value: GetEventsResponse } {
  const process = makeProcess({
    exec_id: execId(NODE, BigInt(1_000 + i), 4_000 + i),
    pid: 4_000 + i,
    binary,
    arguments: `run ${i}`,
    flags: 'execve',
    // A cgroup path, as the collector sends it: the enricher turns it into the container id.
    docker: '/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope',
  });
  const time = timestampFromEpochNs(BigInt(Date.now()) * 1_000_000n + BigInt(i));
  return { key: process.exec_id!, value: execResponse({ process, nodeName: NODE, time }) };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Asynchronous: the server answering it runs in this process.
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the all-in-one application (without the collector)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-all-in-one-'));
  const bus = new InProcessBus();
  const admin = ensureAdminToken(dir);
  const token = fs.readFileSync(admin.file, 'utf8').trim();
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const services = allInOneServices({
      bus,
      dataDir: dir,
      duckdbPath: path.join(dir, 'events.duckdb'),
      policyEngineEnv: { VIGIL_POLICY_ENGINE_TOKENS: admin.tokensJson, VIGIL_POLICY_ENGINE_REPLAY_QUIET_MS: '0' },
      collector: false,
    });
    app = await NestFactory.create(AllInOneModule.register({ bus, services }), {
      logger: false,
      abortOnError: false,
    });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = async (p: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${p}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers /healthz and /readyz once for every service, not one service’s copy', async () => {
    expect(await get('/healthz')).toEqual({
      status: 200,
      body: { status: 'ok', service: 'vigil', services: ['exporter', 'policy-engine', 'enricher'] },
    });
    let ready = await get('/readyz');
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await get('/readyz');
    }
    expect(ready).toEqual({
      status: 200,
      body: {
        status: 'ready',
        service: 'vigil',
        checks: {
          'exporter: store': true,
          'exporter: store connected': true,
          'policy-engine: policies replayed': true,
        },
      },
    });
  });

  it('stores raw events through the enricher (container id from the cgroup) in DuckDB, queryable under /exporter', async () => {
    await bus.publish(Topic.eventsRaw, [rawExec(1, '/opt/unique/aio-1'), rawExec(2, '/opt/unique/aio-1')]);
    await bus.flush();
    await bus.flush();
    const { status, body } = await get(`/exporter/queries/firstSeen?binary=${encodeURIComponent('/opt/unique/aio-1')}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      preset: 'firstSeen',
      result: { binary: '/opt/unique/aio-1', executions: 2, node_name: NODE },
    });
    const exported = await fetch(`${url}/exporter/events/export?since=1h`);
    const lines = (await exported.text()).trim().split('\n');
    const stored = lines
      .map((l) => JSON.parse(l) as GetEventsResponse)
      .filter((e) => e.process_exec?.process?.binary === '/opt/unique/aio-1');
    expect(stored[0]?.process_exec?.process?.docker).toBe(
      '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
  });

  it('serves each service’s own /status under its prefix and all of them in /status', async () => {
    const exporter = await get('/exporter/status');
    expect(exporter.body).toMatchObject({ state: 'running', transport: 'in-process', store: { kind: 'duckdb' } });
    expect((await get('/enricher/status')).body).toMatchObject({ kubernetes: { disabled: true } });
    const all = (await get('/status')).body;
    expect(Object.keys(all).sort()).toEqual(['bus', 'enricher', 'exporter', 'policy-engine']);
    expect(all['exporter']).toMatchObject({ inserted: 2, deadLettered: 0 });
    expect(all['enricher']).toMatchObject({ events: { received: 2 } });
    expect(all['policy-engine']).toMatchObject({ ready: true, policies: 0 });
    expect(all['bus']).toMatchObject({ published: { [Topic.eventsRaw]: 2, [Topic.events]: 2 } });
  });

  it('serves the policy API at the root with its docs: 401 without the token, the list with it', async () => {
    const anonymous = await get('/policies');
    expect(anonymous.status).toBe(401);
    expect(await get('/policies', { authorization: `Bearer ${token}` })).toEqual({
      status: 200,
      body: { policies: [] },
    });
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    expect((await get('/openapi.json')).body).toMatchObject({ paths: { '/policies': {} } });
  });

  it('answers `vigil query` as a table, JSON and CSV', async () => {
    const base = `${url}/exporter`;
    const table = await vigil(['query', 'topBinaries', '--since', '1h', '--url', base]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(
      /^NAMESPACE\s+BINARY\s+EXECUTIONS\s+NODES\s+FIRST_SEEN\s+LAST_SEEN\n\s+\/opt\/unique\/aio-1\s+2\s+1\s/,
    );
    const json = await vigil(['query', 'firstSeen', '--binary=/opt/unique/aio-1', '-o', 'json', '--url', base]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ binary: '/opt/unique/aio-1', executions: 2 });
    const csv = await vigil(['query', 'topBinaries', '--since', '1h', '--limit', '1', '-o', 'csv', '--url', base]);
    expect(csv.stdout.split('\r\n')[0]).toBe('namespace,binary,executions,nodes,first_seen,last_seen');
    const never = await vigil(['query', 'firstSeen', '--binary', '/never/ran', '--url', base]);
    expect(never).toMatchObject({ code: 0, stdout: '', stderr: '(no result)\n' });
  });

  it('exits 2 for a query the exporter rejects, 1 for a URL that is not an exporter, 4 when nothing answers', async () => {
    const base = `${url}/exporter`;
    const bad = await vigil(['query', 'topBinaries', '--since', 'yesterday', '--namspace', 'x', '--url', base]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('since: expected an RFC 3339 timestamp');
    expect(bad.stderr).toContain('namspace: unknown parameter');
    const unknown = await vigil(['query', 'topBinary', '--url', base]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no preset "topBinary"; presets: processTree, topBinaries');
    const notExporter = await vigil(['query', 'topBinaries', '--since', '1h', '--url', url]);
    expect(notExporter.code).toBe(1);
    expect(notExporter.stderr).toContain("--url must be the exporter's base URL");
    const closed = await vigil([
      'query',
      'topBinaries',
      '--since',
      '1h',
      '--url',
      `http://127.0.0.1:${await closedPort()}`,
    ]);
    expect(closed.code).toBe(4);
    expect(closed.stderr).toContain('cannot connect (ECONNREFUSED)');
    const noRun = await vigil(['query', 'topBinaries', '--since', '1h', '--data-dir', dir]);
    expect(noRun.code).toBe(4);
    expect(noRun.stderr).toContain(`no vigil run found for ${dir}`);
  });

  it('stores what is still in flight when the application closes (the bus is drained before the exporter stops)', async () => {
    const runtime = app.get(ExporterRuntime);
    const before = runtime.handler.stats().inserted;
    await bus.publish(
      Topic.eventsRaw,
      Array.from({ length: 500 }, (_, i) => rawExec(100 + i, '/opt/unique/aio-late')),
    );
    await app.close();
    expect(runtime.handler.stats().inserted - before).toBe(500);
    expect(bus.stats().dropped).toEqual({});
  });
});
