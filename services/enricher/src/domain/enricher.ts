import { Topic, type BusMessage, type EventBus } from '@vigil/bus';
import { eventProcesses, type GetEventsResponse, type Process } from '@vigil/events';
import { containerRefOf, type ContainerRef } from './container-ref';
import { applyPod, markPodUnknown, resolve, type PodLookup, type Resolution } from './pod-context';
import { InvalidEventError, readRawEvent } from './raw-event';
import { RetryBuffer, type Held } from './retry-buffer';

export interface EnricherOptions {
  bus: EventBus;
  /** The Kubernetes pod cache; undefined when Kubernetes is disabled (container ids only, nothing waits). */
  pods?: PodLookup;
  /** Consumer (group) name on vigil.events.raw. */
  consumer: string;
  /** Events held at most while their pod is unknown. */
  bufferSize: number;
  /** How long an event waits for its pod before it goes out flagged. */
  maxWaitMs: number;
  now?: () => number;
  log?: (message: string) => void;
}

/** Why a held event went out without its pod. */
export type FlagReason = 'timeout' | 'evicted' | 'shutdown';

export interface EnricherStats {
  /** Messages read from vigil.events.raw. */
  received: number;
  /** Events published with pod context on at least one of their processes. */
  enriched: number;
  /** Events published with no container to look up (host processes, or Kubernetes disabled). */
  passedThrough: number;
  /** Events that had to wait: a process's pod was unknown when they arrived. */
  unknownPod: number;
  /** Events held only to keep their process's order behind an earlier held event. */
  queuedBehind: number;
  /** Held events enriched once their pod appeared. */
  resolvedLate: number;
  /** Events published flagged podUnknown, by why they could not wait longer. */
  flagged: Record<FlagReason, number>;
  /** Malformed messages sent to vigil.dead-letter. */
  deadLettered: number;
  /** Events whose publish failed (transport closed, value not encodable): counted, not retried. */
  publishFailed: number;
  buffer: { size: number; maxSize: number; maxWaitMs: number; evictions: number };
}

/** A dead letter the enricher writes itself (the bus writes its own for undecodable bytes). */
export interface EnricherDeadLetter {
  reason: 'invalid-event';
  topic: string;
  consumer: string;
  /** "<field path>: <what is wrong>". */
  error: string;
  key: string;
  value: unknown;
}

/**
 * vigil.events.raw → pod and container context → vigil.events, same key. An event whose pod is
 * not known yet waits in a RetryBuffer until the pod cache has it, at most maxWaitMs; then (or
 * when the buffer is full, or at shutdown) it goes out with the podUnknown flag.
 *
 * The consumer's offsets advance once a batch is published or held: an event still held when
 * the process dies is lost (at most bufferSize events, each younger than maxWaitMs). Waiting
 * inside the handler instead would stall every event of the partition behind each new container.
 * A graceful stop publishes the held events first.
 */
export class Enricher {
  private readonly buffer: RetryBuffer<GetEventsResponse>;
  private readonly stats_: Omit<EnricherStats, 'buffer'> = {
    received: 0,
    enriched: 0,
    passedThrough: 0,
    unknownPod: 0,
    queuedBehind: 0,
    resolvedLate: 0,
    flagged: { timeout: 0, evicted: 0, shutdown: 0 },
    deadLettered: 0,
    publishFailed: 0,
  };
  private evictions = 0;
  private unsubscribe?: () => void;
  private tick?: NodeJS.Timeout;
  private releaseScheduled = false;
  /** Publishes run one after another so events leave in the order they were decided. */
  private publishing: Promise<void> = Promise.resolve();

  constructor(private readonly options: EnricherOptions) {
    this.buffer = new RetryBuffer({ maxSize: options.bufferSize, maxWaitMs: options.maxWaitMs, now: options.now });
  }

  start(): void {
    this.unsubscribe = this.options.bus.subscribe<unknown>(Topic.eventsRaw, this.options.consumer, (batch) =>
      this.handle(batch),
    );
    // Often enough that an event leaves close to its deadline, rarely enough to cost nothing.
    const every = Math.max(10, Math.min(250, Math.floor(this.options.maxWaitMs / 4)));
    this.tick = setInterval(() => this.expire(), every);
    this.tick.unref();
  }

