import { Topic, type BusMessage } from '@vigil/bus';
import type { PolicyRecord, PolicyStatus } from '@vigil/contracts';
import { PolicySync } from '@vigil/policy-kernel';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingPolicyTarget } from '../../../../libs/policy-kernel/test/sync/recording-policy-target';
import { json, startEngine, type TestApp } from '../app';
import { ADMIN_TOKEN, clusterPolicy, namespacedPolicy } from '../fixtures';
import { KafkaEnv, until } from './kafka-env';

const admin = { token: ADMIN_TOKEN };
const YAML = 'application/yaml';

let env: KafkaEnv;
const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await env.cleanup();
});

async function engine(): Promise<TestApp> {
  const app = await startEngine(await env.bus('engine'));
  apps.push(app);
  return app;
}

describe('policy engine on the real Kafka broker', () => {
  it('writes each API change as a protobuf PolicyRecord on vigil.policies under the policy id (delete = tombstone)', async () => {
    env = new KafkaEnv();
    const api = await engine();
    const seen: BusMessage<PolicyRecord | null>[] = [];
    (await env.bus('observer')).subscribe<PolicyRecord | null>(Topic.policies, 'observer', (b) => {
      seen.push(...b.filter((m) => !m.key.startsWith('~')));
    });
    expect((await api.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy() })).status).toBe(201);
    expect(
      (await api.call('POST', '/policies', { ...admin, type: YAML, body: namespacedPolicy('team-a') })).status,
    ).toBe(201);
    expect((await api.call('POST', '/policies/block-nc/disable', admin)).status).toBe(200);
    expect((await api.call('DELETE', '/policies/team-a:watch-open', admin)).status).toBe(200);
    await until('4 records', () => seen.length >= 4);
    const byKey = (k: string) =>
      seen.filter((m) => m.key === k).map((m) => m.value && [m.value.version, m.value.enabled]);
    expect(byKey('block-nc')).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(byKey('team-a:watch-open')).toEqual([[1, true], null]);
    expect(seen.find((m) => m.key === 'block-nc')!.value).toMatchObject({
      id: 'block-nc',
      kind: 'TracingPolicy',
      created_by: 'alice',
    });
  });

  it('a restarted engine (new instance, same topics) has the same policies, versions and audit', async () => {
    env = new KafkaEnv();
    const first = await engine();
    await first.call('PUT', '/policies/block-nc?mode=monitor', { ...admin, type: YAML, body: clusterPolicy() });
    await first.call('POST', '/policies/block-nc/disable', admin);
    await first.call('POST', '/policies', { ...admin, type: YAML, body: namespacedPolicy('team-a') });
    await first.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy('gone') });
    await first.call('DELETE', '/policies/gone', admin);
    const before = await json(await first.call('GET', '/policies', admin));
    const detailBefore = await json(await first.call('GET', '/policies/block-nc', admin));
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const second = await engine();
    expect(await json(await second.call('GET', '/policies', admin))).toEqual(before);
    expect(await json(await second.call('GET', '/policies/block-nc', admin))).toEqual(detailBefore);
    expect(before.policies.map((p: PolicyRecord) => [p.id, p.version])).toEqual([
      ['block-nc', 2],
      ['team-a:watch-open', 1],
    ]);
    // Versions continue where the first instance stopped.
    const enabled = await json(await second.call('POST', '/policies/block-nc/enable', admin));
    expect(enabled.policy.version).toBe(3);
    expect(enabled.audit).toMatchObject({ previous_version: 2, actor: 'alice' });
  });

  it('PolicySync on a node receives the record through Kafka, loads it, and the engine shows its status', async () => {
    env = new KafkaEnv();
    const api = await engine();
    const runtime = new RecordingPolicyTarget();
    const sync = new PolicySync({ bus: await env.bus('node'), runtime, node: 'node-eu-1', labels: { zone: 'eu' } });
    sync.start();
    await api.call('PUT', '/policies/block-nc', {
      ...admin,
      type: 'application/json',
      body: JSON.stringify({ yaml: clusterPolicy(), nodeSelector: { matchLabels: { zone: 'eu' } } }),
    });
    await api.call('POST', '/policies', {
      ...admin,
      type: 'application/json',
      body: JSON.stringify({ yaml: clusterPolicy('us-only'), nodeSelector: { matchLabels: { zone: 'us' } } }),
    });
    await until('the node loaded block-nc', () => runtime.loaded.has('block-nc'));
    await until('status aggregated', async () => {
      const s = await json(await api.call('GET', '/policies/block-nc/status', admin));
      return s.nodes.length === 1;
    });
    const status = await json(await api.call('GET', '/policies/block-nc/status', admin));
    expect(status.nodes[0]).toMatchObject({
      node: 'node-eu-1',
      policy_id: 'block-nc',
      version: 1,
      state: 'POLICY_STATE_LOADED',
      counters: { calls: '12', matched: '3' },
    });
    expect(status.summary).toEqual({ nodes: 1, current: 1, loaded: 1, failed: 0 });

    // A mode change reaches the node without a reload; a delete unloads it and clears its status.
    await api.call('PUT', '/policies/block-nc/mode', {
      ...admin,
      type: 'application/json',
      body: '{"mode":"monitor"}',
    });
    await until('mode set on the node', () => runtime.calls.includes('setMode block-nc monitor'));
    await api.call('DELETE', '/policies/block-nc', admin);
    await until('unloaded', () => !runtime.loaded.has('block-nc'));
    await until(
      'status cleared',
      async () => (await json(await api.call('GET', '/policies/block-nc/audit', admin))).entries.length === 3,
    );
    expect(runtime.calls).toEqual(['add block-nc enforce', 'setMode block-nc monitor', 'delete block-nc']);
    expect(runtime.loaded.has('us-only')).toBe(false);
    expect(sync.stats()).toMatchObject({ notSelected: 1, removed: 1, statusPublishFailures: 0 });
    sync.stop();
  });

  it('aggregates statuses published by several nodes, latest per node', async () => {
    env = new KafkaEnv();
    const api = await engine();
    await api.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy() });
    const nodes = await env.bus('nodes');
    const status = (
      node: string,
      version: number,
      state: PolicyStatus['state'],
      error = '',
    ): BusMessage<PolicyStatus> => ({
      key: `${node}/block-nc`,
      value: {
        node,
        policy_id: 'block-nc',
        version,
        state,
        error,
        mode: 'POLICY_MODE_ENFORCE',
        hooks: [],
        kernel_memory_bytes: '0',
        counters: {},
        warnings: [],
        time: new Date().toISOString(),
      },
    });
    await nodes.publish(Topic.policyStatus, [
      status('n1', 1, 'POLICY_STATE_ERROR', 'verifier said no'),
      status('n2', 1, 'POLICY_STATE_LOADED'),
    ]);
    await nodes.publish(Topic.policyStatus, [status('n1', 1, 'POLICY_STATE_LOADED')]);
    await until('two nodes, n1 loaded', async () => {
      const s = await json(await api.call('GET', '/policies/block-nc/status', admin));
      return s.summary.loaded === 2;
    });
    const s = await json(await api.call('GET', '/policies/block-nc/status', admin));
    expect(s.nodes.map((n: PolicyStatus) => [n.node, n.state])).toEqual([
      ['n1', 'POLICY_STATE_LOADED'],
      ['n2', 'POLICY_STATE_LOADED'],
    ]);
  });
});
