import { Injectable } from '@nestjs/common';
import type { GetEventsResponse } from '@vigil/events';
import type { PolicyStatus } from '@vigil/policy-kernel';
import { byLabel, Metrics, perScrape, registerGrpcStreamMetrics, type LabelValues } from '@vigil/service-kit';
import { CollectorBus } from './collector-bus';
import { SensorsEndpoint } from './grpc/sensors-endpoint';
import { NodePolicySync } from './node-policy-sync';
import { NodeWorkloads } from './node-workloads';
import { ProcessPipelineProvider } from './process-pipeline.provider';

const KINDS = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_lsm',
  'process_uprobe',
  'process_loader',
] as const;

/** The event's type ("exec", "kprobe", …), its payload's policy ("" for exec/exit), and its kernel time (ms). */
function describe(event: GetEventsResponse): { type: string; policy: string; timeMs?: number } | undefined {
  for (const kind of KINDS) {
    const payload = event[kind] as { policy_name?: string; process?: { flags?: string } } | undefined;
    if (!payload) continue;
    // Processes read from /proc at start carry their start time, not a kernel event's.
    const seeded = payload.process?.flags?.includes('procFS') ?? false;
    const timeMs = event.time && !seeded ? Date.parse(event.time) : undefined;
    return { type: kind.slice('process_'.length), policy: payload.policy_name ?? '', timeMs };
  }
  return undefined;
}

