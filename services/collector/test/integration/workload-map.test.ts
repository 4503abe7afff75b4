/**
 * The workload map in the fleet, on the real kernel (root) and the real Kafka broker: WITHOUT a
 * workloads file, the pods of a TracingPolicyNamespaced come from the WorkloadMap the enricher
 * publishes on vigil.workloads (here the test publishes it, as the enricher would). The pod's
 * cgroups are real (FakeKubeNode: kubelet's and containerd's naming on cgroup2).
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Topic, type BusMessage } from '@vigil/bus';
import type { PolicyRecord, WorkloadMap } from '@vigil/contracts';
import { FakeKubeNode } from '@vigil/policy-kernel/dist/testing/fake-kube-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkloadMapDeadLetter } from '../../src';
import { kernelSkipReason } from '../kernel/harness';
import { CollectorFleetEnv, until } from './collector-app';

const EXAMPLE = fs.readFileSync(
  path.resolve(__dirname, '../../../../libs/policy/test/fixtures/file-monitoring-filtered.yaml'),
  'utf8',
);

describe.skipIf(kernelSkipReason !== undefined)('collector scoping namespaced policies by vigil.workloads', () => {
  const env = new CollectorFleetEnv();
  const namespace = `wm-${randomBytes(3).toString('hex')}`;
  const policyId = `${namespace}:file-monitoring-filtered`;
  const kube = new FakeKubeNode();
  const { pod, cgroup } = kube.addPod(namespace, 'reader', { app: 'reader' });
  // A pod of the same namespace the map does not name: its cgroups belong to no known pod.
  const { cgroup: unmapped } = kube.addPod(namespace, 'not-in-map', { app: 'reader' });
  const secret = path.join(env.dir, 'secret.txt');
  const myCat = path.join(env.dir, 'cat');
  const letters: BusMessage<WorkloadMapDeadLetter>[] = [];

  const workloadMap = (generation: number): WorkloadMap => ({
    node_name: env.node,
    generation,
    time: new Date().toISOString(),
    pods: [
      {
        ...pod,
        workload: 'reader',
        workload_kind: 'Pod',
        containers: pod.containers.map((c) => ({
          id: c.id,
          name: c.name ?? '',
          image: c.image ?? '',
          runtime: 'containerd',
        })),
      },
    ],
  });

  const policyRecord = (): PolicyRecord => {
    // PolicySync takes the namespace from the YAML, as the policy engine writes it there too.
    const yaml = EXAMPLE.replace('"/usr/bin/cat"', JSON.stringify(myCat)).replace(
      'metadata: { name: "file-monitoring-filtered" }',
      `metadata: { name: "file-monitoring-filtered", namespace: "${namespace}" }`,
    );
    const now = new Date().toISOString();
    return {
      id: policyId,
      name: 'file-monitoring-filtered',
      namespace,
      kind: 'TracingPolicyNamespaced',
      version: 1,
      yaml,
      yaml_sha256: createHash('sha256').update(yaml).digest('hex'),
      enabled: true,
      mode: 'POLICY_MODE_ENFORCE',
      node_selector: { match_labels: {}, match_expressions: [] },
      created_by: 'collector-it',
      created_at: now,
      updated_by: 'collector-it',
      updated_at: now,
      audit: [],
      audit_dropped: 0,
    };
  };

  const cat = (where: string | undefined) =>
    where ? FakeKubeNode.runIn(where, [myCat, secret]) : spawnSync(myCat, [secret], { encoding: 'utf8' });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON of GET /status
  const scopedCgroups = (s: any): number | undefined =>
    s.policies.find((p: { name: string }) => p.name === 'file-monitoring-filtered')?.scope?.cgroups;

  beforeAll(async () => {
    fs.writeFileSync(secret, 'the secret content\n');
    fs.copyFileSync('/usr/bin/cat', myCat);
    fs.chmodSync(myCat, 0o755);
    // No workloads file; a refresh period far beyond the test: only the map's own refresh can apply it.
    await env.start({ VIGIL_WORKLOADS_REFRESH_MS: '600000' });
    env.observer.subscribe<WorkloadMapDeadLetter>(
      Topic.deadLetter,
      'observer-dead-letter',
      (b) => void letters.push(...b),
    );
  }, 60_000);
  afterAll(async () => {
    await env.close();
    kube.remove();
  });

  it('a namespaced policy applies to no pod before the map names one', async () => {
    await env.observer.publish(Topic.policies, [{ key: policyId, value: policyRecord() }]);
    await until(
      'the policy loaded',
      async () => scopedCgroups(await env.status()) === 0,
      20_000,
      () => env.detail(),
    );
    const loaded = (await env.status()).policies.find((p: { name: string }) => p.name === 'file-monitoring-filtered');
    expect(loaded.scope).toEqual({ namespace, cgroups: 0 });
    expect(cat(cgroup).stdout).toBe('the secret content\n');
    expect((await env.status()).workloads).toMatchObject({ following: true, node: env.node, applied: 0 });
  });

  it("enforces in the mapped pod's container at once when the map arrives, not outside it", async () => {
    await env.observer.publish(Topic.workloads, [
      // Another node's map naming the same pod must not count here.
      { key: `${env.node}-other`, value: { ...workloadMap(1), node_name: `${env.node}-other` } },
      { key: env.node, value: workloadMap(1) },
    ]);
    // The pod's cgroup and its container's.
    await until(
      'the map applied',
      async () => scopedCgroups(await env.status()) === 2,
      20_000,
      () => env.detail(),
    );
    const status = await env.status();
    expect(status.workloads).toMatchObject({
      applied: 1,
      malformed: 0,
      refreshFailures: 0,
      map: { generation: 1, pods: 1, containers: 1 },
    });
    expect(status.workloads.otherNodes).toBeGreaterThanOrEqual(1);
    expect(status.workloads.map.ageMs).toBeLessThan(20_000);

    const inPod = cat(cgroup);
    expect(inPod.signal).toBe('SIGKILL');
    expect(inPod.stdout).toBe('');
    const onHost = cat(undefined);
    expect(onHost.status).toBe(0);
    expect(onHost.stdout).toBe('the secret content\n');
    const otherPod = cat(unmapped);
    expect(otherPod.status).toBe(0);
    expect(otherPod.stdout).toBe('the secret content\n');
  });

  it('a malformed map is counted, dead-lettered with the reason, and the last good map stays in force', async () => {
    const bad = { ...workloadMap(2), pods: [{ ...workloadMap(2).pods[0]!, uid: '' }] };
    await env.observer.publish(Topic.workloads, [{ key: env.node, value: bad }]);
    await until(
      'the dead letter',
      () => letters.some((l) => l.value.reason === 'invalid-workload-map'),
      20_000,
      () => env.detail(),
    );
    expect(letters.find((l) => l.value.reason === 'invalid-workload-map')!.value).toMatchObject({
      topic: 'vigil.workloads',
      key: env.node,
      error: 'pods[0].uid: must be a non-empty string',
    });
    const status = await env.status();
    expect(status.workloads).toMatchObject({
      malformed: 1,
      deadLettered: 1,
      lastError: 'pods[0].uid: must be a non-empty string',
      map: { generation: 1, pods: 1 },
    });
    expect(scopedCgroups(status)).toBe(2);
    expect(cat(cgroup).signal).toBe('SIGKILL');
  });
});
