import { Inject, Injectable } from '@nestjs/common';
import type { EventBus } from '@vigil/bus';
import { Counter, Histogram, Registry } from 'prom-client';
import { registerBusMetrics } from './bus-metrics';
import { LATENCY_BUCKETS, metricPrefix, scrapedCounter, scrapedGauge, type MetricSpec, type Reading } from './scraped';
import { EVENT_BUS, SERVICE_NAME } from './tokens';

/**
 * The service's Prometheus metrics: one Registry per service instance (never prom-client's global
 * one: `vigil run` hosts four services in one process, and tests start many), every name
 * prefixed `vigil_<service>_`, plus the `vigil_bus_*` metrics of the bus the service uses in a
 * registry of their own (`vigil run`'s combined /metrics shows its one shared bus once).
 * Served by MetricsController (GET /metrics); the names are documented in docs/metrics.md.
 */
@Injectable()
export class Metrics {
  readonly prefix: string;
  readonly registry = new Registry();
  readonly busRegistry = new Registry();
  private bus: EventBus;

  constructor(
    @Inject(SERVICE_NAME) readonly service: string,
    @Inject(EVENT_BUS) bus: EventBus,
  ) {
    this.prefix = metricPrefix(service);
    this.bus = bus;
    registerBusMetrics(this.busRegistry, () => this.bus);
  }

  /** The bus whose vigil_bus_* metrics the service shows, when it is not the EVENT_BUS (a KafkaBus it built). */
  useBus(bus: EventBus): void {
    this.bus = bus;
  }

  /** A counter the service increments itself. */
  counter(spec: MetricSpec): Counter<string> {
    return new Counter({ ...this.spec(spec), registers: [this.registry] });
  }

  /** A histogram the service observes itself; LATENCY_BUCKETS unless given. */
  histogram(spec: MetricSpec & { buckets?: readonly number[] }): Histogram<string> {
    return new Histogram({
      ...this.spec(spec),
      buckets: [...(spec.buckets ?? LATENCY_BUCKETS)],
      registers: [this.registry],
    });
  }

  /** A counter read at scrape time from the service's own counters. */
  counterFrom(spec: MetricSpec, read: () => Reading | Promise<Reading>): void {
    scrapedCounter(this.registry, this.spec(spec), read);
  }

  /** A gauge read at scrape time. */
  gaugeFrom(spec: MetricSpec, read: () => Reading | Promise<Reading>): void {
    scrapedGauge(this.registry, this.spec(spec), read);
  }

  /** The text exposition of the service's metrics and its bus's. */
  text(): Promise<string> {
    return Registry.merge([this.registry, this.busRegistry]).metrics();
  }

  private spec(spec: MetricSpec): { name: string; help: string; labelNames: string[] } {
    return { name: `${this.prefix}${spec.name}`, help: spec.help, labelNames: [...(spec.labelNames ?? [])] };
  }
}
