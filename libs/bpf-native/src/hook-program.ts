/**
 * HookProgram: one TracingPolicy hook in the kernel — a copy of bpf/build/hook.bpf.o loaded
 * with the hook's configuration, its selector maps filled, and the chosen program flavour
 * attached. Loading never compiles anything: the configuration is data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BpfLink, BpfObject, type BpfMap } from './bpf-object';
import { isBpfError } from './errors';
import {
  encodeHookConfig,
  encodeSyscallMap,
  HOOK_STAT_SLOTS,
  HookMode,
  HookStat,
  type EncodedHook,
  type HookConfig,
  type HookMapEntries,
  type HookModeName,
  type HookStatName,
  type SyscallArgSource,
  SYSCALL_ANY,
} from './hook-layout';
import { ensureTracefs } from './mounts';
import { packageRoot } from './native';

/** How a hook reaches the kernel. */
export type HookAttach =
  | { kind: 'kprobe'; func: string }
  | { kind: 'fentry'; func: string }
  /** fentry-like, and the function can be made to fail (Override). */
  | { kind: 'fmod_ret'; func: string }
  /** A BPF LSM hook by its name without the bpf_lsm_ prefix (file_open, bprm_check_security). */
  | { kind: 'lsm'; hook: string }
  /** User-space functions of a binary or library, by symbol or by offset in the file. */
  | { kind: 'uprobe'; path: string; symbols: string[]; offsets: number[] }
  /** The equivalent syscalls' tracepoints, each with how to rebuild the function's arguments. */
  | { kind: 'syscalls'; syscalls: SyscallEquivalent[] }
  /** raw_syscalls:sys_enter (every syscall): the hook's arguments from the number and the syscall's. */
  | { kind: 'rawSyscalls'; args: SyscallArgSource[] }
  /**
   * A BTF-typed kernel tracepoint by its event name ("inet_sock_set_state"): raw argument k is the
   * tracepoint's argument k (config.tpArgs of them); config.tpRet names the one that is the result.
   */
  | { kind: 'tpBtf'; tracepoint: string };

export interface SyscallEquivalent {
  /** e.g. "read" (tracepoints syscalls:sys_enter_read / sys_exit_read). */
  name: string;
  nr: number;
  /** Function argument j = syscall argument args[j], or a constant. */
  args: SyscallArgSource[];
}

/** Maps of the process object a hook shares (ProcessEventSource.sharedMaps()). */
export interface HookSharedMaps {
  events: number;
  procs: number;
  /** The ring's wakeup batching (vigil_wakeup_bytes): hook records must not wake the reader more often. */
  wakeupBytes: bigint;
}

export interface HookLoadOptions {
  config: HookConfig;
  attach: HookAttach;
  /** Without it the hook has a ring of its own (tests): read it with `object.ringBuffer('vigil_events')`. */
  shared?: HookSharedMaps;
  mode?: HookModeName;
  objectPath?: string;
  /** Own ring size when not shared (bytes, power of two). */
  ringBytes?: number;
  /** The cgroup v2 root, for a deferred Override (config.deferredOverride): its connect programs attach there. */
  cgroupRoot?: string;
}

export interface HookAttachment {
  program: string;
  target: string;
}

/** Calls in flight between entry and return (threads inside the function at once); beyond: pendingLost. */
const PENDING_CALLS = 1024;
/** Processes whose binary matches are cached at once (LRU). */
const BINARY_CACHE = 16384;
/** Rate-limit scopes (threads, processes) remembered at once (LRU). */
const RATE_KEYS = 8192;

/** Cgroups a cgroup-scoped hook can be given at most. */
export const MAX_HOOK_CGROUPS = 16384;

export function defaultHookObjectPath(): string {
  return process.env.VIGIL_HOOK_BPF_OBJECT ?? path.resolve(packageRoot, '..', '..', 'bpf', 'build', 'hook.bpf.o');
}

const ENTRY_PROGRAM = {
  kprobe: 'vigil_kprobe',
  fentry: 'vigil_fentry',
  fmod_ret: 'vigil_fmod_ret',
  lsm: 'vigil_lsm',
  uprobe: 'vigil_uprobe',
} as const;
const RETURN_PROGRAM = {
  kprobe: 'vigil_kretprobe',
  fentry: 'vigil_fexit',
  fmod_ret: 'vigil_fexit',
  uprobe: 'vigil_uretprobe',
} as const;

