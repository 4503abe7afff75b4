/**
 * TracingPolicy → kernel hooks. For each hook of the policy: pick how it attaches on this
 * kernel (kprobe → fentry → syscall equivalents; fmod_ret/LSM when it must Override), build the
 * hook configuration the pre-compiled BPF program reads, or say precisely why the hook cannot
 * run here. Pure: the kernel is described by CompileKernel (from the kernel probe).
 */
import type { GuardConfig, HookArgConfig, HookAttach, HookConfig, SyscallEquivalent } from '@vigil/bpf-native';
import {
  policyHooks,
  type ArgType,
  type FunctionHook,
  type Hook,
  type ListSpec,
  type LsmHook,
  type TracingPolicy,
  type UprobeHook,
} from '@vigil/policy';
import { argConfig, kernelType, type ArgRead } from './args';
import {
  equivalentFor,
  nativeSyscallName,
  syscallName,
  syscallOfTracepoint,
  tracepointName,
  TRACEPOINT_EQUIVALENTS,
  type EquivalentGroup,
} from './equivalents';
import type { CompileKernel } from './kernel';
import type { WorkloadScope } from './workloads';
import { compileSelectors, userActions, type ActionAbility, type SelectorContext } from './selectors';
import type { UserAction } from './user-actions';
import { LOADER_HOOK } from './loader';
import { Unsupported } from './unsupported';

export type Mechanism = HookAttach['kind'];

/** One kernel hook object to load. A policy hook may need several (syscall equivalents). */
export interface CompiledHook {
  /** The policy hook it implements, e.g. "spec.kprobes[0]". */
  source: string;
  /** Function, LSM hook or syscall as the policy names it. */
  target: string;
  /** Syscall hooks: the function each syscall number stands for in events ("__x64_sys_dup"). */
  syscallFunctions?: Record<number, string>;
  /** Event kind it produces. */
  eventKind: 'kprobe' | 'tracepoint' | 'lsm' | 'uprobe' | 'loader';
  mechanism: Mechanism;
  /** One line: how it attaches and what that approximates. */
  how: string;
  attach: HookAttach;
  config: HookConfig;
  /** The policy's type and label of each configured argument, for events. */
  args: Array<{ type: ArgType; label?: string }>;
  returnArg?: { type: ArgType; label?: string };
  message?: string;
  tags: string[];
  /** Per selector, what user space does when that selector's event arrives (GetUrl, DnsLookup). */
  userActions: UserAction[][];
}

export interface UnsupportedHook {
  source: string;
  target: string;
  reason: string;
}

export interface CompiledPolicy {
  name: string;
  namespace?: string;
  mode: 'enforce' | 'monitor';
  hooks: CompiledHook[];
  unsupported: UnsupportedHook[];
  warnings: string[];
}

export interface CompileOptions {
  /** Ids given to the hooks, from this one up (unique per collector). */
  firstHookId: number;
}

function hasOverride(h: Hook): boolean {
  return h.selectors.some((s) => s.matchActions.some((a) => a.action === 'Override'));
}

function sourceOf(policy: TracingPolicy, h: Hook): string {
  const list = {
    kprobe: policy.spec.kprobes,
    fentry: policy.spec.fentries,
    tracepoint: policy.spec.tracepoints,
    uprobe: policy.spec.uprobes,
    lsm: policy.spec.lsmhooks,
    usdt: policy.spec.usdts,
  }[h.kind] as Hook[];
  const name = {
    kprobe: 'kprobes',
    fentry: 'fentries',
    tracepoint: 'tracepoints',
    uprobe: 'uprobes',
    lsm: 'lsmhooks',
    usdt: 'usdts',
  }[h.kind];
  return `spec.${name}[${list.indexOf(h)}]`;
}

function targetOf(h: Hook): string {
  switch (h.kind) {
    case 'kprobe':
    case 'fentry':
      return h.call;
    case 'lsm':
      return h.hook;
    case 'tracepoint':
      return `${h.subsystem}/${h.event}`;
    case 'uprobe':
      return `${h.path}:${h.symbols.join(',')}`;
    case 'usdt':
      return `${h.path}:${h.provider}:${h.name}`;
  }
}

