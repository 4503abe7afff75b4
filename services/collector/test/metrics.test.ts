/**
 * vigil_collector_* without a kernel: CollectorMetrics over the real ProcessPipeline (its kernel
 * source a stand-in the test feeds raw records to), JSON export, ContainerTagger, NodePolicySync
 * (a recording policy target), NodeWorkloads and the gRPC endpoint's counters, on the in-process
 * bus — each metric moved by what causes it, and docs/metrics.md naming exactly what is served.
 * The kernel side (ring buffer, real policies, the module over HTTP) is test/kernel/metrics.test.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawHookEvent, RawProcessEvent } from '@vigil/bpf-native';
import { InProcessBus, Topic } from '@vigil/bus';
import { loadConfig } from '@vigil/config';
import type { PolicyRecord, WorkloadMap } from '@vigil/contracts';
import { JsonExportWriter } from '@vigil/events';
import type { CompiledHook, PolicyStatus } from '@vigil/policy-kernel';
import { ProcessCache } from '@vigil/process-cache';
import { Metrics, metricsDocProblems, Readiness, sampleValue } from '@vigil/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { clock, exec, exit, MS, NODE, seeded } from '../../../libs/process-cache/test/raw';
import { RecordingPolicyTarget } from '../../../libs/policy-kernel/test/sync/recording-policy-target';
import { CollectorBus } from '../src/collector-bus';
import { collectorSchema } from '../src/collector.config';
import { ContainerTagger } from '../src/container-tagger';
import { SensorsEndpoint } from '../src/grpc/sensors-endpoint';
import { CollectorMetrics } from '../src/metrics';
import { NodePolicySync } from '../src/node-policy-sync';
import { NodeWorkloads } from '../src/node-workloads';
import { ProcessPipeline } from '../src/process-pipeline';
import type { ProcessPipelineProvider } from '../src/process-pipeline.provider';

const DOC = path.resolve(__dirname, '../../../docs/metrics.md');
const YAML = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: block-nc
spec:
  kprobes:
  - call: "sys_connect"
    syscall: true
`;

const record = (version: number): PolicyRecord => ({
  id: 'block-nc',
  name: 'block-nc',
  namespace: '',
  kind: 'TracingPolicy',
  version,
  yaml: YAML,
  yaml_sha256: createHash('sha256').update(YAML).digest('hex'),
  enabled: true,
  mode: 'POLICY_MODE_ENFORCE',
  created_by: 'alice',
  created_at: '',
  updated_by: 'alice',
  updated_at: '',
  audit: [],
  audit_dropped: 0,
});

const workloadMap = (generation: number): WorkloadMap => ({
  node_name: NODE,
  generation,
  time: new Date().toISOString(),
  pods: [
    {
      uid: '00000000-0000-0000-0000-000000000001',
      namespace: 'shop',
      name: 'web',
      labels: {},
      workload: 'web',
      workload_kind: 'Deployment',
      containers: [{ id: 'c'.repeat(64), name: 'app', image: 'example.com/app:1', runtime: 'containerd' }],
    },
  ],
});

/** A hook event as the kernel side delivers it. */
const hookEvent = (hookId: number, pid: number, ktime: bigint): RawHookEvent => ({
  kind: 'hook',
  time: ktime + 5n * MS,
  pid,
  tid: pid,
  ktime,
  hookId,
  action: 'Post',
  actionArg: 0,
  enforced: false,
  monitorOnly: false,
  actionError: false,
  truncated: false,
  args: [],
});

const kernelStats = {
  received: 0,
  lostKernel: 0,
  lostKernelByKind: { exec: 0, fork: 0, exit: 0 },
  droppedUserspace: 0,
  batches: 0,
  malformed: 0,
  procMapFull: 0,
};

const stops: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

