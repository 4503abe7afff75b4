import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventBus } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import { EVENT_BUS, Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import { Enricher } from './domain/enricher';
import { KubePodSource } from './domain/kubernetes/kube-pod-source';
import { PodCache } from './domain/kubernetes/pod-cache';
import { PodWatcher } from './domain/kubernetes/pod-watcher';
import { WorkloadPublisher } from './domain/workload-publisher';
import type { enricherSchema } from './enricher.config';
import { OWNS_BUS } from './tokens';

type EnricherConfig = ConfigOf<typeof enricherSchema>;

/** Wires the pod cache, its watcher, the enricher and the workload map to the application's lifecycle. */
@Injectable()
export class EnrichmentProvider implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly enricher: Enricher;
  readonly pods?: PodCache;
  readonly workloads?: WorkloadPublisher;
  watcher?: PodWatcher;
  /** The API server being watched, once connected to the client. */
  apiServer?: string;
  private readonly logger = new Logger('enricher');
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: EnricherConfig,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    readiness: Readiness,
    @Inject(OWNS_BUS) private readonly ownsBus: boolean,
  ) {
    const k = config.kubernetes;
    const log = (m: string) => this.logger.warn(m);
    if (k.mode !== 'disabled') {
      const pods = new PodCache({ maxPods: k.maxPods, deletedRetentionMs: k.deletedRetention });
      const workloads = new WorkloadPublisher({
        bus,
        pods: () => pods.livePods(),
        nodes: k.nodeName ? [k.nodeName] : [],
        debounceMs: k.workloadDebounce,
        log,
      });
      pods.onChange(() => {
        this.enricher.podsChanged();
        workloads.changed();
      });
      this.pods = pods;
      this.workloads = workloads;
      // Events cannot be enriched before the first list: not ready until then.
      readiness.register('pod list', () => this.watcher?.status().synced ?? false);
    }
    const e = config.enricher;
    this.enricher = new Enricher({
      bus,
      pods: this.pods,
      consumer: e.consumer,
      bufferSize: e.bufferSize,
      maxWaitMs: e.maxWait,
      log,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const k = this.config.kubernetes;
    if (this.pods) {
      const source = await KubePodSource.create(
        k.mode === 'in-cluster' ? { mode: 'in-cluster' } : { mode: 'kubeconfig', path: k.kubeconfig },
      );
      this.apiServer = source.server();
      this.watcher = new PodWatcher(source, this.pods, {
        ...(k.nodeName ? { fieldSelector: `spec.nodeName=${k.nodeName}` } : {}),
        pageSize: k.pageSize,
        resyncMs: k.resync,
        watchTimeoutSeconds: k.watchTimeout,
        backoffInitialMs: k.backoffInitial,
        backoffMaxMs: k.backoffMax,
        log: (m) => this.logger.warn(m),
      });
      this.watcher.start();
      const pods = this.pods;
      this.sweepTimer = setInterval(() => pods.sweep(), Math.max(1000, Math.min(k.deletedRetention, 30_000)));
      this.sweepTimer.unref();
      this.logger.log(`watching pods on ${this.apiServer}${k.nodeName ? ` (node ${k.nodeName})` : ' (all nodes)'}`);
    } else {
      this.logger.log('Kubernetes disabled: container ids only');
    }
    this.enricher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.watcher?.stop();
    await this.enricher.close();
    await this.workloads?.close();
    if (this.ownsBus) await this.bus.close();
  }
}
