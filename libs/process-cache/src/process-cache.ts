/**
 * The collector's process cache: every process by exec_id, with parent links, so each event can
 * carry its process, parent and ancestors in Tetragon's shape.
 *
 * Reference counting (as Tetragon's process cache does it): an entry holds one reference on
 * itself while the process is alive, and each child entry holds one reference on its parent
 * while the child itself is referenced. An exited process therefore stays pinned as long as any
 * descendant lives, so a late child can still resolve its whole ancestry. Unlike Tetragon an
 * entry is not deleted when its count drops to 0: it only becomes evictable, and stays available
 * for late events until the LRU needs the room. Eviction takes the least recently used
 * unreferenced entry first; if every entry is referenced (more live processes than capacity) it
 * takes the least recently used referenced one anyway. Every eviction is counted.
 *
 * Out-of-order and missing events (counted in metrics()):
 * - exit before its exec/fork: a minimal process (pid, exec_id, start_time, flag "miss") is
 *   emitted, and when the exec/fork arrives afterwards it is cached as already exited;
 * - parent unknown: looked up by pid (the kernel reports parentKtime 0 for a parent it never saw
 *   start, e.g. one seeded from /proc), then read from /proc if a procFallback is given; failing
 *   that parent_exec_id stays empty, and the child is linked when the parent shows up;
 * - /proc-seeded processes have start times with clock-tick (10 ms) granularity: a kernel ktime
 *   within one tick after a seeded start time is the same process.
 */
import type { RawExecEvent, RawExitEvent, RawForkEvent, RawHookEvent, RawProcessEvent } from '@vigil/bpf-native';
import {
  execId,
  execResponse,
  exitResponse,
  kernelExecId,
  makeProcess,
  ProcessFlag,
  type GetEventsResponse,
  type NamespaceInums,
  type Process,
  type Timestamp,
} from '@vigil/events';
import { cloneProcess, execProcess, minimalProcess, type BuildContext } from './process-builder';
import { RefLru } from './ref-lru';

export interface ProcessCacheOptions {
  nodeName: string;
  /** ktime (CLOCK_BOOTTIME ns) → Timestamp; a BootClock from @vigil/events. */
  clock: { toTimestamp(ktime: bigint): Timestamp };
  /** Entries kept (Tetragon's --process-cache-size default). Default 65,536. */
  capacity?: number;
  /** Host (pid 1) namespace inums for Namespace.is_host; see hostNamespaces() in proc-seed. */
  hostNamespaces?: NamespaceInums;
  /** Fill cap and process_credentials. Default true. */
  credentials?: boolean;
  /** Fill ns. Default true. */
  namespaces?: boolean;
  /** Fill ProcessExec/ProcessExit.ancestors (Tetragon's --enable-process-ancestors). Default false. */
  ancestors?: boolean;
  /** Bound on ancestors per event. Default 1,024. */
  maxAncestors?: number;
  /** Reads one process from /proc (readProcess from proc-seed) for parents the cache has not seen. */
  procFallback?: (pid: number) => RawExecEvent | undefined;
  /** Granularity of /proc start times, ns. Default 10 ms (CLK_TCK 100). */
  procTickNs?: bigint;
}

export interface ProcessCacheMetrics {
  size: number;
  /** Lookups (by events or callers) that found their process. */
  hits: number;
  misses: number;
  evictions: number;
  /** Evictions of entries still referenced (more live processes than capacity). */
  evictionsReferenced: number;
  /** Exits for a process never seen: emitted with a minimal process flagged "miss". */
  exitsWithoutProcess: number;
  /** Exec/fork that arrived after the exit of the same exec_id. */
  startsAfterExit: number;
  /** Exec/fork whose parent was not found: parent_exec_id left empty. */
  parentsUnknown: number;
  /** Of those, linked later when the parent arrived. */
  parentsLinkedLate: number;
  /** Parents read from /proc on demand. */
  procFallbacks: number;
  /** A live entry whose pid was taken by a new process: its exit was never seen. */
  missedExits: number;
  /** Exec/fork/seed for an exec_id already cached (ignored). */
  duplicates: number;
  /** Hook events of a process never seen: sent with a minimal process flagged "miss". */
  hooksWithoutProcess: number;
}

