import { baseSchema, field } from '@vigil/config';

/** The enricher's settings: the shared sections plus its own. */
export const enricherSchema = {
  ...baseSchema,
  enricher: {
    consumer: field.string({
      env: 'VIGIL_ENRICHER_CONSUMER',
      default: 'enricher',
      pattern: /^[A-Za-z0-9._-]+$/,
      doc: 'Consumer group name on vigil.events.raw',
    }),
    bufferSize: field.int({
      env: 'VIGIL_ENRICHER_BUFFER_SIZE',
      default: 10_000,
      min: 1,
      doc: 'Events held at most while their pod is not known yet; more evicts the oldest (sent flagged)',
    }),
    maxWait: field.int({
      env: 'VIGIL_ENRICHER_MAX_WAIT_MS',
      default: 5000,
      min: 0,
      doc: 'How long an event waits for its pod before it is sent flagged podUnknown, in ms',
    }),
    spoolDir: field.string({
      env: 'VIGIL_ENRICHER_SPOOL_DIR',
      default: '/var/lib/vigil/enricher-spool',
      doc: 'On-disk spool of the Kafka producer while the broker is away (standalone service only)',
    }),
  },
  kubernetes: {
    mode: field.oneOf(['disabled', 'in-cluster', 'kubeconfig'], {
      env: 'VIGIL_KUBERNETES',
      default: 'disabled',
      doc: 'Where pod context comes from: no Kubernetes, the service account of the pod, or a kubeconfig file',
    }),
    kubeconfig: field.string({
      env: 'VIGIL_KUBECONFIG',
      default: '',
      doc: 'kubeconfig file for mode kubeconfig; empty: $KUBECONFIG, then ~/.kube/config',
    }),
    nodeName: field.string({
      env: 'VIGIL_KUBERNETES_NODE',
      default: '',
      doc: 'Only pods of this node (fieldSelector spec.nodeName); empty: every pod of the cluster',
    }),
    maxPods: field.int({
      env: 'VIGIL_KUBERNETES_MAX_PODS',
      default: 20_000,
      min: 1,
      doc: 'Pods cached at most (deleted ones retained included); more are refused and counted',
    }),
    deletedRetention: field.int({
      env: 'VIGIL_KUBERNETES_DELETED_RETENTION_MS',
      default: 120_000,
      min: 0,
      doc: "How long a deleted pod still enriches late events (its processes' exits), in ms",
    }),
    resync: field.int({
      env: 'VIGIL_KUBERNETES_RESYNC_MS',
      default: 600_000,
      min: 1000,
      doc: 'Full relist this often even when the watch is healthy, in ms',
    }),
    pageSize: field.int({ env: 'VIGIL_KUBERNETES_PAGE_SIZE', default: 500, min: 1, doc: 'Pods per list page' }),
    watchTimeout: field.int({
      env: 'VIGIL_KUBERNETES_WATCH_TIMEOUT_S',
      default: 300,
      min: 1,
      doc: 'Server-side watch timeout, in seconds (the watch is renewed after it)',
    }),
    backoffInitial: field.int({
      env: 'VIGIL_KUBERNETES_BACKOFF_MS',
      default: 500,
      min: 1,
      doc: 'First wait after an API error, in ms (doubles up to backoffMax)',
    }),
    backoffMax: field.int({
      env: 'VIGIL_KUBERNETES_BACKOFF_MAX_MS',
      default: 30_000,
      min: 1,
      doc: 'Longest wait between API retries, in ms',
    }),
    workloadDebounce: field.int({
      env: 'VIGIL_WORKLOADS_DEBOUNCE_MS',
      default: 500,
      min: 0,
      doc: 'Pod changes within this window become one vigil.workloads message per node, in ms',
    }),
  },
};
