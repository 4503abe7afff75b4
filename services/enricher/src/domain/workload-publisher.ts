import { Topic, type EventBus } from '@vigil/bus';
import type { PodRecord } from './kubernetes/pod-record';
import type { WorkloadMap, WorkloadPod } from '@vigil/contracts';
import { workloadMaps } from './workload-map';

export interface WorkloadPublisherOptions {
  bus: EventBus;
  /** The live pods now (PodCache.livePods). */
  pods: () => PodRecord[];
  /** Nodes always published, even without pods (the node this enricher watches). */
  nodes: string[];
  /** Changes within this window go out as one map per node. */
  debounceMs: number;
  now?: () => number;
  log?: (message: string) => void;
}

export interface WorkloadPublisherStats {
  /** Maps published (one per node and change). */
  published: number;
  /** Publishes that failed; the node's map is sent again at the next change. */
  failed: number;
  nodes: number;
  lastPublishedAt?: string;
}

/**
 * Publishes the workload map of each node to vigil.workloads (key = node name) when it changed,
 * debounced: a burst of pod events (a rollout) becomes one message per node. A node whose last pod
 * went away gets an empty map rather than a tombstone, so collectors drop its pods too.
 */
export class WorkloadPublisher {
  private timer?: NodeJS.Timeout;
  private generation = 0;
  /** What was last published per node, as JSON, to publish only what changed. */
  private readonly last = new Map<string, string>();
  private readonly stats_: WorkloadPublisherStats = { published: 0, failed: 0, nodes: 0 };
  private running: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: WorkloadPublisherOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The pods changed: publish after the debounce window. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.publish());
    }, this.options.debounceMs);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  stats(): WorkloadPublisherStats {
    return { ...this.stats_ };
  }

  /** Publishes the maps that differ from the last ones published. */
  async publish(): Promise<void> {
    const maps = workloadMaps(this.options.pods());
    for (const node of this.options.nodes) if (!maps.has(node)) maps.set(node, []);
    for (const node of this.last.keys()) if (!maps.has(node)) maps.set(node, []);
    const changed: Array<[string, WorkloadPod[], string]> = [];
    for (const [node, pods] of maps) {
      const json = JSON.stringify(pods);
      if (this.last.get(node) !== json) changed.push([node, pods, json]);
    }
    if (changed.length === 0) return;
    const time = new Date(this.now()).toISOString();
    const messages = changed.map(([nodeName, pods]) => {
      const value: WorkloadMap = { node_name: nodeName, generation: ++this.generation, time, pods };
      return { key: nodeName, value };
    });
    try {
      await this.options.bus.publish(Topic.workloads, messages);
    } catch (err) {
      this.stats_.failed += messages.length;
      this.options.log?.(`workload map: publish failed: ${String(err)}`);
      return;
    }
    for (const [node, , json] of changed) this.last.set(node, json);
    this.stats_.published += messages.length;
    this.stats_.nodes = this.last.size;
    this.stats_.lastPublishedAt = time;
  }
}