/** Samples counting policies by the given labels. */
function countBy(policies: PolicyStatus[], labels: (p: PolicyStatus) => LabelValues): Array<[LabelValues, number]> {
  const counts = new Map<string, [LabelValues, number]>();
  for (const p of policies) {
    const l = labels(p);
    const key = JSON.stringify(l);
    const entry = counts.get(key) ?? [l, 0];
    entry[1]++;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/**
 * The collector's metrics (vigil_collector_*, docs/metrics.md). Events by type and policy and the
 * kernel→user-space latency are observed on the pipeline's listener (every emitted batch, the
 * hook the gRPC API uses too); everything else is read at scrape time from the pipeline's
 * stats() (kernel ring buffer, process cache, JSON export, user actions), the PolicyRuntime's
 * status (each policy's state, mode and kernel counters), PolicySync, the workload map and the
 * gRPC API. The bus is the collector's own (vigil_bus_*).
 */
@Injectable()
export class CollectorMetrics {
  constructor(
    metrics: Metrics,
    provider: ProcessPipelineProvider,
    transport: CollectorBus,
    sync: NodePolicySync,
    workloads: NodeWorkloads,
    sensors: SensorsEndpoint,
  ) {
    metrics.useBus(transport.bus);
    const stats = perScrape(() => provider.pipeline.stats());
    const policies = perScrape(() => provider.policies?.list() ?? []);
    const syncStatus = perScrape(() => sync.status());
    const workloadStatus = perScrape(() => workloads.status());

    const events = metrics.counter({
      name: 'events_total',
      help: 'Events the collector emitted (bus, JSON export, gRPC), by type (exec, exit, kprobe, tracepoint, lsm, uprobe, loader) and policy ("" for exec and exit); the exec events of processes found in /proc at start included.',
      labelNames: ['type', 'policy'],
    });
    const latency = metrics.histogram({
      name: 'event_latency_seconds',
      help: 'From the kernel timestamp of an event to its hand-over to the outputs (ring buffer, decoding, process cache, container tagging), by type; processes found in /proc at start are not observed.',
      labelNames: ['type'],
    });
    provider.pipeline.addListener((batch) => {
      const now = Date.now();
      for (const event of batch) {
        const d = describe(event);
        if (!d) continue;
        events.inc({ type: d.type, policy: d.policy });
        if (d.timeMs !== undefined && Number.isFinite(d.timeMs))
          latency.observe({ type: d.type }, Math.max(0, now - d.timeMs) / 1000);
      }
    });

    // Kernel side: the ring buffer and the reader thread.
    metrics.counterFrom(
      { name: 'kernel_events_received_total', help: 'Records read from the BPF ring buffer and decoded.' },
      () => stats().kernel.received,
    );
    metrics.counterFrom(
      {
        name: 'kernel_events_lost_total',
        help: 'Records the kernel could not put in the ring buffer (full), by kind (exec, fork, exit): the per-CPU vigil_lost counters.',
        labelNames: ['kind'],
      },
      () => byLabel('kind', stats().kernel.lostKernelByKind),
    );
    metrics.counterFrom(
      {
        name: 'userspace_dropped_total',
        help: 'Records dropped between the native ring-buffer reader thread and JavaScript (its bounded queue was full).',
      },
      () => stats().kernel.droppedUserspace,
    );
    metrics.counterFrom(
      { name: 'kernel_batches_total', help: 'Batches of records handed from the reader thread to JavaScript.' },
      () => stats().kernel.batches,
    );
    metrics.counterFrom(
      {
        name: 'kernel_records_malformed_total',
        help: 'Ring-buffer records that did not decode (unknown type or version).',
      },
      () => stats().kernel.malformed,
    );
    metrics.counterFrom(
      {
        name: 'kernel_proc_map_full_total',
        help: 'Times the kernel’s process map (vigil_procs) was full: a process not tracked there.',
      },
      () => stats().kernel.procMapFull,
    );

    // User space: the pipeline's own counters.
    metrics.counterFrom(
      { name: 'events_published_total', help: 'Events the bus accepted on vigil.events.raw.' },
      () => stats().published,
    );
    metrics.counterFrom(
      {
        name: 'events_failed_total',
        help: 'Events lost in the pipeline: a record the cache could not handle, or a batch the bus refused.',
      },
      () => stats().failedEvents,
    );
    metrics.counterFrom(
      {
        name: 'hook_events_unknown_total',
        help: 'Hook records of a hook no longer loaded (its policy removed meanwhile): dropped.',
      },
      () => stats().hookEventsUnknown,
    );
    metrics.gaugeFrom({ name: 'processes_seeded', help: 'Processes found in /proc at start.' }, () => stats().seeded);

    // The process cache.
    metrics.gaugeFrom(
      {
        name: 'process_cache_size',
        help: 'Processes in the process cache (live ones and exited ancestors still referenced).',
      },
      () => stats().cache.size,
    );
    metrics.counterFrom(
      {
        name: 'process_cache_lookups_total',
        help: 'Process cache lookups by events and callers, by result (hit, miss).',
        labelNames: ['result'],
      },
      () => byLabel('result', { hit: stats().cache.hits, miss: stats().cache.misses }),
    );
    metrics.counterFrom(
      {
        name: 'process_cache_evictions_total',
        help: 'Entries evicted from the full process cache, by whether they were still referenced (a live process or a live descendant’s ancestor).',
        labelNames: ['referenced'],
      },
      () => {
        const c = stats().cache;
        return byLabel('referenced', { false: c.evictions - c.evictionsReferenced, true: c.evictionsReferenced });
      },
    );
    metrics.counterFrom(
      {
        name: 'process_cache_cases_total',
        help: 'Out-of-order and missing-information cases the process cache handled, by case: exit_without_process, start_after_exit, parent_unknown, parent_linked_late, proc_fallback, missed_exit, duplicate, hook_without_process.',
        labelNames: ['case'],
      },
      () => {
        const c = stats().cache;
        return byLabel('case', {
          exit_without_process: c.exitsWithoutProcess,
          start_after_exit: c.startsAfterExit,
          parent_unknown: c.parentsUnknown,
          parent_linked_late: c.parentsLinkedLate,
          proc_fallback: c.procFallbacks,
          missed_exit: c.missedExits,
          duplicate: c.duplicates,
          hook_without_process: c.hooksWithoutProcess,
        });
      },
    );
    metrics.counterFrom(
      {
        name: 'containers_tagged_total',
        help: 'Processes of emitted events given their container id (docker), by result (tagged, unresolved: the cache no longer had them).',
        labelNames: ['result'],
      },
      () => {
        const c = stats().containers;
        return c && byLabel('result', { tagged: c.tagged, unresolved: c.unresolved });
      },
    );

    // The JSON export (no samples when collector.exportFile is empty).
    metrics.counterFrom(
      { name: 'export_events_written_total', help: 'Events written to the JSON export file.' },
      () => stats().export?.written,
    );
    metrics.counterFrom(
      { name: 'export_bytes_written_total', help: 'Bytes written to the JSON export file.' },
      () => stats().export?.bytesWritten,
    );
    metrics.counterFrom(
      { name: 'export_rotations_total', help: 'JSON export file rotations (collector.exportMaxSize).' },
      () => stats().export?.rotations,
    );
    metrics.counterFrom(
      {
        name: 'export_events_dropped_total',
        help: 'Events not in the JSON export, by reason: error (a file operation failed), overflow (the write queue was full).',
        labelNames: ['reason'],
      },
      () => {
        const e = stats().export;
        return e && byLabel('reason', { error: e.lostOnError, overflow: e.droppedOverflow });
      },
    );

    // User-space actions of hook events.
    metrics.counterFrom(
      {
        name: 'user_actions_total',
        help: 'User-space actions of hook events (GetUrl, DnsLookup), by result: done, failed, dropped (too many in flight).',
        labelNames: ['action', 'result'],
      },
      () => {
        const u = stats().userActions;
        const out: Array<[LabelValues, number]> = [];
        for (const [action, c] of [
          ['GetUrl', u.getUrl],
          ['DnsLookup', u.dnsLookup],
        ] as const)
          for (const result of ['done', 'failed', 'dropped'] as const) out.push([{ action, result }, c[result]]);
        return out;
      },
    );

    // TracingPolicies on this node.
    metrics.gaugeFrom(
      {
        name: 'policies',
        help: 'TracingPolicies loaded on this node, by state (enabled, disabled) and mode (enforce, monitor).',
        labelNames: ['state', 'mode'],
      },
      () => countBy(policies(), (p) => ({ state: p.state, mode: p.mode })),
    );
    metrics.gaugeFrom(
      {
        name: 'policy_info',
        help: 'One series per TracingPolicy on this node (value 1) with its namespace ("" for TracingPolicy), state and mode.',
        labelNames: ['policy', 'namespace', 'state', 'mode'],
      },
      () =>
        policies().map(
          (p) => [{ policy: p.name, namespace: p.namespace ?? '', state: p.state, mode: p.mode }, 1] as const,
        ),
    );
    metrics.counterFrom(
      {
        name: 'policy_hook_counts_total',
        help: 'Kernel counters of a policy’s hooks (vigil_hook_stats), summed over its hooks, by counter: calls, matched, posted, lost, rateLimited, sigkill, signal, override, monitorOnly, pendingLost, actionErrors.',
        labelNames: ['policy', 'counter'],
      },
      () =>
        policies().flatMap((p) =>
          Object.entries(p.counters).map(([counter, n]) => [{ policy: p.name, counter }, Number(n)] as const),
        ),
    );
    metrics.gaugeFrom(
      {
        name: 'policy_kernel_memory_bytes',
        help: 'Kernel memory of a policy’s programs and maps (memlock bytes; 0 while disabled).',
        labelNames: ['policy'],
      },
      () => policies().map((p) => [{ policy: p.name }, p.kernelMemory] as const),
    );
    metrics.counterFrom(
      {
        name: 'policy_sync_records_total',
        help: 'Records of vigil.policies handled by PolicySync, by result: applied, unchanged, not_selected, removed, invalid, ignored_tombstone, failed (did not load).',
        labelNames: ['result'],
      },
      () => {
        const s = syncStatus().stats;
        return (
          s &&
          byLabel('result', {
            applied: s.applied - s.failed,
            unchanged: s.unchanged,
            not_selected: s.notSelected,
            removed: s.removed,
            invalid: s.invalid,
            ignored_tombstone: s.ignoredTombstones,
            failed: s.failed,
          })
        );
      },
    );
    metrics.counterFrom(
      {
        name: 'policy_status_published_total',
        help: 'Policy statuses this node published on vigil.policy-status, by result (ok, failed).',
        labelNames: ['result'],
      },
      () => {
        const s = syncStatus();
        return (
          s.stats &&
          byLabel('result', {
            ok: s.stats.statusPublished,
            failed: s.stats.statusPublishFailures + s.refreshFailures,
          })
        );
      },
    );

    // The workload map (vigil.workloads) and the scoped policies' refreshes.
    metrics.gaugeFrom(
      { name: 'workload_map_pods', help: 'Pods in the workload map this node uses (no sample before the first map).' },
      () => workloadStatus().map?.pods,
    );
    metrics.counterFrom(
      {
        name: 'workload_map_messages_total',
        help: 'Messages of vigil.workloads for this node, by result: applied, cleared (tombstone), malformed (ignored, dead-lettered); other_node for other nodes’ keys.',
        labelNames: ['result'],
      },
      () => {
        const w = workloadStatus();
        return byLabel('result', {
          applied: w.applied,
          cleared: w.cleared,
          malformed: w.malformed,
          other_node: w.otherNodes,
        });
      },
    );
    metrics.counterFrom(
      {
        name: 'workload_refresh_failures_total',
        help: 'Refreshes of the scoped policies’ cgroups that failed (bad workloads file, cgroup scan error); retried at the next.',
      },
      () => provider.workloadRefreshFailures,
    );

    registerGrpcStreamMetrics(metrics, () => sensors.sensors.stats());
  }
}
