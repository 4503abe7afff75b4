import 'reflect-metadata';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import type { PolicyStatus } from '@vigil/contracts';
import { formatDiagnostic, parsePolicy } from '@vigil/policy';
import { PolicyEngineModule, PolicyGrpcProvider, PolicyLogProvider } from '@vigil/policy-engine';
import {
  EventFanout,
  fineGuidanceSensors,
  requireToken,
  RpcError,
  RpcServer,
  RpcStatus,
  type PolicyRef,
  type TracingPolicyBackend,
  type TracingPolicyModeName,
  type TracingPolicyStatusJson,
} from '@vigil/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEndpoint } from '../src/all-in-one/endpoint-file';
import { CLEAN_ENV, vigil as run } from './in-process';

// `vigil tracingpolicy` against real gRPC servers started here: Tetragon's FineGuidanceSensors
// from libs/rpc (the collector's server code) over a RECORDING TEST DOUBLE of the node's policy
// runtime — it validates YAML with the same parser the collector uses, so refusals carry real
// file:line:col diagnostics — and the real policy engine (vigil.v1.PolicyService, tokens, audit)
// on an in-process bus. The commands run in this process (test/in-process.ts).

const vigil = (args: string[], env: Record<string, string | undefined> = {}) => run(args, { ...CLEAN_ENV, ...env });

const NODE_TOKEN = 'node-token-0123456789';
const ADMIN_TOKEN = 'admin-token-0123456789';
const TEAM_A_TOKEN = 'team-a-token-0123456789';
const TOKENS = JSON.stringify({
  tokens: [
    { subject: 'alice', token: ADMIN_TOKEN, admin: true },
    { subject: 'team-a-ci', token: TEAM_A_TOKEN, namespaces: ['team-a'] },
  ],
});

function clusterPolicy(name = 'block-nc', call = 'sys_connect'): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: ${name}
spec:
  kprobes:
  - call: "${call}"
    syscall: true
    args:
    - index: 0
      type: "int"
`;
}

function namespacedPolicy(namespace: string, name = 'watch-open'): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicyNamespaced
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
`;
}

/** Two errors: an unknown arg type (line 11, column 13) and a bad operator (line 14). */
const INVALID_POLICY = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: broken
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "strang"
    selectors:
    - matchArgs:
      - operator: "Equalz"
        index: 1
        values: ["/etc/shadow"]
