import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import type { PolicyRecord, PolicyStatus } from '@vigil/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, startEngine, type TestApp } from './app';
import { ADMIN_TOKEN, clusterPolicy, INVALID_POLICY, namespacedPolicy, TEAM_A_TOKEN } from './fixtures';

const YAML = 'application/yaml';
const JSON_TYPE = 'application/json';

let bus: InProcessBus;
let engine: TestApp;
let records: BusMessage<PolicyRecord | null>[];

beforeEach(async () => {
  bus = new InProcessBus();
  records = [];
  bus.subscribe<PolicyRecord | null>(Topic.policies, 'test-observer', (batch) => {
    records.push(...batch.filter((m) => !m.key.startsWith('~')));
  });
  engine = await startEngine(bus);
});
afterEach(async () => {
  await engine.close();
  await bus.close();
});

const admin = { token: ADMIN_TOKEN };
const teamA = { token: TEAM_A_TOKEN };

describe('policy API: authentication and scope', () => {
  it('answers 401 without or with an unknown token, and names the scheme', async () => {
    const none = await engine.call('GET', '/policies');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await json(none)).message).toBe('missing bearer token: send "Authorization: Bearer <token>"');
    expect((await engine.call('GET', '/policies', { token: 'wrong-token-0000000000' })).status).toBe(401);
  });

  it('lets a namespaced token manage only TracingPolicyNamespaced of its namespaces (403 otherwise)', async () => {
    const own = await engine.call('PUT', '/policies/team-a:watch-open', {
      ...teamA,
      type: YAML,
      body: namespacedPolicy('team-a'),
    });
    expect(own.status).toBe(201);
    const other = await engine.call('POST', '/policies', { ...teamA, type: YAML, body: namespacedPolicy('team-b') });
    expect(other.status).toBe(403);
    expect((await json(other)).message).toMatch(/^namespace "team-b" is outside this token's scope/);
    const cluster = await engine.call('POST', '/policies', { ...teamA, type: YAML, body: clusterPolicy() });
    expect(cluster.status).toBe(403);
    expect((await json(cluster)).message).toMatch(/^a cluster-scoped TracingPolicy needs an admin token/);
    expect((await engine.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy() })).status).toBe(201);
    // Lists show only what the token may see; a cluster policy is 403 for it.
    const list = await json(await engine.call('GET', '/policies', teamA));
    expect(list.policies.map((p: PolicyRecord) => p.id)).toEqual(['team-a:watch-open']);
    expect((await engine.call('GET', '/policies/block-nc', teamA)).status).toBe(403);
    expect((await engine.call('DELETE', '/policies/block-nc', teamA)).status).toBe(403);
    expect(records.map((r) => r.key)).toEqual(['team-a:watch-open', 'block-nc']);
  });
});

describe('policy API: validation', () => {
  it('refuses an invalid policy with 400 listing every error at line:column, publishing nothing', async () => {
    const res = await engine.call('POST', '/policies', { ...admin, type: YAML, body: INVALID_POLICY });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.message).toBe('invalid tracing policy: 2 error(s)');
    expect(body.problems.map((p: { text: string }) => p.text.split(': ').slice(0, 2).join(': '))).toEqual([
      'body:11:13: spec.kprobes[0].args[0].type',
      'body:14:19: spec.kprobes[0].selectors[0].matchArgs[0].operator',
    ]);
    await bus.flush();
    expect(records).toEqual([]);
  });

  it('checks ids, content types, JSON fields, query parameters and body size precisely', async () => {
    const badId = await engine.call('GET', '/policies/Bad_Id', admin);
    expect(badId.status).toBe(400);
    expect((await json(badId)).problems[0].text).toMatch(/^id: name "Bad_Id" is not a DNS-1123 subdomain/);
    const text = await engine.call('POST', '/policies', { ...admin, type: 'text/plain', body: clusterPolicy() });
    expect(text.status).toBe(415);
    const jsonBody = await engine.call('POST', '/policies', {
      ...admin,
      type: JSON_TYPE,
      body: JSON.stringify({
        yaml: clusterPolicy(),
        mode: 'audit',
        enabled: 'yes',
        nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'In' }] },
        extra: 1,
      }),
    });
    expect(jsonBody.status).toBe(400);
    expect((await json(jsonBody)).problems.map((p: { text: string }) => p.text)).toEqual([
      'extra: unknown field (expected yaml, enabled, mode, nodeSelector)',
      'enabled: expected true or false, got "yes"',
      'mode: expected "enforce" or "monitor", got "audit"',
      'nodeSelector.matchExpressions[0].values: In needs at least one value',
    ]);
    const query = await engine.call('POST', '/policies?mode=loud&x=1', { ...admin, type: YAML, body: clusterPolicy() });
    expect((await json(query)).problems.map((p: { path: string }) => p.path)).toEqual(['?x', '?mode']);
    const big = await engine.call('POST', '/policies', {
      ...admin,
      type: YAML,
      body: `# ${'x'.repeat(200 * 1024)}\n${clusterPolicy()}`,
    });
    expect(big.status).toBe(413);
    expect((await json(big)).message).toMatch(/the limit is 102400 \(policyEngine\.maxBodyBytes\)/);
    const mismatch = await engine.call('PUT', '/policies/other', { ...admin, type: YAML, body: clusterPolicy() });
    expect(mismatch.status).toBe(400);
    await bus.flush();
    expect(records).toEqual([]);
  });
});

