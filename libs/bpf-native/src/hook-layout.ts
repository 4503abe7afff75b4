/**
 * Byte layout of a TracingPolicy hook's kernel configuration and of its events: a mirror of
 * bpf/vigil_hook.h (same names, same offsets; the C side asserts the sizes). The hook's
 * configuration is described here with names (`'file'`, `'Prefix'`, `'Sigkill'`) and encoded
 * to the bytes bpf/hook.bpf.c reads from .rodata, plus the entries of its string and integer
 * maps.
 */

export const HOOK_ARGS = 5;
export const SELECTORS = 5;
export const ARG_FILTERS = 5;
export const RET_FILTERS = 2;
export const FILTER_VALUES = 8;
export const PIDS = 8;
export const ACTIONS = 3;
export const STR_KEY = 252;
export const SYSCALL_ARGS = 6;
export const NS_FILTERS = 4;
export const NS_VALUES = 4;
export const CAPS_FILTERS = 2;

/** enum vigil_ns_kind (bpf/vigil_task.h): Tetragon's matchNamespaces kinds. */
export const NsKind = {
  Uts: 0,
  Ipc: 1,
  Mnt: 2,
  Pid: 3,
  PidForChildren: 4,
  Net: 5,
  Time: 6,
  TimeForChildren: 7,
  Cgroup: 8,
  User: 9,
} as const;
export type NsKindName = keyof typeof NsKind;
export const ARG_STR_MAX = 4096;

/** enum vigil_arg_type */
export const ArgType = {
  none: 0,
  s64: 1,
  u64: 2,
  s32: 3,
  u32: 4,
  s16: 5,
  u16: 6,
  s8: 7,
  u8: 8,
  string: 9,
  char_buf: 10,
  file: 11,
  path: 12,
  fd: 13,
  filename: 14,
  dentry: 15,
  linux_binprm: 16,
  cred: 17,
  capability: 18,
  sockaddr: 19,
  sock: 20,
  socket: 21,
  user_ns: 22,
  /** An fd standing for a socket argument (syscall equivalents): read as its sock. */
  fd_sock: 23,
  /** kernel_cap_t *: the 64-bit set it points to. */
  kernel_cap: 24,
  /** struct sk_buff *: its packet's ends (a sock's layout) and length, hash, sec path. */
  skb: 25,
  net_device: 26,
  /** struct sk_buff *: the sock that owns it. */
  skb_sock: 27,
  /** Not a function argument: a stack trace appended to the record (HookEventFlag.kernelStack/userStack). */
  stack: 28,
  /** BPF and perf objects: the bytes of their user-space attributes (see bpf/vigil_hook.h). */
  bpf_attr: 29,
  perf_event: 30,
  bpf_map: 31,
} as const;
export type ArgTypeName = keyof typeof ArgType;

const SRC_CONST = 0x80;
const NO_SIZE = 0xff;
const ARGF_USER = 1;
const ARGF_RET_COPY = 2;

/** enum vigil_op */
export const Op = {
  None: 0,
  Equal: 1,
  NotEqual: 2,
  Prefix: 3,
  NotPrefix: 4,
  Postfix: 5,
  NotPostfix: 6,
  GT: 7,
  LT: 8,
  Mask: 9,
  InMap: 10,
  NotInMap: 11,
  In: 12,
  NotIn: 13,
  Family: 14,
  Port: 15,
  NotPort: 16,
  PortPriv: 17,
  NotPortPriv: 18,
  Addr4: 19,
  NotAddr4: 20,
  DPort: 21,
  NotDPort: 22,
  DPortPriv: 23,
  NotDPortPriv: 24,
  DAddr4: 25,
  NotDAddr4: 26,
  Protocol: 27,
  State: 28,
} as const;
export type OpName = Exclude<keyof typeof Op, 'None'>;

/** enum vigil_action_kind */
export const ActionKind = {
  Post: 0,
  NoPost: 1,
  Sigkill: 2,
  Signal: 3,
  Override: 4,
  NotifyEnforcer: 5,
  User: 6,
} as const;
export type ActionKindName = keyof typeof ActionKind;

export const HookMode = { enforce: 0, monitor: 1 } as const;
export type HookModeName = keyof typeof HookMode;

/** enum vigil_hook_stat: slots of the per-CPU map vigil_hook_stats. */
export const HookStat = {
  calls: 0,
  matched: 1,
  posted: 2,
  lost: 3,
  rateLimited: 4,
  sigkill: 5,
  signal: 6,
  override: 7,
  monitorOnly: 8,
  pendingLost: 9,
  actionErrors: 10,
} as const;
export type HookStatName = keyof typeof HookStat;
export const HOOK_STAT_SLOTS = 16;

