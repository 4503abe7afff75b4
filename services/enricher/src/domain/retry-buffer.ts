export interface RetryBufferOptions {
  /** Entries held at most; holding one more evicts the oldest. */
  maxSize: number;
  /** How long an entry may wait before it is released anyway. */
  maxWaitMs: number;
  now?: () => number;
}

export interface Held<T> {
  key: string;
  item: T;
  heldAt: number;
  /** Arrival number: orders items across keys. */
  seq: number;
}

/**
 * Items waiting for something (the enricher: a pod the API server has not shown yet), bounded in
 * count and time, released per key in arrival order.
 *
 * Order: per key, items leave in the order they arrived. An item whose key already has items
 * waiting must wait behind them even if it is ready itself (callers check `waiting(key)`), and
 * release stops at the first item of a key that is not ready. Across keys there is no order:
 * a ready key's items overtake an older stuck key's. Eviction takes the oldest item overall,
 * which is always the first of its key, so it keeps the per-key order too.
 */
export class RetryBuffer<T> {
  private readonly byKey = new Map<string, Held<T>[]>();
  /** Every held item in arrival order (Map keeps insertion order): the oldest is first. */
  private readonly all = new Map<number, Held<T>>();
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly options: RetryBufferOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.all.size;
  }

  waiting(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Holds an item; returns the items evicted to make room (oldest first), to be sent as they are. */
  hold(key: string, item: T): Held<T>[] {
    const evicted: Held<T>[] = [];
    while (this.all.size >= this.options.maxSize && this.all.size > 0) evicted.push(this.removeOldest());
    const held: Held<T> = { key, item, heldAt: this.now(), seq: this.seq++ };
    this.all.set(held.seq, held);
    let queue = this.byKey.get(key);
    if (!queue) this.byKey.set(key, (queue = []));
    queue.push(held);
    return evicted;
  }

  /** Items now ready, per key from the front while ready, in arrival order overall. */
  release(ready: (item: T, key: string) => boolean): Held<T>[] {
    const out: Held<T>[] = [];
    for (const [key, queue] of this.byKey) {
      while (queue.length > 0 && ready(queue[0]!.item, key)) out.push(this.take(queue));
      if (queue.length === 0) this.byKey.delete(key);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Items that waited maxWaitMs or more, with every item of the same key queued before them (all
   * older, so already expired too) — and nothing newer, so later items keep waiting their turn.
   */
  expired(): Held<T>[] {
    const cutoff = this.now() - this.options.maxWaitMs;
    const out: Held<T>[] = [];
    for (const held of this.all.values()) {
      if (held.heldAt > cutoff) break; // arrival order = age order
      out.push(held);
    }
    for (const held of out) this.unlink(held);
    return out;
  }

  /** Everything, oldest first (shutdown). */
  drain(): Held<T>[] {
    const out = [...this.all.values()];
    this.all.clear();
    this.byKey.clear();
    return out;
  }

  private removeOldest(): Held<T> {
    const oldest = this.all.values().next().value!;
    this.unlink(oldest);
    return oldest;
  }

  private take(queue: Held<T>[]): Held<T> {
    const held = queue.shift()!;
    this.all.delete(held.seq);
    return held;
  }

  private unlink(held: Held<T>): void {
    this.all.delete(held.seq);
    const queue = this.byKey.get(held.key);
    if (!queue) return;
    const at = queue.indexOf(held);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.byKey.delete(held.key);
  }
}
