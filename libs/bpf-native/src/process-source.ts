/**
 * ProcessEventSource: loads bpf/build/process.bpf.o, attaches the lifecycle hooks with the
 * best mechanism this kernel has, drains the ring buffer and emits decoded RawProcessEvent[]
 * per batch.
 *
 * Attach modes, tried in order by 'auto' (each attempt is a fresh open+load, since libbpf
 * cannot reload an object): tp_btf (needs kernel BTF; no tracefs), raw_tp, classic
 * tracepoint (mounts tracefs when needed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BpfObject } from './bpf-object';
import { isBpfError, type BpfError } from './errors';
import { ensureTracefs } from './mounts';
import { packageRoot } from './native';
import { decodeProcessBatch } from './process-decoder';
import type { HookSharedMaps } from './hook-program';
import type { RawProcessEvent } from './process-events';
import { VigilLostSlot } from './process-layout';
import type { RingBufferReader } from './ring-buffer';

export type ProcessAttachMode = 'tp_btf' | 'raw_tp' | 'tracepoint';

export interface ProcessEventSourceOptions {
  /** Default: $VIGIL_PROCESS_BPF_OBJECT, else <repo>/bpf/build/process.bpf.o. */
  objectPath?: string;
  btfCustomPath?: string;
  /** Default 'auto': tp_btf, then raw_tp, then tracepoint. */
  attachMode?: 'auto' | ProcessAttachMode;
  /** Kernel ring buffer size: a power of two >= 4096 (default 16 MiB). */
  ringBufferBytes?: number;
  /** Capacity of the kernel's process map (tgid -> identity ktime); default 65536. */
  procMapEntries?: number;
  /** Argument bytes the kernel sends per exec, at most 8192 (default). */
  argsMax?: number;
  /**
   * The kernel wakes the reader only once this many bytes wait in the ring (default 64 KiB);
   * below that the reader picks records up every pollIntervalMs. 0: wake per record (the
   * kernel's adaptive mode: lowest latency, a self-IPI per event).
   */
  wakeupBytes?: number;
  /** Latency bound when below wakeupBytes (default 20 ms). */
  pollIntervalMs?: number;
  batchBytes?: number;
  maxQueuedBytes?: number;
  queueWaitMs?: number;
  /** Receives every batch's events; without it, iterate the source. */
  onEvents?: (events: RawProcessEvent[]) => void;
  /** Errors thrown by onEvents (default: uncaught). */
  onError?: (err: unknown) => void;
}

export interface ProcessEventSourceStats {
  /** Events decoded and delivered. */
  received: number;
  /** Records the kernel could not put in the ring buffer (sum over CPUs and event types). */
  lostKernel: number;
  lostKernelByKind: { exec: number; fork: number; exit: number };
  /** Records dropped between the native reader thread and JS. */
  droppedUserspace: number;
  batches: number;
  /** Records that did not decode (unknown type/version). */
  malformed: number;
  /** Times the kernel's process map was full (ktime of a process not tracked). */
  procMapFull: number;
}

export const PROCESS_PROGRAMS = ['exec', 'fork', 'exit', 'free'] as const;
const SUFFIX: Record<ProcessAttachMode, string> = { tp_btf: 'btf', raw_tp: 'raw', tracepoint: 'tp' };

export function defaultProcessObjectPath(): string {
  return process.env.VIGIL_PROCESS_BPF_OBJECT ?? path.resolve(packageRoot, '..', '..', 'bpf', 'build', 'process.bpf.o');
}

function slotKey(slot: number): Buffer {
  const k = Buffer.alloc(4);
  k.writeUInt32LE(slot);
  return k;
}

export class ProcessEventSource implements AsyncIterable<RawProcessEvent[]> {
  /** How the hooks are attached here. */
  readonly attachMode: ProcessAttachMode;
  /** Why the modes tried before attachMode failed (empty when the first one worked). */
  readonly fallbackErrors: BpfError[];
  readonly objectPath: string;
  private readonly obj: BpfObject;
  private readonly reader: RingBufferReader;
  private received = 0;
  private batches = 0;
  private malformed = 0;
  private closed = false;
  /** Stats as of close(): the kernel counters are gone after it. */
  private lastStats?: ProcessEventSourceStats;