function setup(exportFile?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-metrics-'));
  stops.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig(collectorSchema, {
    env: { VIGIL_NODE_NAME: NODE, VIGIL_NODE_LABELS: 'zone=eu', VIGIL_GRPC_ADDRESS: '' },
  });
  const bus = new InProcessBus();
  const transport = new CollectorBus(config, { bus });
  let deliver: (raws: RawProcessEvent[]) => void = () => {};
  const cache = new ProcessCache({ nodeName: NODE, clock, ancestors: false, capacity: 64 });
  const pipeline = new ProcessPipeline({
    cache,
    bus: transport.bus,
    export: new JsonExportWriter({
      filename: exportFile ?? path.join(dir, 'events.log'),
      maxSizeBytes: 4096,
      maxBackups: 2,
      onError: () => {},
    }),
    containers: new ContainerTagger((execId) => cache.get(execId)),
    openSource: (onEvents) => {
      deliver = onEvents;
      return {
        stats: () => structuredClone(kernelStats),
        close: () => {},
        sharedMaps: () => {
          throw new Error('no kernel here');
        },
      };
    },
    readProc: () => ({ processes: [seeded(1, 1n * MS, 0, 0n)], vanished: 0, failed: 0 }),
  });
  const policies: PolicyStatus[] = [];
  const provider = {
    pipeline,
    policies: { list: () => policies },
    workloadRefreshFailures: 0,
  } as unknown as ProcessPipelineProvider;
  const sync = new NodePolicySync(config, transport);
  const workloads = new NodeWorkloads(config, transport);
  const sensors = new SensorsEndpoint(config, provider, sync, new Readiness());
  const metrics = new Metrics('collector', bus);
  new CollectorMetrics(metrics, provider, transport, sync, workloads, sensors);
  pipeline.start();
  stops.push(async () => {
    sync.stop();
    workloads.stop();
    await pipeline.close();
  });
  /** The metrics once what was delivered so far is published and written. */
  const text = async () => {
    await new Promise((r) => setTimeout(r, 50));
    await bus.flush();
    return metrics.text();
  };
  return {
    bus,
    provider,
    pipeline,
    policies,
    sync,
    workloads,
    metrics,
    deliver: (r: RawProcessEvent[]) => deliver(r),
    text,
  };
}

const hook: CompiledHook = { userActions: [] } as unknown as CompiledHook;

