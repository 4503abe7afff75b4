/**
 * Selectors → the kernel side's selector tables. Everything here is enforced in the kernel;
 * what cannot be is refused (Unsupported) — a selector that silently matched more than the
 * policy says could kill the wrong processes.
 */
import {
  ipv4Value,
  type ActionConfig,
  type FilterConfig,
  type HookArgConfig,
  type IntFilterConfig,
  type SelectorConfig,
  type CapsFilterConfig,
  type SockFilterConfig,
} from '@vigil/bpf-native';
import type { NamespaceInums } from '@vigil/events';
import {
  CAPABILITIES,
  type Action,
  type ArgFilter,
  type CapabilityFilter,
  type FilterValue,
  type ListSpec,
  type NamespaceFilter,
  type NamespaceChangeFilter,
  type PidFilter,
  type Selector,
} from '@vigil/policy';
import { STRING_KERNEL_TYPES } from './args';
import { nativeSyscallName } from './equivalents';
import { Unsupported } from './unsupported';
import type { UserAction } from './user-actions';

/** What the hook's mechanism can do, for the actions. */
export interface ActionAbility {
  override: boolean;
  whyNoOverride: string;
  sendSignal: boolean;
}

/** What the selectors need of the node itself. */
export interface SelectorContext {
  /** For matchNamespaces' "host_ns". */
  hostNamespaces?: NamespaceInums;
  /** spec.lists, for "list:NAME" values (InMap over a syscall list: their numbers). */
  lists?: ListSpec[];
  syscalls?: Readonly<Record<string, number>>;
}

function lowerFirst(s: string): string {
  return s[0]!.toLowerCase() + s.slice(1);
}

function namespaces(entries: NamespaceFilter[], ctx: SelectorContext, where: string): SelectorConfig['namespaces'] {
  return entries.map((e, k) => {
    const inums = e.values.map((v) => {
      if (v !== 'host_ns') return v;
      const host = ctx.hostNamespaces?.[lowerFirst(e.namespace) as keyof NamespaceInums];
      if (!host) throw new Unsupported(`${where}[${k}]: host_ns: the host's ${e.namespace} namespace is unknown here`);
      return host;
    });
    return { kind: e.namespace, op: e.operator, inums };
  });
}

function capsFilter(e: CapabilityFilter): CapsFilterConfig {
  const mask = e.values.reduce((m, c) => m | (1n << BigInt(CAPABILITIES.indexOf(c))), 0n);
  return { set: e.type, op: e.operator, mask, notHostUserNs: e.isNamespaceCapability };
}

function capabilities(entries: CapabilityFilter[]): SelectorConfig['capabilities'] {
  return entries.map(capsFilter);
}

/** Tetragon reads one matchCapabilityChanges entry per selector. */
function capabilityChanges(entries: CapabilityFilter[], where: string): SelectorConfig['capabilityChanges'] {
  if (entries.length > 1)
    throw new Unsupported(`${where}: one entry per selector is supported, ${entries.length} given`);
  return entries[0] && capsFilter(entries[0]);
}

/** Tetragon reads one matchNamespaceChanges entry per selector. */
function namespaceChanges(entries: NamespaceChangeFilter[], where: string): SelectorConfig['namespaceChanges'] {
  if (entries.length > 1)
    throw new Unsupported(`${where}: one entry per selector is supported, ${entries.length} given`);
  return entries[0] && { op: entries[0].operator, kinds: entries[0].values };
}

const INT_OPS = new Set(['Equal', 'NotEqual', 'GT', 'LT', 'Mask', 'InMap', 'NotInMap']);
const STRING_OPS = new Set(['Equal', 'NotEqual', 'Prefix', 'NotPrefix', 'Postfix', 'NotPostfix']);
/** InMap ranges are expanded into the map up to this many values. */
const MAX_RANGE_EXPANSION = 4096;