  private constructor(opts: ProcessEventSourceOptions) {
    this.objectPath = opts.objectPath ?? defaultProcessObjectPath();
    const ringBytes = opts.ringBufferBytes ?? 16 << 20;
    if (ringBytes < 4096 || (ringBytes & (ringBytes - 1)) !== 0)
      throw new RangeError(`ringBufferBytes must be a power of two >= 4096, got ${ringBytes}`);
    const modes: ProcessAttachMode[] =
      !opts.attachMode || opts.attachMode === 'auto'
        ? fs.existsSync('/sys/kernel/btf/vmlinux')
          ? ['tp_btf', 'raw_tp', 'tracepoint']
          : ['raw_tp', 'tracepoint']
        : [opts.attachMode];
    const errors: BpfError[] = [];
    let chosen: { obj: BpfObject; mode: ProcessAttachMode } | undefined;
    for (const mode of modes) {
      let obj: BpfObject | undefined;
      try {
        obj = BpfObject.open(this.objectPath, opts.btfCustomPath ? { btfCustomPath: opts.btfCustomPath } : {});
        for (const p of obj.programs()) p.autoload = p.name.endsWith(`_${SUFFIX[mode]}`);
        obj.map('vigil_events').setMaxEntries(ringBytes);
        if (opts.procMapEntries) obj.map('vigil_procs').setMaxEntries(opts.procMapEntries);
        if (opts.argsMax !== undefined) obj.setGlobal('vigil_args_max', opts.argsMax);
        obj.setGlobal('vigil_wakeup_bytes', Math.min(opts.wakeupBytes ?? 64 * 1024, ringBytes / 2));
        obj.load();
        if (mode === 'tracepoint') ensureTracefs();
        // exec last: a process must not be reported exec'ing before its fork/exit can be seen.
        for (const hook of ['free', 'exit', 'fork', 'exec'] as const) obj.attach(`vigil_${hook}_${SUFFIX[mode]}`);
        chosen = { obj, mode };
        break;
      } catch (err) {
        obj?.close();
        if (!isBpfError(err) || modes.length === 1) throw err;
        errors.push(err);
      }
    }
    if (!chosen) {
      const last = errors[errors.length - 1]!;
      last.message = `no attach mode worked (${modes.join(', ')}); last: ${last.message}`;
      throw last;
    }
    this.obj = chosen.obj;
    this.attachMode = chosen.mode;
    this.fallbackErrors = errors;

    const onEvents = opts.onEvents;
    this.reader = this.obj.ringBuffer('vigil_events', {
      batchBytes: opts.batchBytes,
      maxQueuedBytes: opts.maxQueuedBytes,
      queueWaitMs: opts.queueWaitMs,
      pollIntervalMs: opts.pollIntervalMs ?? 20,
      onError: opts.onError,
      onBatch: onEvents ? (batch) => onEvents(this.decode(batch)) : undefined,
    });
    this.reader.start();
  }

  /** The maps hook objects share with this one (HookProgram.load's `shared`): their events go
   * to this ring, in order with the process events, and they read process identities here. */
  sharedMaps(): HookSharedMaps {
    return {
      events: this.obj.map('vigil_events').fd,
      procs: this.obj.map('vigil_procs').fd,
      wakeupBytes: this.obj.getGlobal('vigil_wakeup_bytes').readBigUInt64LE(),
    };
  }

  /** Loads, attaches and starts draining. Throws a BpfError (errno, code, libbpf log) on failure. */
  static open(opts: ProcessEventSourceOptions = {}): ProcessEventSource {
    return new ProcessEventSource(opts);
  }

  private decode(batch: Buffer): RawProcessEvent[] {
    const r = decodeProcessBatch(batch);
    this.batches++;
    this.received += r.events.length;
    this.malformed += r.malformed;
    return r.events;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RawProcessEvent[]> {
    for await (const batch of this.reader) yield this.decode(batch);
  }

  /** Kernel program ids of the attached programs (for `bpftool prog show id N`). */
  programIds(): number[] {
    return this.obj
      .programInfos()
      .filter((p) => p.autoload && p.id > 0)
      .map((p) => p.id);
  }

  stats(): ProcessEventSourceStats {
    if (this.closed && this.lastStats)
      return { ...this.lastStats, received: this.received, batches: this.batches, malformed: this.malformed };
    const rb = this.reader.stats();
    const lost = (slot: number) => (this.closed ? 0 : Number(this.obj.map('vigil_lost').sumPerCpu(slotKey(slot))));
    const byKind = { exec: lost(VigilLostSlot.exec), fork: lost(VigilLostSlot.fork), exit: lost(VigilLostSlot.exit) };
    return {
      received: this.received,
      lostKernel: byKind.exec + byKind.fork + byKind.exit,
      lostKernelByKind: byKind,
      droppedUserspace: rb.droppedRecords + rb.droppedPendingRecords,
      batches: this.batches,
      malformed: this.malformed,
      procMapFull: lost(VigilLostSlot.procsFull),
    };
  }

  /**
   * Delivers what is still buffered (synchronously, through onEvents / the iterator), then
   * detaches every program and frees the object. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.reader.stop({ drain: true });
    this.lastStats = this.stats();
    this.closed = true;
    this.obj.close();
  }
}
