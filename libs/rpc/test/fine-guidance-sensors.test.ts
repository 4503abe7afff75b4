import path from 'node:path';
import { once } from 'node:events';
import type { ServiceError } from '@grpc/grpc-js';
import type { GetEventsResponse } from '@vigil/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventFanout,
  fineGuidanceSensors,
  RpcError,
  RpcServer,
  RpcStatus,
  requireToken,
  type PolicyRef,
  type TracingPolicyBackend,
  type TracingPolicyStatusJson,
} from '../src';
import { tetragonClient, type TetragonClient } from '../src/testing/tetragon-client';

// The server and the wire are real (grpc-js on a loopback port, Tetragon's schema on the client
// side); the backend is a RECORDING TEST DOUBLE of the collector's policy runtime, so this file
// checks the protocol. The collector's kernel tests drive the real runtime through the same calls.
const TETRAGON_API =
  process.env['VIGIL_TETRAGON_API'] ?? path.resolve(__dirname, '../../../../shared/tetragon-api/tetragon-api.json');
const TOKEN = 'test-token-0123456789';

/** An event or response as the Tetragon-schema client decodes it; read field by field in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Decoded = Record<string, any>;

class RecordingPolicies implements TracingPolicyBackend {
  readonly calls: string[] = [];
  readonly policies = new Map<string, TracingPolicyStatusJson>();
  async add(yaml: string): Promise<void> {
    const name = /name:\s*(\S+)/.exec(yaml)?.[1];
    if (!name) throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'metadata.name: required');
    this.calls.push(`add ${name}`);
    this.policies.set(name, { name, state: 'TP_STATE_ENABLED', mode: 'TP_MODE_ENFORCE', kernel_memory_bytes: '4096' });
  }
  async delete(ref: PolicyRef): Promise<void> {
    if (!this.policies.delete(ref.name)) throw new RpcError(RpcStatus.NOT_FOUND, `policy "${ref.name}" not found`);
    this.calls.push(`delete ${ref.name}`);
  }
  async list(): Promise<TracingPolicyStatusJson[]> {
    return [...this.policies.values()];
  }
  async configure(ref: PolicyRef, change: { enable?: boolean; mode?: string }): Promise<void> {
    const p = this.policies.get(ref.name);
    if (!p) throw new RpcError(RpcStatus.NOT_FOUND, `policy "${ref.name}" not found`);
    this.calls.push(`configure ${ref.name} ${JSON.stringify(change)}`);
    if (change.enable !== undefined) p.state = change.enable ? 'TP_STATE_ENABLED' : 'TP_STATE_DISABLED';
    if (change.mode) p.mode = change.mode as TracingPolicyStatusJson['mode'];
  }
}

function exec(pid: number, binary: string, namespace?: string): GetEventsResponse {
  return {
    process_exec: {
      process: {
        exec_id: Buffer.from(`node-a:${pid}00:${pid}`).toString('base64'),
        pid,
        uid: 0,
        binary,
        arguments: '-c true',
        start_time: '2026-11-29T05:00:00.123456789Z',
        ...(namespace ? { pod: { namespace, name: `${namespace}-pod` } } : {}),
      },
    },
    node_name: 'node-a',
    time: '2026-11-29T05:00:00.123456789Z',
  } as GetEventsResponse;
}

describe('FineGuidanceSensors over gRPC, driven by a client generated from Tetragon’s descriptor', () => {
  const fanout = new EventFanout();
  const policies = new RecordingPolicies();
  const sensors = fineGuidanceSensors(
    {
      events: fanout,
      policies,
      version: '0.1.0-test',
      health: () => [{ name: 'process hooks', ok: true, details: 'attached' }],
    },
    { maxQueuedPerStream: 50 },
  );
  const server = new RpcServer();
  const secured = new RpcServer({ authorize: requireToken(TOKEN) });
  let client: TetragonClient;
  let address = '';
  let securedAddress = '';

  beforeAll(async () => {
    server.addService(sensors.definition, sensors.handlers);
    secured.addService(sensors.definition, sensors.handlers);
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    securedAddress = `127.0.0.1:${await secured.listen('127.0.0.1:0')}`;
    client = tetragonClient(TETRAGON_API, address);
  });
  afterAll(async () => {
    client.close();
    await Promise.all([server.close(), secured.close()]);
  });

  it('GetVersion and GetHealth answer in Tetragon’s messages', async () => {
    expect(await client.unary('GetVersion')).toEqual({ version: '0.1.0-test' });
    expect(await client.unary('GetHealth')).toEqual({
      health_status: [
        { event: 'HEALTH_STATUS_TYPE_STATUS', status: 'HEALTH_STATUS_RUNNING', details: 'process hooks: attached' },
      ],
    });
  });

  it('GetEvents streams the events that pass the allow and deny lists, with wrappers and timestamps on the wire', async () => {
    const stream = cancellable(
      client.getEvents({
        allow_list: [{ binary_regex: ['^/usr/bin/(curl|cat)$'] }],
        deny_list: [{ namespace: ['kube-system'] }],
      }),
    );
    const got: Array<Decoded> = [];
    stream.on('data', (e: Decoded) => got.push(e));
    await waitFor(() => fanout.stats().subscribers === 1);
    fanout.publish([
      exec(10, '/usr/bin/curl'),
      exec(11, '/usr/bin/ls'),
      exec(12, '/usr/bin/cat', 'kube-system'),
      exec(13, '/usr/bin/cat', 'default'),
    ]);
    await waitFor(() => got.length >= 2);
    stream.cancel();
    expect(got.map((e) => e['process_exec'].process.pid)).toEqual([{ value: 10 }, { value: 13 }]);
    const first = got[0]!;
    expect(first['process_exec'].process.binary).toBe('/usr/bin/curl');
    expect(first['process_exec'].process.uid).toEqual({ value: 0 }); // a set UInt32Value of 0 stays set
    expect(first['process_exec'].process.start_time).toEqual({
      seconds: String(Date.parse('2026-11-29T05:00:00Z') / 1000),
      nanos: 123456789,
    });
    expect(first['node_name']).toBe('node-a');
    await waitFor(() => fanout.stats().subscribers === 0);
  });

  it('GetEvents applies field filters: only the included fields reach the client', async () => {
    const stream = cancellable(
      client.getEvents({
        field_filters: [
          { event_set: ['PROCESS_EXEC'], fields: { paths: ['process.binary', 'process.pid'] }, action: 'INCLUDE' },
        ],
      }),
    );
    const got: Array<Decoded> = [];
    stream.on('data', (e: Decoded) => got.push(e));
    await waitFor(() => fanout.stats().subscribers === 1);
    fanout.publish([exec(20, '/usr/bin/curl')]);
    await waitFor(() => got.length >= 1);
    stream.cancel();
    expect(got[0]!['process_exec'].process).toEqual({ binary: '/usr/bin/curl', pid: { value: 20 } });
  });

  it('GetEvents refuses an invalid filter or aggregation option with INVALID_ARGUMENT naming it', async () => {
    const bad = client.getEvents({ allow_list: [{ binary_regex: ['('] }] });
    const [error] = (await once(bad, 'error')) as [ServiceError];
    expect(error.code).toBe(RpcStatus.INVALID_ARGUMENT);
    expect(error.details).toMatch(/allow_list\[0\]\.binary_regex\[0\]/);
    const aggregated = client.getEvents({ aggregation_options: { window_size: { seconds: -5 } } });
    const [error2] = (await once(aggregated, 'error')) as [ServiceError];
    expect(error2.code).toBe(RpcStatus.INVALID_ARGUMENT);
    expect(error2.details).toMatch(/aggregation_options\.window_size: -5s is not a positive duration/);
  });

  it('GetEvents with aggregation options streams events one by one, as Tetragon, its queue the channel buffer size', async () => {
    const before = sensors.stats();
    const stream = cancellable(
      client.getEvents({ aggregation_options: { window_size: { seconds: 15 }, channel_buffer_size: 5 } }),
    );
    const got: Decoded[] = [];
    stream.on('data', (e: Decoded) => got.push(e));
    await waitFor(() => fanout.stats().subscribers === 1);
    fanout.publish([exec(40, '/usr/bin/a'), exec(41, '/usr/bin/b')]);
    await waitFor(() => got.length >= 2);
    expect(got.map((e) => [e['process_exec'].process.pid.value, e['aggregation_info']])).toEqual([
      [40, undefined],
      [41, undefined],
    ]);
    stream.pause();
    const big = exec(42, `/usr/bin/${'y'.repeat(60_000)}`);
    for (let i = 0; i < 100; i++) fanout.publish([big]);
    stream.cancel();
    await waitFor(() => fanout.stats().subscribers === 0);
    // A paused client with a 5-event queue: most of the 100 are dropped, all of them accounted for.
    const after = sensors.stats();
    expect(after.dropped - before.dropped).toBeGreaterThan(50);
    expect(after.sent - before.sent + (after.dropped - before.dropped)).toBe(102);
  });

  it('a client that does not read loses events to its bounded queue, counted, without slowing others', async () => {
    const before = sensors.stats();
    const stream = cancellable(client.getEvents({}));
    stream.pause();
    await waitFor(() => fanout.stats().subscribers === 1);
    const big = exec(30, `/usr/bin/${'x'.repeat(60_000)}`);
    for (let i = 0; i < 200; i++) fanout.publish([big]);
    expect(sensors.stats().dropped - before.dropped).toBeGreaterThan(0);
    stream.cancel();
    await waitFor(() => fanout.stats().subscribers === 0);
    // What still waited in the queue when the stream ended counts as dropped too: none unaccounted.
    const after = sensors.stats();
    expect(after.sent - before.sent + (after.dropped - before.dropped)).toBe(200);
  });

  it('tracing policy calls: add, list, configure (and deprecated disable/enable), delete, with Tetragon’s errors', async () => {
    await client.unary('AddTracingPolicy', { yaml: 'metadata:\n  name: block-cat\n' });
    expect(await client.unary('ListTracingPolicies')).toEqual({
      policies: [
        { name: 'block-cat', state: 'TP_STATE_ENABLED', mode: 'TP_MODE_ENFORCE', kernel_memory_bytes: '4096' },
      ],
    });
    await client.unary('ConfigureTracingPolicy', { name: 'block-cat', mode: 'TP_MODE_MONITOR' });
    await client.unary('DisableTracingPolicy', { name: 'block-cat' });
    expect(((await client.unary('ListTracingPolicies'))['policies'] as Decoded[])[0]).toMatchObject({
      state: 'TP_STATE_DISABLED',
      mode: 'TP_MODE_MONITOR',
    });
    await client.unary('ConfigureTracingPolicy', { name: 'block-cat', enable: true });
    await client.unary('DeleteTracingPolicy', { name: 'block-cat' });
    expect(policies.calls).toEqual([
      'add block-cat',
      'configure block-cat {"mode":"TP_MODE_MONITOR"}',
      'configure block-cat {"enable":false}',
      'configure block-cat {"enable":true}',
      'delete block-cat',
    ]);
    await expect(client.unary('DeleteTracingPolicy', { name: 'block-cat' })).rejects.toMatchObject({
      code: RpcStatus.NOT_FOUND,
    });
    await expect(client.unary('AddTracingPolicy', { yaml: '' })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
    });
    await expect(client.unary('ConfigureTracingPolicy', { name: 'x' })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
    });
    await expect(client.unary('ListSensors')).rejects.toMatchObject({ code: RpcStatus.UNIMPLEMENTED });
  });

  it('with a token configured, calls without it or with a wrong one are UNAUTHENTICATED, the right one passes', async () => {
    const anonymous = tetragonClient(TETRAGON_API, securedAddress);
    const wrong = tetragonClient(TETRAGON_API, securedAddress, 'nope');
    const right = tetragonClient(TETRAGON_API, securedAddress, TOKEN);
    try {
      await expect(anonymous.unary('GetVersion')).rejects.toMatchObject({ code: RpcStatus.UNAUTHENTICATED });
      await expect(wrong.unary('ListTracingPolicies')).rejects.toMatchObject({ code: RpcStatus.UNAUTHENTICATED });
      const [error] = (await once(anonymous.getEvents({}), 'error')) as [ServiceError];
      expect(error.code).toBe(RpcStatus.UNAUTHENTICATED);
      expect(await right.unary('GetVersion')).toEqual({ version: '0.1.0-test' });
    } finally {
      for (const c of [anonymous, wrong, right]) c.close();
    }
  });
});

/** A stream the test cancels: its CANCELLED status is expected, any other error fails the test. */
function cancellable<T extends NodeJS.EventEmitter>(stream: T): T {
  stream.on('error', (e: ServiceError) => {
    if (e.code !== RpcStatus.CANCELLED) throw e;
  });
  return stream;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
