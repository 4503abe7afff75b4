/**
 * The live tries: each capability loads ONE program of bpf/probe.bpf.o (a fresh open, every
 * other program's autoload off: libbpf cannot reload an object, and one program failing must
 * not hide another), attaches it where that needs an attachment, checks that it ran where
 * that is cheap to prove, and closes everything again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BpfObject, ensureTracefs, forEachRecord, type BpfObjectOpenOptions } from '@vigil/bpf-native';
import type { KernelConfig } from './kernel-config';
import { describeFailure, formatReason, type TryStage } from './reason';
import { findCgroup2Mount, findLibc, type LsmInfo } from './system';

export const ATTACH_CAPABILITIES = [
  'kprobe',
  'kretprobe',
  'fentry',
  'fexit',
  'fmod_ret',
  'lsm',
  'tp_btf',
  'raw_tp',
  'tracepoint',
  'uprobe',
  'cgroup',
  'iter',
] as const;
export const FEATURE_CAPABILITIES = ['ringbuf', 'send_signal', 'override_return', 'bpf_loop'] as const;
export const CAPABILITY_NAMES = [...ATTACH_CAPABILITIES, ...FEATURE_CAPABILITIES] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];
export type CapabilityGroup = 'attach' | 'feature';

export interface Capability {
  name: CapabilityName;
  group: CapabilityGroup;
  works: boolean;
  /** Why not, short: "ENOENT at attach: <libbpf's message> (CONFIG_X not set)". */
  reason?: string;
  /** The failure's errno, symbolic and numeric (absent when a check, not a system call, failed). */
  code?: string;
  errno?: number;
  /** Where it failed. */
  stage?: TryStage;
  /** The likely cause when something says (an unset kernel option, ...); also in reason. */
  hint?: string;
  /** What was tried, e.g. "kprobe/security_file_open". */
  tried: string;
  /** A caveat on a working capability. */
  note?: string;
  /** Time the try took. */
  ms: number;
}

/** The program of bpf/probe.bpf.o behind each capability. */
export const PROBE_PROGRAMS: Record<CapabilityName, string> = {
  kprobe: 'vigil_probe_kprobe',
  kretprobe: 'vigil_probe_kretprobe',
  fentry: 'vigil_probe_fentry',
  fexit: 'vigil_probe_fexit',
  fmod_ret: 'vigil_probe_fmod_ret',
  lsm: 'vigil_probe_lsm',
  tp_btf: 'vigil_probe_tp_btf',
  raw_tp: 'vigil_probe_raw_tp',
  tracepoint: 'vigil_probe_tracepoint',
  uprobe: 'vigil_probe_uprobe',
  cgroup: 'vigil_probe_cgroup',
  iter: 'vigil_probe_iter',
  ringbuf: 'vigil_probe_ringbuf',
  send_signal: 'vigil_probe_send_signal',
  override_return: 'vigil_probe_override',
  bpf_loop: 'vigil_probe_loop',
};

/** The kernel build option each capability needs; named in the reason when it is unset. */
export const CAPABILITY_CONFIG: Partial<Record<CapabilityName, string[]>> = {
  kprobe: ['CONFIG_KPROBES', 'CONFIG_KPROBE_EVENTS'],
  kretprobe: ['CONFIG_KPROBES', 'CONFIG_KPROBE_EVENTS'],
  fentry: ['CONFIG_FUNCTION_TRACER', 'CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS'],
  fexit: ['CONFIG_FUNCTION_TRACER', 'CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS'],
  fmod_ret: ['CONFIG_FUNCTION_TRACER', 'CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS'],
  lsm: ['CONFIG_BPF_LSM'],
  tp_btf: ['CONFIG_DEBUG_INFO_BTF'],
  tracepoint: ['CONFIG_FTRACE_SYSCALLS'],
  uprobe: ['CONFIG_UPROBE_EVENTS'],
  cgroup: ['CONFIG_CGROUP_BPF'],
  override_return: ['CONFIG_BPF_KPROBE_OVERRIDE', 'CONFIG_FUNCTION_ERROR_INJECTION', 'CONFIG_KPROBES'],
};

/** Kernel function the fentry-family and kprobe programs hook: in every kernel since 4.x, never inlined. */
export const PROBE_KERNEL_FUNCTION = 'security_file_open';

/** A syscall entry on the error-injection list (every SYSCALL_DEFINE is), per architecture. */
export function errorInjectableFunction(arch = process.arch): string {
  const prefix: Record<string, string> = {
    x64: '__x64_sys_',
    arm64: '__arm64_sys_',
    s390x: '__s390x_sys_',
    riscv64: '__riscv_sys_',
  };
  return `${prefix[arch] ?? 'sys_'}getpid`;
}

