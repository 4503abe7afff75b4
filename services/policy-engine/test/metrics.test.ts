/**
 * GET /metrics of the policy engine: each vigil_policy_engine_* metric moved by what causes it —
 * commands through the REST API, records another engine publishes, node statuses on
 * vigil.policy-status — and docs/metrics.md naming exactly what it serves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import type { PolicyRecord, PolicyStatus } from '@vigil/contracts';
import { metricsDocProblems, sampleValue } from '@vigil/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngine, type TestApp } from './app';
import { PolicyEngineModule, PolicyLogProvider } from '../src';
import { ADMIN_TOKEN, clusterPolicy, INVALID_POLICY, TOKENS } from './fixtures';

const DOC = path.resolve(__dirname, '../../../docs/metrics.md');
const YAML = 'application/yaml';
const admin = { token: ADMIN_TOKEN };

const engines: TestApp[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function engine(bus: InProcessBus, env: Record<string, string> = {}) {
  const e = await startEngine(bus, env);
  engines.push(e);
  return { ...e, scrape: async () => (await fetch(`${e.url}/metrics`)).text() };
}

function status(node: string, version: number, state: PolicyStatus['state']): BusMessage<PolicyStatus> {
  return {
    key: `${node}/block-nc`,
    value: {
      node,
      policy_id: 'block-nc',
      version,
      state,
      error: '',
      mode: 'POLICY_MODE_ENFORCE',
      hooks: [],
      counters: {},
      warnings: [],
      time: new Date(Date.now() + version).toISOString(),
      kernel_memory_bytes: '0',
    },
  };
}

describe('policy engine /metrics', () => {
  it('counts and times commands by action and result, and shows the policies by state and mode', async () => {
    const bus = new InProcessBus();
    const e = await engine(bus);
    let text = await e.scrape();
    expect(sampleValue(text, 'vigil_policy_engine_replay_ready')).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_replay_markers_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'vigil_policy_engine_policies')).toBe(0);

    expect(
      (await e.call('PUT', '/policies/block-nc?mode=monitor', { ...admin, type: YAML, body: clusterPolicy() })).status,
    ).toBe(201);
    expect(
      (await e.call('PUT', '/policies/block-nc?mode=monitor', { ...admin, type: YAML, body: clusterPolicy() })).status,
    ).toBe(200);
    // Refused by the log itself: the YAML is another policy than the id asked for. (A YAML that
    // does not parse, or a token out of scope, is refused before the log: not a command.)
    expect((await e.call('PUT', '/policies/wrong-id', { ...admin, type: YAML, body: clusterPolicy() })).status).toBe(
      400,
    );
    expect((await e.call('POST', '/policies', { ...admin, type: YAML, body: INVALID_POLICY })).status).toBe(400);
    expect(
      (await e.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy('other', 'sys_bind') })).status,
    ).toBe(201);
    expect((await e.call('POST', '/policies/other/disable', admin)).status).toBe(200);
    // The bus refuses: nothing changes, 503.
    const publish = bus.publish.bind(bus);
    bus.publish = () => Promise.reject(new Error('transport down'));
    expect((await e.call('DELETE', '/policies/other', admin)).status).toBe(503);
    bus.publish = publish;
    await bus.flush();

    text = await e.scrape();
    const commands = (action: string, result: string) =>
      sampleValue(text, 'vigil_policy_engine_commands_total', { action, result });
    expect(commands('apply', 'changed')).toBe(2);
    expect(commands('apply', 'unchanged')).toBe(1);
    expect(commands('apply', 'refused')).toBe(1);
    expect(commands('disable', 'changed')).toBe(1);
    expect(commands('delete', 'unavailable')).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_command_duration_seconds_count', { action: 'apply' })).toBe(4);
    expect(sampleValue(text, 'vigil_policy_engine_command_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_policy_engine_policies', { state: 'enabled', mode: 'monitor' })).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_policies', { state: 'disabled' })).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_changes_published_total')).toBe(3);
    // Each published change comes back on the engine's own consumer.
    expect(sampleValue(text, 'vigil_policy_engine_changes_read_back_total')).toBe(3);
  });

  it("counts another engine's records as replayed, by outcome", async () => {
    const bus = new InProcessBus();
    const writer = await engine(bus);
    const reader = await engine(bus);
    await writer.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy() });
    await writer.call('DELETE', '/policies/block-nc', admin);
    await bus.flush();
    // A record under a key that does not match it, and an old version of a policy deleted since.
    await bus.publish(Topic.policies, [{ key: 'not-a-record', value: 'garbage' as unknown as PolicyRecord }]);
    await bus.flush();
    const text = await reader.scrape();
    const replay = (outcome: string) => sampleValue(text, 'vigil_policy_engine_replay_records_total', { outcome });
    expect(replay('applied')).toBe(1);
    expect(replay('deleted')).toBe(1);
    expect(replay('invalid')).toBe(1);
    expect(sampleValue(await writer.scrape(), 'vigil_policy_engine_replay_records_total', { outcome: 'applied' })).toBe(
      0,
    );
  });

  it('shows each policy’s nodes by reported state, and counts status messages used, ignored and removed', async () => {
    const bus = new InProcessBus();
    const e = await engine(bus);
    await e.call('POST', '/policies', { ...admin, type: YAML, body: clusterPolicy() });
    await bus.publish(Topic.policyStatus, [
      status('node-a', 1, 'POLICY_STATE_LOADED'),
      status('node-b', 1, 'POLICY_STATE_LOADED'),
      status('node-c', 1, 'POLICY_STATE_ERROR'),
      { key: 'no-slash', value: status('x', 1, 'POLICY_STATE_LOADED').value },
    ]);
    await bus.flush();
    let text = await e.scrape();
    expect(sampleValue(text, 'vigil_policy_engine_policy_nodes', { policy: 'block-nc', state: 'loaded' })).toBe(2);
    expect(sampleValue(text, 'vigil_policy_engine_policy_nodes', { policy: 'block-nc', state: 'error' })).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_status_messages_total')).toBe(4);
    expect(sampleValue(text, 'vigil_policy_engine_status_messages_ignored_total', { reason: 'invalid' })).toBe(1);

    const older = status('node-a', 0, 'POLICY_STATE_ERROR');
    await bus.publish(Topic.policyStatus, [older, { key: 'node-b/block-nc', value: null }]);
    await bus.flush();
    text = await e.scrape();
    expect(sampleValue(text, 'vigil_policy_engine_status_messages_ignored_total', { reason: 'stale' })).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_status_removals_total')).toBe(1);
    expect(sampleValue(text, 'vigil_policy_engine_policy_nodes', { policy: 'block-nc', state: 'loaded' })).toBe(1);
  });

  it('is not ready (0) until vigil.policies is replayed', async () => {
    const bus = new InProcessBus();
    // Replaying waits this long after the marker: the app serves meanwhile.
    const app = await NestFactory.create(
      PolicyEngineModule.register({
        bus,
        load: {
          env: {
            VIGIL_POLICY_ENGINE_TOKENS: TOKENS,
            VIGIL_POLICY_ENGINE_GRPC_ADDRESS: '127.0.0.1:0',
            VIGIL_POLICY_ENGINE_REPLAY_QUIET_MS: '1500',
          },
        },
      }),
      { logger: false, abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    try {
      const url = await app.getUrl();
      expect(sampleValue(await (await fetch(`${url}/metrics`)).text(), 'vigil_policy_engine_replay_ready')).toBe(0);
      await app.get(PolicyLogProvider).log.whenReady();
      expect(sampleValue(await (await fetch(`${url}/metrics`)).text(), 'vigil_policy_engine_replay_ready')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('serves exactly the metrics docs/metrics.md documents for the policy engine and the bus', async () => {
    const e = await engine(new InProcessBus());
    expect(
      metricsDocProblems(fs.readFileSync(DOC, 'utf8'), await e.scrape(), ['vigil_policy_engine_', 'vigil_bus_']),
    ).toEqual([]);
  });
});
