import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import type { PolicyStatus } from '@vigil/contracts';
import { EnricherModule } from '@vigil/enricher';
import { PolicyEngineModule } from '@vigil/policy-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../src/all-in-one/admin-token';
import { AllInOneModule } from '../src/all-in-one/all-in-one.module';
import { writeEndpoint } from '../src/all-in-one/endpoint-file';
import { allInOneServices } from '../src/all-in-one/services';
import { formatSummary, summarize } from '../src/commands/status-summary';
import { CLEAN_ENV, vigil as run } from './in-process';

// `vigil status` against the all-in-one application as `vigil run` composes it (without the
// collector, which needs root and BPF), found through its run.json, and against single services
// by --url. The collector's part of the summary is checked on a document of its shape below.

const vigil = (args: string[], env: Record<string, string | undefined> = {}) => run(args, { ...CLEAN_ENV, ...env });

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('vigil status — the local vigil run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-status-'));
  const bus = new InProcessBus();
  const admin = ensureAdminToken(dir);
  let app: INestApplication;
  let url = '';

  beforeAll(async () => {
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
    writeEndpoint(dir, { url, pid: process.pid, startedAt: new Date().toISOString() });
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200);
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints every service ready, the events, drops, lag, exporter and policy engine, and exits 0', async () => {
    const res = await vigil(['status', '--data-dir', dir]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`vigil             ready — ${url}`);
    expect(lines.slice(1, 4)).toEqual([
      '  exporter        ready',
      '  policy-engine   ready',
      '  enricher        ready',
    ]);
    expect(res.stdout).toMatch(/^events {12}enricher 0 → exporter consumed 0 → stored 0$/m);
    expect(res.stdout).toMatch(/^drops {13}bus\/spool 0, enricher publish 0, gRPC streams not reported$/m);
    expect(res.stdout).toMatch(/^lag {15}enricher holding 0, exporter backlog 0, in flight 0$/m);
    expect(res.stdout).toMatch(/^exporter {10}running, 0 inserted, 0 dead letters \(unmappable 0, byBus 0\)$/m);
    // The admin token of the data directory is read for the policy API's per-node view.
    expect(res.stdout).toMatch(/^policy engine {5}ready, 0 policies, 0 nodes reporting, 0 loaded$/m);
  });

  it('counts the nodes reporting to the policy engine, and shows the flow and drops as JSON', async () => {
    const token = fs.readFileSync(admin.file, 'utf8').trim();
    const created = await fetch(`${url}/policies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' },
      body: `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: block-nc
spec:
  kprobes:
  - call: "sys_connect"
    syscall: true
`,
    });
    expect(created.status).toBe(201);
    const status: PolicyStatus = {
      node: 'node-a',
      policy_id: 'block-nc',
      version: 1,
      state: 'POLICY_STATE_LOADED',
      error: '',
      mode: 'POLICY_MODE_ENFORCE',
      hooks: [],
      counters: {},
      warnings: [],
      time: new Date().toISOString(),
      kernel_memory_bytes: '4096',
    };
    await bus.publish(Topic.policyStatus, [
      { key: 'node-a/block-nc', value: status },
      { key: 'node-b/block-nc', value: { ...status, node: 'node-b', state: 'POLICY_STATE_ERROR', error: 'no BTF' } },
    ]);
    await bus.flush();

    const text = await vigil(['status', '--data-dir', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^nodes {13}node-a, node-b$/m);
    expect(text.stdout).toMatch(
      /^policy engine {5}ready, 1 policy, 2 nodes reporting, 1 loaded, 1 failed: block-nc on node-b: no BTF$/m,
    );

    const res = await vigil(['status', '--data-dir', dir, '-o', 'json']);
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({
      url,
      service: 'vigil',
      ready: true,
      nodes: ['node-a', 'node-b'],
      events: { enricherReceived: 0, exporterConsumed: 0, stored: 0 },
      drops: { bus: {}, enricherPublishFailed: 0 },
      lag: { exporterBacklog: 0, exporterInFlight: 0, enricherHeld: 0 },
      exporter: { state: 'running', inserted: 0, deadLettered: 0 },
      policies: {
        engine: {
          ready: true,
          policies: 1,
          nodesReporting: ['node-a', 'node-b'],
          loaded: 1,
          failed: [{ policy: 'block-nc', node: 'node-b', error: 'no BTF' }],
        },
      },
    });
    expect(summary.services.map((s: { name: string; ready: boolean }) => [s.name, s.ready])).toEqual([
      ['exporter', true],
      ['policy-engine', true],
      ['enricher', true],
    ]);
    expect(Object.keys(summary.status).sort()).toEqual(['bus', 'enricher', 'exporter', 'policy-engine']);
  });

  it('by --url, without the data directory’s token: the per-node view says what it needs', async () => {
    const res = await vigil(['status', '--url', url]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^policy engine {5}ready, 1 policy, nodes reporting: needs a token \(--token-file, --token or VIGIL_TOKEN\)$/m,
    );
    const withToken = await vigil(['status', '--url', url, '--token-file', admin.file]);
    expect(withToken.stdout).toMatch(/2 nodes reporting/);
    const wrong = await vigil(['status', '--url', url], { VIGIL_TOKEN: 'wrong-token-0000000000' });
    expect(wrong.code).toBe(0);
    expect(wrong.stdout).toMatch(/nodes reporting: GET \/policies: HTTP 401/);
  });
});

describe('vigil status — single services, not ready, nothing answering', () => {
  const apps: INestApplication[] = [];
  const start = async (app: INestApplication): Promise<string> => {
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  };
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('summarizes one service by --url (the enricher: its own /status under its name)', async () => {
    const url = await start(
      await NestFactory.create(EnricherModule.register({ bus: new InProcessBus() }), {
        logger: false,
        abortOnError: false,
      }),
    );
    const res = await vigil(['status', '--url', url]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toBe(
      [
        `vigil             ready — ${url} (enricher)`,
        '  enricher        ready',
        'events            enricher 0',
        'drops             enricher publish 0',
        'lag               enricher holding 0',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await vigil(['status', '--url', url, '-o', 'json'])).stdout);
    expect(json).toMatchObject({ service: 'enricher', ready: true, status: { enricher: { events: { received: 0 } } } });
  });

  it('exits 1 and names the failing check while a service is not ready (policy engine still replaying)', async () => {
    const url = await start(
      await NestFactory.create(
        PolicyEngineModule.register({
          bus: new InProcessBus(),
          load: {
            env: {
              VIGIL_POLICY_ENGINE_REPLAY_QUIET_MS: '60000',
              VIGIL_POLICY_ENGINE_GRPC_ADDRESS: '',
              VIGIL_POLICY_ENGINE_TOKENS: JSON.stringify({
                tokens: [{ subject: 'a', token: 'admin-token-0123456789', admin: true }],
              }),
            },
          },
        }),
        { logger: false, abortOnError: false },
      ),
    );
    const res = await vigil(['status', '--url', url]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^vigil {13}NOT READY — .* \(policy-engine\)$/m);
    expect(res.stdout).toMatch(/^ {2}policy-engine {3}NOT READY \(policies replayed\)$/m);
    expect(res.stderr).toBe('vigil: not ready: policy-engine (policies replayed)\n');
  });

  it('exits 4 when nothing answers (connection refused, no vigil run) and 1 for an address that is not Vigil', async () => {
    const port = await closedPort();
    const refused = await vigil(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(refused).toEqual({
      code: 4,
      stdout: '',
      stderr: `vigil: nothing answers at http://127.0.0.1:${port} (ECONNREFUSED)\n`,
    });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-status-empty-'));
    try {
      const none = await vigil(['status', '--data-dir', empty]);
      expect(none.code).toBe(4);
      expect(none.stderr).toContain(`no vigil run found for ${empty}`);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    const other = http.createServer((_req, res) => res.writeHead(404).end('no'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const { port: otherPort } = other.address() as net.AddressInfo;
      const notVigil = await vigil(['status', '--url', `http://127.0.0.1:${otherPort}`]);
      expect(notVigil.code).toBe(1);
      expect(notVigil.stderr).toContain('not a Vigil service (GET /healthz: HTTP 404)');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    expect((await vigil(['status', '--url', 'nope'])).code).toBe(2);
  });
});

