import { baseSchema, field } from '@vigil/config';
import { nodeLabelsField } from './node-labels';

/** The collector's settings: the shared sections plus its own. Names follow Tetragon's flags where one exists. */
export const collectorSchema = {
  ...baseSchema,
  node: {
    ...baseSchema.node,
    labels: nodeLabelsField({
      env: 'VIGIL_NODE_LABELS',
      default: {},
      doc: "This node's labels, matched against policies' nodeSelector: k=v,k2=v2 (env) or a mapping (file)",
    }),
  },
  collector: {
    exportFile: field.string({
      env: 'VIGIL_EXPORT_FILE',
      default: '/var/log/vigil/events.log',
      doc: "JSON export file, one Tetragon GetEventsResponse per line (Tetragon's --export-filename); empty disables",
    }),
    exportMaxSize: field.bytes({
      env: 'VIGIL_EXPORT_MAX_SIZE',
      default: 10 * 1024 * 1024,
      min: 1024,
      doc: 'Rotate the export file at this size (--export-file-max-size-mb)',
    }),
    exportMaxBackups: field.int({
      env: 'VIGIL_EXPORT_MAX_BACKUPS',
      default: 5,
      min: 0,
      max: 1000,
      doc: 'Rotated export files kept (--export-file-max-backups)',
    }),
    ringBufferSize: field.bytes({
      env: 'VIGIL_RING_BUFFER_SIZE',
      default: 16 * 1024 * 1024,
      min: 4096,
      powerOfTwo: true,
      doc: 'Kernel ring buffer for process events (a power of two)',
    }),
    processCacheSize: field.int({
      env: 'VIGIL_PROCESS_CACHE_SIZE',
      default: 65_536,
      min: 64,
      doc: 'Processes kept in the cache (--process-cache-size)',
    }),
    ancestors: field.bool({
      env: 'VIGIL_PROCESS_ANCESTORS',
      default: false,
      doc: 'Fill ancestors on exec/exit events (--enable-process-ancestors)',
    }),
    policyDir: field.string({
      env: 'VIGIL_POLICY_DIR',
      default: '',
      doc: "TracingPolicy YAML files loaded at start (Tetragon's --tracing-policy-dir); empty: none",
    }),
    workloadsFile: field.string({
      env: 'VIGIL_WORKLOADS_FILE',
      default: '',
      doc: 'Static pod map for namespaced policies, merged with the workload map of vigil.workloads (the map wins on a pod uid both name): {"pods":[{uid,namespace,name,labels,containers}]}',
    }),
    workloadsRefresh: field.int({
      env: 'VIGIL_WORKLOADS_REFRESH_MS',
      default: 2000,
      min: 100,
      doc: 'How often namespaced policies re-read the workloads (pod cgroups and the workloads file), in ms; a new map on vigil.workloads applies at once',
    }),
    exposeStackAddresses: field.bool({
      env: 'VIGIL_EXPOSE_STACK_ADDRESSES',
      default: false,
      doc: "Put addresses in stack traces (Tetragon's --expose-stack-addresses): they defeat KASLR/ASLR for whoever reads events",
    }),
    spoolDir: field.string({
      env: 'VIGIL_COLLECTOR_SPOOL_DIR',
      default: '/var/lib/vigil/collector-spool',
      doc: 'On-disk spool of the Kafka producer: events wait here while the broker is away (fleet transport only)',
    }),
    spoolMaxBytes: field.bytes({
      env: 'VIGIL_COLLECTOR_SPOOL_MAX_SIZE',
      default: 1024 ** 3,
      min: 1024 * 1024,
      doc: 'Bound of the spool; events that do not fit are dropped and counted in /status bus.dropped',
    }),
    topicPrefix: field.string({
      env: 'VIGIL_KAFKA_TOPIC_PREFIX',
      default: '',
      pattern: /^[A-Za-z0-9._-]{0,100}$/,
      doc: 'Put before every Kafka topic and consumer group name (several installations in one cluster)',
    }),
    policyStatusRefresh: field.int({
      env: 'VIGIL_POLICY_STATUS_REFRESH_MS',
      default: 30_000,
      min: 100,
      doc: "How often every synced policy's status (with fresh kernel counters) is published again on vigil.policy-status, in ms",
    }),
    grpcAddress: field.string({
      env: 'VIGIL_GRPC_ADDRESS',
      default: 'unix:///var/run/vigil/vigil.sock',
      doc: "Where Tetragon's gRPC API (FineGuidanceSensors: events, policies, health) is served for this node: unix:///path (root only) or host:port (Tetragon's --server-address); empty disables. Beyond loopback a token is required",
    }),
    grpcToken: field.string({
      env: 'VIGIL_GRPC_TOKEN',
      default: '',
      doc: 'When set, every gRPC call must carry "authorization: Bearer <token>"',
    }),
    attachMode: field.oneOf(['auto', 'tp_btf', 'raw_tp', 'tracepoint'], {
      env: 'VIGIL_PROCESS_ATTACH',
      default: 'auto',
      doc: 'How process hooks attach; auto picks the best this kernel has',
    }),
  },
};