/** Who a policy hook event is about, as exec/exit events carry it. */
export interface HookContext {
  process: Process;
  parent?: Process;
  ancestors?: Process[];
  nodeName: string;
  time: Timestamp;
}

export type EntryOrigin = 'exec' | 'fork' | 'procfs';

/** One cached process. Read-only for callers. */
export interface CacheEntry {
  readonly execId: string;
  readonly pid: number;
  readonly ktime: bigint;
  readonly origin: EntryOrigin;
  /** Raw flags of the event that created the entry. */
  readonly flags: number;
  readonly cgroupId: bigint;
  readonly cgroupPath: string;
  /** Tetragon-shaped process; replaced (never mutated) when it changes. */
  process: Process;
  /** "" while unknown. */
  parentExecId: string;
  refcnt: number;
  /** Holds its own reference: started and not yet exited or replaced by an exec. */
  alive: boolean;
  /** Contributes one reference to its parent. */
  holdsParentRef: boolean;
  /** The parent it still waits for (pid, kernel's ktime or 0n). */
  waitingFor: { pid: number; ktime: bigint } | undefined;
}

const MAX_FALLBACK_DEPTH = 32;
const MAX_TOMBSTONES = 4096;

export class ProcessCache {
  private readonly ctx: BuildContext;
  private readonly capacity: number;
  private readonly ancestorsInEvents: boolean;
  private readonly maxAncestors: number;
  private readonly procFallback: ((pid: number) => RawExecEvent | undefined) | undefined;
  private readonly tick: bigint;
  private readonly lru = new RefLru<CacheEntry>();
  /** pid → exec_id of the live process with that pid. */
  private readonly byPid = new Map<number, string>();
  /** parent pid → children waiting for it. */
  private readonly waiting = new Map<number, Set<string>>();
  /** exec_ids whose exit came before their start. */
  private readonly tombstones = new Set<string>();
  private readonly counters: Omit<ProcessCacheMetrics, 'size'> = {
    hits: 0,
    misses: 0,
    evictions: 0,
    evictionsReferenced: 0,
    exitsWithoutProcess: 0,
    hooksWithoutProcess: 0,
    startsAfterExit: 0,
    parentsUnknown: 0,
    parentsLinkedLate: 0,
    procFallbacks: 0,
    missedExits: 0,
    duplicates: 0,
  };

  constructor(options: ProcessCacheOptions) {
    this.ctx = {
      nodeName: options.nodeName,
      clock: options.clock,
      hostNamespaces: options.hostNamespaces,
      credentials: options.credentials ?? true,
      namespaces: options.namespaces ?? true,
    };
    this.capacity = options.capacity ?? 65_536;
    if (!(this.capacity >= 1)) throw new RangeError('capacity must be >= 1');
    this.ancestorsInEvents = options.ancestors ?? false;
    this.maxAncestors = options.maxAncestors ?? 1024;
    this.procFallback = options.procFallback;
    this.tick = options.procTickNs ?? 10_000_000n;
  }

  get size(): number {
    return this.lru.size;
  }

  metrics(): ProcessCacheMetrics {
    return { size: this.lru.size, ...this.counters };
  }

  /** Learn from one kernel event; returns the event to emit (exec, exit), or undefined (fork). */
  ingest(raw: RawProcessEvent): GetEventsResponse | undefined {
    switch (raw.kind) {
      case 'exec':
        return this.onExec(raw);
      case 'fork':
        this.onFork(raw);
        return undefined;
      case 'exit':
        return this.onExit(raw);
      case 'hook':
        // Policy hook events are built by the policy layer (it knows the hook); nothing to learn here.
        return undefined;
    }
  }

