import { baseSchema, field } from '@vigil/config';

/** The exporter's settings: the shared sections (kafka, clickhouse, http, …) plus its own. */
export const exporterSchema = {
  ...baseSchema,
  exporter: {
    consumer: field.string({
      env: 'VIGIL_EXPORTER_CONSUMER',
      default: 'exporter',
      pattern: /^[A-Za-z0-9._-]{1,200}$/,
      doc: 'Consumer name on vigil.events (the Kafka consumer group); exporters sharing it split the partitions',
    }),
    grpcAddress: field.string({
      env: 'VIGIL_EXPORTER_GRPC_ADDRESS',
      default: '127.0.0.1:54322',
      doc: "Where Tetragon's gRPC API (FineGuidanceSensors) is served for the whole fleet (events of vigil.events, policies through the policy engine): host:port or unix:///path; empty disables. Beyond loopback a token is required",
    }),
    grpcToken: field.string({
      env: 'VIGIL_EXPORTER_GRPC_TOKEN',
      default: '',
      doc: 'When set, every gRPC call must carry "authorization: Bearer <token>" (policy calls pass it on to the policy engine, which checks its own tokens)',
    }),
    policyEngineAddress: field.string({
      env: 'VIGIL_EXPORTER_POLICY_ENGINE_ADDRESS',
      default: '',
      doc: "The policy engine's gRPC address (vigil.v1.PolicyService) behind the fleet API's policy calls; empty: those calls answer UNIMPLEMENTED",
    }),
    store: field.oneOf(['clickhouse', 'duckdb'], {
      env: 'VIGIL_EXPORTER_STORE',
      default: 'clickhouse',
      doc: 'Where events go: the fleet ClickHouse (clickhouse section) or an embedded DuckDB file (duckdbPath)',
    }),
    duckdbPath: field.string({
      env: 'VIGIL_EXPORTER_DUCKDB_PATH',
      default: '/var/lib/vigil/events.duckdb',
      doc: "DuckDB database file when store is duckdb (':memory:' keeps events in memory only)",
    }),
    batchSize: field.int({
      env: 'VIGIL_EXPORTER_BATCH_SIZE',
      default: 5_000,
      min: 1,
      max: 1_000_000,
      doc: 'Most messages handed to one insert: Kafka messages per handler call and rows per ClickHouse INSERT',
    }),
    flushInterval: field.int({
      env: 'VIGIL_EXPORTER_FLUSH_INTERVAL_MS',
      default: 1_000,
      min: 1,
      max: 600_000,
      doc: 'Longest rows wait in the ClickHouse writer for a fuller INSERT (ms); the exporter flushes at the end of every consumed batch, so this bounds only writes made outside it',
    }),
    maxBacklogRows: field.int({
      env: 'VIGIL_EXPORTER_MAX_BACKLOG_ROWS',
      default: 1_000_000,
      min: 1,
      doc: 'Rows the ClickHouse writer holds while the server is away; past it a batch is refused and the bus retries it',
    }),
    topicPrefix: field.string({
      env: 'VIGIL_KAFKA_TOPIC_PREFIX',
      default: '',
      pattern: /^[A-Za-z0-9._-]{0,100}$/,
      doc: 'Put before every Kafka topic and consumer group name (several installations in one cluster)',
    }),
    spoolDir: field.string({
      env: 'VIGIL_EXPORTER_SPOOL_DIR',
      default: '/var/lib/vigil/exporter-spool',
      doc: "Spool of the exporter's own Kafka producer (dead letters) while the broker is away",
    }),
  },
};
