import { createHash } from 'node:crypto';
import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import type { LabelSelector, PolicyRecord, PolicyStatus } from '@vigil/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { nodeSelects, PolicyLoadError, PolicySync } from '../../src';
import { RecordingPolicyTarget } from './recording-policy-target';

const yaml = (name: string, call = 'sys_connect') => `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: ${name}
spec:
  kprobes:
  - call: "${call}"
    syscall: true
`;

function record(id: string, version: number, over: Partial<PolicyRecord> = {}): PolicyRecord {
  const text = over.yaml ?? yaml(id);
  return {
    id,
    name: id,
    namespace: '',
    kind: 'TracingPolicy',
    version,
    yaml: text,
    yaml_sha256: createHash('sha256').update(text).digest('hex'),
    enabled: true,
    mode: 'POLICY_MODE_ENFORCE',
    created_by: 'alice',
    created_at: '',
    updated_by: 'alice',
    updated_at: '',
    audit: [],
    audit_dropped: 0,
    ...over,
  };
}

let bus: InProcessBus;
let runtime: RecordingPolicyTarget;
let sync: PolicySync;
let statuses: BusMessage<PolicyStatus | null>[];

async function send(...messages: Array<[string, PolicyRecord | null]>): Promise<void> {
  await bus.publish(
    Topic.policies,
    messages.map(([key, value]) => ({ key, value })),
  );
  // Twice: the first waits for PolicySync's handler, the second for the statuses it published.
  await bus.flush();
  await bus.flush();
}

const last = (id: string) => statuses.filter((s) => s.key === `node-1/${id}`).at(-1)?.value;

beforeEach(() => {
  bus = new InProcessBus();
  runtime = new RecordingPolicyTarget();
  statuses = [];
  bus.subscribe<PolicyStatus | null>(Topic.policyStatus, 'observer', (b) => void statuses.push(...b));
  sync = new PolicySync({ bus, runtime, node: 'node-1', labels: { zone: 'eu', gpu: 'yes' }, now: () => new Date(0) });
  sync.start();
});