function intValues(f: ArgFilter, ctx: SelectorContext = {}): bigint[] {
  const out: bigint[] = [];
  for (const v of f.values) {
    if (v.kind === 'int') out.push(v.value);
    else if (v.kind === 'caps')
      out.push(v.mask); // a capability set compared as its 64-bit mask
    else if (v.kind === 'list' && f.operator.endsWith('InMap')) out.push(...listNumbers(v.list, ctx));
    else if (v.kind === 'range' && f.operator.endsWith('InMap')) {
      if (v.max - v.min >= BigInt(MAX_RANGE_EXPANSION))
        throw new Unsupported(`${f.operator} range ${v.raw} is wider than ${MAX_RANGE_EXPANSION} values`);
      for (let x = v.min; x <= v.max; x++) out.push(x);
    } else throw new Unsupported(`${f.operator} value ${describe(v)} is not supported for an integer argument`);
  }
  return out;
}

/** A syscalls list's values as this architecture's numbers (other architectures' entries are not here). */
function listNumbers(name: string, ctx: SelectorContext): bigint[] {
  const list = ctx.lists?.find((l) => l.name === name);
  if (!list) throw new Unsupported(`list ${name} is not defined in spec.lists`);
  if (list.type !== 'syscalls' && list.type !== 'generated_syscalls')
    throw new Unsupported(`list ${name}: only syscall lists can be InMap values yet`);
  const table = ctx.syscalls ?? {};
  const names =
    list.type === 'generated_syscalls' ? Object.keys(table) : list.values.flatMap((v) => nativeSyscallName(v) ?? []);
  return names.flatMap((n) => (table[n] === undefined ? [] : [BigInt(table[n])]));
}

function describe(v: FilterValue): string {
  return v.kind === 'string' ? JSON.stringify(v.value) : v.raw;
}

/** Tetragon's socket operators. A sockaddr holds one address and one port, so S* and D* alike name them there. */
const SOCKADDR_OPS: Readonly<Record<string, SockFilterConfig['op']>> = {
  Family: 'Family',
  SPort: 'Port',
  DPort: 'Port',
  NotSPort: 'NotPort',
  NotDPort: 'NotPort',
  SPortPriv: 'PortPriv',
  DPortPriv: 'PortPriv',
  NotSPortPriv: 'NotPortPriv',
  NotDPortPriv: 'NotPortPriv',
  SAddr: 'Addr4',
  DAddr: 'Addr4',
  NotSAddr: 'NotAddr4',
  NotDAddr: 'NotAddr4',
};

/** A sock has two ends: S* its local one, D* its peer. */
const SOCK_OPS: Readonly<Record<string, SockFilterConfig['op']>> = {
  Family: 'Family',
  Protocol: 'Protocol',
  State: 'State',
  SPort: 'Port',
  NotSPort: 'NotPort',
  SPortPriv: 'PortPriv',
  NotSPortPriv: 'NotPortPriv',
  SAddr: 'Addr4',
  NotSAddr: 'NotAddr4',
  DPort: 'DPort',
  NotDPort: 'NotDPort',
  DPortPriv: 'DPortPriv',
  NotDPortPriv: 'NotDPortPriv',
  DAddr: 'DAddr4',
  NotDAddr: 'NotDAddr4',
};

function sockFilter(f: ArgFilter, pos: number, op: SockFilterConfig['op'], where: string): SockFilterConfig {
  const values = f.values.map((v) => {
    if (op.endsWith('Addr4')) {
      if (v.kind !== 'cidr' || v.family !== 4)
        throw new Unsupported(`${where}: ${describe(v)}: only IPv4 addresses are matched yet`);
      return ipv4Value(v.address, v.prefixLength);
    }
    if (v.kind !== 'int') throw new Unsupported(`${where}: ${describe(v)} is not a number`);
    return v.value;
  });
  if (values.length > 8) throw new Unsupported(`${where}: at most 8 values`);
  return { arg: pos, op, values };
}