// ---- configuration -------------------------------------------------------------------------

export interface HookArgConfig {
  type: ArgTypeName;
  /** The function argument it comes from, or a constant (syscall equivalents). */
  src: number | { const: bigint };
  /** char_buf: the function argument holding its size. */
  sizeSrc?: number;
  /** A user-space pointer (syscall arguments). */
  user?: boolean;
  returnCopy?: boolean;
  /** Bytes to copy at most (strings, buffers); default and ceiling ARG_STR_MAX. */
  maxData?: number;
}

export interface IntFilterConfig {
  /** Index into the hook's args. */
  arg: number;
  op: 'Equal' | 'NotEqual' | 'GT' | 'LT' | 'Mask' | 'InMap' | 'NotInMap';
  values: bigint[];
}

export interface StringFilterConfig {
  arg: number;
  op: 'Equal' | 'NotEqual' | 'Prefix' | 'NotPrefix' | 'Postfix' | 'NotPostfix';
  strings: Buffer[];
}

/**
 * On a sockaddr or sock argument: Port/Addr4 are its source end (a sockaddr's only one), DPort/
 * DAddr4 a sock's destination; Addr4 values come from ipv4Value.
 */
export interface SockFilterConfig {
  arg: number;
  op:
    | 'Family'
    | 'Port'
    | 'NotPort'
    | 'PortPriv'
    | 'NotPortPriv'
    | 'Addr4'
    | 'NotAddr4'
    | 'DPort'
    | 'NotDPort'
    | 'DPortPriv'
    | 'NotDPortPriv'
    | 'DAddr4'
    | 'NotDAddr4'
    | 'Protocol'
    | 'State';
  values: bigint[];
}

export type FilterConfig = IntFilterConfig | StringFilterConfig | SockFilterConfig;

/** An IPv4 CIDR as a SockFilterConfig value: the address as the kernel holds it (network byte order) << 32 | prefix length. */
export function ipv4Value(address: string, prefixLength: number): bigint {
  const b = address.split('.').map(Number);
  if (b.length !== 4 || b.some((x) => !(x >= 0 && x <= 255)) || !(prefixLength >= 0 && prefixLength <= 32))
    throw new HookConfigError(`not an IPv4 CIDR: ${address}/${prefixLength}`);
  // The u32 at sockaddr_in.sin_addr, read on a little-endian host.
  const asRead = Buffer.from(b).readUInt32LE(0);
  return (BigInt(asRead) << 32n) | BigInt(prefixLength);
}

export interface ActionConfig {
  kind: ActionKindName;
  /** Signal: the signal; Override: the (negative) error. */
  arg?: number;
  /** Post: at most one event per this many ns per scope. */
  rateNs?: bigint;
  rateScope?: 'thread' | 'process' | 'global';
  /** User: the policy's action index, handled in user space. */
  userAction?: number;
  /** Post: append the kernel and/or user stack of the hook's context to the event. */
  stacks?: { kernel?: boolean; user?: boolean };
}

export interface BinariesConfig {
  op: 'In' | 'NotIn' | 'Prefix' | 'NotPrefix' | 'Postfix' | 'NotPostfix';
  paths: string[];
}

export interface CapsFilterConfig {
  set: 'Effective' | 'Permitted' | 'Inheritable';
  op: 'In' | 'NotIn';
  mask: bigint;
  /** isNamespaceCapability: only tasks outside the host's user namespace match. */
  notHostUserNs?: boolean;
}

export interface SelectorConfig {
  pids?: { op: 'In' | 'NotIn'; values: number[]; namespacePid?: boolean };
  /** Each entry must hold: the task's namespace of that kind is (not) one of the inodes. */
  namespaces?: Array<{ kind: NsKindName; op: 'In' | 'NotIn'; inums: number[] }>;
  /** Each entry must hold: the set has at least one (In) / none (NotIn) of the mask's capabilities. */
  capabilities?: CapsFilterConfig[];
  /** The mask's capabilities of the set changed since the exec (In), or others did (NotIn). */
  capabilityChanges?: CapsFilterConfig;
  /** A namespace of these kinds (In) / of the other kinds (NotIn) changed since the exec. */
  namespaceChanges?: { op: 'In' | 'NotIn'; kinds: NsKindName[] };
  binaries?: BinariesConfig;
  /** The same, on the binary of the task's parent. */
  parentBinaries?: BinariesConfig;
  args?: FilterConfig[];
  returnArgs?: IntFilterConfig[];
  actions?: ActionConfig[];
}

