/**
 * Typed wrappers over the addon: BpfObject (open -> configure -> load -> attach -> close),
 * BpfProgram, BpfMap and BpfLink. Generic libbpf access; nothing here knows about processes.
 */
import {
  native,
  type NativeAttachSpec,
  type NativeBpfObject,
  type NativeLink,
  type NativeMapInfo,
  type NativeProgramInfo,
} from './native';
import { RingBufferReader, type RingBufferReaderOptions } from './ring-buffer';

/** Map update flags (linux/bpf.h). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

export interface BpfObjectOpenOptions {
  /** BTF for CO-RE relocations on kernels without /sys/kernel/btf/vmlinux (e.g. a BTFHub file). */
  btfCustomPath?: string;
  /** Object name (prefix of internal map names); defaults to the file name. */
  objectName?: string;
}

export type AttachSpec = NativeAttachSpec;

export class BpfLink {
  constructor(
    private readonly link: NativeLink,
    readonly program: string,
    readonly kind: AttachSpec['kind'],
  ) {}

  /** Detaches; idempotent. */
  destroy(): void {
    this.link.destroy();
  }

  get active(): boolean {
    return this.link.isActive();
  }

  /** The link's fd, -1 once destroyed. */
  get fd(): number {
    return this.link.fd();
  }

  pin(path: string): void {
    this.link.pin(path);
  }

  /** Iterator links: one full pass of the iterator's output (read off the JS thread). */
  readIter(): Promise<Buffer> {
    return this.link.readIter();
  }
}

export class BpfProgram {
  constructor(
    private readonly obj: BpfObject,
    readonly name: string,
  ) {}

  private get info(): NativeProgramInfo {
    const p = this.obj.native.programs().find((x) => x.name === this.name);
    if (!p) throw new Error(`program ${this.name} is gone`);
    return p;
  }

  get section(): string {
    return this.info.section;
  }
  get type(): string {
    return this.info.type;
  }
  get fd(): number {
    return this.info.fd;
  }
  /** Kernel program id once loaded (0 before). */
  get id(): number {
    return this.info.id;
  }
  get autoload(): boolean {
    return this.info.autoload;
  }
  /** Whether load() loads this program; set before load. */
  set autoload(on: boolean) {
    this.obj.native.setAutoload(this.name, on);
  }

  /** Before load: the kernel function of an fentry/fexit/fmod_ret/lsm program whose SEC() names none. */
  setAttachTarget(func: string): void {
    this.obj.native.setAttachTarget(this.name, func);
  }

  /** Attaches as its SEC() says: tp_btf, fentry/fexit, fmod_ret, lsm, tp/x/y, raw_tp/x, kprobe/f, uprobe... */
  attach(spec: AttachSpec = { kind: 'auto' }): BpfLink {
    return this.obj.attach(this.name, spec);
  }
  attachTracepoint(category: string, name: string): BpfLink {
    return this.attach({ kind: 'tracepoint', category, name });
  }
  attachRawTracepoint(name: string): BpfLink {
    return this.attach({ kind: 'rawTracepoint', name });
  }
  /** pid -1 (default) traces every process running binaryPath. */
  attachUprobe(o: {
    binaryPath: string;
    funcName?: string;
    offset?: number;
    pid?: number;
    retprobe?: boolean;
  }): BpfLink {
    return this.attach({ kind: 'uprobe', ...o });
  }
  attachKprobe(func: string, o: { offset?: number; retprobe?: boolean } = {}): BpfLink {
    return this.attach({ kind: 'kprobe', func, ...o });
  }
  /** attachType: libbpf's name (e.g. 'cgroup_inet4_connect'); default: the program's expected type. */
  attachCgroup(path: string, attachType?: string): BpfLink {
    return this.attach(attachType ? { kind: 'cgroup', path, attachType } : { kind: 'cgroup', path });
  }
  attachIter(): BpfLink {
    return this.attach({ kind: 'iter' });
  }
}

export class BpfMap {
  constructor(
    private readonly obj: BpfObject,
    readonly name: string,
  ) {}

  get info(): NativeMapInfo {
    const m = this.obj.native.maps().find((x) => x.name === this.name);
    if (!m) throw new Error(`map ${this.name} is gone`);
    return m;
  }

  get fd(): number {
    return this.obj.native.mapFd(this.name);
  }

  /** Before load only. */
  setMaxEntries(n: number): void {
    this.obj.native.setMaxEntries(this.name, n);
  }

  /** Before load: use another object's map (by its fd) instead of creating one. */
  reuse(fd: number): void {
    this.obj.native.reuseMap(this.name, fd);
  }

