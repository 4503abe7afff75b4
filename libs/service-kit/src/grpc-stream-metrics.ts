import type { Metrics } from './metrics';
import { perScrape } from './scraped';

/** What a gRPC event stream API counts (libs/rpc's EventStreamCounters, by shape). */
export interface StreamCounters {
  open: number;
  opened: number;
  sent: number;
  dropped: number;
  encodeErrors: number;
}

/**
 * <prefix>grpc_* of a service's Tetragon GetEvents API (the collector's and the exporter's),
 * read at scrape time from its counters.
 */
export function registerGrpcStreamMetrics(metrics: Metrics, counters: () => StreamCounters): void {
  const c = perScrape(counters);
  metrics.gaugeFrom({ name: 'grpc_streams_open', help: 'GetEvents streams open now on the gRPC API.' }, () => c().open);
  metrics.counterFrom(
    { name: 'grpc_streams_opened_total', help: 'GetEvents streams opened on the gRPC API.' },
    () => c().opened,
  );
  metrics.counterFrom(
    { name: 'grpc_events_sent_total', help: 'Events written to GetEvents streams (after their filters).' },
    () => c().sent,
  );
  metrics.counterFrom(
    {
      name: 'grpc_events_dropped_total',
      help: 'Events dropped for a GetEvents stream: its queue was full (a slow client), or still queued when it closed.',
    },
    () => c().dropped,
  );
  metrics.counterFrom(
    { name: 'grpc_encode_errors_total', help: 'Events that failed to encode for a GetEvents stream (skipped).' },
    () => c().encodeErrors,
  );
}