export interface HookConfig {
  /** Echoed in every event of this hook. */
  hookId: number;
  args: HookArgConfig[];
  /** Post at return, with the return value read as this type (a string from user memory when `user`). */
  ret?: { type: ArgTypeName; post: boolean; user?: boolean };
  /** kprobe on a syscall wrapper: arguments come from the inner pt_regs. */
  syscall?: boolean;
  /** Only tasks in the cgroups given with HookProgram.setCgroups (namespaced policies). */
  cgroupScoped?: boolean;
  /** Override is carried out by the cgroup connect programs later in the same syscall. */
  deferredOverride?: boolean;
  /** Syscall equivalents decided when the syscall succeeded (arguments: 'ret' and 'cred' sources). */
  atExit?: boolean;
  /** Conditions every call must meet before it counts (how an equivalent narrows its hook point). */
  guards?: GuardConfig[];
  /** tp_btf hooks: the tracepoint arguments read (raw[k], k < tpArgs), and which one is the result. */
  tpArgs?: number;
  tpRet?: number;
  selectors: SelectorConfig[];
}

/** struct vigil_guard: raw argument `src` must be Equal / Mask / BitIn (a set of values < 64) / a sock of Protocol. */
export interface GuardConfig {
  src: number;
  /**
   * FdTty: raw argument `src` is an fd of a terminal (value unused); SkbEthertype: an sk_buff of
   * that ethertype; SkbHasSock: an sk_buff owned by a socket (value unused).
   */
  op: 'Equal' | 'Mask' | 'BitIn' | 'Protocol' | 'FdTty' | 'SkbEthertype' | 'SkbHasSock';
  value: bigint;
}

const GUARD_OP = { Equal: 1, Mask: 2, BitIn: 3, Protocol: 4, FdTty: 5, SkbEthertype: 6, SkbHasSock: 7 } as const;
export const HOOK_GUARDS = 2;

/** Entries of the hook's string and integer maps (keys; every value is 1). */
export interface HookMapEntries {
  strs: Buffer[];
  prefixes: Buffer[];
  ints: Buffer[];
}

export interface EncodedHook {
  /** The bytes of `vigil_hook_cfg`. */
  config: Buffer;
  maps: HookMapEntries;
}

const ARG_SIZE = 16;
const FILTER_SIZE = 72;
const ACTION_SIZE = 16;
const SELECTOR_SIZE = 736;
const SELECTOR = {
  filters: 48,
  retFilters: 408,
  actions: 552,
  ns: 600,
  caps: 680,
  capchg: 712,
  nschgMask: 728,
  pbinSlot: 732,
} as const;
const NS_FILTER_SIZE = 20;
const CAPS_FILTER_SIZE = 16;
const CAP_SET = { Effective: 0, Permitted: 1, Inheritable: 2 } as const;
export const HOOK_CONFIG_SIZE = 3808;
const CONFIG = { args: 8, selectors: 88, nguards: 3768, tpArgs: 3769, tpRet: 3770, guards: 3776 } as const;
const GUARD_SIZE = 16;
const TP_NONE = 0xff;
const STR_KEY_SIZE = 260;
const POSTFIX_SLOT = 0x80000000;

export class HookConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookConfigError';
  }
}

function limit(what: string, n: number, max: number): void {
  if (n > max) throw new HookConfigError(`${what}: ${n} given, the kernel side takes at most ${max}`);
}

/** Key of the string maps: (prefixlen, slot, bytes); Postfix values reversed. */
export function strKey(slot: number, bytes: Buffer, prefixlen = 0): Buffer {
  const key = Buffer.alloc(STR_KEY_SIZE);
  key.writeUInt32LE(prefixlen, 0);
  key.writeUInt32LE(slot >>> 0, 4);
  bytes.copy(key, 8, 0, Math.min(bytes.length, STR_KEY - 1));
  return key;
}

function intKey(slot: number, value: bigint): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(slot, 0);
  key.writeBigUInt64LE(BigInt.asUintN(64, value), 8);
  return key;
}