interface Plan {
  mechanism: Mechanism;
  how: string;
  /** Direct attach (not syscall equivalents). */
  attach?: HookAttach;
  /** Several direct attaches, one hook object each (a uprobe's symbols: events name theirs). */
  attaches?: HookAttach[];
  /** Syscall equivalents: one hook object per group. */
  groups?: EquivalentGroup[];
  /** Syscall hooks: arguments are user pointers. */
  user: boolean;
  /** kprobe on a syscall wrapper. */
  syscallRegs: boolean;
  ability: ActionAbility;
  /** Override through the cgroup connect programs (see Equivalent.cgroupOverride). */
  deferred?: boolean;
  /** Where a policy argument `index` sits among the hook's raw arguments (default: the same), or a constant. */
  argSource?: (index: number) => number | { const: bigint };
  /** How the kernel side reads policy argument `index`, when not as its type says (tracepoint equivalents). */
  read?: Partial<Record<number, ArgRead>>;
  /** Syscall equivalents decided at the syscall's successful return. */
  atExit?: boolean;
  guards?: GuardConfig[];
  /** tp_btf: tracepoint arguments read, and the one that is the result. */
  tpArgs?: number;
  tpRet?: number;
  /** Syscall equivalents of a list of functions: the function each syscall stands for (events). */
  functionNames?: Record<string, string>;
}

function sendSignal(k: CompileKernel): Pick<ActionAbility, 'sendSignal'> {
  return { sendSignal: k.sendSignal };
}

function syscallTracepoint(name: string, k: CompileKernel): Plan {
  if (!k.tracepoints) throw new Unsupported('no tracepoint can attach on this kernel');
  if (k.syscalls[name] === undefined) throw new Unsupported(`no syscall "${name}" on this architecture`);
  return {
    mechanism: 'syscalls',
    how: `tracepoint syscalls/sys_enter_${tracepointName(name)}`,
    groups: [{ syscalls: [name], args: [0, 1, 2, 3, 4, 5] }],
    user: true,
    syscallRegs: false,
    ability: { override: false, whyNoOverride: "a tracepoint cannot change a syscall's result", ...sendSignal(k) },
  };
}

function equivalentPlan(func: string, k: CompileKernel, lsm: boolean, why = k.whyNoFunctionHook): Plan {
  const eq = equivalentFor(func, lsm);
  if (!eq || !k.tracepoints)
    throw new Unsupported(
      `${lsm ? `LSM hook ${func}` : func} cannot be hooked here (${lsm ? 'BPF LSM unavailable' : why}) and has no syscall equivalent`,
    );
  return {
    mechanism: 'syscalls',
    how: `syscall equivalents of ${func}: ${eq.groups.flatMap((g) => g.syscalls).join(', ')} (${eq.note})`,
    groups: eq.groups,
    atExit: eq.atExit,
    guards: eq.guards,
    user: eq.user ?? false,
    // Events name the function, not the syscall it is reached through.
    functionNames: Object.fromEntries(eq.groups.flatMap((g) => g.syscalls).map((sc) => [sc, func])),
    syscallRegs: false,
    ability: {
      override: false,
      whyNoOverride: `${func} runs here as syscall tracepoints, which cannot change a result`,
      ...sendSignal(k),
    },
  };
}

/** The tp_btf tracepoint standing for `func`, when this kernel loads tp_btf programs and one is known. */
function tracepointPlan(func: string, k: CompileKernel, ret: boolean): Plan | undefined {
  const eq = TRACEPOINT_EQUIVALENTS[func];
  if (!eq || !k.tpBtf || (ret && eq.ret === undefined)) return undefined;
  const used = [...eq.args.filter((a): a is number => typeof a === 'number'), ...(eq.guards ?? []).map((g) => g.src)];
  if (eq.ret !== undefined) used.push(eq.ret);
  return {
    mechanism: 'tpBtf',
    how: `tracepoint equivalent of ${func}: ${eq.note}`,
    attach: { kind: 'tpBtf', tracepoint: eq.tracepoint },
    user: false,
    syscallRegs: false,
    ability: {
      override: false,
      whyNoOverride: `${func} runs here as tracepoint ${eq.tracepoint}, which cannot change a result`,
      ...sendSignal(k),
    },
    argSource: (index) => {
      const src = eq.args[index];
      if (src === undefined)
        throw new Unsupported(`argument ${index} of ${func} is not carried by tracepoint ${eq.tracepoint}`);
      return src;
    },
    read: eq.read,
    guards: eq.guards,
    tpArgs: Math.max(...used) + 1,
    tpRet: eq.ret,
  };
}

