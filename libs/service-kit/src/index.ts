export { ServiceKitModule, type ServiceKitOptions } from './service-kit.module';
export { Readiness, type ReadinessCheck } from './readiness';
export { VIGIL_CONFIG, SERVICE_NAME, EVENT_BUS } from './tokens';
export { bootstrapService } from './bootstrap';
export { Metrics } from './metrics';
export { MetricsController } from './metrics.controller';
export { registerBusMetrics } from './bus-metrics';
export {
  byLabel,
  LATENCY_BUCKETS,
  metricPrefix,
  perScrape,
  scrapedCounter,
  scrapedGauge,
  type LabelValues,
  type MetricSpec,
  type Reading,
} from './scraped';
export { observeCalls, type CallObservation } from './observe-calls';
export { registerGrpcStreamMetrics, type StreamCounters } from './grpc-stream-metrics';
export { Registry as MetricsRegistry, type Counter, type Histogram } from 'prom-client';
export {
  metricsDocProblems,
  parseExposition,
  parseMetricsDoc,
  sampleValue,
  type DocumentedMetric,
  type ExposedMetric,
  type Sample,
} from './metrics-text';
