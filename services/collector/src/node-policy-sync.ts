import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigOf } from '@vigil/config';
import type { PolicyStatus as PolicyStatusMessage } from '@vigil/contracts';
import { PolicySync, type PolicySyncStats, type PolicyTarget } from '@vigil/policy-kernel';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import type { collectorSchema } from './collector.config';
import { CollectorBus } from './collector-bus';

type CollectorConfig = ConfigOf<typeof collectorSchema>;

/** PolicySync as GET /status shows it. */
export interface NodePolicySyncStatus {
  running: boolean;
  node: string;
  labels: Record<string, string>;
  stats?: PolicySyncStats;
  /** Periodic status publications that failed (each is retried at the next period). */
  refreshFailures: number;
  /** The status this node last reported for each synced policy. */
  policies: PolicyStatusMessage[];
}

/**
 * The node's side of central policy management: PolicySync applies the records of
 * vigil.policies to the node's PolicyRuntime (beside the policies of collector.policyDir) and
 * reports each one's status on vigil.policy-status, again every collector.policyStatusRefresh ms
 * so the fleet sees fresh kernel counters. Started once the runtime exists (after the kernel
 * probe), stopped before the runtime is closed.
 */
@Injectable()
export class NodePolicySync {
  private sync?: PolicySync;
  private timer?: NodeJS.Timeout;
  private refreshing = false;
  private refreshFailures = 0;
  private readonly node: string;
  private readonly labels: Record<string, string>;
  private readonly refreshMs: number;
  private readonly logger = new Logger('policy sync');

  constructor(
    @Inject(VIGIL_CONFIG) config: CollectorConfig,
    private readonly transport: CollectorBus,
  ) {
    this.node = config.node.name;
    this.labels = config.node.labels;
    this.refreshMs = config.collector.policyStatusRefresh;
  }

  start(runtime: PolicyTarget): void {
    if (this.sync) return;
    const sync = new PolicySync({
      bus: this.transport.bus,
      runtime,
      node: this.node,
      labels: this.labels,
      log: (line) => this.logger.warn(line),
    });
    this.sync = sync;
    sync.start();
    this.timer = setInterval(() => void this.refresh(sync), this.refreshMs);
    this.timer.unref();
    const labels = Object.entries(this.labels).map(([k, v]) => `${k}=${v}`);
    this.logger.log(`following vigil.policies as node ${this.node} (labels: ${labels.join(',') || 'none'})`);
  }

  /** Stops applying records; the runtime (and what it loaded) is the caller's to close. */
  stop(): void {
    clearInterval(this.timer);
    this.sync?.stop();
  }

  /** True when the policy came from vigil.policies: it is changed through the policy engine only. */
  owns(name: string): boolean {
    return this.sync?.owns(name) ?? false;
  }

  status(): NodePolicySyncStatus {
    return {
      running: this.sync !== undefined,
      node: this.node,
      labels: this.labels,
      stats: this.sync?.stats(),
      refreshFailures: this.refreshFailures,
      policies: this.sync?.statuses() ?? [],
    };
  }

  private async refresh(sync: PolicySync): Promise<void> {
    // A slow transport must not pile up refreshes: the next period sends the newest state anyway.
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      await sync.refresh();
    } catch (err) {
      this.refreshFailures++;
      this.logger.warn(`policy statuses not published: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.refreshing = false;
    }
  }
}