/** A raw tracepoint: its arguments are the tracepoint's prototype's (read through tp_btf). */
function rawTracepointPlan(h: Extract<Hook, { kind: 'tracepoint' }>, k: CompileKernel): Plan {
  if (!k.tpBtf)
    throw new Unsupported(`raw tracepoint ${h.subsystem}/${h.event}: BTF-typed tracepoint programs do not load here`);
  return {
    mechanism: 'tpBtf',
    how: `raw tracepoint ${h.subsystem}/${h.event} (tp_btf)`,
    attach: { kind: 'tpBtf', tracepoint: h.event },
    user: false,
    syscallRegs: false,
    ability: { override: false, whyNoOverride: "a tracepoint cannot change a function's result", ...sendSignal(k) },
    tpArgs: Math.max(0, ...h.args.map((a) => a.index + 1)),
  };
}

function functionPlan(h: FunctionHook, k: CompileKernel): Plan {
  const ret = h.return;
  const override = hasOverride(h);
  if (h.syscall) {
    const name = syscallName(h.call);
    if (!override && k.kprobe && (!ret || k.kretprobe)) {
      const func = `__x64_sys_${name}`;
      return {
        mechanism: 'kprobe',
        how: `kprobe on ${func}`,
        attach: { kind: 'kprobe', func },
        user: true,
        syscallRegs: true,
        ability: { override: k.overrideReturn, whyNoOverride: k.whyNoOverride, ...sendSignal(k) },
      };
    }
    if (override) {
      if (k.fmodRet) {
        const func = `__x64_sys_${name}`;
        throw new Unsupported(
          `Override of ${func} through fmod_ret is not supported yet (syscall wrappers take pt_regs)`,
        );
      }
      throw new Unsupported(`Override of a syscall needs fmod_ret or bpf_override_return: ${k.whyNoOverride}`);
    }
    return syscallTracepoint(name, k);
  }
  if (override) {
    if (k.fmodRet && (!ret || k.fexit))
      return {
        mechanism: 'fmod_ret',
        how: `fmod_ret on ${h.call}`,
        attach: { kind: 'fmod_ret', func: h.call },
        user: false,
        syscallRegs: false,
        ability: { override: true, whyNoOverride: '', ...sendSignal(k) },
      };
    if (k.kprobe && k.overrideReturn && (!ret || k.kretprobe))
      return {
        mechanism: 'kprobe',
        how: `kprobe on ${h.call} with bpf_override_return`,
        attach: { kind: 'kprobe', func: h.call },
        user: false,
        syscallRegs: false,
        ability: { override: true, whyNoOverride: '', ...sendSignal(k) },
      };
    const eq = equivalentFor(h.call);
    if (eq?.cgroupOverride && k.cgroup && k.tracepoints && !ret) {
      const plan = equivalentPlan(h.call, k, false);
      return {
        ...plan,
        how: `${plan.how}; Override denies connect() through cgroup/connect4 and connect6 programs`,
        ability: { ...plan.ability, override: true },
        deferred: true,
      };
    }
    throw new Unsupported(`Override on ${h.call} needs fmod_ret or bpf_override_return: ${k.whyNoOverride}`);
  }
  const ability: ActionAbility = { override: false, whyNoOverride: 'no Override in this hook', ...sendSignal(k) };
  // A function the kernel does not have (inlined, renamed) cannot be probed: its equivalents may still stand in.
  const exists = k.functions?.has(h.call) !== false;
  const kprobe = exists && k.kprobe && (!ret || k.kretprobe);
  const fentry = exists && k.fentry && (!ret || k.fexit);
  const order: Array<'kprobe' | 'fentry'> = h.kind === 'fentry' ? ['fentry', 'kprobe'] : ['kprobe', 'fentry'];
  for (const m of order)
    if (m === 'kprobe' ? kprobe : fentry)
      return {
        mechanism: m,
        how: `${m} on ${h.call}`,
        attach: { kind: m, func: h.call },
        user: false,
        syscallRegs: false,
        ability,
      };
  const plan =
    tracepointPlan(h.call, k, ret) ??
    equivalentPlan(h.call, k, false, exists ? undefined : 'not a function of this kernel: inlined, renamed or absent');
  if (ret && plan.atExit)
    throw new Unsupported(
      `return: the equivalent of ${h.call} is read at the syscall's return and has no result of its own`,
    );
  return plan;
}

