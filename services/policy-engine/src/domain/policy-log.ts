import { randomUUID } from 'node:crypto';
import { Topic, type BusMessage, type EventBus } from '@vigil/bus';
import type { PolicyCommand, PolicyRecord, PolicyStatus } from '@vigil/contracts';
import { RequestError } from './errors';
import { PolicyState, type Change, type ReplayOutcome } from './policy-state';
import { StatusView } from './status-view';

/** Keys of replay markers on vigil.policies; never a policy id (ids have no "~"). */
export const MARKER_PREFIX = '~replay/';

export interface PolicyLogOptions {
  bus: Pick<EventBus, 'publish' | 'subscribe'>;
  /**
   * Consumer name; unique per start (the default), so each start reads vigil.policies from the
   * beginning instead of resuming a committed offset.
   */
  consumer?: string;
  /** Ready once the marker came back and then nothing arrived for this long. */
  quietMs?: number;
  log?: (line: string) => void;
}

export interface PolicyLogStats {
  ready: boolean;
  replay: Record<ReplayOutcome, number>;
  /** Replay markers read (this start's and earlier starts'). */
  markers: number;
  /** Our own published changes read back (already applied when published). */
  echoes: number;
  published: number;
}

/**
 * The event-sourced policy log: PolicyState rebuilt from vigil.policies, changes written there
 * (key = policy id, a tombstone for a delete), and node statuses from vigil.policy-status.
 *
 * Catching up: the bus has no "end of topic" signal, so at start the log publishes a marker (a
 * tombstone under a key no policy can have) and is ready once the marker has come back and the
 * topic then stayed quiet for quietMs. The marker proves the consumer is reading from the
 * beginning and got as far as "now" on its partition; the quiet period covers the other
 * partitions, which one consumer fetches together. Until ready, commands are refused (503).
 *
 * One engine writes: versions are computed from the state this process holds, and commands run
 * one at a time so two requests never take the same version.
 */
export class PolicyLog {
  readonly state = new PolicyState();
  readonly statuses = new StatusView();
  private readonly marker = `${MARKER_PREFIX}${randomUUID()}`;
  private readonly consumer: string;
  private readonly quietMs: number;
  private readonly log: (line: string) => void;
  private readonly pendingEchoes = new Map<string, number>();
  private readonly counters: PolicyLogStats = {
    ready: false,
    replay: { applied: 0, deleted: 0, stale: 0, invalid: 0 },
    markers: 0,
    echoes: 0,
    published: 0,
  };
  private markerSeen = false;
  private lastMessageAt = Date.now();
  private readyWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  /** Commands run one after another (see the class comment). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PolicyLogOptions) {
    this.consumer = options.consumer ?? `policy-engine.${randomUUID()}`;
    this.quietMs = options.quietMs ?? 500;
    this.log = options.log ?? (() => {});
  }

  async start(): Promise<void> {
    // One consumer name per topic: on Kafka a name is a consumer group, and members of one group
    // subscribed to different topics would be handed each other's partitions.
    this.unsubscribe.push(
      this.options.bus.subscribe<PolicyRecord | null>(Topic.policies, `${this.consumer}.policies`, (batch) =>
        this.onRecords(batch),
      ),
      this.options.bus.subscribe<PolicyStatus | null>(Topic.policyStatus, `${this.consumer}.status`, (batch) => {
        for (const m of batch) this.statuses.apply(m.key, m.value);
      }),
    );
    await this.options.bus.publish(Topic.policies, [{ key: this.marker, value: null }]);
    this.timer = setInterval(() => this.checkReady(), Math.max(20, Math.min(this.quietMs, 200)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unsubscribe.splice(0)) u();
  }

  get ready(): boolean {
    return this.counters.ready;
  }

  whenReady(): Promise<void> {
    if (this.counters.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  stats(): PolicyLogStats {
    return structuredClone(this.counters);
  }

  /**
   * Validates the command against the current state, publishes the change and applies it.
   * Resolves with the change (undefined when the command changes nothing).
   */
  execute(command: PolicyCommand, file?: string): Promise<Change | undefined> {
    const run = async (): Promise<Change | undefined> => {
      if (!this.counters.ready)
        throw new RequestError(
          503,
          `the policy engine is still replaying vigil.policies (${this.counters.replay.applied} records so far); retry shortly`,
        );
      const change = this.state.plan(command, file);
      if (!change) return undefined;
      this.pendingEchoes.set(change.id, (this.pendingEchoes.get(change.id) ?? 0) + 1);
      try {
        await this.options.bus.publish(Topic.policies, [{ key: change.id, value: change.record }]);
      } catch (e) {
        this.dropEcho(change.id);
        throw new RequestError(503, `could not publish to ${Topic.policies}: ${(e as Error).message}; nothing changed`);
      }
      this.state.commit(change);
      this.counters.published++;
      return change;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private onRecords(batch: BusMessage<PolicyRecord | null>[]): void {
    this.lastMessageAt = Date.now();
    for (const { key, value } of batch) {
      if (key.startsWith(MARKER_PREFIX)) {
        this.counters.markers++;
        if (key === this.marker) this.markerSeen = true;
        continue;
      }
      // Our own change read back: the state has had it since it was published.
      if (this.dropEcho(key)) {
        this.counters.echoes++;
        continue;
      }
      const outcome = this.state.replay(key, value);
      this.counters.replay[outcome]++;
      if (outcome === 'invalid')
        this.log(`vigil.policies: ignored the record under key ${JSON.stringify(key)}: not a valid policy record`);
    }
  }

  private dropEcho(id: string): boolean {
    const n = this.pendingEchoes.get(id) ?? 0;
    if (n === 0) return false;
    if (n === 1) this.pendingEchoes.delete(id);
    else this.pendingEchoes.set(id, n - 1);
    return true;
  }

  private checkReady(): void {
    if (this.counters.ready || !this.markerSeen || Date.now() - this.lastMessageAt < this.quietMs) return;
    this.counters.ready = true;
    if (this.timer) clearInterval(this.timer);
    const r = this.counters.replay;
    this.log(
      `replayed vigil.policies: ${this.state.list().length} policies (${r.applied} records, ${r.deleted} deletions, ${r.stale} stale, ${r.invalid} invalid)`,
    );
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }
}