  /**
   * Add processes read from /proc at start (readProcFs), parents before children. Returns their
   * process_exec events (flags "procFS …"), as Tetragon emits for processes running at start.
   */
  seed(processes: readonly RawExecEvent[]): GetEventsResponse[] {
    const events: GetEventsResponse[] = [];
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    const done = new Set<number>();
    const visit = (raw: RawExecEvent, path: Set<number>): void => {
      if (done.has(raw.pid) || path.has(raw.pid)) return;
      path.add(raw.pid);
      const parent = byPid.get(raw.ppid);
      if (parent && parent.pid !== raw.pid) visit(parent, path);
      done.add(raw.pid);
      const entry = this.addExec(raw, 'procfs', MAX_FALLBACK_DEPTH);
      if (entry) events.push(this.execEvent(entry, raw.ktime));
    };
    const ordered = [...processes].sort((a, b) => (a.ktime < b.ktime ? -1 : a.ktime > b.ktime ? 1 : a.pid - b.pid));
    for (const raw of ordered) visit(raw, new Set());
    return events;
  }

  /** The entry for an exec_id (marks it recently used). */
  get(id: string): Readonly<CacheEntry> | undefined {
    const e = this.lru.peek(id);
    this.count(e);
    if (e) this.lru.touch(id, e);
    return e;
  }

  /** The live process with this pid, for events that only know a pid. */
  getByPid(pid: number): Readonly<CacheEntry> | undefined {
    const id = this.byPid.get(pid);
    if (id !== undefined) return this.get(id);
    this.count(undefined);
    return undefined;
  }

  /** Every cached entry (for debugging dumps, like Tetragon's DumpProcessCache); does not touch recency. */
  entries(): IterableIterator<Readonly<CacheEntry>> {
    return this.lru.values();
  }

  execIdOfPid(pid: number): string | undefined {
    return this.byPid.get(pid);
  }

  /**
   * Processes above `id`, parent first, up to init or kthreadd (never the "<kernel>" pseudo
   * process), at most `limit` of them; stops at the first ancestor not in the cache.
   */
  ancestors(id: string, limit = Infinity): Process[] {
    const start = this.lru.peek(id);
    return start ? this.walkUp(start, limit).map((e) => ({ ...e.process })) : [];
  }

  /** The process a hook event belongs to (its thread as `tid`), with parent and ancestors. */
  hookContext(raw: RawHookEvent): HookContext {
    const entry = raw.ktime !== 0n ? this.find(raw.pid, raw.ktime) : this.current(raw.pid);
    const time = this.ctx.clock.toTimestamp(raw.time);
    if (!entry) {
      this.counters.hooksWithoutProcess++;
      const process = minimalProcess(raw.pid, raw.ktime, 0, this.ctx);
      return { process: makeProcess({ ...process, tid: raw.tid }), nodeName: this.ctx.nodeName, time };
    }
    const { parent, ancestors } = this.lineage(entry);
    return {
      process: makeProcess({ ...entry.process, tid: raw.tid }),
      parent,
      ancestors,
      nodeName: this.ctx.nodeName,
      time,
    };
  }

  private onExec(raw: RawExecEvent): GetEventsResponse | undefined {
    const entry = this.addExec(raw, 'exec', 0);
    return entry ? this.execEvent(entry, raw.ktime) : undefined;
  }

  private onFork(raw: RawForkEvent): void {
    const id = execId(this.ctx.nodeName, raw.ktime, raw.pid);
    if (this.lru.has(id)) {
      this.counters.duplicates++;
      return;
    }
    const parent = this.resolveParent(raw.ppid, raw.parentKtime, raw.ktime, 0);
    const identity = { pid: raw.pid, ktime: raw.ktime, flags: raw.flags };
    const process = parent.entry
      ? cloneProcess(parent.entry.process, identity, this.ctx)
      : makeProcess({
          ...minimalProcess(raw.pid, raw.ktime, raw.flags | ProcessFlag.clone, this.ctx),
          parent_exec_id: parent.id,
        });
    this.add(
      {
        execId: id,
        pid: raw.pid,
        ktime: raw.ktime,
        origin: 'fork',
        flags: raw.flags,
        cgroupId: 0n,
        cgroupPath: '',
        process,
      },
      parent,
      { pid: raw.ppid, ktime: raw.parentKtime },
    );
  }