`;

/**
 * TEST DOUBLE of the collector's policy runtime behind Tetragon's API: records every call, keeps
 * the policies in a map, parses YAML with @vigil/policy (as the collector's NodePolicies does) and
 * refuses like it: ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION for a policy the engine owns.
 */
class RecordingPolicyRuntimeDouble implements TracingPolicyBackend {
  readonly calls: string[] = [];
  readonly policies = new Map<string, TracingPolicyStatusJson>();
  /** Names refused as centrally managed, like policies that came from vigil.policies. */
  readonly managed = new Set<string>();

  async add(yaml: string): Promise<void> {
    const parsed = parsePolicy(yaml, 'AddTracingPolicy.yaml');
    if (!parsed.ok) throw new RpcError(RpcStatus.INVALID_ARGUMENT, parsed.errors.map(formatDiagnostic).join('\n'));
    const { name, namespace } = parsed.policy.metadata as { name: string; namespace?: string };
    if (this.policies.has(name)) throw new RpcError(RpcStatus.ALREADY_EXISTS, `policy "${name}" is already loaded`);
    this.calls.push(`add ${name}`);
    this.policies.set(name, {
      id: String(this.policies.size + 1),
      name,
      ...(namespace ? { namespace } : {}),
      info: 'spec.kprobes[0]: kprobe on __x64_sys_connect',
      sensors: ['kprobe sensor'],
      enabled: true,
      state: 'TP_STATE_ENABLED',
      mode: 'TP_MODE_ENFORCE',
      kernel_memory_bytes: '40960',
      hook_statuses: [{ section: 'spec.kprobes[0]', state: 'STATUS_LOADED', hook_description: 'sys_connect (kprobe)' }],
    });
  }

  async delete(ref: PolicyRef): Promise<void> {
    this.find(ref);
    this.calls.push(`delete ${ref.namespace}/${ref.name}`);
    this.policies.delete(ref.name);
  }

  async list(): Promise<TracingPolicyStatusJson[]> {
    this.calls.push('list');
    return [...this.policies.values()];
  }

  async configure(ref: PolicyRef, change: { enable?: boolean; mode?: TracingPolicyModeName }): Promise<void> {
    const p = this.find(ref);
    this.calls.push(`configure ${ref.namespace}/${ref.name} ${JSON.stringify(change)}`);
    if (change.enable !== undefined) {
      p.enabled = change.enable;
      p.state = change.enable ? 'TP_STATE_ENABLED' : 'TP_STATE_DISABLED';
    }
    if (change.mode) p.mode = change.mode;
  }

  private find(ref: PolicyRef): TracingPolicyStatusJson {
    const p = this.policies.get(ref.name);
    if (!p || (p.namespace ?? '') !== ref.namespace)
      throw new RpcError(
        RpcStatus.NOT_FOUND,
        `policy "${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}" is not loaded on this node`,
      );
    if (this.managed.has(ref.name))
      throw new RpcError(RpcStatus.FAILED_PRECONDITION, `policy "${ref.name}" is managed by the policy engine`);
    return p;
  }
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-tp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

/** A data directory whose run.json names this process (alive) with the given gRPC addresses. */
function dataDir(name: string, grpc: { node?: string; fleet?: string; policies?: string }): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  writeEndpoint(dir, {
    url: 'http://127.0.0.1:1',
    pid: process.pid,
    startedAt: new Date().toISOString(),
    grpc: { node: '', fleet: '', policies: '', ...grpc },
  });
  return dir;
}

describe("vigil tracingpolicy — this node's Tetragon API (FineGuidanceSensors)", () => {
  const runtime = new RecordingPolicyRuntimeDouble();
  const sensors = fineGuidanceSensors({
    events: new EventFanout(),
    policies: runtime,
    version: '0.1.0-test',
    health: () => [],
  });
  const open = new RpcServer();
  const secured = new RpcServer({ authorize: requireToken(NODE_TOKEN) });
  const socket = `unix://${path.join(tmp, 'node', 'vigil.sock')}`;
  let securedAddress = '';
  let dir = '';

  beforeAll(async () => {
    open.addService(sensors.definition, sensors.handlers);
    secured.addService(sensors.definition, sensors.handlers);
    await open.listen(socket);
    securedAddress = `127.0.0.1:${await secured.listen('127.0.0.1:0')}`;
    // As `vigil run` records it: the node API on a Unix socket in the data directory.
    dir = dataDir('node', { node: socket });
  });
  afterAll(async () => {
    await Promise.all([open.close(), secured.close()]);
  });

  it('adds, lists (table and JSON), sets the mode, disables, enables and deletes, found through run.json', async () => {
    const policy = file('block-nc.yaml', clusterPolicy());
    expect(await vigil(['tracingpolicy', 'add', policy, '--data-dir', dir])).toEqual({
      code: 0,
      stdout: `tracing policy from ${policy} added\n`,
      stderr: '',
    });

    const table = await vigil(['tp', 'list', '--data-dir', dir]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+NAMESPACE\s+STATE\s+MODE\s+ENABLED\s+KERNEL_MEMORY\s+SENSORS\s+HOOKS$/);
    expect(row).toMatch(
      /^1\s+block-nc\s+enabled\s+enforce\s+yes\s+40\.0 KiB\s+kprobe sensor\s+sys_connect \(kprobe\)$/,
    );
    expect(rest).toEqual([]);

    const json = await vigil(['tp', 'ls', '-o', 'json', '--data-dir', dir]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      policies: [
        { name: 'block-nc', state: 'TP_STATE_ENABLED', mode: 'TP_MODE_ENFORCE', kernel_memory_bytes: '40960' },
      ],
    });

    expect(await vigil(['tp', 'mode', 'block-nc', 'monitor', '--data-dir', dir])).toMatchObject({
      code: 0,
      stdout: 'tracing policy "block-nc" in monitor mode\n',
    });
    expect(await vigil(['tp', 'disable', 'block-nc', '--data-dir', dir])).toMatchObject({
      code: 0,
      stdout: 'tracing policy "block-nc" disabled\n',
    });
    const disabled = await vigil(['tp', 'list', '--data-dir', dir]);
    expect(disabled.stdout.split('\n')[1]).toMatch(/block-nc\s+disabled\s+monitor\s+no\s/);
    expect((await vigil(['tp', 'enable', 'block-nc', '--data-dir', dir])).code).toBe(0);
    expect(await vigil(['tp', 'delete', 'block-nc', '--data-dir', dir])).toMatchObject({
      code: 0,
      stdout: 'tracing policy "block-nc" deleted\n',
    });
    expect(await vigil(['tp', 'list', '--data-dir', dir])).toEqual({
      code: 0,
      stdout: '',
      stderr: '(no tracing policies)\n',
    });
    // Every call reached the runtime with Tetragon's fields: enable false travels as a set optional.
    expect(runtime.calls).toEqual([
      'add block-nc',
      'list',
      'list',
      'configure /block-nc {"mode":"TP_MODE_MONITOR"}',
      'configure /block-nc {"enable":false}',
      'list',
      'configure /block-nc {"enable":true}',
      'delete /block-nc',
      'list',
    ]);
  });

  it('sends the namespace of a namespaced policy, given as <namespace>:<name> or --namespace', async () => {
    await vigil(['tp', 'add', file('ns.yaml', namespacedPolicy('team-a')), '--server-address', socket]);
    await vigil(['tp', 'add', file('cluster.yaml', clusterPolicy('cluster-wide')), '--server-address', socket]);
    const listed = await vigil(['tp', 'list', '-n', 'team-a', '-o', 'json', '--server-address', socket]);
    expect(JSON.parse(listed.stdout).policies.map((p: { name: string }) => p.name)).toEqual(['watch-open']);
    await vigil(['tp', 'delete', 'cluster-wide', '--server-address', socket]);
    runtime.calls.length = 0;
    expect((await vigil(['tp', 'disable', 'team-a:watch-open', '--server-address', socket])).code).toBe(0);
    expect((await vigil(['tp', 'delete', 'watch-open', '-n', 'team-a', '--server-address', socket])).code).toBe(0);
    expect(runtime.calls).toEqual(['configure team-a/watch-open {"enable":false}', 'delete team-a/watch-open']);
  });

  it('shows every problem of a bad policy at its file:line:col and exits 2', async () => {
    const bad = file('broken.yaml', INVALID_POLICY);
    const res = await vigil(['tp', 'add', bad, '--server-address', socket]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^vigil: INVALID_ARGUMENT: /);
    // The server's name for the request's YAML is replaced by the file the user gave.
    expect(res.stderr).toContain(`${bad}:11:13: spec.kprobes[0].args[0].type:`);
    expect(res.stderr).toContain(`${bad}:14:19: spec.kprobes[0].selectors[0].matchArgs[0].operator:`);
    expect(res.stderr).not.toContain('AddTracingPolicy.yaml');
  });

  it('exits 2 for NOT_FOUND and ALREADY_EXISTS, 1 for FAILED_PRECONDITION, with the server’s words', async () => {
    const missing = await vigil(['tp', 'delete', 'nope', '--server-address', socket]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe('vigil: NOT_FOUND: policy "nope" is not loaded on this node\n');

    const policy = file('twice.yaml', clusterPolicy('twice'));
    expect((await vigil(['tp', 'add', policy, '--server-address', socket])).code).toBe(0);
    const again = await vigil(['tp', 'add', policy, '--server-address', socket]);
    expect(again).toMatchObject({ code: 2, stderr: 'vigil: ALREADY_EXISTS: policy "twice" is already loaded\n' });

    runtime.managed.add('twice');
    const managed = await vigil(['tp', 'mode', 'twice', 'enforce', '--server-address', socket]);
    expect(managed).toMatchObject({
      code: 1,
      stderr: 'vigil: FAILED_PRECONDITION: policy "twice" is managed by the policy engine\n',
    });
  });

  it('needs the token of a secured API: exit 1 with a hint without it; --token-file, --token or VIGIL_TOKEN pass', async () => {
    const anonymous = await vigil(['tp', 'list', '--server-address', securedAddress]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`${securedAddress}: UNAUTHENTICATED: ListTracingPolicies: missing`);
    expect(anonymous.stderr).toContain('hint: this API wants a bearer token');
    const tokenFile = file('node.token', `${NODE_TOKEN}\n`);
    expect((await vigil(['tp', 'list', '--server-address', securedAddress, '--token-file', tokenFile])).code).toBe(0);
    expect((await vigil(['tp', 'list', '--server-address', securedAddress, '--token', NODE_TOKEN])).code).toBe(0);
    expect((await vigil(['tp', 'list'], { VIGIL_SERVER_ADDRESS: securedAddress, VIGIL_TOKEN: NODE_TOKEN })).code).toBe(
      0,
    );
    // An explicit --token-file wins over VIGIL_TOKEN.
    const wrong = await vigil(['tp', 'list', '--server-address', securedAddress, '--token-file', tokenFile], {
      VIGIL_TOKEN: 'wrong-token-000000000',
    });
    expect(wrong.code).toBe(0);
  });

  it('exits 4 when nothing answers: connection refused, or the socket run.json names is gone', async () => {
    const port = await closedPort();
    const refused = await vigil(['tp', 'list', '--server-address', `127.0.0.1:${port}`]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe(
      `vigil: nothing answers at 127.0.0.1:${port} (--server-address): connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    const gone = dataDir('gone', { node: `unix://${path.join(tmp, 'gone', 'vigil.sock')}` });
    const noSocket = await vigil(['tp', 'list', '--data-dir', gone]);
    expect(noSocket.code).toBe(4);
    expect(noSocket.stderr).toContain(`(the vigil run of ${gone} (run.json)): connect ENOENT`);
  });

  it('exits 2 on a bad command line before calling anything', async () => {
    const policy = file('usage.yaml', clusterPolicy('usage'));
    const cases: Array<[string[], string]> = [
      [['tp', 'add', policy, '--update', '--server-address', socket], '--update needs --fleet'],
      [
        ['tp', 'add', policy, '--node-selector', 'role=web', '--server-address', socket],
        '--node-selector needs --fleet',
      ],
      [['tp', 'add', path.join(tmp, 'missing.yaml'), '--server-address', socket], 'cannot read it (ENOENT)'],
      [['tp', 'list', '--server-address', 'not an address'], "not a gRPC address: 'not an address'"],
      [['tp', 'list', '--policy-engine', '127.0.0.1:1'], '--policy-engine needs --fleet'],
      [
        ['tp', 'mode', 'usage', 'sometimes', '--server-address', socket],
        "value 'sometimes' is invalid for argument 'mode'",
      ],
      [
        ['tp', 'list', '-o', 'yaml', '--server-address', socket],
        "option '-o, --output <format>' argument 'yaml' is invalid",
      ],
      [
        ['tp', 'delete', 'a:b', '-n', 'c', '--server-address', socket],
        "'a:b' names namespace a but --namespace says c",
      ],
      [['tp', 'add', policy, '-n', 'team-a', '--server-address', socket], "--namespace: an added policy's namespace"],
    ];
    for (const [args, message] of cases) {
      const res = await vigil(args);
      expect({ args, code: res.code }).toEqual({ args, code: 2 });
      expect(res.stderr).toContain(message);
    }
    expect(runtime.calls.filter((c) => c.includes('usage'))).toEqual([]);
  });
});

describe('vigil tracingpolicy --fleet — the policy engine (vigil.v1.PolicyService)', () => {
  const bus = new InProcessBus();
  let app: INestApplication;
  let address = '';
  let adminFile = '';

  beforeAll(async () => {
    app = await NestFactory.create(
      PolicyEngineModule.register({
        bus,
        load: {
          env: {
            VIGIL_POLICY_ENGINE_TOKENS: TOKENS,
            VIGIL_POLICY_ENGINE_GRPC_ADDRESS: '127.0.0.1:0',
            VIGIL_POLICY_ENGINE_REPLAY_QUIET_MS: '0',
          },
        },
      }),
      { logger: false, abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    await app.get(PolicyLogProvider).log.whenReady();
    address = app.get(PolicyGrpcProvider).boundAddress;
    adminFile = file('admin.token', `${ADMIN_TOKEN}\n`);
  });
  afterAll(async () => {
    await app?.close();
    await bus.close();
  });

  const fleet = (...args: string[]) => [...args, '--fleet', '--policy-engine', address, '--token-file', adminFile];

  it('creates, refuses a second create, updates with --update, and reports each change with its version', async () => {
    const policy = file('fleet-block-nc.yaml', clusterPolicy());
    expect(await vigil(fleet('tp', 'add', policy, '--node-selector', 'role=web'))).toEqual({
      code: 0,
      stdout: 'policy "block-nc" created (version 1)\n',
      stderr: '',
    });
    const again = await vigil(fleet('tp', 'add', policy));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^vigil: ALREADY_EXISTS: .*block-nc/);
    expect(await vigil(fleet('tp', 'add', policy, '--update', '--node-selector', 'role=web'))).toMatchObject({
      code: 0,
      stdout: 'policy "block-nc" unchanged (version 1)\n',
    });
    const changed = file('fleet-block-nc-2.yaml', clusterPolicy('block-nc', 'sys_bind'));
    expect(await vigil(fleet('tp', 'add', changed, '--update', '--node-selector', 'role=web'))).toMatchObject({
      code: 0,
      stdout: 'policy "block-nc" updated (version 2)\n',
    });
  });

  it('lists with what the nodes report (GetPolicyStatus), as tables and as JSON', async () => {
    const status: PolicyStatus = {
      node: 'node-a',
      policy_id: 'block-nc',
      version: 2,
      state: 'POLICY_STATE_LOADED',
      error: '',
      mode: 'POLICY_MODE_ENFORCE',
      hooks: [
        {
          source: 'spec.kprobes[0]',
          target: 'sys_bind',
          mechanism: 'kprobe',
          how: 'kprobe on __x64_sys_bind',
          attachments: [],
        },
      ],
      counters: {},
      warnings: [],
      time: '2026-11-29T05:00:00Z',
      kernel_memory_bytes: '8192',
    };
    await bus.publish(Topic.policyStatus, [
      { key: 'node-a/block-nc', value: status },
      {
        key: 'node-b/block-nc',
        value: {
          ...status,
          node: 'node-b',
          version: 1,
          state: 'POLICY_STATE_ERROR',
          error: 'no BTF',
          hooks: [],
          kernel_memory_bytes: '0',
        },
      },
    ]);
    await bus.flush();

    const table = await vigil(fleet('tp', 'list'));
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const [policies, nodes] = table.stdout.split('\n\n');
    const lines = policies!.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+NAME\s+NAMESPACE\s+VERSION\s+STATE\s+MODE\s+ENABLED\s+KERNEL_MEMORY\s+NODES\s+NODE_SELECTOR\s+HOOKS$/,
    );
    expect(lines[1]).toMatch(
      /^block-nc\s+block-nc\s+2\s+error\s+enforce\s+yes\s+8\.0 KiB\s+1\/2 loaded, 1 failed, 1 behind\s+role=web\s+sys_bind \(kprobe\)$/,
    );
    const nodeLines = nodes!.trimEnd().split('\n');
    expect(nodeLines[0]).toMatch(/^POLICY\s+NODE\s+STATE\s+VERSION\s+MODE\s+KERNEL_MEMORY\s+TIME\s+ERROR$/);
    expect(nodeLines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 4))).toEqual([
      ['block-nc', 'node-a', 'loaded', '2'],
      ['block-nc', 'node-b', 'error', '1'],
    ]);

    const json = JSON.parse((await vigil(fleet('tp', 'list', '-o', 'json'))).stdout);
    expect(json.policies).toHaveLength(1);
    expect(json.policies[0]).toMatchObject({
      id: 'block-nc',
      version: 2,
      status: { version: 2, nodes_reporting: 2, current: 1, loaded: 1, failed: 1 },
    });
  });

  it('sets the mode, disables, enables and deletes; a repeated change is "unchanged"', async () => {
    expect((await vigil(fleet('tp', 'mode', 'block-nc', 'monitor'))).stdout).toBe(
      'policy "block-nc" in monitor mode (version 3)\n',
    );
    expect((await vigil(fleet('tp', 'disable', 'block-nc'))).stdout).toBe('policy "block-nc" disabled (version 4)\n');
    expect((await vigil(fleet('tp', 'disable', 'block-nc'))).stdout).toBe('policy "block-nc" unchanged (version 4)\n');
    expect((await vigil(fleet('tp', 'enable', 'block-nc'))).stdout).toBe('policy "block-nc" enabled (version 5)\n');
    expect(await vigil(fleet('tp', 'delete', 'block-nc'))).toEqual({
      code: 0,
      stdout: 'policy "block-nc" deleted\n',
      stderr: '',
    });
    const missing = await vigil(fleet('tp', 'delete', 'block-nc'));
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/^vigil: NOT_FOUND: .*block-nc/);
  });

  it('shows the engine’s problems with file:line:col of the given file and exits 2', async () => {
    const bad = file('fleet-broken.yaml', INVALID_POLICY);
    const res = await vigil(fleet('tp', 'add', bad));
    expect(res.code).toBe(2);
    const problems = res.stderr.split('\n').filter((l) => l.trim().startsWith(`${bad}:`));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(new RegExp(`^  ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:11:13: `));
    expect(res.stderr).not.toContain('ApplyPolicyRequest.yaml');
  });

  it('without a token exits 1 with a hint; a namespaced token is refused outside its namespaces (1), allowed in them', async () => {
    const none = await vigil(['tp', 'list', '--fleet', '--policy-engine', address]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('UNAUTHENTICATED');
    expect(none.stderr).toContain(
      'hint: the policy engine wants a bearer token: --token-file <file>, --token or VIGIL_TOKEN',
    );
    const teamA = ['--fleet', '--policy-engine', address, '--token', TEAM_A_TOKEN];
    const denied = await vigil(['tp', 'add', file('cluster-by-team.yaml', clusterPolicy('by-team')), ...teamA]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('PERMISSION_DENIED');
    expect(denied.stderr).toContain('cluster-wide ones need an admin token');
    const own = await vigil(['tp', 'add', file('team-a.yaml', namespacedPolicy('team-a')), ...teamA]);
    expect(own).toMatchObject({ code: 0, stdout: 'policy "team-a:watch-open" created (version 1)\n' });
    expect((await vigil(['tp', 'disable', 'watch-open', '-n', 'team-a', ...teamA])).stdout).toBe(
      'policy "team-a:watch-open" disabled (version 2)\n',
    );
    expect((await vigil(['tp', 'delete', 'team-a:watch-open', ...teamA])).code).toBe(0);
  });

  it('finds the local vigil run’s policy engine and admin token through the data directory', async () => {
    const dir = dataDir('fleet-local', { policies: address });
    fs.writeFileSync(path.join(dir, 'admin-token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const res = await vigil(['tp', 'list', '--fleet', '--data-dir', dir, '-o', 'json']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual({ policies: [] });
    // VIGIL_DATA_DIR works the same, and the empty table says so on stderr.
    expect(await vigil(['tp', 'list', '--fleet'], { VIGIL_DATA_DIR: dir })).toEqual({
      code: 0,
      stdout: '',
      stderr: '(no tracing policies)\n',
    });
  });

  it('exits 4 when the policy engine does not answer, or no vigil run is known', async () => {
    const port = await closedPort();
    const down = await vigil(['tp', 'list', '--fleet', '--policy-engine', `127.0.0.1:${port}`, '--token', ADMIN_TOKEN]);
    expect(down.code).toBe(4);
    expect(down.stderr).toContain(`nothing answers at 127.0.0.1:${port} (--policy-engine): connect ECONNREFUSED`);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const unknown = await vigil(['tp', 'list', '--fleet', '--data-dir', empty]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(`no policy engine address: no running vigil run for ${empty}`);
  });
});