/** Map entries of a string operator's values under `slot`. */
function addStrings(maps: HookMapEntries, op: string, slot: number, values: Buffer[]): void {
  for (const v of values) {
    const bytes = v.subarray(0, STR_KEY - 1);
    if (op === 'Equal' || op === 'NotEqual' || op === 'In' || op === 'NotIn') maps.strs.push(strKey(slot, bytes));
    else if (op === 'Prefix' || op === 'NotPrefix') maps.prefixes.push(strKey(slot, bytes, 32 + 8 * bytes.length));
    else {
      const rev = Buffer.from(bytes).reverse();
      maps.prefixes.push(strKey(slot | POSTFIX_SLOT, rev, 32 + 8 * rev.length));
    }
  }
}

function isStringFilter(f: FilterConfig): f is StringFilterConfig {
  return 'strings' in f;
}

function writeFilter(buf: Buffer, at: number, f: FilterConfig, slot: number, maps: HookMapEntries): void {
  buf.writeUInt8(f.arg, at);
  buf.writeUInt8(Op[f.op], at + 1);
  buf.writeUInt32LE(slot, at + 4);
  if (isStringFilter(f)) {
    buf.writeUInt8(1, at + 3); // VIGIL_FILTF_STRING
    addStrings(maps, f.op, slot, f.strings);
    return;
  }
  if (f.op === 'InMap' || f.op === 'NotInMap') {
    for (const v of f.values) maps.ints.push(intKey(slot, v));
    return;
  }
  limit(`${f.op} values`, f.values.length, FILTER_VALUES);
  buf.writeUInt8(f.values.length, at + 2);
  f.values.forEach((v, k) => buf.writeBigUInt64LE(BigInt.asUintN(64, v), at + 8 + 8 * k));
}

const RATE_SCOPE = { thread: 0, process: 1, global: 2 } as const;
const CAPF_NOT_HOST_USERNS = 1;
const ACTF_KSTACK = 1;
const ACTF_USTACK = 2;

function writeCapsFilter(buf: Buffer, o: number, f: CapsFilterConfig): void {
  buf.writeUInt8(CAP_SET[f.set], o);
  buf.writeUInt8(Op[f.op], o + 1);
  buf.writeUInt8(f.notHostUserNs ? CAPF_NOT_HOST_USERNS : 0, o + 2);
  buf.writeBigUInt64LE(f.mask, o + 8);
}

function writeSelector(buf: Buffer, at: number, idx: number, sel: SelectorConfig, maps: HookMapEntries): void {
  const args = sel.args ?? [];
  const rets = sel.returnArgs ?? [];
  const actions = sel.actions ?? [{ kind: 'Post' }];
  limit('matchArgs entries', args.length, ARG_FILTERS);
  limit('matchReturnArgs entries', rets.length, RET_FILTERS);
  limit('matchActions entries', actions.length, ACTIONS);
  // Slots: unique per (selector, filter) so that one map serves every filter of the hook.
  const slot = (k: number) => ((idx + 1) << 8) | k;
  buf.writeUInt8(args.length, at);
  buf.writeUInt8(rets.length, at + 1);
  if (sel.binaries) {
    buf.writeUInt8(Op[sel.binaries.op], at + 2);
    buf.writeUInt32LE(slot(0xff), at + 8);
    addStrings(
      maps,
      sel.binaries.op,
      slot(0xff),
      sel.binaries.paths.map((p) => Buffer.from(p)),
    );
  }
  if (sel.parentBinaries) {
    buf.writeUInt8(Op[sel.parentBinaries.op], at + 15);
    buf.writeUInt32LE(slot(0xfe), at + SELECTOR.pbinSlot);
    addStrings(
      maps,
      sel.parentBinaries.op,
      slot(0xfe),
      sel.parentBinaries.paths.map((p) => Buffer.from(p)),
    );
  }
  if (sel.pids) {
    limit('matchPIDs values', sel.pids.values.length, PIDS);
    buf.writeUInt8(Op[sel.pids.op], at + 3);
    buf.writeUInt8(sel.pids.values.length, at + 4);
    if (sel.pids.namespacePid) buf.writeUInt8(1, at + 5);
    sel.pids.values.forEach((p, k) => buf.writeUInt32LE(p, at + 16 + 4 * k));
  }
  buf.writeUInt8(actions.length, at + 6);
  const ns = sel.namespaces ?? [];
  limit('matchNamespaces entries', ns.length, NS_FILTERS);
  buf.writeUInt8(ns.length, at + 7);
  ns.forEach((f, k) => {
    const o = at + SELECTOR.ns + k * NS_FILTER_SIZE;
    limit(`matchNamespaces ${f.kind} values`, f.inums.length, NS_VALUES);
    buf.writeUInt8(NsKind[f.kind], o);
    buf.writeUInt8(Op[f.op], o + 1);
    buf.writeUInt8(f.inums.length, o + 2);
    f.inums.forEach((v, i) => buf.writeUInt32LE(v, o + 4 + 4 * i));
  });
  const caps = sel.capabilities ?? [];
  limit('matchCapabilities entries', caps.length, CAPS_FILTERS);
  buf.writeUInt8(caps.length, at + 12);
  caps.forEach((f, k) => writeCapsFilter(buf, at + SELECTOR.caps + k * CAPS_FILTER_SIZE, f));
  if (sel.capabilityChanges) {
    buf.writeUInt8(1, at + 13);
    writeCapsFilter(buf, at + SELECTOR.capchg, sel.capabilityChanges);
  }
  if (sel.namespaceChanges) {
    buf.writeUInt8(Op[sel.namespaceChanges.op], at + 14);
    buf.writeUInt32LE(
      sel.namespaceChanges.kinds.reduce((m, k) => m | (1 << NsKind[k]), 0),
      at + SELECTOR.nschgMask,
    );
  }
  args.forEach((f, k) => writeFilter(buf, at + SELECTOR.filters + k * FILTER_SIZE, f, slot(k), maps));
  rets.forEach((f, k) => writeFilter(buf, at + SELECTOR.retFilters + k * FILTER_SIZE, f, slot(0x10 + k), maps));
  actions.forEach((a, k) => {
    const o = at + SELECTOR.actions + k * ACTION_SIZE;
    buf.writeUInt8(ActionKind[a.kind], o);
    buf.writeUInt8(RATE_SCOPE[a.rateScope ?? 'thread'], o + 1);
    buf.writeUInt8(a.userAction ?? 0, o + 2);
    buf.writeUInt8((a.stacks?.kernel ? ACTF_KSTACK : 0) | (a.stacks?.user ? ACTF_USTACK : 0), o + 3);
    buf.writeInt32LE(a.arg ?? 0, o + 4);
    buf.writeBigUInt64LE(a.rateNs ?? 0n, o + 8);
  });
}

