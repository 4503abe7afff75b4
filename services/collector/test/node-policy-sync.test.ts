import { createHash } from 'node:crypto';
import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import { loadConfig } from '@vigil/config';
import type { PolicyRecord, PolicyStatus } from '@vigil/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingPolicyTarget } from '../../../libs/policy-kernel/test/sync/recording-policy-target';
import { CollectorBus } from '../src/collector-bus';
import { collectorSchema } from '../src/collector.config';
import { NodePolicySync } from '../src/node-policy-sync';

const YAML = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: block-nc
spec:
  kprobes:
  - call: "sys_connect"
    syscall: true
`;

function record(version: number, zone: string): PolicyRecord {
  return {
    id: 'block-nc',
    name: 'block-nc',
    namespace: '',
    kind: 'TracingPolicy',
    version,
    yaml: YAML,
    yaml_sha256: createHash('sha256').update(YAML).digest('hex'),
    enabled: true,
    mode: 'POLICY_MODE_ENFORCE',
    node_selector: { match_labels: { zone }, match_expressions: [] },
    created_by: 'alice',
    created_at: '',
    updated_by: 'alice',
    updated_at: '',
    audit: [],
    audit_dropped: 0,
  };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let sync: NodePolicySync | undefined;
afterEach(() => sync?.stop());

describe('NodePolicySync (the runtime is a recording stand-in: loading BPF needs the kernel lanes)', () => {
  it('applies records selecting this node by its configured labels, reports and refreshes statuses, stops', async () => {
    const bus = new InProcessBus();
    const config = loadConfig(collectorSchema, {
      env: { VIGIL_NODE_NAME: 'node-a', VIGIL_NODE_LABELS: 'zone=eu', VIGIL_POLICY_STATUS_REFRESH_MS: '100' },
    });
    const statuses: BusMessage<PolicyStatus | null>[] = [];
    bus.subscribe<PolicyStatus | null>(Topic.policyStatus, 'test', (b) => void statuses.push(...b));
    sync = new NodePolicySync(config, new CollectorBus(config, { bus }));
    expect(sync.status()).toMatchObject({ running: false, node: 'node-a', labels: { zone: 'eu' }, policies: [] });
    const runtime = new RecordingPolicyTarget();
    sync.start(runtime);

    await bus.publish(Topic.policies, [{ key: 'block-nc', value: record(1, 'us') }]);
    await until('the record not selecting the node', () => sync!.status().stats?.notSelected === 1);
    expect(runtime.calls).toEqual([]);

    await bus.publish(Topic.policies, [{ key: 'block-nc', value: record(2, 'eu') }]);
    await until('the LOADED status', () => statuses.length > 0);
    expect(runtime.calls).toEqual(['add block-nc enforce']);
    expect(statuses[0]).toMatchObject({
      key: 'node-a/block-nc',
      value: { node: 'node-a', policy_id: 'block-nc', version: 2, state: 'POLICY_STATE_LOADED' },
    });
    expect(sync.status()).toMatchObject({
      running: true,
      refreshFailures: 0,
      stats: { applied: 1, notSelected: 1, statusPublished: 1 },
      policies: [{ policy_id: 'block-nc', state: 'POLICY_STATE_LOADED' }],
    });

    // The timer publishes the statuses again (fresh counters for the fleet view).
    await until('two refreshes', () => statuses.length >= 3);
    expect(statuses.every((s) => s.key === 'node-a/block-nc')).toBe(true);

    sync.stop();
    await new Promise((r) => setTimeout(r, 250));
    const after = statuses.length;
    await bus.publish(Topic.policies, [{ key: 'block-nc', value: record(3, 'eu') }]);
    await new Promise((r) => setTimeout(r, 250));
    expect(statuses.length).toBe(after);
    expect(runtime.calls).toEqual(['add block-nc enforce']);
  });
});