describe('collector metrics (no kernel)', () => {
  it('counts events by type and policy, observes their latency, and follows the process cache, export and bus', async () => {
    const t = setup();
    let text = await t.text();
    // The /proc seed: one exec, counted, not observed for latency (its time is the process's start).
    expect(sampleValue(text, 'vigil_collector_events_total', { type: 'exec' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_event_latency_seconds_count')).toBe(0);
    expect(sampleValue(text, 'vigil_collector_processes_seeded')).toBe(1);

    t.pipeline.usePolicies({ lookup: (id) => (id === 7 ? { policyName: 'watch', hook } : undefined) });
    t.deliver([
      exec(100, 10n * MS, 1, 1n * MS),
      hookEvent(7, 100, 10n * MS),
      hookEvent(9, 100, 10n * MS),
      exit(100, 10n * MS),
      // An exit of a process never seen, and an exec whose parent is unknown.
      exit(555, 20n * MS),
      exec(101, 30n * MS, 999, 2n * MS),
    ]);
    text = await t.text();
    expect(sampleValue(text, 'vigil_collector_events_total', { type: 'exec', policy: '' })).toBe(3);
    expect(sampleValue(text, 'vigil_collector_events_total', { type: 'exit' })).toBe(2);
    expect(sampleValue(text, 'vigil_collector_events_total', { type: 'kprobe', policy: 'watch' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_event_latency_seconds_count', { type: 'exec' })).toBe(2);
    expect(sampleValue(text, 'vigil_collector_event_latency_seconds_count', { type: 'kprobe' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_hook_events_unknown_total')).toBe(1);
    expect(sampleValue(text, 'vigil_collector_events_published_total')).toBe(6);
    expect(sampleValue(text, 'vigil_bus_published_total', { topic: Topic.eventsRaw })).toBe(6);
    expect(sampleValue(text, 'vigil_collector_process_cache_size')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'vigil_collector_process_cache_cases_total', { case: 'exit_without_process' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_process_cache_cases_total', { case: 'parent_unknown' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_process_cache_lookups_total')).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_collector_containers_tagged_total')).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_collector_export_events_written_total')).toBe(6);
    expect(sampleValue(text, 'vigil_collector_export_bytes_written_total')).toBeGreaterThan(1000);

    // A cache of 64: 70 more live processes evict the oldest, still referenced (alive).
    t.deliver(Array.from({ length: 70 }, (_, i) => exec(200 + i, 40n * MS + BigInt(i), 1, 1n * MS)));
    text = await t.text();
    expect(sampleValue(text, 'vigil_collector_process_cache_evictions_total', { referenced: 'true' })).toBeGreaterThan(
      0,
    );
    // The export rotates past 4 KiB.
    expect(sampleValue(text, 'vigil_collector_export_rotations_total')).toBeGreaterThan(0);
  });

  it('counts events the bus refused and events the export could not write', async () => {
    // The export file's directory is a regular file: every open fails (ENOTDIR).
    const notDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-metrics-')), 'file');
    fs.writeFileSync(notDir, '');
    stops.push(() => fs.rmSync(path.dirname(notDir), { recursive: true, force: true }));
    const t = setup(path.join(notDir, 'events.log'));
    const publish = t.bus.publish.bind(t.bus);
    t.bus.publish = (topic, messages) =>
      topic === Topic.eventsRaw ? Promise.reject(new Error('transport down')) : publish(topic, messages);
    t.deliver([exec(100, 10n * MS, 1, 1n * MS), exit(100, 10n * MS)]);
    const text = await t.text();
    // The /proc seed's exec too: its publish was still pending when the bus went away.
    expect(sampleValue(text, 'vigil_collector_events_failed_total')).toBe(3);
    expect(
      sampleValue(text, 'vigil_collector_export_events_dropped_total', { reason: 'error' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('shows the kernel source’s counters as the source reports them', async () => {
    const t = setup();
    Object.assign(kernelStats, {
      received: 10,
      lostKernelByKind: { exec: 3, fork: 0, exit: 1 },
      droppedUserspace: 2,
      batches: 4,
      malformed: 1,
      procMapFull: 5,
    });
    try {
      const text = await t.text();
      expect(sampleValue(text, 'vigil_collector_kernel_events_received_total')).toBe(10);
      expect(sampleValue(text, 'vigil_collector_kernel_events_lost_total', { kind: 'exec' })).toBe(3);
      expect(sampleValue(text, 'vigil_collector_userspace_dropped_total')).toBe(2);
      expect(sampleValue(text, 'vigil_collector_kernel_batches_total')).toBe(4);
      expect(sampleValue(text, 'vigil_collector_kernel_records_malformed_total')).toBe(1);
      expect(sampleValue(text, 'vigil_collector_kernel_proc_map_full_total')).toBe(5);
    } finally {
      Object.assign(kernelStats, {
        received: 0,
        lostKernelByKind: { exec: 0, fork: 0, exit: 0 },
        droppedUserspace: 0,
        batches: 0,
        malformed: 0,
        procMapFull: 0,
      });
    }
  });

  it('shows the policies by state and mode with their kernel counters, PolicySync and the workload map', async () => {
    const t = setup();
    t.policies.push({
      name: 'watch',
      namespace: 'shop',
      state: 'enabled',
      mode: 'monitor',
      hooks: [],
      warnings: [],
      counters: { calls: 12n, matched: 3n, posted: 3n, sigkill: 1n } as PolicyStatus['counters'],
      kernelMemory: 8192,
    });
    const target = new RecordingPolicyTarget();
    t.sync.start(target);
    await t.bus.publish(Topic.policies, [{ key: 'block-nc', value: record(1) }]);
    await t.bus.publish(Topic.policies, [{ key: 'block-nc', value: record(1) }]);
    t.workloads.start();
    await t.bus.publish(Topic.workloads, [
      { key: NODE, value: workloadMap(1) },
      { key: 'other-node', value: workloadMap(1) },
      { key: NODE, value: { node_name: NODE, pods: 'not a list' } as unknown as WorkloadMap },
    ]);
    const text = await t.text();
    expect(sampleValue(text, 'vigil_collector_policies', { state: 'enabled', mode: 'monitor' })).toBe(1);
    expect(
      sampleValue(text, 'vigil_collector_policy_info', { policy: 'watch', namespace: 'shop', state: 'enabled' }),
    ).toBe(1);
    expect(sampleValue(text, 'vigil_collector_policy_hook_counts_total', { policy: 'watch', counter: 'calls' })).toBe(
      12,
    );
    expect(sampleValue(text, 'vigil_collector_policy_hook_counts_total', { policy: 'watch', counter: 'sigkill' })).toBe(
      1,
    );
    expect(sampleValue(text, 'vigil_collector_policy_kernel_memory_bytes', { policy: 'watch' })).toBe(8192);
    expect(sampleValue(text, 'vigil_collector_policy_sync_records_total', { result: 'applied' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_policy_sync_records_total', { result: 'unchanged' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_policy_status_published_total', { result: 'ok' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sampleValue(text, 'vigil_collector_workload_map_pods')).toBe(1);
    expect(sampleValue(text, 'vigil_collector_workload_map_messages_total', { result: 'applied' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_workload_map_messages_total', { result: 'other_node' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_workload_map_messages_total', { result: 'malformed' })).toBe(1);
    (t.provider as { workloadRefreshFailures: number }).workloadRefreshFailures = 2;
    expect(sampleValue(await t.metrics.text(), 'vigil_collector_workload_refresh_failures_total')).toBe(2);
  });

  it('serves exactly the metrics docs/metrics.md documents for the collector and the bus', async () => {
    const t = setup();
    expect(
      metricsDocProblems(fs.readFileSync(DOC, 'utf8'), await t.text(), ['vigil_collector_', 'vigil_bus_']),
    ).toEqual([]);
  });
});
