/**
 * The compiled addon (build/Release/vigil_bpf.node) and the shapes it exchanges. Everything
 * here is internal: bpf-object.ts and ring-buffer.ts wrap it in the public API.
 */
import path from 'node:path';
import { createRequire } from 'node:module';

/** Root of this package (src/ and dist/ both sit one level below it). */
export const packageRoot = path.resolve(__dirname, '..');

export interface NativeProgramInfo {
  name: string;
  section: string;
  type: string;
  expectedAttachType: string;
  autoload: boolean;
  /** -1 before load. */
  fd: number;
  /** Kernel program id (0 before load): what `bpftool prog show id N` shows. */
  id: number;
}

export interface NativeMapInfo {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  /** Bytes of one lookup: valueSize, or roundup(valueSize, 8) * possible CPUs for per-CPU maps. */
  valueBytes: number;
  maxEntries: number;
  flags: number;
  /** libbpf's maps for global variables (.rodata, .data, .bss ...). */
  internal: boolean;
  fd: number;
}

export type NativeAttachSpec =
  | { kind: 'auto' }
  | { kind: 'tracepoint'; category: string; name: string }
  | { kind: 'rawTracepoint'; name: string }
  | { kind: 'uprobe'; binaryPath: string; funcName?: string; offset?: number; pid?: number; retprobe?: boolean }
  | { kind: 'kprobe'; func: string; offset?: number; retprobe?: boolean }
  | { kind: 'cgroup'; path: string; attachType?: string }
  | { kind: 'iter' };

export interface NativeLink {
  destroy(): void;
  fd(): number;
  isActive(): boolean;
  pin(path: string): void;
  readIter(): Promise<Buffer>;
}

export interface NativeBpfObject {
  load(): void;
  close(): void;
  isLoaded(): boolean;
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  setAutoload(program: string, autoload: boolean): void;
  setMaxEntries(map: string, maxEntries: number): void;
  setAttachTarget(program: string, func: string): void;
  reuseMap(map: string, fd: number): void;
  setGlobal(name: string, value: Buffer): void;
  getGlobal(name: string): Buffer;
  attach(program: string, spec: NativeAttachSpec): NativeLink;
  mapLookup(map: string, key: Buffer, flags?: number): Buffer | null;
  mapUpdate(map: string, key: Buffer, value: Buffer, flags?: number): void;
  mapDelete(map: string, key: Buffer): boolean;
  mapNextKey(map: string, key: Buffer | null): Buffer | null;
  mapLookupBatch(map: string): { keys: Buffer; values: Buffer; count: number; batched: boolean };
  mapUpdateBatch(map: string, keys: Buffer, values: Buffer, flags?: number): { count: number; batched: boolean };
  mapSumPerCpu(map: string, key: Buffer): bigint;
  mapPin(map: string, path: string): void;
  mapUnpin(map: string, path?: string): void;
  mapFd(map: string): number;
}

export interface NativeRingBufferStats {
  records: number;
  batches: number;
  bytes: number;
  droppedRecords: number;
  droppedBatches: number;
  queuedBytes: number;
  maxQueuedBytesSeen: number;
  consumeErrors: number;
  lastError: number;
  running: boolean;
}

export interface NativeRingBufferOptions {
  batchBytes?: number;
  maxQueuedBytes?: number;
  queueWaitMs?: number;
  pollIntervalMs?: number;
}

export interface NativeRingBuffer {
  start(): void;
  stop(opts?: { drain?: boolean }): void;
  stats(): NativeRingBufferStats;
  ref(): void;
  unref(): void;
}

export interface NativeAddon {
  BpfObject: new (path: string, opts?: { btfCustomPath?: string; objectName?: string }) => NativeBpfObject;
  RingBuffer: new (
    mapFd: number,
    onBatch: (batch: Buffer, records: number) => void,
    opts?: NativeRingBufferOptions,
  ) => NativeRingBuffer;
  libbpfVersion(): string;
  numPossibleCpus(): number;
  mount(source: string, target: string, fstype: string): void;
}

let cached: NativeAddon | undefined;

/** Loads the addon on first use, so importing the package never fails on machines without it. */
export function native(): NativeAddon {
  if (!cached) {
    const req = createRequire(path.join(packageRoot, 'package.json'));
    cached = req(path.join(packageRoot, 'build', 'Release', 'vigil_bpf.node')) as NativeAddon;
  }
  return cached;
}
