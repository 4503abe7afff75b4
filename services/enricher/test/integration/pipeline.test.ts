import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { jsonCodec, KafkaBus, Topic, type BusMessage, type DeadLetterValue } from '@vigil/bus';
import type { WorkloadMap } from '@vigil/contracts';
import type { GetEventsResponse } from '@vigil/events';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EnricherModule } from '../../src';
import type { EnricherDeadLetter } from '../../src/domain/enricher';
import { FakeKubeApiServer, fakeKubeconfig, type FakePodSpec } from '../fake-kube-api-server';
import { until, untilAsync } from '../until';

// Real Kafka broker; the Kubernetes API server is the FAKE one (no cluster can run here).
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const POD_UID = '1b2c3d4e-5f60-4718-93a4-b5c6d7e8f901';
const id = (c: string) => c.repeat(64);
/** A containerd container of a besteffort pod, systemd cgroup driver: as the collector reads it. */
const cgroup = (containerId: string) =>
  `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID.replace(/-/g, '_')}.slice/cri-containerd-${containerId}.scope`;

function exec(key: string, docker: string): BusMessage<GetEventsResponse> {
  return {
    key,
    value: {
      node_name: 'node-a',
      process_exec: { process: { exec_id: key, pid: 7, binary: '/usr/bin/id', flags: 'execve', docker } },
    },
  };
}

const pod = (name: string, containerId: string, labels: Record<string, string>): FakePodSpec => ({
  name,
  namespace: 'shop',
  uid: `uid-${name}`,
  labels,
  owner: { kind: 'StatefulSet', name: 'db' },
  containers: [{ name: 'main', containerID: `containerd://${containerId}` }],
});

/** Raw bytes for a string value (to send what no JSON decoder reads), JSON otherwise. */
const rawCodec = {
  encode: (v: unknown) => (typeof v === 'string' ? Buffer.from(v) : jsonCodec.encode(v, '')),
  decode: (b: Buffer) => jsonCodec.decode(b, ''),
};

