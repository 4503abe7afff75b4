import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import { contractsRoot, type PolicyRecord, type PolicyStatus } from '@vigil/contracts';
import { rpcClient, RpcStatus, type RpcClient } from '@vigil/rpc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEngine, type TestApp } from './app';
import { ADMIN_TOKEN, clusterPolicy, INVALID_POLICY, namespacedPolicy, TEAM_A_TOKEN } from './fixtures';

// vigil.v1.PolicyService over a real gRPC connection to the engine as the service starts it.
let bus: InProcessBus;
let engine: TestApp;
let records: BusMessage<PolicyRecord | null>[];
const clients: RpcClient[] = [];
const client = (token?: string): RpcClient => {
  const c = rpcClient(contractsRoot, 'vigil.v1.PolicyService', engine.grpcAddress, token ? { token } : {});
  clients.push(c);
  return c;
};

beforeEach(async () => {
  bus = new InProcessBus();
  records = [];
  bus.subscribe<PolicyRecord | null>(Topic.policies, 'test-observer', (batch) => {
    records.push(...batch.filter((m) => !m.key.startsWith('~')));
  });
  engine = await startEngine(bus);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await engine.close();
  await bus.close();
});

describe('policy engine gRPC API (vigil.v1.PolicyService)', () => {
  it('applies, lists, gets, sets the mode, disables and deletes, each a record on vigil.policies with an audit entry', async () => {
    const admin = client(ADMIN_TOKEN);
    const created = await admin.call('ApplyPolicy', {
      yaml: clusterPolicy(),
      mode: 'POLICY_MODE_MONITOR',
      node_selector: { match_labels: { role: 'web' } },
      create_only: true,
    });
    expect(created).toMatchObject({
      changed: true,
      policy: {
        id: 'block-nc',
        version: 1,
        mode: 'POLICY_MODE_MONITOR',
        enabled: true,
        node_selector: { match_labels: { role: 'web' } },
      },
      audit: { action: 'POLICY_ACTION_APPLY', version: 1, actor: 'alice' },
    });
    // Same YAML and selector, mode left as it is: nothing changes, no record.
    const same = await admin.call('ApplyPolicy', {
      yaml: clusterPolicy(),
      node_selector: { match_labels: { role: 'web' } },
    });
    expect(same['changed']).toBe(false);
    await expect(admin.call('ApplyPolicy', { yaml: clusterPolicy(), create_only: true })).rejects.toMatchObject({
      code: RpcStatus.ALREADY_EXISTS,
    });
    const listed = await admin.call('ListPolicies');
    expect((listed['policies'] as PolicyRecord[]).map((p) => [p.id, p.yaml])).toEqual([['block-nc', undefined]]);
    expect(await admin.call('GetPolicy', { id: 'block-nc' })).toMatchObject({ id: 'block-nc', yaml: clusterPolicy() });
    expect(await admin.call('SetPolicyMode', { id: 'block-nc', mode: 'POLICY_MODE_ENFORCE' })).toMatchObject({
      changed: true,
      policy: { version: 2, mode: 'POLICY_MODE_ENFORCE' },
    });
    expect(await admin.call('DisablePolicy', { id: 'block-nc' })).toMatchObject({
      policy: { version: 3, enabled: false },
    });
    expect(await admin.call('EnablePolicy', { id: 'block-nc' })).toMatchObject({
      policy: { version: 4, enabled: true },
    });
    const trail = await admin.call('GetPolicyAudit', { id: 'block-nc' });
    expect((trail['entries'] as Array<{ action: string }>).map((e) => e.action)).toEqual([
      'POLICY_ACTION_APPLY',
      'POLICY_ACTION_SET_MODE',
      'POLICY_ACTION_DISABLE',
      'POLICY_ACTION_ENABLE',
    ]);
    expect(await admin.call('DeletePolicy', { id: 'block-nc' })).toMatchObject({
      changed: true,
      audit: { action: 'POLICY_ACTION_DELETE' },
    });
    await bus.flush();
    await waitFor(() => records.length === 5);
    expect(records.map((r) => [r.key, r.value?.version ?? null])).toEqual([
      ['block-nc', 1],
      ['block-nc', 2],
      ['block-nc', 3],
      ['block-nc', 4],
      ['block-nc', null],
    ]);
    await expect(admin.call('GetPolicy', { id: 'block-nc' })).rejects.toMatchObject({ code: RpcStatus.NOT_FOUND });
  });

  it('authenticates every call and keeps namespaced tokens to their namespaces', async () => {
    await expect(client().call('ListPolicies')).rejects.toMatchObject({
      code: RpcStatus.UNAUTHENTICATED,
      details: expect.stringMatching(/missing bearer token/),
    });
    await expect(client('wrong-token-0000000000').call('ListPolicies')).rejects.toMatchObject({
      code: RpcStatus.UNAUTHENTICATED,
    });
    const teamA = client(TEAM_A_TOKEN);
    await expect(teamA.call('ApplyPolicy', { yaml: clusterPolicy() })).rejects.toMatchObject({
      code: RpcStatus.PERMISSION_DENIED,
      details: expect.stringMatching(/needs an admin token/),
    });
    await expect(teamA.call('ApplyPolicy', { yaml: namespacedPolicy('team-b') })).rejects.toMatchObject({
      code: RpcStatus.PERMISSION_DENIED,
    });
    expect(await teamA.call('ApplyPolicy', { yaml: namespacedPolicy('team-a') })).toMatchObject({
      policy: { id: 'team-a:watch-open' },
    });
    await expect(teamA.call('GetPolicyStatus', { id: 'other:watch-open' })).rejects.toMatchObject({
      code: RpcStatus.PERMISSION_DENIED,
    });
  });

  it('refuses bad input with INVALID_ARGUMENT listing every problem, and changes nothing', async () => {
    const admin = client(ADMIN_TOKEN);
    const invalid = admin.call('ApplyPolicy', { yaml: INVALID_POLICY });
    await expect(invalid).rejects.toMatchObject({ code: RpcStatus.INVALID_ARGUMENT });
    const details = ((await invalid.catch((e: { details: string }) => e)) as { details: string }).details.split('\n');
    expect(details.filter((l) => /^ApplyPolicyRequest\.yaml:\d+:\d+: /.test(l))).toHaveLength(2);
    await expect(
      admin.call('ApplyPolicy', {
        yaml: clusterPolicy(),
        node_selector: { match_expressions: [{ key: 'role', operator: 'Near', values: ['x'] }] },
      }),
    ).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
      details: expect.stringMatching(/node_selector\.matchExpressions\[0\]\.operator/),
    });
    await expect(admin.call('SetPolicyMode', { id: 'block-nc' })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
    });
    await expect(admin.call('GetPolicy', { id: 'Not An Id' })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
    });
    await expect(
      admin.call('ApplyPolicy', { yaml: `# ${'x'.repeat(200 * 1024)}\n${clusterPolicy()}` }),
    ).rejects.toMatchObject({
      code: RpcStatus.RESOURCE_EXHAUSTED,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(records).toEqual([]);
  });

  it('reports per-node status from vigil.policy-status', async () => {
    const admin = client(ADMIN_TOKEN);
    await admin.call('ApplyPolicy', { yaml: clusterPolicy() });
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
      kernel_memory_bytes: '8192',
    };
    await bus.publish(Topic.policyStatus, [{ key: 'node-a/block-nc', value: status }]);
    await waitFor(async () => (await admin.call('GetPolicyStatus', { id: 'block-nc' }))['loaded'] === 1);
    expect(await admin.call('GetPolicyStatus', { id: 'block-nc' })).toMatchObject({
      version: 1,
      nodes_reporting: 1,
      current: 1,
      loaded: 1,
      nodes: [{ node: 'node-a', state: 'POLICY_STATE_LOADED', kernel_memory_bytes: '8192' }],
    });
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
