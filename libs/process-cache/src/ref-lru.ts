/**
 * Two recency lists, one for entries nobody references (refcnt 0) and one for referenced
 * entries: eviction takes the least recently used unreferenced entry in O(1), and only when
 * there is none the least recently used referenced one. (A single list would have to be scanned
 * past every long-lived, referenced process such as init to find an evictable entry.)
 *
 * Doubly linked lists, not Map insertion order: V8 leaves deleted Map slots in place until the
 * table is rehashed, so "first key of a Map that is constantly deleted from and re-inserted
 * into" costs O(deleted slots) — measured at ~70 µs per event at 65,536 entries.
 */
export interface Refcounted {
  refcnt: number;
}

interface Node<V> {
  key: string;
  value: V;
  pinned: boolean;
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
}

/** Oldest at head, most recent at tail. */
class List<V> {
  head: Node<V> | undefined;
  tail: Node<V> | undefined;

  push(node: Node<V>): void {
    node.prev = this.tail;
    node.next = undefined;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }

  unlink(node: Node<V>): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
  }
}

export class RefLru<V extends Refcounted> {
  private readonly nodes = new Map<string, Node<V>>();
  private readonly free = new List<V>();
  private readonly pinned = new List<V>();

  get size(): number {
    return this.nodes.size;
  }

  /** Without touching recency. */
  peek(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  has(key: string): boolean {
    return this.nodes.has(key);
  }

  /** Insert or move to the most recent end of the list its refcnt belongs in. */
  touch(key: string, value: V): void {
    let node = this.nodes.get(key);
    if (node) (node.pinned ? this.pinned : this.free).unlink(node);
    else this.nodes.set(key, (node = { key, value, pinned: false, prev: undefined, next: undefined }));
    node.value = value;
    node.pinned = value.refcnt > 0;
    (node.pinned ? this.pinned : this.free).push(node);
  }

  /** Move between lists after a refcnt change, only if the list changes (keeps recency otherwise). */
  retier(key: string, value: V): void {
    const node = this.nodes.get(key);
    if (node && node.pinned !== value.refcnt > 0) this.touch(key, value);
  }

  delete(key: string): boolean {
    const node = this.nodes.get(key);
    if (!node) return false;
    (node.pinned ? this.pinned : this.free).unlink(node);
    this.nodes.delete(key);
    return true;
  }

  /** The eviction candidate: oldest unreferenced, else oldest referenced; skipping `keep`. */
  victim(keep: ReadonlySet<string>): [string, V] | undefined {
    for (const list of [this.free, this.pinned]) {
      for (let node = list.head; node; node = node.next) if (!keep.has(node.key)) return [node.key, node.value];
    }
    return undefined;
  }

  *values(): IterableIterator<V> {
    for (const node of this.nodes.values()) yield node.value;
  }
}