function lsmPlan(h: LsmHook, k: CompileKernel): Plan {
  if (k.lsm)
    return {
      mechanism: 'lsm',
      how: `BPF LSM hook ${h.hook}`,
      attach: { kind: 'lsm', hook: h.hook },
      user: false,
      syscallRegs: false,
      ability: { override: true, whyNoOverride: '', ...sendSignal(k) },
    };
  if (hasOverride(h)) throw new Unsupported(`LSM hook ${h.hook} with Override needs BPF LSM: ${k.whyNoOverride}`);
  return equivalentPlan(h.hook, k, true);
}

function uprobePlan(h: UprobeHook, k: CompileKernel): Plan {
  if (!k.uprobe) throw new Unsupported('uprobes do not attach on this kernel');
  if (h.data.length > 0) throw new Unsupported('`data` fields are not read yet');
  if (h.addrs.length > 0 || h.refCtrOffsets.length > 0)
    throw new Unsupported('uprobe addrs/refCtrOffsets are not supported yet');
  if (hasOverride(h)) throw new Unsupported('Override on uprobes (argRegs) is not supported yet');
  // Tetragon's /procRoot is the host's /proc as mounted in its container.
  const path = h.path.replace(/^\/procRoot\//, '/proc/');
  const where = [...h.symbols, ...h.offsets.map((o) => `+0x${o.toString(16)}`)].join(', ');
  return {
    mechanism: 'uprobe',
    how: `uprobe on ${path}: ${where}`,
    attaches: [
      ...h.symbols.map((sym): HookAttach => ({ kind: 'uprobe', path, symbols: [sym], offsets: [] })),
      ...h.offsets.map((o): HookAttach => ({ kind: 'uprobe', path, symbols: [], offsets: [Number(o)] })),
    ],
    user: true,
    syscallRegs: false,
    ability: { override: false, whyNoOverride: 'no Override in this hook', ...sendSignal(k) },
  };
}

/**
 * `call: "list:NAME"`: every function of the list. Syscall lists become one hook on all their
 * syscall tracepoints (one object however long the list); lists of kernel functions one kprobe
 * each.
 */
function listPlan(h: FunctionHook, list: ListSpec, k: CompileKernel): Plan {
  if (hasOverride(h)) throw new Unsupported(`Override on the functions of list ${list.name} is not supported yet`);
  if (list.type === 'syscalls' || list.type === 'generated_syscalls') {
    if (!k.tracepoints) throw new Unsupported('no tracepoint can attach on this kernel');
    const names =
      list.type === 'generated_syscalls'
        ? Object.keys(k.syscalls)
        : list.values.flatMap((v) => nativeSyscallName(v) ?? []);
    const here = [...new Set(names)].filter((n) => k.syscalls[n] !== undefined);
    if (here.length === 0) throw new Unsupported(`list ${list.name}: none of its syscalls exists on this architecture`);
    return {
      mechanism: 'syscalls',
      how: `syscalls:sys_enter_* tracepoints of ${here.length} syscalls (list ${list.name})`,
      groups: [{ syscalls: here, args: [0, 1, 2, 3, 4, 5] }],
      user: true,
      syscallRegs: false,
      ability: { override: false, whyNoOverride: "a tracepoint cannot change a syscall's result", ...sendSignal(k) },
    };
  }
  const funcs = list.type === 'generated_ftrace' ? generatedFunctions(list, k) : list.values;
  const from = list.type === 'generated_ftrace' ? ` (pattern ${list.pattern})` : '';
  if (k.kprobe && (!h.return || k.kretprobe))
    return {
      mechanism: 'kprobe',
      how: `kprobes on the ${funcs.length} functions of list ${list.name}${from}`,
      attaches: funcs.map((func): HookAttach => ({ kind: 'kprobe', func })),
      user: false,
      syscallRegs: false,
      ability: { override: false, whyNoOverride: 'no Override in this hook', ...sendSignal(k) },
    };
  return listEquivalentPlan(list.name, funcs, from, k);
}

/**
 * A list of kernel functions where kprobes cannot attach: every function through its plain
 * syscall equivalent (ksys_read → read), all in as few hook objects as their argument mappings
 * allow; events name each syscall's function. One function without one refuses the list.
 */
function listEquivalentPlan(name: string, funcs: string[], from: string, k: CompileKernel): Plan {
  const groups = new Map<string, EquivalentGroup>();
  const functionNames: Record<string, string> = {};
  for (const func of funcs) {
    const eq = equivalentFor(localName(func));
    if (!eq || eq.atExit || eq.guards || !eq.user || !k.tracepoints)
      throw new Unsupported(
        `list ${name}: ${func} cannot be hooked here (${k.whyNoFunctionHook}) and has no plain syscall equivalent`,
      );
    for (const g of eq.groups) {
      const key = JSON.stringify({ args: g.args, read: g.read }, (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v,
      );
      const merged = groups.get(key) ?? { ...g, syscalls: [] };
      merged.syscalls.push(...g.syscalls);
      groups.set(key, merged);
      for (const sc of g.syscalls) functionNames[sc] = func;
    }
  }
  return {
    mechanism: 'syscalls',
    how: `syscall equivalents of the ${funcs.length} functions of list ${name}${from}`,
    groups: [...groups.values()],
    functionNames,
    user: true,
    syscallRegs: false,
    ability: { override: false, whyNoOverride: "a tracepoint cannot change a syscall's result", ...sendSignal(k) },
  };
}

/** A compiler-made local copy of a function (ksys_msgctl.constprop.0) is that function. */
function localName(func: string): string {
  return func.replace(/\.(constprop|isra|part|cold)\.\d+$/, '');
}

/** A generated_ftrace list: the kernel's functions its pattern matches, by their symbol names. */
function generatedFunctions(list: ListSpec, k: CompileKernel): string[] {
  if (!k.functions) throw new Unsupported(`list ${list.name}: the kernel's functions are not known here (kallsyms)`);
  let re: RegExp;
  try {
    re = new RegExp(list.pattern ?? '');
  } catch (err) {
    throw new Unsupported(`list ${list.name}: pattern ${list.pattern}: ${(err as Error).message}`);
  }
  const funcs = new Set<string>();
  for (const f of k.functions) if (re.test(f)) funcs.add(f);
  if (funcs.size === 0)
    throw new Unsupported(`list ${list.name}: pattern ${list.pattern} matches no function of this kernel`);
  return [...funcs].sort();
}

/** Tetragon's index of raw_syscalls/sys_enter's `id` field (after the four common fields). */
const RAW_SYSCALLS_ID = 4;

/** raw_syscalls/sys_enter: every syscall; the hook reads the number (field 4) as its first argument. */
function rawSyscallsPlan(k: CompileKernel): Plan {
  if (!k.tracepoints) throw new Unsupported('no tracepoint can attach on this kernel');
  return {
    mechanism: 'rawSyscalls',
    how: 'tracepoint raw_syscalls/sys_enter (every syscall)',
    attach: { kind: 'rawSyscalls', args: ['nr', 0, 1, 2, 3, 4] },
    user: true,
    syscallRegs: false,
    ability: { override: false, whyNoOverride: "a tracepoint cannot change a syscall's result", ...sendSignal(k) },
    argSource: (index) => {
      if (index !== RAW_SYSCALLS_ID)
        throw new Unsupported(
          `raw_syscalls/sys_enter field ${index}: only the syscall id (index ${RAW_SYSCALLS_ID}) is read yet`,
        );
      return 0;
    },
  };
}

function planFor(h: Hook, k: CompileKernel, lists: ListSpec[]): Plan {
  switch (h.kind) {
    case 'kprobe':
    case 'fentry': {
      if (h.data.length > 0) throw new Unsupported('`data` fields are not read yet');
      if (!h.callList) return functionPlan(h, k);
      const list = lists.find((l) => l.name === h.callList);
      if (!list) throw new Unsupported(`list ${h.callList} is not defined in spec.lists`);
      return listPlan(h, list, k);
    }
    case 'lsm':
      return lsmPlan(h, k);
    case 'tracepoint':
      if (h.raw) return rawTracepointPlan(h, k);
      if (h.subsystem === 'syscalls' && /^sys_enter_\w+$/.test(h.event))
        return syscallTracepoint(h.event.slice('sys_enter_'.length), k);
      if (h.subsystem === 'raw_syscalls' && h.event === 'sys_enter') return rawSyscallsPlan(k);
      throw new Unsupported(
        `tracepoint ${h.subsystem}/${h.event}: only syscalls/sys_enter_* and raw_syscalls/sys_enter are supported yet`,
      );
    case 'uprobe':
      return uprobePlan(h, k);
    case 'usdt':
      throw new Unsupported('USDT probes are not supported yet');
  }
}

function eventKind(h: Hook): CompiledHook['eventKind'] {
  return h.kind === 'lsm' || h.kind === 'tracepoint' || h.kind === 'uprobe' ? h.kind : 'kprobe';
}

/** The hook objects of one policy hook under a plan. */
function build(
  h: Hook,
  plan: Plan,
  source: string,
  nextId: () => number,
  syscalls: Readonly<Record<string, number>>,
  scoped: boolean,
  ctx: SelectorContext,
): { hooks: CompiledHook[]; warnings: string[] } {
  const ret = (h.kind === 'kprobe' || h.kind === 'fentry' || h.kind === 'uprobe') && h.return ? h : undefined;
  const retType = ret?.returnArg ? kernelType(ret.returnArg.type) : ret ? 's64' : undefined;
  const retPost = !ret || ret.kind === 'uprobe' || ret.returnArgAction === 'Post';
  if (ret && plan.mechanism === 'lsm') throw new Unsupported('an LSM hook has no return probe');
  const variants: Array<{ group?: EquivalentGroup; attach?: HookAttach }> = plan.groups
    ? plan.groups.map((group) => ({ group }))
    : (plan.attaches ?? [plan.attach!]).map((attach) => ({ attach }));
  const warnings: string[] = [];
  const hooks = variants.map(({ group, attach: direct }): CompiledHook => {
    const args: HookArgConfig[] = h.args.map((a) => {
      const arg = argConfig(a, { user: plan.user, read: group?.read?.[a.index] ?? plan.read?.[a.index] });
      return plan.argSource ? { ...arg, src: plan.argSource(a.index) } : arg;
    });
    const sel = compileSelectors(h.selectors, args, plan.ability, source, ctx);
    warnings.push(...sel.warnings);
    const hookId = nextId();
    const config: HookConfig = {
      hookId,
      args,
      ret: retType ? { type: retType, post: retPost, user: plan.user && retType === 'string' } : undefined,
      syscall: plan.syscallRegs,
      cgroupScoped: scoped,
      deferredOverride: plan.deferred,
      atExit: plan.atExit,
      guards: plan.guards,
      tpArgs: plan.tpArgs,
      tpRet: plan.tpRet,
      selectors: sel.selectors,
    };
    const attach: HookAttach = group ? { kind: 'syscalls', syscalls: syscallEntries(group, syscalls) } : direct!;
    return {
      source,
      target:
        attach.kind === 'uprobe'
          ? `${attach.path}:${attach.symbols[0] ?? `+0x${attach.offsets[0]!.toString(16)}`}`
          : attach.kind === 'kprobe' && h.kind === 'kprobe' && h.callList
            ? attach.func
            : targetOf(h),
      syscallFunctions: attach.kind === 'syscalls' ? syscallFunctions(attach, plan) : undefined,
      eventKind: eventKind(h),
      mechanism: plan.mechanism,
      how: plan.how,
      attach,
      config,
      args: h.args.map((a) => ({ type: a.type, label: a.label })),
      returnArg: ret?.returnArg ? { type: ret.returnArg.type, label: ret.returnArg.label } : undefined,
      message: h.message,
      tags: h.tags,
      userActions: userActions(h.selectors),
    };
  });
  return { hooks, warnings };
}

/**
 * The function each syscall number of a syscall hook stands for in events: the list's function
 * (lists and equivalents of kernel functions), else the arch wrapper Tetragon names
 * (__x64_sys_<name>) for syscall hooks.
 */
function syscallFunctions(
  attach: Extract<HookAttach, { kind: 'syscalls' }>,
  plan: Plan,
): Record<number, string> | undefined {
  if (!plan.user && !plan.functionNames) return undefined;
  return Object.fromEntries(
    attach.syscalls.map((s) => {
      const name = syscallOfTracepoint(s.name);
      return [s.nr, plan.functionNames?.[name] ?? `__x64_sys_${name}`];
    }),
  );
}
function syscallEntries(group: EquivalentGroup, syscalls: Readonly<Record<string, number>>): SyscallEquivalent[] {
  // A syscall this architecture lacks (e.g. open on arm64) is simply not an entry point there.
  return group.syscalls.flatMap((name) => {
    const nr = syscalls[name];
    return nr === undefined ? [] : [{ name: tracepointName(name), nr, args: group.args }];
  });
}

/**
 * The workloads a policy is limited to: a TracingPolicyNamespaced applies to its namespace's
 * pods only ("default" when the file names none, as kubectl would), podSelector and
 * containerSelector narrow further. Undefined: the whole node.
 */
export function workloadScope(policy: TracingPolicy): WorkloadScope | undefined {
  const { kind, metadata, spec } = policy;
  if (kind !== 'TracingPolicyNamespaced' && !spec.podSelector && !spec.containerSelector) return undefined;
  return {
    namespace: kind === 'TracingPolicyNamespaced' ? (metadata.namespace ?? 'default') : undefined,
    podSelector: spec.podSelector,
    containerSelector: spec.containerSelector,
  };
}

/** Compiles every hook of the policy for this kernel. Never throws for policy content. */
export function compilePolicy(policy: TracingPolicy, kernel: CompileKernel, opts: CompileOptions): CompiledPolicy {
  let id = opts.firstHookId;
  const out: CompiledPolicy = {
    name: policy.metadata.name,
    namespace: policy.metadata.namespace,
    mode: policy.spec.optionValues.policyMode ?? 'enforce',
    hooks: [],
    unsupported: [],
    warnings: [],
  };
  const hooks: Array<{ hook: Hook; source: string; loader?: true }> = policyHooks(policy).map((hook) => ({
    hook,
    source: sourceOf(policy, hook),
  }));
  if (policy.spec.loader) hooks.push({ hook: LOADER_HOOK, source: 'spec.loader', loader: true });
  for (const { hook: h, source, loader } of hooks) {
    if (h.kind === 'kprobe' && !h.callList && h.ignore.callNotFound && kernel.functions?.has(h.call) === false) {
      out.warnings.push(`${source} (${h.call}): not a function of this kernel, ignored (ignore.callNotFound)`);
      continue;
    }
    try {
      const built = build(
        h,
        planFor(h, kernel, policy.spec.lists),
        source,
        () => id++,
        kernel.syscalls,
        workloadScope(policy) !== undefined,
        { hostNamespaces: kernel.hostNamespaces, lists: policy.spec.lists, syscalls: kernel.syscalls },
      );
      out.hooks.push(
        ...built.hooks.map((c) => (loader ? { ...c, eventKind: 'loader' as const, target: 'loader' } : c)),
      );
      out.warnings.push(...built.warnings);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      out.unsupported.push({ source, target: loader ? 'loader' : targetOf(h), reason: err.message });
    }
  }
  return out;
}
