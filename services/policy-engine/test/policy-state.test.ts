import type { PolicyCommand, PolicyRecord } from '@vigil/contracts';
import { describe, expect, it } from 'vitest';
import { RequestError } from '../src/domain/errors';
import { PolicyState, type Change } from '../src/domain/policy-state';
import { clusterPolicy, INVALID_POLICY, namespacedPolicy } from './fixtures';

let clock = 0;
function command(action: PolicyCommand['action'], over: Partial<PolicyCommand> = {}): PolicyCommand {
  clock++;
  return {
    command_id: `c${clock}`,
    action,
    policy_id: '',
    yaml: '',
    mode: 'POLICY_MODE_UNSPECIFIED',
    actor: 'alice',
    requested_at: new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString(),
    ...over,
  };
}

/** Plans and commits, as the log does once the change is published; returns what was published. */
function run(state: PolicyState, cmd: PolicyCommand, published: Change[]): Change | undefined {
  const change = state.plan(cmd);
  if (change) {
    state.commit(change);
    published.push(change);
  }
  return change;
}

describe('PolicyState', () => {
  it('versions every change monotonically and audits who, when, what and the version before', () => {
    const state = new PolicyState();
    const log: Change[] = [];
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy() }), log);
    run(state, command('POLICY_ACTION_SET_MODE', { policy_id: 'block-nc', mode: 'POLICY_MODE_MONITOR' }), log);
    run(state, command('POLICY_ACTION_DISABLE', { policy_id: 'block-nc', actor: 'bob' }), log);
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy('block-nc', 'sys_bind') }), log);
    const record = state.get('block-nc')!;
    expect(record).toMatchObject({
      id: 'block-nc',
      kind: 'TracingPolicy',
      version: 4,
      enabled: false,
      mode: 'POLICY_MODE_MONITOR',
      created_by: 'alice',
      updated_by: 'alice',
      created_at: '2026-01-01T00:00:01.000Z',
    });
    expect(record.audit.map((a) => [a.version, a.previous_version, a.action, a.actor])).toEqual([
      [1, 0, 'POLICY_ACTION_APPLY', 'alice'],
      [2, 1, 'POLICY_ACTION_SET_MODE', 'alice'],
      [3, 2, 'POLICY_ACTION_DISABLE', 'bob'],
      [4, 3, 'POLICY_ACTION_APPLY', 'alice'],
    ]);
    expect(record.audit[0]!.summary).toMatch(
      /^created \(TracingPolicy, yaml sha256 [0-9a-f]{12}, enabled, enforce, nodes: every node\)$/,
    );
    expect(record.audit[1]!.summary).toBe('mode enforce → monitor');
    expect(record.audit[2]!.summary).toBe('enabled true → false');
    expect(record.audit[3]!.summary).toMatch(/^yaml sha256 [0-9a-f]{12} → [0-9a-f]{12}$/);
    expect(record.audit[3]!.previous_yaml_sha256).toBe(record.audit[0]!.yaml_sha256);
  });

  it('changes nothing (no version) for a command that asks for the current state', () => {
    const state = new PolicyState();
    const log: Change[] = [];
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy() }), log);
    expect(run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy() }), log)).toBeUndefined();
    expect(run(state, command('POLICY_ACTION_ENABLE', { policy_id: 'block-nc' }), log)).toBeUndefined();
    expect(
      run(state, command('POLICY_ACTION_SET_MODE', { policy_id: 'block-nc', mode: 'POLICY_MODE_ENFORCE' }), log),
    ).toBeUndefined();
    expect(state.get('block-nc')!.version).toBe(1);
  });

  it('refuses an invalid policy with every error at its line and column, changing nothing', () => {
    const state = new PolicyState();
    let error: RequestError | undefined;
    try {
      state.plan(command('POLICY_ACTION_APPLY', { yaml: INVALID_POLICY }), 'body');
    } catch (e) {
      error = e as RequestError;
    }
    expect(error?.status).toBe(400);
    expect(error?.message).toBe('invalid tracing policy: 2 error(s)');
    expect(error?.problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [11, 13, 'spec.kprobes[0].args[0].type'],
      [14, 19, 'spec.kprobes[0].selectors[0].matchArgs[0].operator'],
    ]);
    expect(error?.problems[0]!.text).toMatch(/^body:11:13: spec\.kprobes\[0\]\.args\[0\]\.type: /);
    expect(state.list()).toEqual([]);
  });

  it('requires metadata.namespace on a namespaced policy and an id that matches the URL', () => {
    const state = new PolicyState();
    const noNamespace = namespacedPolicy('x').replace('  namespace: x\n', '');
    expect(() => state.plan(command('POLICY_ACTION_APPLY', { yaml: noNamespace }))).toThrow(RequestError);
    const mismatch = () =>
      state.plan(command('POLICY_ACTION_APPLY', { yaml: namespacedPolicy('team-a'), policy_id: 'team-b:watch-open' }));
    expect(mismatch).toThrow(
      expect.objectContaining({
        problems: [
          expect.objectContaining({
            text: 'metadata.name: the policy\'s id is "team-a:watch-open", the URL says "team-b:watch-open"',
          }),
        ],
      }),
    );
  });

  it('takes nodeSelector from the API over spec.nodeSelector, and the mode from the YAML option when not given', () => {
    const state = new PolicyState();
    const yaml = namespacedPolicy(
      'team-a',
      'sel',
      '  nodeSelector:\n    matchLabels:\n      zone: eu\n  options:\n  - name: policy-mode\n    value: monitor\n',
    );
    const change = state.plan(command('POLICY_ACTION_APPLY', { yaml }))!;
    expect(change.record).toMatchObject({
      id: 'team-a:sel',
      mode: 'POLICY_MODE_MONITOR',
      node_selector: { match_labels: { zone: 'eu' }, match_expressions: [] },
    });
    const api = state.plan(
      command('POLICY_ACTION_APPLY', {
        yaml,
        node_selector: { match_labels: {}, match_expressions: [{ key: 'gpu', operator: 'Exists', values: [] }] },
      }),
    )!;
    expect(api.record!.node_selector).toEqual({
      match_labels: {},
      match_expressions: [{ key: 'gpu', operator: 'Exists', values: [] }],
    });
  });

  it('rebuilt by replaying the published records is the same state, versions included', () => {
    const state = new PolicyState();
    const log: Change[] = [];
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy() }), log);
    run(state, command('POLICY_ACTION_APPLY', { yaml: namespacedPolicy('team-a') }), log);
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy('gone') }), log);
    run(state, command('POLICY_ACTION_DISABLE', { policy_id: 'team-a:watch-open' }), log);
    run(state, command('POLICY_ACTION_DELETE', { policy_id: 'gone' }), log);
    const replayed = new PolicyState();
    const outcomes = log.map((c) => replayed.replay(c.id, c.record));
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied', 'deleted']);
    expect(replayed.list()).toEqual(state.list());
    // A re-delivered older record does not roll back; a record under the wrong key is refused.
    expect(replayed.replay('team-a:watch-open', log[1]!.record)).toBe('stale');
    expect(replayed.replay('block-nc', { ...log[0]!.record!, id: 'other' } as PolicyRecord)).toBe('invalid');
    expect(replayed.replay('No Such', null)).toBe('invalid');
    // Versions continue after the replay.
    const next = replayed.plan(command('POLICY_ACTION_ENABLE', { policy_id: 'team-a:watch-open' }))!;
    expect(next.record!.version).toBe(3);
  });

  it('keeps versions monotonic across delete and re-create, and keeps the deleted policy’s audit', () => {
    const state = new PolicyState();
    const log: Change[] = [];
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy() }), log);
    run(state, command('POLICY_ACTION_DELETE', { policy_id: 'block-nc', actor: 'bob' }), log);
    expect(state.get('block-nc')).toBeUndefined();
    expect(state.audit('block-nc')!.entries.map((e) => [e.action, e.actor, e.version])).toEqual([
      ['POLICY_ACTION_APPLY', 'alice', 1],
      ['POLICY_ACTION_DELETE', 'bob', 1],
    ]);
    run(state, command('POLICY_ACTION_APPLY', { yaml: clusterPolicy() }), log);
    expect(state.get('block-nc')!.version).toBe(2);
    expect(() => state.plan(command('POLICY_ACTION_ENABLE', { policy_id: 'nope' }))).toThrow(/no policy "nope"/);
  });
});
