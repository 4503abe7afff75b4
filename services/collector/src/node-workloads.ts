import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Topic, type BusMessage } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import type { PodInfo } from '@vigil/policy-kernel';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import type { collectorSchema } from './collector.config';
import { CollectorBus } from './collector-bus';
import { parseWorkloadMap, WorkloadMapError, type NodeWorkloadMap } from './workload-map';

type CollectorConfig = ConfigOf<typeof collectorSchema>;

/** What GET /status shows of the workload map. */
export interface NodeWorkloadsStatus {
  following: boolean;
  node: string;
  /** The map in use: none until the enricher has published one for this node. */
  map?: {
    generation: number;
    time: string;
    /** Since the enricher built it. */
    ageMs: number;
    receivedAt: string;
    pods: number;
    containers: number;
  };
  /** Messages of this node's key (other nodes' keys are counted apart and skipped). */
  received: number;
  applied: number;
  otherNodes: number;
  /** Tombstones of this node's key: the map is dropped. */
  cleared: number;
  /** Maps that failed the check: counted, logged, sent to vigil.dead-letter; the previous map stays. */
  malformed: number;
  lastError?: string;
  deadLettered: number;
  /** Dead letters the bus did not take (the malformed map is still counted above). */
  deadLetterFailures: number;
}

/** A dead letter the collector writes itself (the bus writes its own for undecodable bytes). */
export interface WorkloadMapDeadLetter {
  reason: 'invalid-workload-map';
  topic: string;
  consumer: string;
  error: string;
  key: string;
  value: unknown;
}

/**
 * Follows vigil.workloads (compacted, key = node name) and keeps the latest map of this node
 * (node.name): the pods of namespaced/podSelector/containerSelector policies. Each new map is
 * announced to the listeners (the pipeline provider refreshes the policies' cgroups at once).
 * A consumer name unique to this process, so every start reads the compacted topic from the
 * beginning and ends on the latest map, as PolicySync does with vigil.policies.
 */
@Injectable()
export class NodeWorkloads {
  private readonly node: string;
  private readonly consumer: string;
  private readonly logger = new Logger('workload map');
  private unsubscribe?: () => void;
  private current?: NodeWorkloadMap & { receivedAt: number };
  private readonly listeners: Array<() => void> = [];
  private readonly counters = {
    received: 0,
    applied: 0,
    otherNodes: 0,
    cleared: 0,
    malformed: 0,
    deadLettered: 0,
    deadLetterFailures: 0,
  };
  private lastError?: string;

  constructor(
    @Inject(VIGIL_CONFIG) config: CollectorConfig,
    private readonly transport: CollectorBus,
  ) {
    this.node = config.node.name;
    this.consumer = `workloads.${this.node}.${randomUUID()}`;
  }

  /** Needs a started bus (the fleet's KafkaBus starts at module init). */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.transport.bus.subscribe<unknown>(Topic.workloads, this.consumer, (batch) =>
      this.handle(batch),
    );
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Called after each batch that changed this node's map. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The pods of the latest map; none before the first one. */
  pods(): PodInfo[] {
    return this.current?.pods ?? [];
  }

  /** One batch of vigil.workloads (what the subscription calls). */
  async handle(batch: BusMessage<unknown>[]): Promise<void> {
    let changed = false;
    const letters: BusMessage<WorkloadMapDeadLetter>[] = [];
    for (const { key, value } of batch) {
      // Every collector reads every node's maps; only its own matter (and are checked).
      if (key !== this.node) {
        this.counters.otherNodes++;
        continue;
      }
      this.counters.received++;
      if (value === null) {
        this.counters.cleared++;
        this.current = undefined;
        changed = true;
        continue;
      }
      try {
        this.current = { ...parseWorkloadMap(key, value), receivedAt: Date.now() };
        this.counters.applied++;
        changed = true;
      } catch (err) {
        if (!(err instanceof WorkloadMapError)) throw err;
        this.counters.malformed++;
        this.lastError = err.message;
        this.logger.warn(`vigil.workloads: map for node ${key} ignored (the previous one stays): ${err.message}`);
        const letter: WorkloadMapDeadLetter = {
          reason: 'invalid-workload-map',
          topic: Topic.workloads,
          consumer: this.consumer,
          error: err.message,
          key,
          value,
        };
        letters.push({ key, value: letter });
      }
    }
    // Within a batch only the last map counts: one refresh however many maps a replay brings.
    if (changed) for (const listener of this.listeners) listener();
    if (letters.length > 0) await this.deadLetter(letters);
  }

  status(now = Date.now()): NodeWorkloadsStatus {
    const m = this.current;
    return {
      following: this.unsubscribe !== undefined,
      node: this.node,
      ...(m && {
        map: {
          generation: m.generation,
          time: m.time,
          ageMs: Math.max(0, now - m.builtAt),
          receivedAt: new Date(m.receivedAt).toISOString(),
          pods: m.pods.length,
          containers: m.pods.reduce((n, p) => n + p.containers.length, 0),
        },
      }),
      ...this.counters,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  private async deadLetter(letters: BusMessage<WorkloadMapDeadLetter>[]): Promise<void> {
    try {
      await this.transport.bus.publish(Topic.deadLetter, letters);
      this.counters.deadLettered += letters.length;
    } catch (err) {
      this.counters.deadLetterFailures += letters.length;
      this.logger.warn(`vigil.dead-letter: ${letters.length} workload map(s) not sent: ${String(err)}`);
    }
  }
}
