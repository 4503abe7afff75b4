import { Injectable } from '@nestjs/common';
import type { BusMessage } from '@vigil/bus';
import { eventPayload, type GetEventsResponse } from '@vigil/events';
import { Metrics, observeCalls, perScrape, registerGrpcStreamMetrics } from '@vigil/service-kit';
import type { ExporterState } from './exporter.runtime';
import { ExporterRuntime } from './exporter.runtime';
import { FleetSensors } from './grpc/fleet-sensors';

const STATES: readonly ExporterState[] = ['starting', 'waiting for store', 'running', 'failed', 'stopped'];

/** type / namespace / policy of an event as the exporter's labels; undefined when it is no event. */
function eventLabels(value: unknown): { type: string; namespace: string; policy: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as GetEventsResponse;
  const found = eventPayload(event);
  const kind = found?.kind ?? (event.process_loader ? 'process_loader' : undefined);
  if (!kind) return undefined;
  const payload = (found?.payload ?? event.process_loader) as {
    process?: { pod?: { namespace?: string } };
    policy_name?: string;
  };
  return {
    type: kind.replace('process_', ''),
    namespace: payload.process?.pod?.namespace ?? '',
    policy: payload.policy_name ?? '',
  };
}

/**
 * The exporter's metrics (vigil_exporter_*, docs/metrics.md): what it consumed and stored, read
 * at scrape time from the batch handler and the store; every store write timed (the ClickHouse
 * INSERT, with its retries, or the DuckDB append); the events of each handled batch by type,
 * namespace and policy; the fleet gRPC API's streams. Kafka lag is vigil_bus_consumer_lag of its
 * consumer.
 */
@Injectable()
export class ExporterMetrics {
  constructor(metrics: Metrics, runtime: ExporterRuntime, fleet: FleetSensors) {
    metrics.useBus(runtime.bus);
    const handler = perScrape(() => runtime.handler.stats());
    const store = perScrape(() => runtime.sink.health());

    metrics.counterFrom(
      {
        name: 'messages_consumed_total',
        help: 'Messages of vigil.events handed to the exporter (a re-delivered message counts again).',
      },
      () => handler().consumed,
    );
    metrics.counterFrom(
      {
        name: 'rows_inserted_total',
        help: 'Events the store acknowledged as rows (re-deliveries too; the store collapses the copies).',
      },
      () => handler().inserted,
    );
    metrics.counterFrom(
      {
        name: 'events_dead_lettered_total',
        help: 'Messages the exporter sent to vigil.dead-letter because they cannot be rows (the bus’s own dead letters: vigil_bus_dead_lettered_total).',
      },
      () => handler().deadLettered,
    );
    metrics.counterFrom(
      {
        name: 'failed_batches_total',
        help: 'Batches that failed (store error, dead letters not accepted); the bus delivers them again.',
      },
      () => handler().failedBatches,
    );
    metrics.gaugeFrom(
      { name: 'in_flight_messages', help: 'Messages of batches being handled now (not stored, not committed yet).' },
      () => handler().inFlight,
    );
    metrics.counterFrom(
      {
        name: 'insert_errors_total',
        help: 'Failed store writes: ClickHouse INSERT attempts that failed (each retry counts), DuckDB writes that threw.',
        labelNames: ['store'],
      },
      () => [[{ store: store().kind }, store().insertErrors]],
    );
    metrics.gaugeFrom(
      {
        name: 'store_backlog_rows',
        help: 'Rows the ClickHouse writer accepted and the server has not acknowledged yet (0 for DuckDB).',
        labelNames: ['store'],
      },
      () => [[{ store: store().kind }, store().backlogRows]],
    );
    metrics.gaugeFrom(
      {
        name: 'store_connected',
        help: '1 while the store takes writes (ClickHouse: since the last acknowledged insert; DuckDB: open), else 0.',
        labelNames: ['store'],
      },
      () => [[{ store: store().kind }, store().connected ? 1 : 0]],
    );
    metrics.gaugeFrom(
      {
        name: 'state',
        help: 'The exporter’s state: 1 for the current one of starting, waiting for store, running, failed, stopped.',
        labelNames: ['state'],
      },
      () => STATES.map((s) => [{ state: s }, runtime.state === s ? 1 : 0] as const),
    );

    const inserts = metrics.histogram({
      name: 'insert_duration_seconds',
      help: 'Time of one store write of a batch, until the store acknowledged it (ClickHouse: retries included) or failed, by result (ok, error).',
      labelNames: ['store', 'result'],
    });
    observeCalls(runtime.sink, 'write', (call) =>
      inserts.observe({ store: runtime.sink.kind, result: call.outcome.ok ? 'ok' : 'error' }, call.seconds),
    );

    const events = metrics.counter({
      name: 'events_total',
      help: 'Events of vigil.events in batches the exporter handled (stored, or dead-lettered when unmappable), by type (exec, exit, kprobe, tracepoint, lsm, uprobe, loader), pod namespace ("" outside pods) and policy ("" for exec/exit).',
      labelNames: ['type', 'namespace', 'policy'],
    });
    const batches = metrics.histogram({
      name: 'batch_duration_seconds',
      help: 'Time to handle one batch of vigil.events (map, store, dead letters), by result (ok, error).',
      labelNames: ['result'],
    });
    observeCalls(runtime.handler, 'handle', (call) => {
      batches.observe({ result: call.outcome.ok ? 'ok' : 'error' }, call.seconds);
      if (!call.outcome.ok) return;
      for (const message of call.args[0] as BusMessage<unknown>[]) {
        const labels = eventLabels(message.value);
        if (labels) events.inc(labels);
      }
    });

    registerGrpcStreamMetrics(metrics, () => fleet.sensors.stats());
  }
}