/** The hook's configuration as bpf/hook.bpf.c reads it, and its map entries. */
export function encodeHookConfig(hook: HookConfig): EncodedHook {
  limit('arguments', hook.args.length, HOOK_ARGS);
  limit('selectors', hook.selectors.length, SELECTORS);
  const buf = Buffer.alloc(HOOK_CONFIG_SIZE);
  const maps: HookMapEntries = { strs: [], prefixes: [], ints: [] };
  buf.writeUInt32LE(hook.hookId, 0);
  buf.writeUInt8(hook.args.length, 4);
  buf.writeUInt8(hook.selectors.length, 5);
  let flags = 0;
  if (hook.ret) flags |= 1; // VIGIL_HOOKF_RETURN
  if (hook.syscall) flags |= 2; // VIGIL_HOOKF_SYSCALL
  if (hook.ret?.post) flags |= 4; // VIGIL_HOOKF_RET_POST
  if (hook.ret?.user) flags |= 8; // VIGIL_HOOKF_RET_USER
  if (hook.cgroupScoped) flags |= 16; // VIGIL_HOOKF_CGROUPS
  if (hook.deferredOverride) flags |= 32; // VIGIL_HOOKF_DEFERRED
  if (hook.atExit) flags |= 64; // VIGIL_HOOKF_AT_EXIT
  buf.writeUInt8(flags, 6);
  buf.writeUInt8(ArgType[hook.ret?.type ?? 'none'], 7);
  hook.args.forEach((a, i) => {
    const o = CONFIG.args + i * ARG_SIZE;
    buf.writeUInt8(ArgType[a.type], o);
    if (typeof a.src === 'number') buf.writeUInt8(a.src, o + 1);
    else {
      buf.writeUInt8(SRC_CONST, o + 1);
      buf.writeBigUInt64LE(BigInt.asUintN(64, a.src.const), o + 8);
    }
    buf.writeUInt8(a.sizeSrc ?? NO_SIZE, o + 2);
    buf.writeUInt8((a.user ? ARGF_USER : 0) | (a.returnCopy ? ARGF_RET_COPY : 0), o + 3);
    buf.writeUInt32LE(Math.min(a.maxData ?? ARG_STR_MAX, ARG_STR_MAX), o + 4);
  });
  hook.selectors.forEach((s, i) => writeSelector(buf, CONFIG.selectors + i * SELECTOR_SIZE, i, s, maps));
  const guards = hook.guards ?? [];
  limit('guards', guards.length, HOOK_GUARDS);
  limit('tracepoint arguments', hook.tpArgs ?? 0, SYSCALL_ARGS);
  buf.writeUInt8(guards.length, CONFIG.nguards);
  buf.writeUInt8(hook.tpArgs ?? 0, CONFIG.tpArgs);
  buf.writeUInt8(hook.tpRet ?? TP_NONE, CONFIG.tpRet);
  guards.forEach((g, k) => {
    const o = CONFIG.guards + k * GUARD_SIZE;
    buf.writeUInt8(g.src, o);
    buf.writeUInt8(GUARD_OP[g.op], o + 1);
    buf.writeBigUInt64LE(BigInt.asUintN(64, g.value), o + 8);
  });
  return { config: buf, maps };
}

