import type {
  HookSharedMaps,
  ProcessEventSourceStats,
  RawExecEvent,
  RawHookEvent,
  RawProcessEvent,
} from '@vigil/bpf-native';
import { Topic, type BusMessage, type EventBus } from '@vigil/bus';
import type { GetEventsResponse, JsonExportStats } from '@vigil/events';
import {
  BuildIds,
  hookResponse,
  StackSymbolizer,
  UserActionRunner,
  type CompiledHook,
  type UserActionStats,
} from '@vigil/policy-kernel';
import type { ProcessCache, ProcessCacheMetrics } from '@vigil/process-cache';
import type { ContainerTagger, ContainerTaggerStats } from './container-tagger';

/** What the pipeline needs of the kernel side: ProcessEventSource satisfies it. */
export interface ProcessEvents {
  stats(): ProcessEventSourceStats;
  close(): void;
  /** The maps policy hooks share (their events come through this source, in order). */
  sharedMaps(): HookSharedMaps;
}

/** The policy and hook behind a hook event: PolicyRuntime satisfies it. */
export interface HookLookup {
  lookup(hookId: number): { policyName: string; hook: CompiledHook } | undefined;
}

/** What the pipeline needs of the JSON export: JsonExportWriter satisfies it. */
export interface EventExport {
  write(event: object): void;
  stats(): JsonExportStats;
  close(): Promise<void>;
}

export interface ProcessPipelineDeps {
  cache: ProcessCache;
  bus: EventBus;
  export?: EventExport;
  /** Attaches the kernel hooks and starts delivering batches to the given callback. */
  openSource(onEvents: (events: RawProcessEvent[]) => void): ProcessEvents;
  /** Every process running now (readProcFs). */
  readProc(): { processes: RawExecEvent[]; vanished: number; failed: number };
  /** Carries out GetUrl / DnsLookup actions of hook events; default: system resolvers, 5 s timeout. */
  userActions?: UserActionRunner;
  /** Symbolizes hook events' stack traces; default: without addresses. */
  stacks?: StackSymbolizer;
  /** Fills `docker` (the container) on every process of every event; none: left empty. */
  containers?: ContainerTagger;
}

export interface ProcessPipelineStats {
  kernel: ProcessEventSourceStats;
  cache: ProcessCacheMetrics;
  export?: JsonExportStats;
  /** Events published to the bus (vigil.events.raw). */
  published: number;
  /** Processes found in /proc at start, and those that vanished while being read. */
  seeded: number;
  seedVanished: number;
  /** Batches that failed in the cache or on the bus (their events are counted, not lost silently). */
  failedEvents: number;
  /** Hook events posted to the bus. */
  hookEvents: number;
  /** Hook events of a hook no longer loaded (raced with its policy's removal): dropped, counted. */
  hookEventsUnknown: number;
  /** GetUrl / DnsLookup actions carried out for hook events. */
  userActions: UserActionStats;
  /** Processes given their container id (`docker`), and those the cache could not tell. */
  containers?: ContainerTaggerStats;
}

/** The key that keeps a process's events in order on every transport. */
export function eventKey(event: GetEventsResponse): string {
  const holder =
    event.process_exec ??
    event.process_exit ??
    event.process_kprobe ??
    event.process_tracepoint ??
    event.process_lsm ??
    event.process_uprobe ??
    event.process_loader;
  return holder?.process?.exec_id ?? '';
}

/**
 * Kernel process events → process cache → Tetragon-shaped events → bus and JSON export.
 *
 * Start order matters: the hooks attach first, then /proc is read. JS is single-threaded and
 * the seed is synchronous, so kernel batches that arrive during the seed wait in the event loop
 * and are handled after it: a process that starts or exits while /proc is being read is seen by
 * both and reconciled by the cache (new exec_id for an exec, exit of the seeded entry).
 */