describe('the status summary of a collector (its /status shape, as the kernel tests see it)', () => {
  it('reads drops by kind, lag, the node and its policies', () => {
    const summary = summarize({
      url: 'http://127.0.0.1:9000',
      healthz: { status: 'ok', service: 'vigil', services: ['collector', 'exporter'] },
      readyz: { status: 'not ready', checks: { 'collector: kernel': true, 'exporter: store': false } },
      status: {
        collector: {
          kernel: {
            received: 1200,
            lostKernel: 5,
            lostKernelByKind: { exec: 3, fork: 0, exit: 2 },
            droppedUserspace: 7,
            malformed: 1,
          },
          seeded: 300,
          published: 1490,
          failedEvents: 2,
          hookEventsUnknown: 0,
          export: { written: 1490, droppedOverflow: 4, lostOnError: 0, droppedClosed: 0 },
          bus: {
            transport: 'kafka',
            published: {},
            dropped: { 'vigil.events.raw': 9 },
            buffered: 12,
            spool: { bytes: 1, records: 30, maxBytes: 2 },
          },
          grpc: { dropped: 6 },
          policies: [{ state: 'enabled' }, { state: 'enabled' }, { state: 'disabled' }],
          policySync: { node: 'node-a' },
        },
        exporter: { state: 'running', consumed: 1400, inserted: 1390, deadLettered: 1, busDropped: 0, backlog: 10 },
      },
    });
    expect(summary).toMatchObject({
      ready: false,
      nodes: ['node-a'],
      drops: {
        kernelLost: { total: 5, byKind: { exec: 3, fork: 0, exit: 2 } },
        userSpace: 7,
        pipeline: 3,
        exportFile: 4,
        bus: { 'vigil.events.raw': 9 },
        grpcStreams: 6,
      },
      lag: { transportBuffered: 12, spoolRecords: 30, exporterBacklog: 10 },
      policies: { node: { loaded: 3, byState: { enabled: 2, disabled: 1 } } },
    });
    const text = formatSummary(summary);
    expect(text).toContain('  exporter        NOT READY (store)\n');
    expect(text).toContain('nodes             node-a\n');
    expect(text).toContain(
      'events            kernel 1,200 (+300 seeded from /proc) → published 1,490 → exporter consumed 1,400 → stored 1,390\n',
    );
    expect(text).toContain(
      'drops             kernel lost 5 (exec 3, exit 2), user space 7, pipeline 3, JSON export 4, bus/spool 9 (vigil.events.raw 9), gRPC streams 6\n',
    );
    expect(text).toContain('lag               transport buffered 12, spooled 30, exporter backlog 10\n');
    expect(text).toContain('policies (node)   3 loaded (2 enabled, 1 disabled)\n');
  });
});