describe('policy API: changes, versions, audit, status', () => {
  it('publishes every change as a PolicyRecord keyed by id (delete = tombstone) with versions and audit', async () => {
    const created = await engine.call('PUT', '/policies/block-nc?mode=monitor', {
      ...admin,
      type: YAML,
      body: clusterPolicy(),
    });
    expect(created.status).toBe(201);
    expect((await json(created)).policy).toMatchObject({ id: 'block-nc', version: 1, mode: 'POLICY_MODE_MONITOR' });
    const same = await engine.call('PUT', '/policies/block-nc', { ...admin, type: YAML, body: clusterPolicy() });
    expect(same.status).toBe(200);
    expect((await json(same)).changed).toBe(false);
    expect((await engine.call('POST', '/policies/block-nc/disable', admin)).status).toBe(200);
    const mode = await engine.call('PUT', '/policies/block-nc/mode', {
      ...admin,
      type: JSON_TYPE,
      body: '{"mode":"enforce"}',
    });
    expect((await json(mode)).policy.version).toBe(3);
    const updated = await engine.call('PUT', '/policies/block-nc', {
      ...admin,
      type: JSON_TYPE,
      body: JSON.stringify({
        yaml: clusterPolicy('block-nc', 'sys_bind'),
        nodeSelector: { matchLabels: { zone: 'eu' } },
      }),
    });
    expect(updated.status).toBe(200);
    const detail = await json(await engine.call('GET', '/policies/block-nc', admin));
    expect(detail).toMatchObject({
      version: 4,
      enabled: false,
      mode: 'POLICY_MODE_ENFORCE',
      node_selector: { match_labels: { zone: 'eu' } },
    });
    expect(detail.yaml).toContain('sys_bind');
    expect(detail.versions.map((v: { version: number; action: string }) => [v.version, v.action])).toEqual([
      [4, 'POLICY_ACTION_APPLY'],
      [3, 'POLICY_ACTION_SET_MODE'],
      [2, 'POLICY_ACTION_DISABLE'],
      [1, 'POLICY_ACTION_APPLY'],
    ]);
    expect((await engine.call('DELETE', '/policies/block-nc', admin)).status).toBe(200);
    expect((await engine.call('GET', '/policies/block-nc', admin)).status).toBe(404);
    const audit = await json(await engine.call('GET', '/policies/block-nc/audit', admin));
    expect(
      audit.entries.map((e: { action: string; actor: string; previous_version: number }) => [
        e.action,
        e.actor,
        e.previous_version,
      ]),
    ).toEqual([
      ['POLICY_ACTION_APPLY', 'alice', 0],
      ['POLICY_ACTION_DISABLE', 'alice', 1],
      ['POLICY_ACTION_SET_MODE', 'alice', 2],
      ['POLICY_ACTION_APPLY', 'alice', 3],
      ['POLICY_ACTION_DELETE', 'alice', 4],
    ]);
    await bus.flush();
    expect(records.map((r) => [r.key, r.value?.version ?? null])).toEqual([
      ['block-nc', 1],
      ['block-nc', 2],
      ['block-nc', 3],
      ['block-nc', 4],
      ['block-nc', null],
    ]);
  });

  it('aggregates per-node status from vigil.policy-status (latest per node, tombstone removes)', async () => {
    await engine.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy() });
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
    await bus.publish(Topic.policyStatus, [
      status('node-a', 1, 'POLICY_STATE_LOADED'),
      status('node-b', 1, 'POLICY_STATE_UNSUPPORTED', 'sys_connect: no kprobes here'),
      status('node-c', 1, 'POLICY_STATE_LOADED'),
      { key: 'garbage', value: status('x', 1, 'POLICY_STATE_LOADED').value },
    ]);
    await bus.publish(Topic.policyStatus, [{ key: 'node-c/block-nc', value: null }]);
    await bus.flush();
    const body = await json(await engine.call('GET', '/policies/block-nc/status', admin));
    expect(body.nodes.map((n: PolicyStatus) => [n.node, n.state, n.version, n.error])).toEqual([
      ['node-a', 'POLICY_STATE_LOADED', 1, ''],
      ['node-b', 'POLICY_STATE_UNSUPPORTED', 1, 'sys_connect: no kprobes here'],
    ]);
    expect(body.summary).toEqual({ nodes: 2, current: 2, loaded: 1, failed: 1 });
  });

  it('serves its OpenAPI document and the Swagger UI without a token', async () => {
    const doc = await json(await engine.call('GET', '/openapi.json'));
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/policies',
      '/policies/{id}',
      '/policies/{id}/audit',
      '/policies/{id}/disable',
      '/policies/{id}/enable',
      '/policies/{id}/mode',
      '/policies/{id}/status',
    ]);
    expect(doc.components.schemas.PolicyRecord.properties.version).toEqual({ type: 'integer' });
    const ui = await engine.call('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
  });
});