/** The memlock of an fd (a BPF program or map), 0 when it cannot be read. */
function memlock(fd: number): number {
  try {
    const m = /^memlock:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * `/proc/1/root/X` is the host's X. Where init's root cannot be read (a protected init, as on
 * this project's CI machines) the collector runs in the host's mount namespace, as
 * hostNamespaces() assumes for the namespaces, so X names the same file.
 */
function hostPath(p: string): string {
  const m = /^\/proc\/1\/root(\/.*)$/.exec(p);
  if (!m) return p;
  try {
    fs.accessSync('/proc/1/root/');
    return p;
  } catch {
    return m[1]!;
  }
}

export class HookProgram {
  readonly attachments: HookAttachment[] = [];
  private readonly links: BpfLink[] = [];
  private cgroups = new Set<bigint>();
  private closed = false;

  private constructor(
    readonly object: BpfObject,
    readonly config: HookConfig,
    private readonly shared: boolean,
  ) {}

  /** Loads and attaches; on any failure nothing stays loaded and a BpfError says why. */
  static load(opts: HookLoadOptions): HookProgram {
    const encoded = encodeHookConfig(opts.config);
    const obj = BpfObject.open(opts.objectPath ?? defaultHookObjectPath(), {
      objectName: `vigil_hook_${opts.config.hookId}`,
    });
    const hook = new HookProgram(obj, opts.config, opts.shared !== undefined);
    try {
      hook.prepare(opts, encoded);
      obj.load();
      hook.fillMaps(opts, encoded.maps);
      hook.attach(opts.attach);
      // The connect programs only carry out verdicts the syscall side stored: order does not matter.
      if (opts.config.deferredOverride) hook.attachVerdicts(opts.cgroupRoot!);
      return hook;
    } catch (err) {
      hook.close();
      throw err;
    }
  }

  private prepare(opts: HookLoadOptions, { config: bytes, maps }: EncodedHook): void {
    const { config, attach } = opts;
    const wanted = new Set<string>();
    const ret = config.ret !== undefined;
    if (config.deferredOverride) {
      if (!opts.cgroupRoot) throw new RangeError('a deferred Override needs cgroupRoot');
      wanted.add('vigil_connect4').add('vigil_connect6');
    }
    if (attach.kind === 'syscalls' || attach.kind === 'rawSyscalls') {
      if (!config.atExit) wanted.add('vigil_sys_enter');
      if (ret || config.atExit) wanted.add('vigil_sys_exit');
    } else if (attach.kind === 'tpBtf') {
      wanted.add('vigil_tp_btf');
      this.object.program('vigil_tp_btf').setAttachTarget(attach.tracepoint);
    } else {
      wanted.add(ENTRY_PROGRAM[attach.kind]);
      if (ret && attach.kind !== 'lsm') wanted.add(RETURN_PROGRAM[attach.kind]);
    }
    for (const p of this.object.programs()) p.autoload = wanted.has(p.name);
    if (attach.kind === 'fentry' || attach.kind === 'fmod_ret') {
      this.object.program(ENTRY_PROGRAM[attach.kind]).setAttachTarget(attach.func);
      if (ret) this.object.program('vigil_fexit').setAttachTarget(attach.func);
    } else if (attach.kind === 'lsm') {
      this.object.program('vigil_lsm').setAttachTarget(attach.hook);
      if (ret) throw new RangeError('an lsm hook has no return probe: its return value is the verdict');
    }
    this.object.setGlobal('vigil_hook_cfg', bytes);
    this.object.setGlobal('vigil_hook_mode', HookMode[opts.mode ?? 'enforce']);
    if (opts.shared) {
      this.object.map('vigil_events').reuse(opts.shared.events);
      this.object.map('vigil_procs').reuse(opts.shared.procs);
      this.object.setGlobal('vigil_wakeup_bytes', opts.shared.wakeupBytes);
    } else if (opts.ringBytes) {
      this.object.map('vigil_events').setMaxEntries(opts.ringBytes);
    }
    // Size each selector map to its entries (a map needs at least one).
    const syscalls = attach.kind === 'syscalls' ? attach.syscalls.length : attach.kind === 'rawSyscalls' ? 1 : 0;
    this.object.map('vigil_hook_strs').setMaxEntries(Math.max(1, maps.strs.length));
    this.object.map('vigil_hook_prefix').setMaxEntries(Math.max(1, maps.prefixes.length));
    this.object.map('vigil_hook_ints').setMaxEntries(Math.max(1, maps.ints.length));
    this.object.map('vigil_hook_syscalls').setMaxEntries(Math.max(1, syscalls));
    this.object.map('vigil_hook_cgroups').setMaxEntries(config.cgroupScoped ? MAX_HOOK_CGROUPS : 1);
    // Records waiting for their return probe (each a whole event buffer): only hooks with one.
    this.object.map('vigil_hook_pending').setMaxEntries(ret ? PENDING_CALLS : 1);
    this.object.map('vigil_hook_verdicts').setMaxEntries(config.deferredOverride ? PENDING_CALLS : 1);
    const rateLimited = config.selectors.some((s) => s.actions?.some((a) => a.rateNs));
    this.object.map('vigil_hook_rate').setMaxEntries(rateLimited ? RATE_KEYS : 1);
    const binaries = config.selectors.some((s) => s.binaries ?? s.parentBinaries);
    this.object.map('vigil_hook_bins').setMaxEntries(binaries ? BINARY_CACHE : 1);
  }

  private fillMaps(opts: HookLoadOptions, maps: HookMapEntries): void {
    const one = Buffer.from([1]);
    const put = (m: BpfMap, keys: Buffer[]) => keys.forEach((k) => m.update(k, one));
    put(this.object.map('vigil_hook_strs'), maps.strs);
    put(this.object.map('vigil_hook_prefix'), maps.prefixes);
    put(this.object.map('vigil_hook_ints'), maps.ints);
    const entries =
      opts.attach.kind === 'syscalls'
        ? opts.attach.syscalls.map((s) => ({ nr: s.nr, args: s.args }))
        : opts.attach.kind === 'rawSyscalls'
          ? [{ nr: SYSCALL_ANY, args: opts.attach.args }]
          : [];
    const m = this.object.map('vigil_hook_syscalls');
    for (const e of entries) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(e.nr);
      m.update(key, encodeSyscallMap(e.args));
    }
  }

  private attach(a: HookAttach): void {
    const ret = this.config.ret !== undefined;
    const add = (program: string, target: string, link: () => BpfLink) => {
      this.links.push(link());
      this.attachments.push({ program, target });
    };
    switch (a.kind) {
      case 'kprobe':
        add('vigil_kprobe', a.func, () => this.object.program('vigil_kprobe').attachKprobe(a.func));
        if (ret)
          add('vigil_kretprobe', a.func, () =>
            this.object.program('vigil_kretprobe').attachKprobe(a.func, { retprobe: true }),
          );
        break;
      case 'fentry':
      case 'fmod_ret':
        add(ENTRY_PROGRAM[a.kind], a.func, () => this.object.program(ENTRY_PROGRAM[a.kind]).attach());
        if (ret) add('vigil_fexit', a.func, () => this.object.program('vigil_fexit').attach());
        break;
      case 'lsm':
        add('vigil_lsm', a.hook, () => this.object.program('vigil_lsm').attach());
        break;
      case 'uprobe': {
        const binaryPath = hostPath(a.path);
        const targets = [
          ...a.symbols.map((funcName) => ({ funcName, offset: undefined, label: `${a.path}:${funcName}` })),
          ...a.offsets.map((offset) => ({ funcName: undefined, offset, label: `${a.path}+0x${offset.toString(16)}` })),
        ];
        for (const t of targets) {
          const spec = { binaryPath, funcName: t.funcName, offset: t.offset };
          if (ret)
            add('vigil_uretprobe', t.label, () =>
              this.object.program('vigil_uretprobe').attachUprobe({ ...spec, retprobe: true }),
            );
          add('vigil_uprobe', t.label, () => this.object.program('vigil_uprobe').attachUprobe(spec));
        }
        break;
      }
      case 'rawSyscalls':
        ensureTracefs();
        if (ret)
          add('vigil_sys_exit', 'raw_syscalls/sys_exit', () =>
            this.object.program('vigil_sys_exit').attachTracepoint('raw_syscalls', 'sys_exit'),
          );
        add('vigil_sys_enter', 'raw_syscalls/sys_enter', () =>
          this.object.program('vigil_sys_enter').attachTracepoint('raw_syscalls', 'sys_enter'),
        );
        break;
      case 'tpBtf':
        add('vigil_tp_btf', a.tracepoint, () => this.object.program('vigil_tp_btf').attach());
        break;
      case 'syscalls':
        ensureTracefs();
        if (this.config.atExit) {
          for (const s of a.syscalls)
            add('vigil_sys_exit', `syscalls/sys_exit_${s.name}`, () =>
              this.object.program('vigil_sys_exit').attachTracepoint('syscalls', `sys_exit_${s.name}`),
            );
          break;
        }
        // Return side first: an entry recorded before its exit probe exists would wait forever.
        if (ret)
          for (const s of a.syscalls)
            add('vigil_sys_exit', `syscalls/sys_exit_${s.name}`, () =>
              this.object.program('vigil_sys_exit').attachTracepoint('syscalls', `sys_exit_${s.name}`),
            );
        for (const s of a.syscalls)
          add('vigil_sys_enter', `syscalls/sys_enter_${s.name}`, () =>
            this.object.program('vigil_sys_enter').attachTracepoint('syscalls', `sys_enter_${s.name}`),
          );
        break;
    }
  }

  private attachVerdicts(root: string): void {
    for (const p of ['vigil_connect4', 'vigil_connect6'] as const) {
      const type = p === 'vigil_connect4' ? 'cgroup/connect4' : 'cgroup/connect6';
      this.links.push(this.object.program(p).attachCgroup(root));
      this.attachments.push({ program: p, target: `${type} ${root}` });
    }
  }

  /** A cgroup-scoped hook fires only for tasks in these cgroups (v2 ids); replaces the previous set. */
  setCgroups(ids: Iterable<bigint>): void {
    if (!this.config.cgroupScoped) throw new RangeError('this hook is not cgroup-scoped');
    const next = new Set(ids);
    if (next.size > MAX_HOOK_CGROUPS) throw new RangeError(`${next.size} cgroups: at most ${MAX_HOOK_CGROUPS}`);
    const m = this.object.map('vigil_hook_cgroups');
    const key = (id: bigint) => {
      const k = Buffer.alloc(8);
      k.writeBigUInt64LE(id);
      return k;
    };
    // Add before removing: a workload in both sets is never uncovered in between.
    for (const id of next) if (!this.cgroups.has(id)) m.update(key(id), Buffer.from([1]));
    for (const id of this.cgroups) if (!next.has(id)) m.delete(key(id));
    this.cgroups = next;
  }

  /**
   * Kernel memory this hook holds: the memlock of its loaded programs and of its own maps (the
   * ring and the process map it shares belong to the process object), from /proc/self/fdinfo.
   */
  kernelMemory(): number {
    const shared = this.shared ? new Set(['vigil_events', 'vigil_procs']) : new Set<string>();
    const fds = [
      ...this.object.programs().flatMap((p) => (p.autoload && p.fd >= 0 ? [p.fd] : [])),
      ...this.object.maps().flatMap((m) => (shared.has(m.name) ? [] : [m.fd])),
    ];
    return fds.reduce((sum, fd) => sum + memlock(fd), 0);
  }

  /** Monitor: enforcement actions are counted, not carried out. Takes effect at once. */
  setMode(mode: HookModeName): void {
    this.object.setGlobal('vigil_hook_mode', HookMode[mode]);
  }

  /** The kernel-side counters, summed over CPUs. */
  stats(): Record<HookStatName, bigint> {
    const m = this.object.map('vigil_hook_stats');
    const out = {} as Record<HookStatName, bigint>;
    for (const [name, slot] of Object.entries(HookStat) as [HookStatName, number][]) {
      if (slot >= HOOK_STAT_SLOTS) continue;
      const key = Buffer.alloc(4);
      key.writeUInt32LE(slot);
      out[name] = m.sumPerCpu(key);
    }
    return out;
  }

  /** Detaches and unloads. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.links.splice(0)) {
      try {
        l.destroy();
      } catch (err) {
        if (!isBpfError(err)) throw err;
      }
    }
    this.object.close();
  }
}