  private onExit(raw: RawExitEvent): GetEventsResponse {
    const entry = this.find(raw.pid, raw.ktime);
    const time = this.ctx.clock.toTimestamp(raw.time);
    if (!entry) {
      this.counters.exitsWithoutProcess++;
      if (raw.ktime !== 0n) this.tombstone(execId(this.ctx.nodeName, raw.ktime, raw.pid));
      const process = minimalProcess(raw.pid, raw.ktime, 0, this.ctx);
      return exitResponse({ process, nodeName: this.ctx.nodeName, time, waitStatus: raw.status });
    }
    const { parent, ancestors } = this.lineage(entry);
    const event = exitResponse({
      process: { ...entry.process },
      parent,
      ancestors,
      nodeName: this.ctx.nodeName,
      time,
      waitStatus: raw.status,
    });
    if (this.byPid.get(entry.pid) === entry.execId) this.byPid.delete(entry.pid);
    this.markExited(entry);
    return event;
  }

  /** Cache an exec image (from an exec event or /proc); undefined when it adds nothing new. */
  private addExec(raw: RawExecEvent, origin: EntryOrigin, depth: number): CacheEntry | undefined {
    const id = execId(this.ctx.nodeName, raw.ktime, raw.pid);
    const current = this.current(raw.pid);
    if (this.lru.has(id) || (origin === 'procfs' && current && current.ktime >= raw.ktime)) {
      // Already known, or a /proc snapshot older than what the kernel already told us.
      this.counters.duplicates++;
      return undefined;
    }
    // "<kernel>" has no parent (Tetragon makes it its own parent; a self-link helps nobody).
    const parent =
      raw.pid === 0 ? { id: '', entry: undefined } : this.resolveParent(raw.ppid, raw.parentKtime, raw.ktime, depth);
    // Tetragon marks an exec "clone" when the process was created by a clone it saw.
    const cloned = origin === 'exec' && current?.origin === 'fork' && current.alive && current.ktime <= raw.ktime;
    const process = execProcess(raw, parent.id, this.ctx, cloned ? ProcessFlag.clone : 0);
    const fields = {
      execId: id,
      pid: raw.pid,
      ktime: raw.ktime,
      origin,
      flags: raw.flags,
      cgroupId: raw.cgroupId,
      cgroupPath: raw.cgroupPath,
      process,
    };
    return this.add(fields, parent, raw.pid === 0 ? undefined : { pid: raw.ppid, ktime: raw.parentKtime });
  }

  private add(
    fields: Pick<CacheEntry, 'execId' | 'pid' | 'ktime' | 'origin' | 'flags' | 'cgroupId' | 'cgroupPath' | 'process'>,
    parent: { id: string; entry: CacheEntry | undefined },
    wanted: { pid: number; ktime: bigint } | undefined,
  ): CacheEntry {
    const entry: CacheEntry = {
      ...fields,
      parentExecId: parent.id,
      refcnt: 0,
      alive: true,
      holdsParentRef: false,
      waitingFor: undefined,
    };
    if (this.tombstones.delete(entry.execId)) {
      this.counters.startsAfterExit++;
      entry.alive = false;
    }
    const previous = this.current(entry.pid);
    if (previous && previous.ktime > entry.ktime) {
      entry.alive = false; // a newer image of this pid is already known: this one is over
    } else {
      if (previous) {
        // Same pid, older image: replaced by this exec, or (fork) a process whose exit we missed.
        if (entry.origin === 'fork' && previous.alive) this.counters.missedExits++;
        this.markExited(previous);
      }
      if (entry.alive) this.byPid.set(entry.pid, entry.execId);
      else this.byPid.delete(entry.pid);
    }
    entry.refcnt = entry.alive ? 1 : 0;
    this.lru.touch(entry.execId, entry);

    if (parent.entry) this.link(entry, parent.entry);
    else if (wanted) this.waitFor(entry, wanted);
    this.adoptWaitingChildren(entry);
    this.evictIfFull(new Set([entry.execId, parent.id]));
    return entry;
  }