function filter(f: ArgFilter, args: HookArgConfig[], where: string, ctx: SelectorContext): FilterConfig {
  const pos = f.argPosition;
  if (pos === undefined || pos >= args.length)
    throw new Unsupported(`${where}: index ${f.index} names no declared argument`);
  const type = args[pos]!.type;
  const sockOp =
    type === 'sockaddr'
      ? SOCKADDR_OPS[f.operator]
      : type === 'sock' || type === 'socket' || type === 'fd_sock' || type === 'skb' || type === 'skb_sock'
        ? SOCK_OPS[f.operator]
        : undefined;
  if (sockOp) return sockFilter(f, pos, sockOp, where);
  if (type === 'bpf_attr' || type === 'perf_event' || type === 'bpf_map')
    throw new Unsupported(`${where}: ${type} arguments are reported, not filtered on, yet`);
  if (STRING_KERNEL_TYPES.has(type)) {
    if (!STRING_OPS.has(f.operator))
      throw new Unsupported(`${where}: operator ${f.operator} on a ${type} argument is not supported yet`);
    const strings = f.values.map((v) => {
      if (v.kind !== 'string') throw new Unsupported(`${where}: ${describe(v)} is not a string`);
      return Buffer.from(v.value);
    });
    return { arg: pos, op: f.operator as never, strings };
  }
  if (!INT_OPS.has(f.operator))
    throw new Unsupported(`${where}: operator ${f.operator} on a ${type} argument is not supported yet`);
  return { arg: pos, op: f.operator as IntFilterConfig['op'], values: intValues(f, ctx) };
}

function retFilter(f: ArgFilter, where: string): IntFilterConfig {
  if (!INT_OPS.has(f.operator) || f.operator.endsWith('InMap'))
    throw new Unsupported(`${where}: operator ${f.operator} on the return value is not supported yet`);
  return { arg: 0, op: f.operator as IntFilterConfig['op'], values: intValues(f) };
}

function action(a: Action, can: ActionAbility, where: string, index: number): ActionConfig {
  switch (a.action) {
    case 'Post':
      return {
        kind: 'Post',
        rateNs: a.rateLimit ? BigInt(a.rateLimit.milliseconds) * 1_000_000n : undefined,
        rateScope: a.rateLimitScope,
        stacks:
          a.kernelStackTrace || a.userStackTrace ? { kernel: a.kernelStackTrace, user: a.userStackTrace } : undefined,
      };
    case 'NoPost':
      return { kind: 'NoPost' };
    case 'Sigkill':
    case 'Signal':
      if (!can.sendSignal)
        throw new Unsupported(`${where}: ${a.action} needs bpf_send_signal, which this kernel lacks`);
      return a.action === 'Sigkill' ? { kind: 'Sigkill' } : { kind: 'Signal', arg: a.argSig };
    case 'Override':
      if (!can.override)
        throw new Unsupported(
          `${where}: Override needs fmod_ret, BPF LSM or bpf_override_return on this hook: ${can.whyNoOverride}`,
        );
      if (a.argError === undefined) throw new Unsupported(`${where}: Override without argError`);
      return { kind: 'Override', arg: a.argError };
    case 'GetUrl':
    case 'DnsLookup':
      // Posted like Post; user space carries it out when the event arrives (userActions()).
      return { kind: 'User', userAction: index };
    default:
      throw new Unsupported(`${where}: action ${a.action} is not carried out yet`);
  }
}

/** Fields of a selector this compiler cannot enforce, by name. */
const NOT_YET: Array<keyof Selector> = [
  'matchData',
  'matchCmdArgs',
  'matchStates',
  'matchUserCallers',
  'matchReturnActions',
];

/**
 * Several matchPIDs entries must all hold (AND). Over explicit pid sets that is one set:
 * In A ∧ In B = In (A ∩ B); NotIn A ∧ NotIn B = NotIn (A ∪ B); In A ∧ NotIn B = In (A \ B).
 */
