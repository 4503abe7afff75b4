export { EnricherModule, type EnricherModuleOptions } from './enricher.module';
export { enricherSchema } from './enricher.config';
export { EnrichmentProvider } from './enrichment.provider';
export { Enricher, type EnricherStats, type EnricherDeadLetter, type FlagReason } from './domain/enricher';
export { POD_UNKNOWN_FLAG } from './domain/pod-context';
// The workload map's types are vigil.v1.WorkloadMap in @vigil/contracts.