  /** The pod cache changed: held events whose pods are now known leave (coalesced per turn). */
  podsChanged(): void {
    if (this.releaseScheduled || this.buffer.size === 0) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      const released = this.buffer.release((event) => this.tryEnrich(event));
      this.stats_.resolvedLate += released.length;
      void this.send(released.map(({ key, item }) => ({ key, value: item })));
    });
  }

  /** Handles one batch of vigil.events.raw; resolves once its events are published or held. */
  async handle(batch: BusMessage<unknown>[]): Promise<void> {
    const out: BusMessage<GetEventsResponse>[] = [];
    const dead: BusMessage<EnricherDeadLetter>[] = [];
    for (const { key, value } of batch) {
      this.stats_.received++;
      let event: GetEventsResponse;
      try {
        event = readRawEvent(value);
      } catch (err) {
        if (!(err instanceof InvalidEventError)) throw err;
        dead.push({
          key,
          value: {
            reason: 'invalid-event',
            topic: Topic.eventsRaw,
            consumer: this.options.consumer,
            error: err.message,
            key,
            value,
          },
        });
        continue;
      }
      if (this.buffer.waiting(key)) {
        // Its process has an earlier event waiting: this one must not overtake it.
        this.stats_.queuedBehind++;
        this.hold(key, event, out);
      } else if (this.tryEnrich(event)) {
        out.push({ key, value: event });
      } else {
        this.stats_.unknownPod++;
        this.hold(key, event, out);
      }
    }
    if (dead.length > 0) {
      await this.options.bus.publish(Topic.deadLetter, dead);
      this.stats_.deadLettered += dead.length;
      this.options.log?.(`dead-lettered ${dead.length} malformed event(s), first: ${dead[0]!.value.error}`);
    }
    await this.send(out);
  }

  /** Publishes every held event flagged, then stops consuming. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.tick);
    const held = this.buffer.drain();
    await this.send(this.flag(held, 'shutdown'));
    await this.publishing;
  }

  stats(): EnricherStats {
    return {
      ...this.stats_,
      flagged: { ...this.stats_.flagged },
      buffer: {
        size: this.buffer.size,
        maxSize: this.options.bufferSize,
        maxWaitMs: this.options.maxWaitMs,
        evictions: this.evictions,
      },
    };
  }

  private hold(key: string, event: GetEventsResponse, out: BusMessage<GetEventsResponse>[]): void {
    const evicted = this.buffer.hold(key, event);
    this.evictions += evicted.length;
    out.push(...this.flag(evicted, 'evicted'));
  }

  /** Held events past their wait leave: enriched if their pod came meanwhile, else flagged. */
  private expire(): void {
    void this.send(this.flag(this.buffer.expired(), 'timeout'));
  }

  /** Held events that cannot wait longer: one last look at the cache, then flagged if still unknown. */
  private flag(held: Held<GetEventsResponse>[], reason: FlagReason): BusMessage<GetEventsResponse>[] {
    for (const { item } of held) {
      if (this.tryEnrich(item)) {
        this.stats_.resolvedLate++;
        continue;
      }
      // Fill what is known, flag the processes whose pod is not.
      for (const process of eventProcesses(item)) {
        const ref = containerRefOf(process);
        if (!ref) continue;
        const r = this.options.pods ? resolve(ref, this.options.pods) : undefined;
        if (r?.found) applyPod(process, r.pod, r.container);
        else markPodUnknown(process, ref);
      }
      this.stats_.flagged[reason]++;
    }
    return held.map(({ key, item }) => ({ key, value: item }));
  }

  /**
   * Fills every process of the event whose container is known; false (event untouched) when one
   * of them has a container or pod the cache does not know yet.
   */
  private tryEnrich(event: GetEventsResponse): boolean {
    const processes = eventProcesses(event);
    const refs = processes.map((p) => containerRefOf(p));
    const pods = this.options.pods;
    if (!pods) {
      // No Kubernetes: the container id is all there is; a cgroup path becomes that id.
      refs.forEach((ref, i) => normalizeDocker(processes[i]!, ref));
      this.stats_.passedThrough++;
      return true;
    }
    const resolutions: Array<Resolution | undefined> = refs.map((ref) => (ref ? resolve(ref, pods) : undefined));
    if (resolutions.some((r) => r && !r.found)) return false;
    let filled = false;
    resolutions.forEach((r, i) => {
      if (!r?.found) return;
      applyPod(processes[i]!, r.pod, r.container);
      filled = true;
    });
    if (filled) this.stats_.enriched++;
    else this.stats_.passedThrough++;
    return true;
  }

  private send(messages: BusMessage<GetEventsResponse>[]): Promise<void> {
    if (messages.length === 0) return this.publishing;
    const sent = this.publishing.then(() => this.options.bus.publish(Topic.events, messages));
    this.publishing = sent.catch((err: unknown) => {
      this.stats_.publishFailed += messages.length;
      this.options.log?.(`publish to ${Topic.events} failed for ${messages.length} event(s): ${String(err)}`);
    });
    return this.publishing;
  }
}

function normalizeDocker(process: Process, ref: ContainerRef | undefined): void {
  if (!ref) return;
  if (ref.containerId) process.docker = ref.containerId;
  else delete process.docker;
}
