import type { EventBus } from '@vigil/bus';
import type { LoadOptions } from '@vigil/config';

/** The store chosen by the composition root instead of configuration (`vigil run`: DuckDB). */
export type StoreChoice = { kind: 'clickhouse' } | { kind: 'duckdb'; path?: string };

export interface ExporterModuleOptions {
  /** The bus to consume from (the in-process bus of `vigil run`); a KafkaBus from configuration when absent. */
  bus?: EventBus;
  store?: StoreChoice;
  load?: LoadOptions;
}

/** Injection token of the options given to ExporterModule.register(). */
export const EXPORTER_OPTIONS = Symbol('EXPORTER_OPTIONS');