  /** The value (all CPUs' values back to back for per-CPU maps), or null when absent. */
  lookup(key: Buffer, flags = 0): Buffer | null {
    return this.obj.native.mapLookup(this.name, key, flags);
  }
  update(key: Buffer, value: Buffer, flags = BPF_ANY): void {
    this.obj.native.mapUpdate(this.name, key, value, flags);
  }
  /** False when the key was absent. */
  delete(key: Buffer): boolean {
    return this.obj.native.mapDelete(this.name, key);
  }
  /** The key after `key` (the first key for null), null at the end. */
  nextKey(key: Buffer | null): Buffer | null {
    return this.obj.native.mapNextKey(this.name, key);
  }
  *keys(): IterableIterator<Buffer> {
    for (let k = this.nextKey(null); k; k = this.nextKey(k)) yield k;
  }
  /** Every entry, through the batch syscall where the map type has it, else one by one. */
  lookupBatch(): { keys: Buffer[]; values: Buffer[]; batched: boolean } {
    const r = this.obj.native.mapLookupBatch(this.name);
    const { keySize, valueBytes } = this.info;
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    for (let i = 0; i < r.count; i++) {
      keys.push(r.keys.subarray(i * keySize, (i + 1) * keySize));
      values.push(r.values.subarray(i * valueBytes, (i + 1) * valueBytes));
    }
    return { keys, values, batched: r.batched };
  }
  updateBatch(keys: Buffer[], values: Buffer[], flags = BPF_ANY): { count: number; batched: boolean } {
    if (keys.length !== values.length) throw new RangeError('updateBatch: keys and values differ in count');
    return this.obj.native.mapUpdateBatch(this.name, Buffer.concat(keys), Buffer.concat(values), flags);
  }
  /** Sum over CPUs of the u64 at the start of each CPU's value (per-CPU counters). */
  sumPerCpu(key: Buffer): bigint {
    return this.obj.native.mapSumPerCpu(this.name, key);
  }
  pin(path: string): void {
    this.obj.native.mapPin(this.name, path);
  }
  unpin(path?: string): void {
    this.obj.native.mapUnpin(this.name, path);
  }
}

export class BpfObject {
  /** @internal */
  readonly native: NativeBpfObject;
  private readonly readers = new Set<RingBufferReader>();
  private closed = false;

  private constructor(
    readonly path: string,
    opts: BpfObjectOpenOptions,
  ) {
    this.native = new (native().BpfObject)(path, opts);
  }

  /** Opens (parses, does not load) a BPF ELF object. Throws a BpfError (errno, code). */
  static open(path: string, opts: BpfObjectOpenOptions = {}): BpfObject {
    return new BpfObject(path, opts);
  }

  get loaded(): boolean {
    return !this.closed && this.native.isLoaded();
  }

  programs(): BpfProgram[] {
    return this.native.programs().map((p) => new BpfProgram(this, p.name));
  }
  program(name: string): BpfProgram {
    if (!this.native.programs().some((p) => p.name === name)) throw new Error(`no program ${name} in ${this.path}`);
    return new BpfProgram(this, name);
  }
  programInfos(): NativeProgramInfo[] {
    return this.native.programs();
  }
  maps(): BpfMap[] {
    return this.native.maps().map((m) => new BpfMap(this, m.name));
  }
  map(name: string): BpfMap {
    if (!this.native.maps().some((m) => m.name === name)) throw new Error(`no map ${name} in ${this.path}`);
    return new BpfMap(this, name);
  }

  /**
   * Sets a global variable (`const volatile` in .rodata before load; .data/.bss also after).
   * Numbers/bigints/booleans are encoded little-endian at the variable's size.
   */
  setGlobal(name: string, value: Buffer | number | bigint | boolean): void {
    let buf: Buffer;
    if (Buffer.isBuffer(value)) buf = value;
    else {
      const size = this.native.getGlobal(name).length;
      buf = Buffer.alloc(size);
      const v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
      if (size === 1) buf.writeUInt8(Number(v & 0xffn));
      else if (size === 2) buf.writeUInt16LE(Number(v & 0xffffn));
      else if (size === 4) buf.writeUInt32LE(Number(v & 0xffffffffn));
      else if (size === 8) buf.writeBigUInt64LE(BigInt.asUintN(64, v));
      else throw new RangeError(`global ${name} is ${size} bytes: pass a Buffer`);
    }
    this.native.setGlobal(name, buf);
  }
  getGlobal(name: string): Buffer {
    return this.native.getGlobal(name);
  }

  /** Loads (verifies) every program whose autoload is on. Throws a BpfError with libbpf's log. */
  load(): void {
    this.native.load();
  }

  attach(program: string, spec: AttachSpec = { kind: 'auto' }): BpfLink {
    return new BpfLink(this.native.attach(program, spec), program, spec.kind);
  }

  /** A reader of a ring buffer map of this object; close() stops it. Call start() on it. */
  ringBuffer(mapName: string, opts: RingBufferReaderOptions = {}): RingBufferReader {
    const r = new RingBufferReader(this.native.mapFd(mapName), opts);
    this.readers.add(r);
    r.onStop(() => this.readers.delete(r));
    return r;
  }

  /** Stops this object's readers (draining them), detaches every link, frees the object. */
  close(): void {
    if (this.closed) return;
    for (const r of [...this.readers]) r.stop();
    this.native.close();
    this.closed = true;
  }
}

/** libbpf's version, e.g. 'v1.1'. */
export function libbpfVersion(): string {
  return native().libbpfVersion();
}

export function numPossibleCpus(): number {
  return native().numPossibleCpus();
}