/**
 * Where function argument j comes from at a syscall tracepoint: a syscall argument, a constant,
 * the syscall's number, or (atExit hooks) its result or the calling task's credentials.
 */
export type SyscallArgSource = number | { const: bigint } | TaskSource | 'nr' | 'ret' | undefined;

/** The calling task's credentials, or a pointer to one of their capability sets. */
export type TaskSource = 'cred' | 'capEffective' | 'capInheritable' | 'capPermitted';
const TASK_SOURCE: Record<TaskSource, number> = {
  cred: 0x83,
  capEffective: 0x84,
  capInheritable: 0x85,
  capPermitted: 0x86,
};

const SRC_NR = 0x81;
const SRC_RETVAL = 0x82;
/** vigil_hook_syscalls key matching every syscall (raw_syscalls). */
export const SYSCALL_ANY = 0xffffffff;

/** struct vigil_syscall_map: function argument j = syscall argument src[j], a constant, or the number. */
export function encodeSyscallMap(src: SyscallArgSource[]): Buffer {
  limit('syscall map entries', src.length, SYSCALL_ARGS);
  const buf = Buffer.alloc(56);
  for (let j = 0; j < SYSCALL_ARGS; j++) {
    const s = src[j];
    if (typeof s === 'number') buf.writeUInt8(s, j);
    else if (s === 'nr') buf.writeUInt8(SRC_NR, j);
    else if (s === 'ret') buf.writeUInt8(SRC_RETVAL, j);
    else if (typeof s === 'string') buf.writeUInt8(TASK_SOURCE[s], j);
    else {
      buf.writeUInt8(SRC_CONST, j);
      if (s) buf.writeBigUInt64LE(BigInt.asUintN(64, s.const), 8 + 8 * j);
    }
  }
  return buf;
}

// ---- events --------------------------------------------------------------------------------

/** struct vigil_hook_event (fixed part; arguments follow at SIZE). */
export const HOOK_EVENT = {
  pid: 16,
  tid: 20,
  ktime: 24,
  hook_id: 32,
  syscall: 36,
  ret: 40,
  action: 48,
  selector: 49,
  nargs: 50,
  flags: 51,
  action_arg: 52,
  data_len: 56,
  SIZE: 64,
} as const;

/** vigil_hook_event.flags */
export const HookEventFlag = {
  return: 1,
  enforced: 2,
  monitor: 4,
  truncated: 8,
  actionError: 16,
  retArg: 32,
  kernelStack: 64,
  userStack: 128,
} as const;
/** vigil_arg_hdr.flags */
export const ArgFlag = { truncated: 1, error: 2 } as const;

/** struct vigil_sock */
export const SOCK = {
  family: 0,
  type: 2,
  protocol: 4,
  state: 6,
  mark: 8,
  priority: 12,
  sport: 16,
  dport: 18,
  saddr: 20,
  daddr: 36,
  SIZE: 56,
} as const;

/** struct vigil_skb: a vigil_sock, then these. */
export const SKB = { len: 56, hash: 60, sec_path_len: 64, sec_path_olen: 68, SIZE: 72 } as const;

/** struct vigil_user_ns */
export const USER_NS = { level: 0, owner: 4, group: 8, inum: 12, SIZE: 16 } as const;

/** struct vigil_cred */
export const CRED = {
  uid: 0,
  gid: 4,
  euid: 8,
  egid: 12,
  suid: 16,
  sgid: 20,
  fsuid: 24,
  fsgid: 28,
  cap_permitted: 32,
  cap_effective: 40,
  cap_inheritable: 48,
  securebits: 56,
  SIZE: 64,
} as const;
