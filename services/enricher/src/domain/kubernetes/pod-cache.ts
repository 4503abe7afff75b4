import type { ContainerRecord, PodRecord } from './pod-record';

export interface PodCacheOptions {
  /** Pods kept, deleted ones still retained included. Over it new pods are refused and counted. */
  maxPods: number;
  /**
   * How long a deleted pod stays resolvable. A container's last events (its processes' exits)
   * often reach the enricher after the API server has already deleted the pod.
   */
  deletedRetentionMs: number;
  now?: () => number;
}

export interface PodCacheStats {
  /** Pods alive in the API server's view. */
  pods: number;
  /** Deleted pods still kept for late events. */
  deletedRetained: number;
  containers: number;
  /** Pods refused because the cache was full of live pods. */
  refused: number;
  /** Deleted pods dropped before their retention ended to make room for live ones. */
  deletedEvicted: number;
}

export interface ContainerMatch {
  pod: PodRecord;
  container: ContainerRecord;
}

interface Entry {
  pod: PodRecord;
  /** When the pod was deleted (ms); undefined while it lives. */
  deletedAt?: number;
}

/** Shortest container-id prefix accepted: Docker's short ids are 12 hex digits. */
export const MIN_CONTAINER_PREFIX = 12;

/**
 * Pods by uid and by container id, bounded. Container ids are looked up whole or by a prefix of at
 * least 12 characters (Tetragon's `docker` field carries a truncated id), through an index on the
 * first 12 characters.
 */
export class PodCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byContainer = new Map<string, ContainerMatch>();
  private readonly byPrefix = new Map<string, Set<string>>();
  private readonly listeners: Array<() => void> = [];
  private readonly now: () => number;
  private refused = 0;
  private deletedEvicted = 0;
  /** Increases with every change: the workload map is republished when it moved. */
  generation = 0;

  constructor(private readonly options: PodCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Called after every change (add, update, delete, relist). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  upsert(pod: PodRecord): void {
    if (!this.store(pod)) return;
    this.changed();
  }

  /** A deleted pod stays resolvable for deletedRetentionMs; the workload map drops it at once. */
  delete(uid: string): void {
    const entry = this.entries.get(uid);
    if (!entry || entry.deletedAt !== undefined) return;
    entry.deletedAt = this.now();
    this.changed();
  }

  /** A full list from the API server: what it does not hold any more counts as deleted now. */
  replace(pods: PodRecord[]): void {
    const seen = new Set<string>();
    for (const pod of pods) {
      seen.add(pod.uid);
      this.store(pod);
    }
    const now = this.now();
    for (const [uid, entry] of this.entries) if (!seen.has(uid) && entry.deletedAt === undefined) entry.deletedAt = now;
    this.changed();
  }

  /** Forgets deleted pods whose retention has ended. */
  sweep(): void {
    const cutoff = this.now() - this.options.deletedRetentionMs;
    let removed = false;
    for (const [uid, entry] of this.entries)
      if (entry.deletedAt !== undefined && entry.deletedAt <= cutoff) {
        this.remove(uid);
        removed = true;
      }
    // Deleted pods were already out of the workload map: no change to announce.
    if (removed) this.generation++;
  }

  /** A container by its full id or a prefix of at least MIN_CONTAINER_PREFIX characters. */
  container(idOrPrefix: string): ContainerMatch | undefined {
    const exact = this.byContainer.get(idOrPrefix);
    if (exact || idOrPrefix.length < MIN_CONTAINER_PREFIX) return exact;
    for (const id of this.byPrefix.get(idOrPrefix.slice(0, MIN_CONTAINER_PREFIX)) ?? [])
      if (id.startsWith(idOrPrefix)) return this.byContainer.get(id);
    return undefined;
  }

  pod(uid: string): PodRecord | undefined {
    return this.entries.get(uid)?.pod;
  }

  /** Live pods (not deleted), for the workload map. */
  livePods(): PodRecord[] {
    const out: PodRecord[] = [];
    for (const entry of this.entries.values()) if (entry.deletedAt === undefined) out.push(entry.pod);
    return out;
  }

  stats(): PodCacheStats {
    let deleted = 0;
    for (const entry of this.entries.values()) if (entry.deletedAt !== undefined) deleted++;
    return {
      pods: this.entries.size - deleted,
      deletedRetained: deleted,
      containers: this.byContainer.size,
      refused: this.refused,
      deletedEvicted: this.deletedEvicted,
    };
  }

  private store(pod: PodRecord): boolean {
    const old = this.entries.get(pod.uid);
    if (!old && this.entries.size >= this.options.maxPods && !this.evictOldestDeleted()) {
      this.refused++;
      return false;
    }
    if (old) this.unindex(old.pod);
    // A pod the list or a watch event shows is alive, even if it was marked deleted before.
    this.entries.set(pod.uid, { pod });
    for (const container of pod.containers) {
      this.byContainer.set(container.id, { pod, container });
      const prefix = container.id.slice(0, MIN_CONTAINER_PREFIX);
      let ids = this.byPrefix.get(prefix);
      if (!ids) this.byPrefix.set(prefix, (ids = new Set()));
      ids.add(container.id);
    }
    return true;
  }

  private evictOldestDeleted(): boolean {
    let oldest: [string, number] | undefined;
    for (const [uid, entry] of this.entries)
      if (entry.deletedAt !== undefined && (!oldest || entry.deletedAt < oldest[1])) oldest = [uid, entry.deletedAt];
    if (!oldest) return false;
    this.remove(oldest[0]);
    this.deletedEvicted++;
    return true;
  }

  private remove(uid: string): void {
    const entry = this.entries.get(uid);
    if (!entry) return;
    this.unindex(entry.pod);
    this.entries.delete(uid);
  }

  private unindex(pod: PodRecord): void {
    for (const container of pod.containers) {
      // Only if the id still points at this pod (a restarted pod object may own it now).
      if (this.byContainer.get(container.id)?.pod.uid !== pod.uid) continue;
      this.byContainer.delete(container.id);
      const prefix = container.id.slice(0, MIN_CONTAINER_PREFIX);
      const ids = this.byPrefix.get(prefix);
      ids?.delete(container.id);
      if (ids?.size === 0) this.byPrefix.delete(prefix);
    }
  }

  private changed(): void {
    this.generation++;
    for (const listener of this.listeners) listener();
  }
}