  private resolveParent(
    ppid: number,
    ktime: bigint,
    childKtime: bigint,
    depth: number,
  ): { id: string; entry: CacheEntry | undefined } {
    if (ppid === 0) {
      const id = kernelExecId(this.ctx.nodeName);
      return { id, entry: this.lru.peek(id) };
    }
    let entry = this.find(ppid, ktime);
    if (entry && entry.ktime > childKtime) entry = undefined; // started after the child: not its parent
    if (!entry && this.procFallback && depth < MAX_FALLBACK_DEPTH) {
      const raw = this.readProc(ppid);
      if (raw && raw.ktime <= childKtime) {
        this.counters.procFallbacks++;
        const current = this.current(ppid);
        entry =
          this.addExec(raw, 'procfs', depth + 1) ?? (current && current.ktime <= childKtime ? current : undefined);
      }
    }
    if (!entry) this.counters.parentsUnknown++;
    return { id: entry?.execId ?? '', entry };
  }

  private readProc(pid: number): RawExecEvent | undefined {
    try {
      return this.procFallback?.(pid);
    } catch {
      return undefined; // a fallback must not break ingestion
    }
  }

  /** The cached image for (pid, ktime); ktime 0n (kernel never saw it start) means "whatever lives at pid". */
  private find(pid: number, ktime: bigint): CacheEntry | undefined {
    let entry = ktime !== 0n ? this.lru.peek(execId(this.ctx.nodeName, ktime, pid)) : undefined;
    if (!entry) {
      const current = this.current(pid);
      // An older live image of the pid is the same process (a seeded start time is floored to a
      // tick; or an exec event was lost); a newer one is not.
      if (current && (ktime === 0n || current.ktime <= ktime)) entry = current;
    }
    this.count(entry);
    if (entry) this.lru.touch(entry.execId, entry);
    return entry;
  }

  private current(pid: number): CacheEntry | undefined {
    const id = this.byPid.get(pid);
    return id === undefined ? undefined : this.lru.peek(id);
  }

  private link(child: CacheEntry, parent: CacheEntry): void {
    child.parentExecId = parent.execId;
    child.waitingFor = undefined;
    if (child.refcnt > 0 && !child.holdsParentRef) {
      child.holdsParentRef = true;
      this.incRef(parent);
    }
  }

  private waitFor(child: CacheEntry, wanted: { pid: number; ktime: bigint }): void {
    child.waitingFor = wanted;
    let set = this.waiting.get(wanted.pid);
    if (!set) this.waiting.set(wanted.pid, (set = new Set()));
    set.add(child.execId);
  }

  /** Link children that arrived before `parent`. */
  private adoptWaitingChildren(parent: CacheEntry): void {
    const set = this.waiting.get(parent.pid);
    if (!set) return;
    for (const childId of set) {
      const child = this.lru.peek(childId);
      const wanted = child?.waitingFor;
      if (!child || !wanted) {
        set.delete(childId);
        continue;
      }
      const sameImage =
        wanted.ktime === 0n ||
        wanted.ktime === parent.ktime ||
        (parent.origin === 'procfs' && wanted.ktime >= parent.ktime && wanted.ktime - parent.ktime < this.tick);
      if (!sameImage || parent.ktime > child.ktime) continue;
      set.delete(childId);
      child.process =
        child.origin === 'fork' && child.process.binary === undefined
          ? cloneProcess(parent.process, { pid: child.pid, ktime: child.ktime, flags: child.flags }, this.ctx)
          : makeProcess({ ...child.process, parent_exec_id: parent.execId });
      this.link(child, parent);
      this.counters.parentsLinkedLate++;
    }
    if (set.size === 0) this.waiting.delete(parent.pid);
  }

  private markExited(entry: CacheEntry): void {
    if (!entry.alive) return;
    entry.alive = false;
    this.decRef(entry);
  }