export interface TryEnv {
  objectPath: string;
  openOptions: BpfObjectOpenOptions;
  config: KernelConfig;
  lsm: LsmInfo;
  /** Mount tracefs when classic tracepoints need it. */
  mount: boolean;
  /** Filesystems mounted during the probe (appended). */
  mounted: string[];
  /** Upper bound for each wait on the kernel (ring buffer record, signal delivery, iterator read). */
  waitMs: number;
  /** Kernel ids of the programs the tries loaded (appended): released() waits for them to go. */
  loadedIds: number[];
}

class CheckFailed extends Error {}

/** One try's resources: its objects, its stage, and what to undo afterwards. */
class Trial {
  stage: TryStage = 'prepare';
  note?: string;
  private readonly objects: BpfObject[] = [];
  private readonly undo: Array<() => void> = [];

  constructor(private readonly env: TryEnv) {}

  /** Opens the object with only `program` autoloaded and loads it. */
  load(program: string): BpfObject {
    this.stage = 'open';
    const obj = BpfObject.open(this.env.objectPath, this.env.openOptions);
    this.objects.push(obj);
    for (const p of obj.programs()) p.autoload = p.name === program;
    this.stage = 'load';
    obj.load();
    const id = obj.program(program).id;
    if (id > 0) this.env.loadedIds.push(id);
    this.stage = 'attach';
    return obj;
  }

  /** Runs after every object is closed (links detached), last registered first. */
  defer(fn: () => void): void {
    this.undo.push(fn);
  }

  /** A precondition of the try (stage stays 'prepare'). */
  require(ok: boolean, message: string): void {
    if (!ok) throw new CheckFailed(message);
  }

  /** A check of what the kernel did (stage 'verify'). */
  check(ok: boolean, message: string): void {
    this.stage = 'verify';
    if (!ok) throw new CheckFailed(message);
  }

  close(): void {
    for (const o of this.objects.splice(0)) {
      try {
        o.close();
      } catch {
        // Closing is best effort; nothing else holds these objects.
      }
    }
    for (const fn of this.undo.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // ditto
      }
    }
  }
}

let cgroupSeq = 0;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= end) return false;
    await sleep(2);
  }
  return true;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

interface TrySpec {
  tried: string;
  run(t: Trial, env: TryEnv): Promise<void> | void;
}

const attachAuto =
  (name: CapabilityName): TrySpec['run'] =>
  (t) => {
    t.load(PROBE_PROGRAMS[name]).attach(PROBE_PROGRAMS[name]);
  };

const readU64 = (obj: BpfObject, name: string) => obj.getGlobal(name).readBigUInt64LE(0);