describe('enricher on real Kafka, pods from the FAKE Kubernetes API server', () => {
  const prefix = `it-enricher-${randomUUID().slice(0, 8)}.`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-enricher-it-'));
  const api = new FakeKubeApiServer();
  const buses: KafkaBus[] = [];
  let app: INestApplication;
  let producer: KafkaBus;
  const events: BusMessage<GetEventsResponse>[] = [];
  const workloads: BusMessage<WorkloadMap>[] = [];
  const deadLetters: BusMessage<DeadLetterValue | EnricherDeadLetter>[] = [];
  const byKey = (key: string) => events.find((m) => m.key === key);

  function bus(name: string, codec = jsonCodec): KafkaBus {
    const b = new KafkaBus({
      brokers: inject('kafkaBrokers'),
      topicPrefix: prefix,
      partitions: 2,
      spoolDir: path.join(dir, name),
      lingerMs: 5,
      handlerBackoffMs: 20,
      codec,
      log: { info: () => {}, warn: () => {}, error: (m) => console.error(m) },
    });
    buses.push(b);
    return b;
  }

  beforeAll(async () => {
    const url = await api.start();
    fs.writeFileSync(path.join(dir, 'kubeconfig'), fakeKubeconfig(url));
    api.upsert(pod('db-0', id('a'), { app: 'db', tier: 'data' }));
    api.upsert({ name: 'elsewhere', uid: 'uid-b', nodeName: 'node-b' });

    const enricherBus = bus('enricher');
    await enricherBus.start();
    app = await NestFactory.create(
      EnricherModule.register({
        bus: enricherBus,
        ownsBus: true,
        load: {
          env: {
            VIGIL_NODE_NAME: 'node-a',
            VIGIL_KUBERNETES: 'kubeconfig',
            VIGIL_KUBECONFIG: path.join(dir, 'kubeconfig'),
            VIGIL_KUBERNETES_NODE: 'node-a',
            VIGIL_ENRICHER_MAX_WAIT_MS: '3000',
            VIGIL_WORKLOADS_DEBOUNCE_MS: '100',
          },
        },
      }),
      { logger: ['error', 'warn'] },
    );
    await app.listen(0, '127.0.0.1');

    producer = bus('producer', rawCodec);
    await producer.start();
    const reader = bus('reader');
    await reader.start();
    // One consumer group per topic: a group's members must all subscribe to the same topics.
    reader.subscribe<GetEventsResponse>(Topic.events, 'read-events', (b) => void events.push(...b));
    reader.subscribe<WorkloadMap>(Topic.workloads, 'read-workloads', (b) => void workloads.push(...b));
    reader.subscribe<DeadLetterValue | EnricherDeadLetter>(
      Topic.deadLetter,
      'read-dead',
      (b) => void deadLetters.push(...b),
    );
  });

  afterAll(async () => {
    await app?.close();
    for (const b of buses) await b.close();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function status(): Promise<{
    events: {
      enriched: number;
      unknownPod: number;
      flagged: { timeout: number };
      deadLettered: number;
      buffer: { size: number };
    };
    kubernetes: { cache: { pods: number }; watch: { connected: boolean; lists: number } };
    workloads: { published: number };
  }> {
    const res = await fetch(`${await app.getUrl()}/status`);
    return (await res.json()) as never;
  }

  it('enriches an event of a known pod with its name, namespace and labels, same key', async () => {
    await producer.publish(Topic.eventsRaw, [exec('known-1', cgroup(id('a')))]);
    await until('enriched event', () => byKey('known-1') !== undefined, 60_000);
    const process = byKey('known-1')!.value.process_exec!.process!;
    expect(process.pod).toMatchObject({
      namespace: 'shop',
      name: 'db-0',
      uid: 'uid-db-0',
      pod_labels: { app: 'db', tier: 'data' },
      workload: 'db',
      workload_kind: 'StatefulSet',
      container: { id: `containerd://${id('a')}`, name: 'main' },
    });
    expect(process.docker).toBe(id('a'));
    expect(process.flags).toBe('execve');
  });

  it('holds an event until its pod appears, then enriches it', async () => {
    await producer.publish(Topic.eventsRaw, [exec('early-1', cgroup(id('b')))]);
    await untilAsync('held in the buffer', async () => (await status()).events.buffer.size === 1, 20_000);
    expect(byKey('early-1')).toBeUndefined();
    api.upsert(pod('db-1', id('b'), { app: 'db', tier: 'replica' }));
    await until('enriched after the pod appeared', () => byKey('early-1') !== undefined, 20_000);
    const process = byKey('early-1')!.value.process_exec!.process!;
    expect(process.pod).toMatchObject({ name: 'db-1', pod_labels: { tier: 'replica' } });
    expect(process.flags).toBe('execve');
  });

  it('sends an event whose pod never appears flagged podUnknown after the maximum wait', async () => {
    const sent = Date.now();
    await producer.publish(Topic.eventsRaw, [exec('never-1', cgroup(id('c')))]);
    await until('flagged event', () => byKey('never-1') !== undefined, 30_000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(3000);
    const process = byKey('never-1')!.value.process_exec!.process!;
    expect(process.flags).toBe('execve podUnknown');
    expect(process.pod).toEqual({ uid: POD_UID, container: { id: id('c') } });
  });

  it("publishes the node's workload map on vigil.workloads", async () => {
    const latest = () => workloads.filter((m) => m.key === 'node-a').at(-1)?.value;
    await until('map with both pods', () => latest()?.pods.length === 2, 20_000);
    const map = latest()!;
    expect(map.node_name).toBe('node-a');
    expect(map.pods.map((p) => [p.name, p.labels['tier'], p.containers.map((c) => [c.id, c.name])])).toEqual([
      ['db-0', 'data', [[id('a'), 'main']]],
      ['db-1', 'replica', [[id('b'), 'main']]],
    ]);
    // Only node-a is watched: node-b's pod is neither listed nor mapped.
    expect(workloads.some((m) => m.key === 'node-b')).toBe(false);
  });

  it('dead-letters malformed messages with the reason, and later events still flow', async () => {
    await producer.publish<unknown>(Topic.eventsRaw, [
      { key: 'bad-bytes', value: '{not json' },
      { key: 'bad-shape', value: { process_exec: { process: { docker: 42 } } } },
      exec('after-1', cgroup(id('a'))),
    ]);
    await until('dead letters', () => deadLetters.length >= 2, 30_000);
    await until('event after them', () => byKey('after-1') !== undefined, 30_000);
    const reasons = Object.fromEntries(deadLetters.map((d) => [d.key, d.value]));
    expect(reasons['bad-bytes']).toMatchObject({ reason: 'undecodable', consumer: 'enricher' });
    expect(reasons['bad-shape']).toMatchObject({
      reason: 'invalid-event',
      error: 'process_exec.process.docker: expected a string, got number',
    });
    expect(byKey('after-1')!.value.process_exec!.process!.pod?.name).toBe('db-0');

    const s = await status();
    expect(s.events).toMatchObject({ enriched: 3, unknownPod: 2, flagged: { timeout: 1 }, deadLettered: 1 });
    expect(s.kubernetes.cache.pods).toBe(2);
    expect(s.kubernetes.watch).toMatchObject({ connected: true, lists: 1 });
    expect(s.workloads.published).toBeGreaterThanOrEqual(2);
  });
});
