import { Controller, Get } from '@nestjs/common';
import { Topic } from '@vigil/bus';
import { ExporterRuntime } from './exporter.runtime';

/** Every counter of the exporter, drops included: what was consumed, stored, dead-lettered, waits. */
@Controller()
export class StatusController {
  constructor(private readonly runtime: ExporterRuntime) {}

  @Get('status')
  status() {
    const r = this.runtime;
    const h = r.handler.stats();
    const store = r.sink.health();
    const bus = r.busCounters();
    return {
      state: r.state,
      topic: Topic.events,
      consumer: r.consumer,
      transport: r.transport,
      consumed: h.consumed,
      inserted: h.inserted,
      // The exporter's (events that cannot be rows) plus the bus's (undecodable, handler kept failing).
      deadLettered: h.deadLettered + bus.deadLettered,
      deadLetters: { unmappable: h.deadLettered, byBus: bus.deadLettered },
      // Rows accepted by the store and not yet acknowledged, plus messages of the batch in hand.
      backlog: store.backlogRows,
      inFlight: h.inFlight,
      clickhouseConnected: store.kind === 'clickhouse' ? store.connected : null,
      insertErrors: store.insertErrors,
      failedBatches: h.failedBatches,
      busHandlerErrors: bus.handlerErrors,
      busDropped: bus.dropped,
      lastError: h.lastError ?? store.lastError ?? r.startError ?? null,
      store,
    };
  }
}
