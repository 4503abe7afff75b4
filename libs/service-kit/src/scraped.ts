import type { Metric, Registry } from 'prom-client';

/** Label values of one sample. */
export type LabelValues = Record<string, string | number>;

/**
 * What a metric read at scrape time gives: one value (a metric without labels), values by label
 * set, or undefined for "nothing to show now" (no sample at all, rather than a made-up 0).
 */
export type Reading = number | undefined | Iterable<readonly [LabelValues, number]>;

export interface MetricSpec {
  /** Without the service's prefix: "events_total" becomes "vigil_collector_events_total". */
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/** Latency buckets (seconds) shared by the services' histograms: 0.5 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The name prefix of a service's metrics: "policy-engine" → "vigil_policy_engine_". */
export function metricPrefix(service: string): string {
  return `vigil_${service.replace(/[^a-zA-Z0-9]/g, '_')}_`;
}

/**
 * A counter or gauge whose samples are read when the registry is scraped, from counters the
 * service keeps anyway (its stats()): nothing is incremented on the event path, and a series
 * whose source is gone (a deleted policy) disappears with it. Registered like prom-client's own
 * metrics (a Registry only calls get() and reads the name).
 */
class ScrapedMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly labelNames: readonly string[],
    private readonly read: () => Reading | Promise<Reading>,
  ) {}

  async get() {
    const reading = await this.read();
    const values: Array<{ labels: LabelValues; value: number }> = [];
    if (typeof reading === 'number') {
      if (this.labelNames.length > 0) throw new Error(`metric ${this.name}: one value read for a labelled metric`);
      if (Number.isFinite(reading)) values.push({ labels: {}, value: reading });
    } else if (reading !== undefined) {
      for (const [labels, value] of reading) {
        for (const key of Object.keys(labels))
          if (!this.labelNames.includes(key)) throw new Error(`metric ${this.name}: unknown label ${key}`);
        if (Number.isFinite(value)) values.push({ labels, value });
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {}
}

/** A counter read at scrape time (see ScrapedMetric); `name` is the full name. */
export function scrapedCounter(registry: Registry, spec: MetricSpec, read: () => Reading | Promise<Reading>): void {
  registry.registerMetric(
    new ScrapedMetric(spec.name, spec.help, 'counter', spec.labelNames ?? [], read) as unknown as Metric,
  );
}

/** A gauge read at scrape time (see ScrapedMetric); `name` is the full name. */
export function scrapedGauge(registry: Registry, spec: MetricSpec, read: () => Reading | Promise<Reading>): void {
  registry.registerMetric(
    new ScrapedMetric(spec.name, spec.help, 'gauge', spec.labelNames ?? [], read) as unknown as Metric,
  );
}

/**
 * The value of `read()` shared by every metric of one scrape: a registry asks all its metrics in
 * one synchronous pass, so the value is computed once per scrape and dropped at the next
 * microtask (stats() that read kernel maps are not read twenty times per scrape).
 */
export function perScrape<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    if (!cached) {
      cached = { value: read() };
      queueMicrotask(() => (cached = undefined));
    }
    return cached.value;
  };
}

/** Key/value pairs of a Record<string, number> as samples of one label. */
export function byLabel(label: string, counts: Record<string, number | bigint> | undefined): Reading {
  return Object.entries(counts ?? {}).map(([k, v]) => [{ [label]: k }, Number(v)] as const);
}