describe('PolicySync', () => {
  it('loads a record and reports LOADED with hooks, attachments and counters under <node>/<id>', async () => {
    await send(['p1', record('p1', 1)]);
    expect(runtime.calls).toEqual(['add p1 enforce']);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]!.key).toBe('node-1/p1');
    expect(statuses[0]!.value).toEqual({
      node: 'node-1',
      policy_id: 'p1',
      version: 1,
      state: 'POLICY_STATE_LOADED',
      error: '',
      mode: 'POLICY_MODE_ENFORCE',
      hooks: [
        {
          source: 'spec.kprobes[0]',
          target: 'sys_connect',
          mechanism: 'syscalls',
          how: 'syscall tracepoint (recorded stand-in)',
          attachments: ['vigil_sys_enter → syscalls/sys_enter_connect'],
        },
      ],
      counters: { calls: '12', matched: '3' },
      warnings: [],
      time: '1970-01-01T00:00:00.000Z',
      kernel_memory_bytes: '4096',
    });
  });

  it('is idempotent: the same version again (a replay) reloads nothing and reports nothing new', async () => {
    await send(['p1', record('p1', 1)]);
    await send(['p1', record('p1', 1)], ['p1', record('p1', 1)]);
    expect(runtime.calls).toEqual(['add p1 enforce']);
    expect(statuses).toHaveLength(1);
    expect(sync.stats()).toMatchObject({ received: 3, applied: 1, unchanged: 2 });
  });

  it('enables, disables and sets the mode of the same YAML without a reload; new YAML reloads', async () => {
    await send(['p1', record('p1', 1)]);
    await send(['p1', record('p1', 2, { enabled: false })]);
    await send(['p1', record('p1', 3, { enabled: true, mode: 'POLICY_MODE_MONITOR' })]);
    await send(['p1', record('p1', 4, { mode: 'POLICY_MODE_ENFORCE' })]);
    await send(['p1', record('p1', 5, { yaml: yaml('p1', 'sys_bind') })]);
    expect(runtime.calls).toEqual([
      'add p1 enforce',
      'disable p1',
      'setMode p1 monitor',
      'enable p1',
      'setMode p1 enforce',
      'delete p1',
      'add p1 enforce',
    ]);
    expect(statuses.map((s) => [s.value!.version, s.value!.state, s.value!.mode])).toEqual([
      [1, 'POLICY_STATE_LOADED', 'POLICY_MODE_ENFORCE'],
      [2, 'POLICY_STATE_DISABLED', 'POLICY_MODE_ENFORCE'],
      [3, 'POLICY_STATE_LOADED', 'POLICY_MODE_MONITOR'],
      [4, 'POLICY_STATE_LOADED', 'POLICY_MODE_ENFORCE'],
      [5, 'POLICY_STATE_LOADED', 'POLICY_MODE_ENFORCE'],
    ]);
    expect(runtime.loaded.get('p1')!.policy.spec.kprobes[0]!.call).toBe('sys_bind');
  });

  it('never attaches a record that arrives disabled', async () => {
    await send(['p1', record('p1', 1, { enabled: false })]);
    expect(runtime.calls).toEqual([]);
    expect(last('p1')).toMatchObject({ state: 'POLICY_STATE_DISABLED', version: 1 });
    await send(['p1', record('p1', 2, { enabled: true })]);
    expect(runtime.calls).toEqual(['add p1 enforce']);
  });

  it('reports UNSUPPORTED or ERROR with the reason, and keeps the previous version when new YAML fails', async () => {
    runtime.refuse.set('p2', { reasons: ['sys_connect: no kprobe, fentry or tracepoint here'], unsupported: true });
    await send(['p2', record('p2', 1)]);
    expect(last('p2')).toMatchObject({
      state: 'POLICY_STATE_UNSUPPORTED',
      error: 'version 1 not loaded: sys_connect: no kprobe, fentry or tracepoint here',
      hooks: [{ mechanism: 'unsupported', how: 'sys_connect: no kprobe, fentry or tracepoint here' }],
    });
    await send(['p1', record('p1', 1)]);
    runtime.refuse.set('p1', { reasons: ['verifier: too many instructions'] });
    await send(['p1', record('p1', 2, { yaml: yaml('p1', 'sys_bind') })]);
    expect(last('p1')).toMatchObject({
      state: 'POLICY_STATE_ERROR',
      version: 2,
      error:
        'version 2 not loaded: verifier: too many instructions; the previous version could not be loaded again either: verifier: too many instructions',
    });
    runtime.refuse.clear();
    await send(['p3', record('p3', 1)]);
    const broken = record('p3', 2, { yaml: 'kind: TracingPolicy\n' });
    await send(['p3', broken]);
    expect(last('p3')!.state).toBe('POLICY_STATE_ERROR');
    expect(last('p3')!.error).toMatch(/^vigil\.policies\/p3:1:1: /);
    // The parse failure left version 1 loaded.
    expect(runtime.loaded.has('p3')).toBe(true);
    expect(sync.stats().failed).toBe(3);
  });

  it('puts the previous version back when the new YAML does not load', async () => {
    await send(['p1', record('p1', 1)]);
    const real = runtime.add.bind(runtime);
    let first = true;
    runtime.add = (policy, mode) => {
      if (first && policy.spec.kprobes[0]!.call === 'sys_bind') {
        first = false;
        runtime.calls.push(`add ${policy.metadata.name} (refused)`);
        throw new PolicyLoadError('p1', ['no such function']);
      }
      return real(policy, mode);
    };
    await send(['p1', record('p1', 2, { yaml: yaml('p1', 'sys_bind') })]);
    expect(runtime.calls).toEqual(['add p1 enforce', 'delete p1', 'add p1 (refused)', 'add p1 enforce']);
    expect(runtime.loaded.get('p1')!.policy.spec.kprobes[0]!.call).toBe('sys_connect');
    expect(last('p1')).toMatchObject({
      state: 'POLICY_STATE_ERROR',
      version: 2,
      error: 'version 2 not loaded: no such function; the previous version stays loaded',
    });
  });

  it('applies only records whose nodeSelector selects the node, and unloads when it stops selecting', async () => {
    const eu: LabelSelector = { match_labels: { zone: 'eu' }, match_expressions: [] };
    const us: LabelSelector = { match_labels: { zone: 'us' }, match_expressions: [] };
    await send(['p1', record('p1', 1, { node_selector: eu })], ['p2', record('p2', 1, { node_selector: us })]);
    expect(runtime.calls).toEqual(['add p1 enforce']);
    expect(statuses.map((s) => s.key)).toEqual(['node-1/p1']);
    await send(['p1', record('p1', 2, { node_selector: us })]);
    expect(runtime.calls).toEqual(['add p1 enforce', 'delete p1']);
    expect(statuses.at(-1)).toEqual({ key: 'node-1/p1', value: null });
    // New labels: both records (p1 version 2 and p2) select zone us now.
    await sync.relabel({ zone: 'us' });
    expect(runtime.calls.slice(-2)).toEqual(['add p1 enforce', 'add p2 enforce']);
    expect([...runtime.loaded.keys()].sort()).toEqual(['p1', 'p2']);
    expect(sync.stats().notSelected).toBe(2);
  });

  it('reports an ERROR for a nodeSelector operator it does not know', async () => {
    await send([
      'p1',
      record('p1', 1, {
        node_selector: { match_labels: {}, match_expressions: [{ key: 'zone', operator: 'Near', values: [] }] },
      }),
    ]);
    expect(runtime.calls).toEqual([]);
    expect(last('p1')!.error).toBe(
      'nodeSelector: operator "Near" of key "zone" is not one of In, NotIn, Exists, DoesNotExist',
    );
  });

  it('unloads on a tombstone and reports a tombstone status; ignores tombstones of unknown ids and bad records', async () => {
    await send(['p1', record('p1', 1)]);
    await send(['p1', null], ['~replay/x', null], ['p9', { ...record('p9', 1), id: 'other' }]);
    expect(runtime.calls).toEqual(['add p1 enforce', 'delete p1']);
    expect(statuses.at(-1)).toEqual({ key: 'node-1/p1', value: null });
    expect(sync.stats()).toMatchObject({ removed: 1, ignoredTombstones: 1, invalid: 1 });
  });

  it('refuses a second policy of the same metadata.name (the runtime keys by name)', async () => {
    await send(['team-a:watch', record('team-a:watch', 1, { yaml: yaml('watch') })]);
    await send(['team-b:watch', record('team-b:watch', 1, { yaml: yaml('watch') })]);
    expect(runtime.calls).toEqual(['add watch enforce']);
    expect(last('team-b:watch')!.error).toBe(
      'policy name "watch" is already loaded on this node by policy team-a:watch (the runtime keys policies by metadata.name)',
    );
  });

  it('publishes statuses again after a failed publish, when the batch is retried', async () => {
    const failing = {
      subscribe: bus.subscribe.bind(bus),
      fail: true,
      async publish<T>(topic: 'vigil.policy-status', messages: Array<{ key: string; value: T }>) {
        if (this.fail) throw new Error('broker away');
        await bus.publish(topic, messages);
      },
    };
    const other = new PolicySync({ bus: failing, runtime: new RecordingPolicyTarget(), node: 'node-2', labels: {} });
    await expect(other.handle([{ key: 'p1', value: record('p1', 1) }])).rejects.toThrow('broker away');
    expect(other.stats().statusPublishFailures).toBe(1);
    failing.fail = false;
    await other.handle([{ key: 'p1', value: record('p1', 1) }]);
    await bus.flush();
    await bus.flush();
    expect(statuses.map((s) => s.key)).toEqual(['node-2/p1']);
    expect(other.stats()).toMatchObject({ applied: 1, unchanged: 1, statusPublished: 1 });
  });
});

describe('nodeSelects', () => {
  it('matches matchLabels and every matchExpressions operator', () => {
    const labels = { zone: 'eu', gpu: 'yes' };
    const sel = (e: LabelSelector['match_expressions'], l: Record<string, string> = {}) =>
      nodeSelects({ match_labels: l, match_expressions: e }, labels).selected;
    expect(nodeSelects(undefined, labels).selected).toBe(true);
    expect(sel([], { zone: 'eu' })).toBe(true);
    expect(sel([], { zone: 'us' })).toBe(false);
    expect(sel([{ key: 'zone', operator: 'In', values: ['us', 'eu'] }])).toBe(true);
    expect(sel([{ key: 'zone', operator: 'NotIn', values: ['eu'] }])).toBe(false);
    expect(sel([{ key: 'gpu', operator: 'Exists', values: [] }])).toBe(true);
    expect(sel([{ key: 'gpu', operator: 'DoesNotExist', values: [] }])).toBe(false);
    expect(sel([{ key: 'arch', operator: 'DoesNotExist', values: [] }])).toBe(true);
  });
});