function combinePids(entries: PidFilter[], where: string): PidFilter | undefined {
  if (entries.length <= 1) return entries[0];
  if (entries.some((e) => e.isNamespacePID !== entries[0]!.isNamespacePID))
    throw new Unsupported(`${where}: entries mixing isNamespacePID true and false are not supported`);
  const ins = entries.filter((e) => e.operator === 'In').map((e) => new Set(e.values));
  const notIn = new Set(entries.filter((e) => e.operator === 'NotIn').flatMap((e) => e.values));
  const followForks = entries.some((e) => e.followForks);
  const base = { isNamespacePID: entries[0]!.isNamespacePID, followForks };
  if (ins.length === 0) return { ...base, operator: 'NotIn', values: [...notIn].sort((a, b) => a - b) };
  const inter = [...ins[0]!].filter((p) => ins.every((set) => set.has(p)) && !notIn.has(p));
  return { ...base, operator: 'In', values: inter.sort((a, b) => a - b) };
}

export interface CompiledSelectors {
  selectors: SelectorConfig[];
  /** Whether an action needs the mechanism to change the function's result. */
  overrides: boolean;
  warnings: string[];
}

export function compileSelectors(
  selectors: Selector[],
  args: HookArgConfig[],
  can: ActionAbility,
  where: string,
  ctx: SelectorContext = {},
): CompiledSelectors {
  const warnings: string[] = [];
  let overrides = false;
  const out = selectors.map((s, i): SelectorConfig => {
    const at = `${where}.selectors[${i}]`;
    for (const k of NOT_YET) {
      const v = s[k];
      if (Array.isArray(v) ? v.length > 0 : v !== undefined)
        throw new Unsupported(`${at}.${k} is not enforced in the kernel yet`);
    }
    if (s.matchCEL || s.matchWorkloads)
      throw new Unsupported(`${at}: matchCEL/matchWorkloads are not enforced in the kernel yet`);

    for (const k of ['matchBinaries', 'matchParentBinaries'] as const)
      if (s[k].length > 1)
        throw new Unsupported(`${at}.${k}: one entry per selector is supported, ${s[k].length} given`);
    const pids = combinePids(s.matchPIDs, `${at}.matchPIDs`);
    const bins = s.matchBinaries[0];
    if (pids?.followForks)
      warnings.push(`${at}.matchPIDs.followForks: children of the listed pids are not matched yet`);
    const parents = s.matchParentBinaries[0];
    if (bins?.followChildren || parents?.followChildren)
      throw new Unsupported(`${at}: followChildren is not enforced in the kernel yet`);
    const actions = s.matchActions.map((a, k) => action(a, can, `${at}.matchActions[${k}]`, k));
    overrides ||= actions.some((a) => a.kind === 'Override');
    return {
      pids: pids && { op: pids.operator, values: pids.values, namespacePid: pids.isNamespacePID },
      namespaces: namespaces(s.matchNamespaces, ctx, `${at}.matchNamespaces`),
      capabilities: capabilities(s.matchCapabilities),
      capabilityChanges: capabilityChanges(s.matchCapabilityChanges, `${at}.matchCapabilityChanges`),
      namespaceChanges: namespaceChanges(s.matchNamespaceChanges, `${at}.matchNamespaceChanges`),
      binaries: bins && { op: bins.operator, paths: bins.values },
      parentBinaries: parents && { op: parents.operator, paths: parents.values },
      args: s.matchArgs.map((f, k) => filter(f, args, `${at}.matchArgs[${k}]`, ctx)),
      returnArgs: s.matchReturnArgs.map((f, k) => retFilter(f, `${at}.matchReturnArgs[${k}]`)),
      actions: actions.length ? actions : undefined,
    };
  });
  return { selectors: out, overrides, warnings };
}

/** Per selector, the actions user space carries out when its event arrives (GetUrl, DnsLookup). */
export function userActions(selectors: Selector[]): UserAction[][] {
  return selectors.map((s) =>
    s.matchActions.flatMap((a): UserAction[] =>
      a.action === 'GetUrl'
        ? [{ kind: 'GetUrl', url: a.argUrl }]
        : a.action === 'DnsLookup'
          ? [{ kind: 'DnsLookup', fqdn: a.argFqdn }]
          : [],
    ),
  );
}