export class ProcessPipeline {
  private source?: ProcessEvents;
  private published = 0;
  private seeded = 0;
  private seedVanished = 0;
  private failedEvents = 0;
  private hookEvents = 0;
  private hookEventsUnknown = 0;
  private hooks?: HookLookup;
  private pending: Promise<void> = Promise.resolve();
  private readonly userActions: UserActionRunner;
  private readonly stacks: StackSymbolizer;
  private readonly buildIds = new BuildIds();
  private readonly listeners: Array<(events: readonly GetEventsResponse[]) => void> = [];

  constructor(private readonly deps: ProcessPipelineDeps) {
    this.userActions = deps.userActions ?? new UserActionRunner();
    this.stacks = deps.stacks ?? new StackSymbolizer();
  }

  start(): void {
    if (this.source) return;
    this.source = this.deps.openSource((raws) => this.onKernelEvents(raws));
    const proc = this.deps.readProc();
    this.seeded = proc.processes.length;
    this.seedVanished = proc.vanished;
    this.emit(this.deps.cache.seed(proc.processes));
  }

  /** The maps a PolicyRuntime's hooks must share; only after start(). */
  sharedMaps(): HookSharedMaps {
    if (!this.source) throw new Error('the pipeline is not started');
    return this.source.sharedMaps();
  }

  /** Where hook events find their policy (the node's PolicyRuntime). */
  usePolicies(hooks: HookLookup): void {
    this.hooks = hooks;
  }

  /** Sees every batch of events as it is emitted (after container tagging), e.g. gRPC streams. */
  addListener(listener: (events: readonly GetEventsResponse[]) => void): void {
    this.listeners.push(listener);
  }

  stats(): ProcessPipelineStats {
    return {
      kernel: this.source?.stats() ?? emptyKernelStats(),
      cache: this.deps.cache.metrics(),
      export: this.deps.export?.stats(),
      published: this.published,
      seeded: this.seeded,
      seedVanished: this.seedVanished,
      failedEvents: this.failedEvents,
      hookEvents: this.hookEvents,
      hookEventsUnknown: this.hookEventsUnknown,
      userActions: this.userActions.stats(),
      containers: this.deps.containers?.stats(),
    };
  }

  /** Detaches from the kernel (delivering what it still holds), then flushes the bus and export. */
  async close(): Promise<void> {
    this.source?.close();
    await this.pending;
    await this.deps.export?.close();
  }

  private onKernelEvents(raws: RawProcessEvent[]): void {
    const events: GetEventsResponse[] = [];
    for (const raw of raws) {
      try {
        const event = raw.kind === 'hook' ? this.hookEvent(raw) : this.deps.cache.ingest(raw);
        if (event) events.push(event);
      } catch {
        this.failedEvents++;
      }
    }
    this.emit(events);
  }

  private hookEvent(raw: RawHookEvent): GetEventsResponse | undefined {
    const found = this.hooks?.lookup(raw.hookId);
    if (!found) {
      this.hookEventsUnknown++;
      return undefined;
    }
    this.hookEvents++;
    const actions = raw.selector === undefined ? undefined : found.hook.userActions[raw.selector];
    if (actions?.length) this.userActions.run(actions);
    return hookResponse(raw, found.hook, {
      ...this.deps.cache.hookContext(raw),
      policyName: found.policyName,
      stacks: this.stacks,
      buildIds: this.buildIds,
    });
  }

  private emit(events: GetEventsResponse[]): void {
    if (events.length === 0) return;
    for (const event of events) {
      this.deps.containers?.tag(event);
      this.deps.export?.write(event);
    }
    for (const listener of this.listeners) listener(events);
    const messages: BusMessage<GetEventsResponse>[] = events.map((value) => ({ key: eventKey(value), value }));
    // Publishes are chained so batches reach the bus in kernel order even if a transport is slow.
    this.pending = this.pending
      .then(() => this.deps.bus.publish(Topic.eventsRaw, messages))
      .then(
        () => void (this.published += messages.length),
        () => void (this.failedEvents += messages.length),
      );
  }
}

function emptyKernelStats(): ProcessEventSourceStats {
  return {
    received: 0,
    lostKernel: 0,
    lostKernelByKind: { exec: 0, fork: 0, exit: 0 },
    droppedUserspace: 0,
    batches: 0,
    malformed: 0,
    procMapFull: 0,
  };
}
