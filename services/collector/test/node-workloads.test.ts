import { Logger } from '@nestjs/common';
import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import { loadConfig } from '@vigil/config';
import type { WorkloadMap } from '@vigil/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollectorBus } from '../src/collector-bus';
import { collectorSchema } from '../src/collector.config';
import { NodeWorkloads, type WorkloadMapDeadLetter } from '../src/node-workloads';

const ID = 'c'.repeat(64);

function map(node: string, generation: number, pods: string[], time = new Date().toISOString()): WorkloadMap {
  return {
    node_name: node,
    generation,
    time,
    pods: pods.map((name, i) => ({
      uid: `00000000-0000-0000-0000-00000000000${i}`,
      namespace: 'shop',
      name,
      labels: { app: name },
      workload: name,
      workload_kind: 'Deployment',
      containers: [{ id: `${i}${ID.slice(1)}`, name: 'app', image: 'example.com/app:1', runtime: 'containerd' }],
    })),
  };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let followed: NodeWorkloads | undefined;
afterEach(() => {
  followed?.stop();
  vi.restoreAllMocks();
});

function follow() {
  const bus = new InProcessBus();
  const config = loadConfig(collectorSchema, { env: { VIGIL_NODE_NAME: 'node-a' } });
  const workloads = new NodeWorkloads(config, new CollectorBus(config, { bus }));
  followed = workloads;
  let changes = 0;
  workloads.onChange(() => changes++);
  const letters: BusMessage<WorkloadMapDeadLetter>[] = [];
  bus.subscribe<WorkloadMapDeadLetter>(Topic.deadLetter, 'test', (b) => void letters.push(...b));
  return { bus, workloads, letters, changes: () => changes };
}

describe('NodeWorkloads: the map of vigil.workloads for this node', () => {
  it('keeps the latest map of its own node, skips other nodes, tells the listeners once per batch', async () => {
    const { bus, workloads, changes } = follow();
    expect(workloads.status()).toMatchObject({ following: false, node: 'node-a', received: 0 });
    expect(workloads.status().map).toBeUndefined();
    workloads.start();
    expect(workloads.pods()).toEqual([]);

    await bus.publish(Topic.workloads, [
      { key: 'node-a', value: map('node-a', 1, ['cart']) },
      { key: 'node-b', value: map('node-b', 2, ['other']) },
      { key: 'node-a', value: map('node-a', 3, ['cart', 'web']) },
    ]);
    await until('the maps', () => workloads.status().received === 2);
    expect(changes()).toBe(1);
    expect(workloads.pods().map((p) => `${p.namespace}/${p.name}`)).toEqual(['shop/cart', 'shop/web']);
    expect(workloads.pods()[1]!.containers).toEqual([
      { id: `1${ID.slice(1)}`, name: 'app', image: 'example.com/app:1' },
    ]);
    expect(workloads.status()).toMatchObject({
      following: true,
      map: { generation: 3, pods: 2, containers: 2 },
      received: 2,
      applied: 2,
      otherNodes: 1,
      malformed: 0,
    });
  });

  it("shows the map's age since the enricher built it", async () => {
    const { bus, workloads } = follow();
    workloads.start();
    const built = Date.parse('2026-01-02T03:04:05.000Z');
    await bus.publish(Topic.workloads, [
      { key: 'node-a', value: map('node-a', 1, ['cart'], new Date(built).toISOString()) },
    ]);
    await until('the map', () => workloads.status().applied === 1);
    expect(workloads.status(built + 1500).map).toMatchObject({ time: '2026-01-02T03:04:05.000Z', ageMs: 1500 });
  });

  it('counts, logs and dead-letters a malformed map with the reason; the previous map stays', async () => {
    const { bus, workloads, letters, changes } = follow();
    workloads.start();
    await bus.publish(Topic.workloads, [{ key: 'node-a', value: map('node-a', 1, ['cart']) }]);
    await until('the good map', () => workloads.status().applied === 1);

    const warned = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    const bad = { ...map('node-a', 2, ['cart']), pods: [{ uid: 'u', namespace: 'shop' }] };
    await bus.publish(Topic.workloads, [{ key: 'node-a', value: bad }]);
    await until('the dead letter', () => letters.length === 1);
    expect(letters[0]).toMatchObject({
      key: 'node-a',
      value: {
        reason: 'invalid-workload-map',
        topic: 'vigil.workloads',
        error: 'pods[0].name: must be a non-empty string',
        key: 'node-a',
        value: bad,
      },
    });
    expect(letters[0]!.value.consumer).toMatch(/^workloads\.node-a\./);
    expect(warned).toHaveBeenCalledWith(
      'vigil.workloads: map for node node-a ignored (the previous one stays): pods[0].name: must be a non-empty string',
    );
    expect(workloads.status()).toMatchObject({
      received: 2,
      applied: 1,
      malformed: 1,
      deadLettered: 1,
      deadLetterFailures: 0,
      lastError: 'pods[0].name: must be a non-empty string',
      map: { generation: 1, pods: 1 },
    });
    expect(changes()).toBe(1);
    expect(workloads.pods().map((p) => p.name)).toEqual(['cart']);
  });

  it('drops the map on a tombstone of its key', async () => {
    const { bus, workloads, changes } = follow();
    workloads.start();
    await bus.publish(Topic.workloads, [{ key: 'node-a', value: map('node-a', 1, ['cart']) }]);
    await bus.publish(Topic.workloads, [{ key: 'node-a', value: null }]);
    await until('the tombstone', () => workloads.status().cleared === 1);
    expect(workloads.pods()).toEqual([]);
    expect(workloads.status().map).toBeUndefined();
    expect(changes()).toBe(2);
  });

  it('counts dead letters the bus does not take', async () => {
    const config = loadConfig(collectorSchema, { env: { VIGIL_NODE_NAME: 'node-a' } });
    const failing = { publish: () => Promise.reject(new Error('transport closed')) };
    const workloads = new NodeWorkloads(config, { bus: failing } as unknown as CollectorBus);
    await workloads.handle([{ key: 'node-a', value: 'not a map' }]);
    expect(workloads.status()).toMatchObject({
      malformed: 1,
      deadLettered: 0,
      deadLetterFailures: 1,
      lastError: 'expected a WorkloadMap object, got string',
    });
  });
});
