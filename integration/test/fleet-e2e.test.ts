/**
 * The first acceptance point, end to end, every service real and in this one process
 * over KafkaBus on the real broker, the collector on the real kernel (root): a policy created
 * through the policy engine's REST API reaches the collector through vigil.policies and loads; a
 * process started in a cgroup named like a Kubernetes pod container is killed by it; its exec,
 * hook and exit events are queryable in ClickHouse within seconds with the pod's name, namespace
 * and labels — from the enricher's Kubernetes source, here the FAKE API server of
 * services/enricher/test (no cluster runs here) — and the policy's status shows LOADED for the node.
 * The collector has no workloads file: the namespaced policy finds the pod through the workload
 * map the enricher publishes on vigil.workloads from the same API server.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { jsonCodec, KafkaBus, type Codec } from '@vigil/bus';
import { CollectorModule } from '@vigil/collector';
import { contractsCodec } from '@vigil/contracts';
import { EnricherModule } from '@vigil/enricher';
import { ExporterModule } from '@vigil/exporter';
import { PolicyEngineModule, PolicyGrpcProvider, PolicyLogProvider } from '@vigil/policy-engine';
import { FleetSensors } from '@vigil/exporter';
import { RpcStatus } from '@vigil/rpc';
import { tetragonClient, type TetragonClient } from '@vigil/rpc/dist/testing/tetragon-client';
import { FakeKubeNode } from '@vigil/policy-kernel/dist/testing/fake-kube-node';
import { ClickHouseEventStore } from '@vigil/store';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kernelSkipReason } from '../../services/collector/test/kernel/harness';
import { FakeKubeApiServer, fakeKubeconfig } from '../../services/enricher/test/fake-kube-api-server';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const ADMIN = 'e2e-admin-token-0123456789';
const EXAMPLE = fs.readFileSync(
  path.resolve(__dirname, '../../libs/policy/test/fixtures/file-monitoring-filtered.yaml'),
  'utf8',
);
const POLICY_ID = 'default:file-monitoring-filtered';
const TETRAGON_API =
  process.env['VIGIL_TETRAGON_API'] ?? path.resolve(__dirname, '../../../shared/tetragon-api/tetragon-api.json');

async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(kernelSkipReason !== undefined)(
  'fleet end to end: policy API → Kafka → collector → enricher → exporter → ClickHouse',
  () => {
    const id = randomBytes(4).toString('hex');
    const prefix = `e2e-${id}.`;
    const node = `e2e-node-${id}`;
    const database = `vigil_e2e_${id}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-'));
    const kube = new FakeKubeNode();
    const { pod, cgroup } = kube.addPod('default', 'reader-6f7d9', { app: 'reader', team: 'e2e' });
    const containerId = pod.containers[0]!.id;
    const api = new FakeKubeApiServer();
    const apps: INestApplication[] = [];
    const buses: KafkaBus[] = [];
    const store = new ClickHouseEventStore({ url: inject('clickhouseUrl'), database });
    const secret = path.join(dir, 'secret.txt');
    const myCat = path.join(dir, 'cat');
    let engineUrl = '';
    let collectorUrl = '';
    let fleetAddress = '';
    const clients: TetragonClient[] = [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const fleetEvents: Array<Record<string, any>> = [];

    const bus = (name: string, codec: Codec): KafkaBus => {
      const b = new KafkaBus({
        brokers: inject('kafkaBrokers'),
        topicPrefix: prefix,
        spoolDir: path.join(dir, name),
        codec,
        lingerMs: 5,
        log: { info: () => {}, warn: () => {}, error: (m) => console.error(m) },
      });
      buses.push(b);
      return b;
    };
    const start = async (module: unknown): Promise<INestApplication> => {
      const app = await NestFactory.create(module as never, { logger: ['error', 'warn'], abortOnError: false });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      return app;
    };
    const common = {
      VIGIL_NODE_NAME: node,
      VIGIL_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      VIGIL_KAFKA_TOPIC_PREFIX: prefix,
    };
    const call = (method: string, p: string, body?: unknown) =>
      fetch(`${engineUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    beforeAll(async () => {
      fs.writeFileSync(secret, 'the secret content\n');
      fs.copyFileSync('/usr/bin/cat', myCat);
      fs.chmodSync(myCat, 0o755);
      const apiUrl = await api.start();
      fs.writeFileSync(path.join(dir, 'kubeconfig'), fakeKubeconfig(apiUrl));
      api.upsert({
        name: pod.name,
        namespace: pod.namespace,
        uid: pod.uid,
        nodeName: node,
        labels: pod.labels,
        owner: { kind: 'ReplicaSet', name: 'reader-6f7d9' },
        containers: [{ name: 'main', image: 'example.com/reader:1', containerID: `containerd://${containerId}` }],
      });

      const engineBus = bus('engine', contractsCodec);
      await engineBus.start();
      const engine = await start(
        PolicyEngineModule.register({
          bus: engineBus,
          load: {
            env: {
              ...common,
              VIGIL_POLICY_ENGINE_TOKENS: JSON.stringify({ tokens: [{ subject: 'e2e', token: ADMIN, admin: true }] }),
              VIGIL_POLICY_ENGINE_GRPC_ADDRESS: '127.0.0.1:0',
            },
          },
        }),
      );
      await engine.get(PolicyLogProvider).log.whenReady();
      engineUrl = await engine.getUrl();

      const enricherBus = bus('enricher', jsonCodec);
      await enricherBus.start();
      await start(
        EnricherModule.register({
          bus: enricherBus,
          ownsBus: true,
          load: {
            env: {
              ...common,
              VIGIL_KUBERNETES: 'kubeconfig',
              VIGIL_KUBECONFIG: path.join(dir, 'kubeconfig'),
              VIGIL_KUBERNETES_NODE: node,
            },
          },
        }),
      );
      const exporter = await start(
        ExporterModule.register({
          load: {
            env: {
              ...common,
              VIGIL_CLICKHOUSE_URL: inject('clickhouseUrl'),
              VIGIL_CLICKHOUSE_DATABASE: database,
              VIGIL_EXPORTER_SPOOL_DIR: path.join(dir, 'exporter-spool'),
              VIGIL_EXPORTER_FLUSH_INTERVAL_MS: '200',
              // The fleet's Tetragon API, its policy calls carried out by the policy engine's gRPC API.
              VIGIL_EXPORTER_GRPC_ADDRESS: '127.0.0.1:0',
              VIGIL_EXPORTER_POLICY_ENGINE_ADDRESS: engine.get(PolicyGrpcProvider).boundAddress,
            },
          },
        }),
      );
      fleetAddress = exporter.get(FleetSensors).boundAddress;
      // The collector builds its own KafkaBus from configuration, as on a node. No workloads file:
      // the pod comes from the enricher's WorkloadMap on vigil.workloads.
      const collector = await start(
        CollectorModule.register({
          load: {
            env: {
              ...common,
              VIGIL_NODE_LABELS: 'vigil.dev/pool=e2e',
              VIGIL_COLLECTOR_SPOOL_DIR: path.join(dir, 'collector-spool'),
              VIGIL_EXPORT_FILE: path.join(dir, 'events.log'),
              VIGIL_GRPC_ADDRESS: `unix://${path.join(dir, 'vigil.sock')}`,
            },
          },
        }),
      );
      collectorUrl = await collector.getUrl();
    }, 90_000);

    afterAll(async () => {
      for (const c of clients) c.close();
      // Collector first (its last events), the consumers after; reverse start order.
      for (const app of apps.reverse()) await app.close().catch((e: unknown) => console.error(e));
      for (const b of buses) await b.close().catch(() => {});
      await store.connection.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
      await store.close();
      await api.stop();
      kube.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a policy from the REST API loads on the node and kills a pod process; its events are in ClickHouse with the pod context', async () => {
      // A Tetragon client (built from Tetragon's descriptor) follows the fleet through the exporter,
      // filtered to the pod's namespace and name and to this cat, from before anything happens.
      const fleet = tetragonClient(TETRAGON_API, fleetAddress);
      clients.push(fleet);
      const stream = fleet.getEvents({
        allow_list: [{ namespace: ['default'], pod_regex: ['^reader-'], binary_regex: [`^${myCat}$`] }],
      });
      stream.on('data', (e: (typeof fleetEvents)[number]) => fleetEvents.push(e));
      stream.on('error', (e: { code: number }) => {
        if (e.code !== RpcStatus.CANCELLED) throw e;
      });
      // Its consumer starts at the end of vigil.events once Kafka assigned it: run the cat (not
      // yet matched by any policy) in the pod until the stream shows it.
      await until('the fleet stream to show the pod', async () => {
        if (fleetEvents.length > 0) return true;
        FakeKubeNode.runIn(cgroup, [myCat, '/dev/null']);
        await new Promise((r) => setTimeout(r, 400));
        return undefined;
      });

      // The API has no kubectl context: a namespaced policy names its namespace.
      const yaml = EXAMPLE.replace('"/usr/bin/cat"', JSON.stringify(myCat)).replace(
        'metadata: { name: "file-monitoring-filtered" }',
        'metadata: { name: "file-monitoring-filtered", namespace: "default" }',
      );
      const created = await call('POST', '/policies', {
        yaml,
        nodeSelector: { matchLabels: { 'vigil.dev/pool': 'e2e' } },
      });
      expect(created.status, await created.clone().text()).toBe(201);

      const loaded = await until('the node status LOADED', async () => {
        const body = (await (await call('GET', `/policies/${encodeURIComponent(POLICY_ID)}/status`)).json()) as {
          nodes: Array<{ node: string; state: string; version: number }>;
        };
        return body.nodes.find((n) => n.node === node && n.state === 'POLICY_STATE_LOADED');
      });
      expect(loaded).toMatchObject({ version: 1 });
      // The pod's cgroup and its container's, known from the enricher's map (API server → vigil.workloads).
      await until('the policy scoped to the pod by the workload map', async () => {
        const status = (await (await fetch(`${collectorUrl}/status`)).json()) as {
          policies: Array<{ name: string; scope?: { cgroups: number } }>;
          workloads: { map?: { pods: number } };
        };
        const scoped = status.policies.find((p) => p.name === 'file-monitoring-filtered')?.scope?.cgroups;
        return scoped === 2 && status.workloads.map?.pods === 1 ? true : undefined;
      });

      const started = Date.now();
      const killed = FakeKubeNode.runIn(cgroup, [myCat, secret]);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.stdout).toBe('');

      type Row = Record<string, unknown>;
      const sql = `SELECT event_type, pod_namespace, pod_name, pod_label_keys, pod_label_values, container_id, workload,
      policy_name, action, exit_signal FROM ${database}.vigil_events FINAL
      WHERE node_name = '${node}' AND pid = ${killed.pid} AND process_binary = '${myCat}' ORDER BY time_ns`;
      const rows = await until(
        'the exec, hook and exit rows in ClickHouse',
        async () => {
          const found = (await store.connection.rows(sql).catch(() => [])) as Row[];
          const kinds = new Set(found.map((r) => r['event_type']));
          return kinds.has('process_exec') && kinds.has('process_kprobe') && kinds.has('process_exit')
            ? found
            : undefined;
        },
        30_000,
      );
      const latencyMs = Date.now() - started;
      console.log(
        `e2e: exec, hook and exit of the killed process queryable in ClickHouse ${latencyMs} ms after it ran`,
      );
      expect(latencyMs).toBeLessThan(15_000);
      for (const r of rows)
        expect(r).toMatchObject({
          pod_namespace: 'default',
          pod_name: 'reader-6f7d9',
          pod_label_keys: ['app', 'team'],
          pod_label_values: ['reader', 'e2e'],
          container_id: expect.stringContaining(containerId),
        });
      expect(rows.find((r) => r['event_type'] === 'process_kprobe')).toMatchObject({
        policy_name: 'file-monitoring-filtered',
        action: 'KPROBE_ACTION_SIGKILL',
      });
      expect(rows.find((r) => r['event_type'] === 'process_exit')).toMatchObject({ exit_signal: 'SIGKILL' });

      // The same three events reached the Tetragon client through the fleet API, with the pod.
      const ofKilled = (kind: string) =>
        fleetEvents.find((e) => e[kind]?.process?.pid?.value === killed.pid)?.[kind] as
          (typeof fleetEvents)[number] | undefined;
      await until('exec, kprobe and exit on the fleet stream', async () =>
        ofKilled('process_exec') && ofKilled('process_kprobe') && ofKilled('process_exit') ? true : undefined,
      );
      expect(ofKilled('process_exec')!.process.pod).toMatchObject({
        namespace: 'default',
        name: 'reader-6f7d9',
        pod_labels: { app: 'reader', team: 'e2e' },
      });
      expect(ofKilled('process_kprobe')).toMatchObject({
        policy_name: 'file-monitoring-filtered',
        action: 'KPROBE_ACTION_SIGKILL',
      });
      expect(ofKilled('process_exit')).toMatchObject({ signal: 'SIGKILL' });
      expect(
        fleetEvents.every(
          (e) => (e['process_exec'] ?? e['process_exit'] ?? e['process_kprobe'])?.process?.pod?.namespace === 'default',
        ),
      ).toBe(true);
    });

    it("Tetragon's policy calls through the fleet API reach the policy engine with the caller's token, and the nodes follow", async () => {
      const anonymous = tetragonClient(TETRAGON_API, fleetAddress);
      const admin = tetragonClient(TETRAGON_API, fleetAddress, ADMIN);
      clients.push(anonymous, admin);
      await expect(anonymous.unary('ListTracingPolicies')).rejects.toMatchObject({ code: RpcStatus.UNAUTHENTICATED });
      const listed = (await admin.unary('ListTracingPolicies'))['policies'] as Array<Record<string, unknown>>;
      expect(listed).toEqual([
        expect.objectContaining({
          name: 'file-monitoring-filtered',
          namespace: 'default',
          state: 'TP_STATE_ENABLED',
          mode: 'TP_MODE_ENFORCE',
        }),
      ]);
      expect(Number(listed[0]!['kernel_memory_bytes'])).toBeGreaterThan(0);
      await admin.unary('ConfigureTracingPolicy', {
        name: 'file-monitoring-filtered',
        namespace: 'default',
        mode: 'TP_MODE_MONITOR',
      });
      await until('the node to report the monitor-mode version', async () => {
        const body = (await (await call('GET', `/policies/${encodeURIComponent(POLICY_ID)}/status`)).json()) as {
          nodes: Array<{ node: string; state: string; version: number; mode: string }>;
        };
        return body.nodes.find((n) => n.node === node && n.version === 2 && n.mode === 'POLICY_MODE_MONITOR');
      });
      const monitored = FakeKubeNode.runIn(cgroup, [myCat, secret]);
      expect(monitored.signal).toBeNull();
      expect(monitored.stdout).toBe('the secret content\n');
      await admin.unary('DeleteTracingPolicy', { name: 'file-monitoring-filtered', namespace: 'default' });
      expect((await admin.unary('ListTracingPolicies'))['policies'] ?? []).toEqual([]);
      await until('the collector to unload it', async () => {
        const status = (await (await fetch(`${collectorUrl}/status`)).json()) as { policies: Array<{ name: string }> };
        return status.policies.some((p) => p.name === 'file-monitoring-filtered') ? undefined : true;
      });
    });
  },
);
