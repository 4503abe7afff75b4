/**
 * What the compiler needs to know of the kernel it compiles for: which attach mechanisms and
 * enforcement helpers work (from the kernel probe), and why those that don't.
 */
import fs from 'node:fs';
import { ensureTracefs } from '@vigil/bpf-native';
import type { NamespaceInums } from '@vigil/events';
import type { KernelProbeReport } from '@vigil/kernel-probe';
import { tracepointName } from './equivalents';
import { readKallsyms } from './symbols';

export interface CompileKernel {
  kprobe: boolean;
  kretprobe: boolean;
  fentry: boolean;
  fexit: boolean;
  fmodRet: boolean;
  lsm: boolean;
  overrideReturn: boolean;
  sendSignal: boolean;
  tracepoints: boolean;
  /** BTF-typed tracepoint programs load (tracepoint equivalents of kernel functions, raw tracepoints). */
  tpBtf: boolean;
  uprobe: boolean;
  /** cgroup programs attach (connect deny where no Override mechanism exists). */
  cgroup: boolean;
  /** Why function hooks cannot attach directly (the probe's reasons), for messages. */
  whyNoFunctionHook: string;
  /** Why Override cannot work here, for messages. */
  whyNoOverride: string;
  /** Syscall numbers of this architecture. */
  syscalls: Readonly<Record<string, number>>;
  /** The host's namespaces (init's), for matchNamespaces' "host_ns"; unknown: refused. */
  hostNamespaces?: NamespaceInums;
  /** The kernel's functions (kallsyms), for `ignore: callNotFound`; unknown: every hook is kept. */
  functions?: ReadonlySet<string>;
}

/** From `vigil probe`'s report (probeKernel()). */
export function kernelFromProbe(
  report: Pick<KernelProbeReport, 'hookStrategy' | 'capabilities'>,
  syscalls: Readonly<Record<string, number>>,
  hostNamespaces?: NamespaceInums,
  functions?: ReadonlySet<string>,
): CompileKernel {
  const s = report.hookStrategy;
  const fn = s.kernelFunction.available;
  const ret = s.kernelFunctionReturn.available;
  const ov = s.enforcement.override.available;
  return {
    kprobe: fn.includes('kprobe'),
    kretprobe: ret.includes('kretprobe'),
    fentry: fn.includes('fentry'),
    fexit: ret.includes('fexit'),
    fmodRet: ov.includes('fmod_ret'),
    lsm: ov.includes('lsm'),
    overrideReturn: ov.includes('override_return'),
    sendSignal: s.enforcement.sendSignal.mechanism === 'send_signal',
    tracepoints: s.tracepoint.mechanism !== 'unsupported',
    tpBtf: s.tracepoint.available.includes('tp_btf'),
    uprobe: report.capabilities.some((c) => c.name === 'uprobe' && c.works),
    cgroup: s.enforcement.cgroupDeny.mechanism === 'cgroup',
    whyNoFunctionHook: s.kernelFunction.why,
    whyNoOverride: s.enforcement.override.why,
    syscalls,
    hostNamespaces,
    functions,
  };
}

/** A kernel with every mechanism: what the policy table's "full kernel" column assumes. */
export function fullKernel(syscalls: Readonly<Record<string, number>>): CompileKernel {
  return {
    kprobe: true,
    kretprobe: true,
    fentry: true,
    fexit: true,
    fmodRet: true,
    lsm: true,
    overrideReturn: true,
    sendSignal: true,
    tracepoints: true,
    tpBtf: true,
    uprobe: true,
    cgroup: true,
    whyNoFunctionHook: '',
    whyNoOverride: '',
    syscalls,
  };
}

/**
 * The syscalls of `table` this kernel has tracepoints for: one it does not implement (init_module
 * without module support, the x86_64 ni_syscall slots) has none, so no hook can attach there.
 */
export function tracedSyscalls(
  table: Readonly<Record<string, number>>,
  eventsDir = `${ensureTracefs()}/events/syscalls`,
): Record<string, number> {
  const traced = new Set(fs.readdirSync(eventsDir));
  return Object.fromEntries(Object.entries(table).filter(([name]) => traced.has(`sys_enter_${tracepointName(name)}`)));
}

/**
 * The kernel's functions: the text symbols of /proc/kallsyms outside init text (freed after
 * boot), without the __pfx_ padding symbols and without names that several symbols share. What `ignore.callNotFound`, the choice of a probe
 * over an equivalent, and generated_ftrace lists go by.
 */
export function kernelFunctions(kallsyms = '/proc/kallsyms'): Set<string> {
  const syms = readKallsyms(kallsyms);
  const at = (name: string) => syms.find((x) => x.name === name)?.addr;
  const [initStart, initEnd] = [at('_sinittext') ?? 0n, at('_einittext') ?? 0n];
  const out = new Set<string>();
  const twice = new Set<string>();
  for (const { addr, type, name } of syms)
    if ((type === 't' || type === 'T') && !name.startsWith('__pfx_') && !(addr >= initStart && addr < initEnd)) {
      if (out.has(name)) twice.add(name);
      out.add(name);
    }
  // A name several local copies share (an inline function's out-of-line copies) cannot be
  // probed by name (the kernel refuses an ambiguous symbol): it is not a function to probe.
  for (const name of twice) out.delete(name);
  return out;
}