function spawnTarget(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // cat blocks in read() until we write: its next syscall is ours to pick.
    const child = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

const TRIES: Record<CapabilityName, TrySpec> = {
  kprobe: { tried: `kprobe/${PROBE_KERNEL_FUNCTION}`, run: attachAuto('kprobe') },
  kretprobe: { tried: `kretprobe/${PROBE_KERNEL_FUNCTION}`, run: attachAuto('kretprobe') },
  fentry: { tried: `fentry/${PROBE_KERNEL_FUNCTION}`, run: attachAuto('fentry') },
  fexit: { tried: `fexit/${PROBE_KERNEL_FUNCTION}`, run: attachAuto('fexit') },
  fmod_ret: { tried: `fmod_ret/${PROBE_KERNEL_FUNCTION} (returns 0: no change)`, run: attachAuto('fmod_ret') },
  lsm: {
    tried: 'lsm/file_open (passes the previous verdict on)',
    run(t, env) {
      attachAuto('lsm')(t, env);
      const { lsm } = env;
      t.check(
        lsm.bpf !== false,
        `attaches, but "bpf" is not an active LSM (${lsm.source}: ${lsm.active?.join(',') ?? '?'}): the hook never runs; boot with lsm=...,bpf`,
      );
      if (lsm.bpf === undefined)
        t.note = 'attaches; whether the bpf LSM is active is unknown (no securityfs, lsm= or CONFIG_LSM)';
      else if (lsm.source !== 'securityfs')
        t.note = `"bpf" LSM active according to ${lsm.source === 'cmdline' ? 'the lsm= boot parameter' : 'CONFIG_LSM'}`;
    },
  },
  tp_btf: { tried: 'tp_btf/sched_process_exec', run: attachAuto('tp_btf') },
  raw_tp: { tried: 'raw_tp/sys_enter', run: attachAuto('raw_tp') },
  tracepoint: {
    tried: 'tp/syscalls/sys_enter_getpid (needs tracefs)',
    run(t, env) {
      if (env.mount) {
        const mountedBefore =
          fs.existsSync('/sys/kernel/tracing/events') || fs.existsSync('/sys/kernel/debug/tracing/events');
        const dir = ensureTracefs();
        if (!mountedBefore) env.mounted.push(`tracefs at ${dir}`);
      }
      attachAuto('tracepoint')(t, env);
    },
  },
  uprobe: {
    tried: 'uprobe on libc kill(), this process only',
    run(t) {
      const libc = findLibc();
      t.require(libc !== undefined, 'no libc mapped in this process to put a uprobe on');
      const obj = t.load(PROBE_PROGRAMS.uprobe);
      obj.program(PROBE_PROGRAMS.uprobe).attachUprobe({ binaryPath: libc!, funcName: 'kill', pid: process.pid });
      process.kill(process.pid, 0); // libc kill(): one hit
      t.check(readU64(obj, 'probe_uprobe_hits') > 0n, `attached to ${libc}:kill but did not fire`);
    },
  },
  cgroup: {
    tried: 'cgroup/connect4 (allow) on a new cgroup v2 child',
    run(t) {
      const root = findCgroup2Mount();
      t.require(root !== undefined, 'no cgroup v2 mount in /proc/self/mounts');
      let dir = path.join(root!, `vigil-probe-${process.pid}-${Date.now()}-${++cgroupSeq}`);
      try {
        fs.mkdirSync(dir);
        t.defer(() => fs.rmdirSync(dir));
      } catch {
        dir = root!; // read-only hierarchy: the root cgroup (the program allows everything)
        t.note = `attached at the cgroup v2 root ${root}: could not create a child cgroup`;
      }
      t.load(PROBE_PROGRAMS.cgroup).program(PROBE_PROGRAMS.cgroup).attachCgroup(dir);
    },
  },
  iter: {
    tried: 'iter/task, one read',
    async run(t, env) {
      const link = t.load(PROBE_PROGRAMS.iter).program(PROBE_PROGRAMS.iter).attachIter();
      t.stage = 'verify';
      const out = await withTimeout(link.readIter(), env.waitMs, 'reading the iterator');
      t.check(out.toString().includes('vigil-probe-iter'), `the iterator read ${out.length} bytes, not its line`);
    },
  },
  ringbuf: {
    tried: 'ring buffer record from raw_tp/sys_enter, read back',
    async run(t, env) {
      const obj = t.load(PROBE_PROGRAMS.ringbuf);
      let seen = 0;
      let good = 0;
      obj
        .ringBuffer('probe_rb', {
          pollIntervalMs: 5,
          onBatch: (batch) =>
            forEachRecord(batch, (b, off, len) => {
              seen++;
              if (
                len >= 16 &&
                b.readBigUInt64LE(off) === 0x76696731706f7262n &&
                b.readUInt32LE(off + 8) === process.pid
              )
                good++;
            }),
        })
        .start();
      obj.attach(PROBE_PROGRAMS.ringbuf);
      obj.setGlobal('probe_rb_tgid', process.pid); // our next syscall writes one record
      t.stage = 'verify';
      await until(() => seen > 0, env.waitMs);
      t.check(seen > 0, `no record within ${env.waitMs} ms`);
      t.check(good > 0, `${seen} record(s) read back, none intact`);
    },
  },
  send_signal: {
    tried: 'bpf_send_signal(SIGTERM) from raw_tp/sys_enter to a child (cat)',
    async run(t, env) {
      const obj = t.load(PROBE_PROGRAMS.send_signal);
      t.stage = 'prepare';
      let child: ChildProcess;
      try {
        child = await spawnTarget();
      } catch (err) {
        // Loading is the helper's real gate; without a child the delivery goes unchecked.
        t.stage = 'attach';
        obj.attach(PROBE_PROGRAMS.send_signal);
        t.note = `loads and attaches; delivery not checked (cannot start cat: ${(err as Error).message})`;
        return;
      }
      let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      child.once('exit', (code, signal) => (exited = { code, signal }));
      t.defer(() => {
        if (!exited) child.kill('SIGKILL');
      });
      t.stage = 'attach';
      obj.attach(PROBE_PROGRAMS.send_signal);
      obj.setGlobal('probe_sig_num', 15);
      obj.setGlobal('probe_sig_tgid', child.pid!);
      child.stdin?.on('error', () => undefined); // EPIPE once it is gone
      child.stdin?.write('x\n'); // wakes it: its write() or next read() gets the signal
      t.stage = 'verify';
      await until(() => exited !== undefined, env.waitMs);
      const ret = obj.getGlobal('probe_sig_ret').readBigInt64LE(0);
      t.check(
        exited?.signal === 'SIGTERM',
        ret === 1n
          ? `the program did not run for the child within ${env.waitMs} ms`
          : `bpf_send_signal returned ${ret}; child ${exited ? `exited ${exited.code ?? exited.signal}` : 'still running'}`,
      );
    },
  },
  override_return: {
    tried: `bpf_override_return in a kprobe on ${errorInjectableFunction()} (never fires)`,
    run(t) {
      t.load(PROBE_PROGRAMS.override_return).attach(PROBE_PROGRAMS.override_return, {
        kind: 'kprobe',
        func: errorInjectableFunction(),
      });
    },
  },
  bpf_loop: {
    tried: 'a program calling bpf_loop (load only)',
    run(t) {
      t.load(PROBE_PROGRAMS.bpf_loop);
    },
  },
};

/** "CONFIG_KPROBES is not set" when the config says so; nothing when unknown. */
function configHint(name: CapabilityName, config: KernelConfig): string | undefined {
  if (!config.source) return undefined;
  const unset = (CAPABILITY_CONFIG[name] ?? []).filter((o) => (config.options.get(o) ?? 'n') === 'n');
  if (unset.length === 0) return undefined;
  return `${unset.join(', ')} not set`;
}

/** Fentry-family refusals as root are not about privileges; classic tracepoints need tracefs. */
function contextHint(name: CapabilityName, stage: TryStage, code: string | undefined): string | undefined {
  if (
    name === 'tracepoint' &&
    !fs.existsSync('/sys/kernel/tracing/events') &&
    !fs.existsSync('/sys/kernel/debug/tracing/events')
  ) {
    return 'tracefs is not mounted';
  }
  if (
    code === 'EPERM' &&
    stage === 'load' &&
    ['fentry', 'fexit', 'fmod_ret', 'lsm'].includes(name) &&
    process.geteuid?.() === 0
  ) {
    return 'BPF trampolines refused although privileged';
  }
  return undefined;
}

export async function tryCapability(name: CapabilityName, env: TryEnv): Promise<Capability> {
  const spec = TRIES[name];
  const group: CapabilityGroup = (ATTACH_CAPABILITIES as readonly string[]).includes(name) ? 'attach' : 'feature';
  const t = new Trial(env);
  const start = process.hrtime.bigint();
  let result: Omit<Capability, 'ms'>;
  try {
    await spec.run(t, env);
    result = { name, group, works: true, tried: spec.tried, ...(t.note ? { note: t.note } : {}) };
  } catch (err) {
    const failure = err instanceof CheckFailed ? { message: err.message } : describeFailure(err);
    const code = 'code' in failure ? failure.code : undefined;
    const hint = configHint(name, env.config) ?? contextHint(name, t.stage, code);
    result = {
      name,
      group,
      works: false,
      reason: formatReason(t.stage, failure, hint),
      ...(code ? { code } : {}),
      ...('errno' in failure && failure.errno !== undefined ? { errno: failure.errno } : {}),
      stage: t.stage,
      ...(hint ? { hint } : {}),
      tried: spec.tried,
    };
  } finally {
    t.close();
  }
  return { ...result, ms: Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10 };
}

/** The housekeeping iterator of probe.bpf.o: lists every loaded program's id. */
export const PROGS_ITERATOR = 'vigil_probe_progs';

export interface ReleaseResult {
  /** False when the program list could not be read (no bpf_prog iterator): nothing was waited for. */
  checked: boolean;
  /** Ids of the probe's programs still loaded when the wait ended (normally none). */
  stillLoaded: number[];
  waitedMs: number;
}

/**
 * Waits until the kernel has freed every program in `ids`. Closing a raw tracepoint link frees
 * its program only after an RCU grace period (tens to hundreds of ms on 6.9+), so without this
 * wait `bpftool prog show` right after a probe could still list them.
 */
export async function waitForRelease(
  env: Pick<TryEnv, 'objectPath' | 'openOptions'>,
  ids: number[],
  timeoutMs: number,
): Promise<ReleaseResult> {
  const start = Date.now();
  const pending = new Set(ids);
  let obj: BpfObject | undefined;
  try {
    obj = BpfObject.open(env.objectPath, env.openOptions);
    for (const p of obj.programs()) p.autoload = p.name === PROGS_ITERATOR;
    obj.load();
    const self = obj.program(PROGS_ITERATOR).id;
    const link = obj.program(PROGS_ITERATOR).attachIter();
    for (;;) {
      const live = new Set(
        (await link.readIter())
          .toString()
          .split('\n')
          .filter(Boolean)
          .map(Number)
          .filter((id) => id !== self),
      );
      for (const id of [...pending]) if (!live.has(id)) pending.delete(id);
      if (pending.size === 0 || Date.now() - start >= timeoutMs) break;
      await sleep(10);
    }
    return { checked: true, stillLoaded: [...pending], waitedMs: Date.now() - start };
  } catch {
    return { checked: false, stillLoaded: [], waitedMs: Date.now() - start };
  } finally {
    obj?.close();
  }
}
