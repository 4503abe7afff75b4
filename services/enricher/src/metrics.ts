import { Injectable } from '@nestjs/common';
import { byLabel, Metrics, observeCalls, perScrape } from '@vigil/service-kit';
import { EnrichmentProvider } from './enrichment.provider';

/**
 * The enricher's metrics (vigil_enricher_*, docs/metrics.md): events in and out by what became of
 * them, the retry buffer, the pod cache and its watch, the workload maps — read at scrape time
 * from the domain objects' stats — and the time to handle each batch of vigil.events.raw.
 */
@Injectable()
export class EnricherMetrics {
  constructor(metrics: Metrics, provider: EnrichmentProvider) {
    const events = perScrape(() => provider.enricher.stats());
    const pods = perScrape(() => provider.pods?.stats());
    const watch = perScrape(() => provider.watcher?.status());
    const workloads = perScrape(() => provider.workloads?.stats());

    metrics.counterFrom(
      { name: 'events_received_total', help: 'Messages read from vigil.events.raw.' },
      () => events().received,
    );
    metrics.counterFrom(
      {
        name: 'events_enriched_total',
        help: 'Events published to vigil.events with pod context on at least one of their processes.',
      },
      () => events().enriched,
    );
    metrics.counterFrom(
      {
        name: 'events_passed_through_total',
        help: 'Events published with no pod to look up (host processes, or Kubernetes disabled: container id only).',
      },
      () => events().passedThrough,
    );
    metrics.counterFrom(
      {
        name: 'events_waited_total',
        help: 'Events that had to wait in the retry buffer because a process’s pod was not known yet.',
      },
      () => events().unknownPod,
    );
    metrics.counterFrom(
      {
        name: 'events_queued_behind_total',
        help: 'Events held only to stay behind an earlier held event of their process.',
      },
      () => events().queuedBehind,
    );
    metrics.counterFrom(
      { name: 'events_resolved_late_total', help: 'Held events enriched once their pod appeared.' },
      () => events().resolvedLate,
    );
    metrics.counterFrom(
      {
        name: 'events_pod_unknown_total',
        help: 'Events published flagged podUnknown, by why they could not wait longer (timeout, evicted, shutdown).',
        labelNames: ['reason'],
      },
      () => byLabel('reason', events().flagged),
    );
    metrics.counterFrom(
      { name: 'events_dead_lettered_total', help: 'Malformed messages of vigil.events.raw sent to vigil.dead-letter.' },
      () => events().deadLettered,
    );
    metrics.counterFrom(
      {
        name: 'events_publish_failed_total',
        help: 'Events whose publish to vigil.events failed (transport closed, value not encodable): counted, not retried.',
      },
      () => events().publishFailed,
    );
    metrics.gaugeFrom(
      { name: 'retry_buffer_events', help: 'Events held in the retry buffer now, waiting for their pod.' },
      () => events().buffer.size,
    );
    metrics.gaugeFrom(
      { name: 'retry_buffer_capacity', help: 'Events the retry buffer holds at most (enricher.bufferSize).' },
      () => events().buffer.maxSize,
    );
    metrics.counterFrom(
      {
        name: 'retry_buffer_evictions_total',
        help: 'Held events pushed out of the full retry buffer (published flagged podUnknown, reason evicted).',
      },
      () => events().buffer.evictions,
    );

    metrics.gaugeFrom(
      {
        name: 'pod_cache_pods',
        help: 'Pods in the pod cache: live ones, and deleted ones kept for late events (no sample with Kubernetes disabled).',
        labelNames: ['state'],
      },
      () => {
        const s = pods();
        return s && [[{ state: 'live' }, s.pods] as const, [{ state: 'deleted' }, s.deletedRetained] as const];
      },
    );
    metrics.gaugeFrom(
      { name: 'pod_cache_containers', help: 'Containers the pod cache can resolve.' },
      () => pods()?.containers,
    );
    metrics.counterFrom(
      {
        name: 'pod_cache_dropped_total',
        help: 'Pods the cache could not keep, by reason: refused (full of live pods), deleted_evicted (a deleted pod dropped before its retention ended).',
        labelNames: ['reason'],
      },
      () => {
        const s = pods();
        return s && byLabel('reason', { refused: s.refused, deleted_evicted: s.deletedEvicted });
      },
    );
    metrics.gaugeFrom(
      {
        name: 'pod_watch_synced',
        help: '1 once the pod cache holds a complete list from the API server (events can be enriched), else 0.',
      },
      () => {
        const w = watch();
        return provider.pods ? (w?.synced ? 1 : 0) : undefined;
      },
    );
    metrics.counterFrom(
      { name: 'pod_watch_events_total', help: 'Watch events (ADDED, MODIFIED, DELETED) applied to the pod cache.' },
      () => watch()?.events,
    );
    metrics.counterFrom(
      {
        name: 'pod_watch_lists_total',
        help: 'Full pod lists: the first, after 410 Gone, after errors, and periodic resyncs.',
      },
      () => watch()?.lists,
    );
    metrics.counterFrom(
      { name: 'pod_watch_errors_total', help: 'Failed pod lists and watches (each retried with backoff).' },
      () => watch()?.errors,
    );

    metrics.counterFrom(
      {
        name: 'workload_maps_published_total',
        help: 'Per-node workload maps published to vigil.workloads, by result (ok, failed: sent again at the next change).',
        labelNames: ['result'],
      },
      () => {
        const w = workloads();
        return w && byLabel('result', { ok: w.published, failed: w.failed });
      },
    );

    const batches = metrics.histogram({
      name: 'batch_duration_seconds',
      help: 'Time to handle one batch of vigil.events.raw: decode, enrich or hold, and publish to vigil.events, by result (ok, error).',
      labelNames: ['result'],
    });
    observeCalls(provider.enricher, 'handle', (call) =>
      batches.observe({ result: call.outcome.ok ? 'ok' : 'error' }, call.seconds),
    );
  }
}