  /**
   * Add one reference; an entry going from 0 to 1 takes its reference on its parent again (it
   * gave it up when it reached 0), and so on up the chain: a late child of an exited process
   * pins the whole ancestry again.
   */
  private incRef(entry: CacheEntry): void {
    let cur: CacheEntry | undefined = entry;
    while (cur) {
      cur.refcnt++;
      this.lru.retier(cur.execId, cur);
      if (cur.refcnt > 1 || cur.holdsParentRef || !cur.parentExecId) return;
      const parent = this.lru.peek(cur.parentExecId);
      if (!parent) return;
      cur.holdsParentRef = true;
      cur = parent;
    }
  }

  /** Drop one reference; an entry reaching 0 releases its parent, and so on up the chain. */
  private decRef(entry: CacheEntry): void {
    let cur: CacheEntry | undefined = entry;
    while (cur && cur.refcnt > 0) {
      cur.refcnt--;
      this.lru.retier(cur.execId, cur);
      if (cur.refcnt > 0 || !cur.holdsParentRef) return;
      cur.holdsParentRef = false;
      cur = cur.parentExecId ? this.lru.peek(cur.parentExecId) : undefined;
    }
  }

  private evictIfFull(keep: ReadonlySet<string>): void {
    while (this.lru.size > this.capacity) {
      const victim = this.lru.victim(keep);
      if (!victim) return;
      this.evict(victim[1]);
    }
  }

  private evict(entry: CacheEntry): void {
    this.lru.delete(entry.execId);
    this.counters.evictions++;
    if (entry.refcnt > 0) this.counters.evictionsReferenced++;
    if (this.byPid.get(entry.pid) === entry.execId) this.byPid.delete(entry.pid);
    if (entry.waitingFor) this.waiting.get(entry.waitingFor.pid)?.delete(entry.execId);
    if (entry.holdsParentRef) {
      entry.holdsParentRef = false;
      const parent = this.lru.peek(entry.parentExecId);
      if (parent) this.decRef(parent);
    }
  }

  private tombstone(id: string): void {
    this.tombstones.add(id);
    if (this.tombstones.size > MAX_TOMBSTONES) {
      const oldest = this.tombstones.values().next().value as string;
      this.tombstones.delete(oldest);
    }
  }

  private execEvent(entry: CacheEntry, ktime: bigint): GetEventsResponse {
    const { parent, ancestors } = this.lineage(entry);
    return execResponse({
      process: { ...entry.process },
      parent,
      ancestors,
      nodeName: this.ctx.nodeName,
      time: this.ctx.clock.toTimestamp(ktime),
    });
  }

  /** Parent and (if enabled) the ancestors above it, as copies for an event. */
  private lineage(entry: CacheEntry): { parent: Process | undefined; ancestors: Process[] | undefined } {
    const parentEntry = entry.parentExecId ? this.lru.peek(entry.parentExecId) : undefined;
    if (parentEntry) this.lru.touch(parentEntry.execId, parentEntry);
    const parent = parentEntry ? { ...parentEntry.process } : undefined;
    if (!this.ancestorsInEvents || !parentEntry) return { parent, ancestors: undefined };
    const above = this.walkUp(parentEntry, this.maxAncestors).map((e) => ({ ...e.process }));
    return { parent, ancestors: above };
  }

  /** Entries above `start`, nearest first, stopping after init/kthreadd (pid ≤ 2), at "<kernel>", a gap or a cycle. */
  private walkUp(start: CacheEntry, limit: number): CacheEntry[] {
    const out: CacheEntry[] = [];
    const seen = new Set([start.execId]);
    let cur = start;
    while (out.length < limit && cur.pid > 2 && cur.parentExecId) {
      const parent = this.lru.peek(cur.parentExecId);
      if (!parent || parent.pid === 0 || seen.has(parent.execId)) break;
      seen.add(parent.execId);
      this.lru.touch(parent.execId, parent);
      out.push(parent);
      cur = parent;
    }
    return out;
  }

  private count(entry: CacheEntry | undefined): void {
    if (entry) this.counters.hits++;
    else this.counters.misses++;
  }
}
