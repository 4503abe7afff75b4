/**
 * The normalized TracingPolicy: what a valid YAML policy means, with Tetragon's defaults filled in,
 * aliases canonicalized, selector macros expanded and filter values typed. Field names follow the
 * YAML (camelCase). Every list is present (empty when absent), so consumers never test for undefined
 * lists; optional scalars are absent when not set.
 */
import type {
  ActionName,
  ArgOperator,
  ArgType,
  BinaryOperator,
  Capability,
  CapabilitySet,
  CmdArgOperator,
  DataSource,
  LabelOperator,
  ListType,
  NamespaceKind,
  RateLimitScope,
  ReturnArgAction,
  SetOperator,
} from './tables';

export type {
  ActionName,
  ArgOperator,
  ArgType,
  BinaryOperator,
  Capability,
  CapabilitySet,
  CmdArgOperator,
  DataSource,
  LabelOperator,
  ListType,
  NamespaceKind,
  RateLimitScope,
  ReturnArgAction,
  SetOperator,
};

export type PolicyKind = 'TracingPolicy' | 'TracingPolicyNamespaced';

export interface TracingPolicy {
  apiVersion: 'cilium.io/v1alpha1';
  kind: PolicyKind;
  metadata: PolicyMetadata;
  spec: PolicySpec;
}

export interface PolicyMetadata {
  name: string;
  /** Only for TracingPolicyNamespaced; absent when the file leaves it to kubectl's context. */
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PolicySpec {
  kprobes: FunctionHook[];
  fentries: FunctionHook[];
  tracepoints: TracepointHook[];
  uprobes: UprobeHook[];
  lsmhooks: LsmHook[];
  usdts: UsdtHook[];
  lists: ListSpec[];
  enforcers: EnforcerSpec[];
  /** spec.options as written (value defaults to ""). */
  options: PolicyOption[];
  /** The options Tetragon knows, parsed. */
  optionValues: KnownOptions;
  /** Emit process_loader events. */
  loader: boolean;
  state: StateSpec[];
  podSelector?: LabelSelector;
  containerSelector?: LabelSelector;
  /** Nodes whose agents load the policy. */
  nodeSelector?: LabelSelector;
  /** Only `{}` (host workloads) is supported, so when present it is always empty. */
  hostSelector?: LabelSelector;
}

export type HookKind = 'kprobe' | 'fentry' | 'tracepoint' | 'uprobe' | 'lsm' | 'usdt';

export type Hook = FunctionHook | TracepointHook | UprobeHook | LsmHook | UsdtHook;

/** Fields every hook has. */
export interface HookCommon {
  args: HookArg[];
  selectors: Selector[];
  /** Event message, cut to 256 characters as Tetragon does. */
  message?: string;
  tags: string[];
}

/** spec.kprobes (kind "kprobe") and spec.fentries (kind "fentry") share Tetragon's KProbeSpec. */
export interface FunctionHook extends HookCommon {
  kind: 'kprobe' | 'fentry';
  /** The function, or "list:NAME" to hook every function of a list. */
  call: string;
  /** Set when call is "list:NAME". */
  callList?: string;
  /** Default true. */
  syscall: boolean;
  /** Default false. */
  return: boolean;
  returnArg?: HookArg;
  /** Default "Post". */
  returnArgAction: ReturnArgAction;
  /** Extra values read from current_task or pt_regs (`data`). */
  data: HookArg[];
  ignore: { callNotFound: boolean };
}

export interface TracepointHook extends HookCommon {
  kind: 'tracepoint';
  subsystem: string;
  event: string;
  /** Raw tracepoint arguments; default false. */
  raw: boolean;
}

export interface UprobeHook extends HookCommon {
  kind: 'uprobe';
  path: string;
  /** At most one of symbols, offsets and addrs is set. */
  symbols: string[];
  offsets: bigint[];
  addrs: bigint[];
  refCtrOffsets: bigint[];
  return: boolean;
  returnArg?: HookArg;
  data: HookArg[];
  btfPath?: string;
  binaryDigests: string[];
  ignore: { digestVerificationFailure: boolean };
}

export interface LsmHook extends HookCommon {
  kind: 'lsm';
  /** LSM hook name without the bpf_lsm_ prefix, e.g. "file_open". */
  hook: string;
}

export interface UsdtHook extends HookCommon {
  kind: 'usdt';
  path: string;
  provider: string;
  name: string;
  btfPath?: string;
}

export interface HookArg {
  index: number;
  type: ArgType;
  /** 1-based position of the size argument for char_buf/char_iovec; 0 when unset. */
  sizeArgIndex: number;
  returnCopy: boolean;
  maxData: boolean;
  label?: string;
  resolve?: string;
  btfType?: string;
  btfTypeModule?: string;
  /** Only on `data` entries. */
  source?: DataSource;
}

export interface Selector {
  label?: string;
  /** Names of the selectorsMacros merged into this selector (already expanded below). */
  macros: string[];
  matchArgs: ArgFilter[];
  matchData: ArgFilter[];
  matchReturnArgs: ArgFilter[];
  matchPIDs: PidFilter[];
  matchBinaries: BinaryFilter[];
  matchParentBinaries: BinaryFilter[];
  matchNamespaces: NamespaceFilter[];
  matchNamespaceChanges: NamespaceChangeFilter[];
  matchCapabilities: CapabilityFilter[];
  matchCapabilityChanges: CapabilityFilter[];
  matchCmdArgs: CmdArgFilter[];
  matchStates: StateFilter[];
  matchUserCallers: UserCallerFilter[];
  matchCEL?: { expr: string };
  matchWorkloads?: WorkloadFilter;
  matchActions: Action[];
  matchReturnActions: Action[];
}

export interface ArgFilter {
  /** As written (default 0): the `index` of a declared arg, a data position, or the returnArg index. */
  index: number;
  /** As written: positions in the hook's args (or data) list; CapabilitiesGained uses two. */
  args: number[];
  operator: ArgOperator;
  values: FilterValue[];
  /** Position in hook.args (or hook.data) of the argument this filter reads; 0 for matchReturnArgs. */
  argPosition?: number;
  /** Type of that argument; absent when it is "auto" (resolved from BTF at load time). */
  argType?: ArgType;
}

/** A filter value typed by the operator and the argument type it applies to. */
export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: bigint; raw: string; name?: string }
  | { kind: 'range'; min: bigint; max: bigint; raw: string }
  | { kind: 'list'; list: string; raw: string }
  | { kind: 'cidr'; family: 4 | 6; address: string; prefixLength: number; raw: string }
  | { kind: 'caps'; mask: bigint; raw: string }
  /**
   * An unexpanded template variable such as "${PODCIDR}" (Tetragon's quickstart examples are meant
   * for envsubst). Kept unchecked with a warning; a compiler must refuse it or substitute it, or
   * pass ParseOptions.variables so it is replaced and checked while parsing.
   */
  | { kind: 'placeholder'; name: string; raw: string };

export interface PidFilter {
  operator: SetOperator;
  values: number[];
  isNamespacePID: boolean;
  followForks: boolean;
}

export interface BinaryFilter {
  operator: BinaryOperator;
  values: string[];
  followChildren: boolean;
}

export interface NamespaceFilter {
  namespace: NamespaceKind;
  operator: SetOperator;
  /** Namespace inode numbers, or "host_ns" for the host's namespace of that kind. */
  values: Array<number | 'host_ns'>;
}

export interface NamespaceChangeFilter {
  operator: SetOperator;
  values: NamespaceKind[];
}

export interface CapabilityFilter {
  /** Default "Effective". */
  type: CapabilitySet;
  operator: SetOperator;
  isNamespaceCapability: boolean;
  values: Capability[];
}

export interface CmdArgFilter {
  /** argv index excluding argv[0], 0..31. */
  index: number;
  operator: CmdArgOperator;
  values: string[];
}

export interface StateFilter {
  name: string;
  operator: 'Equal' | 'NotEqual';
  value: string;
}

export interface UserCallerFilter {
  depth: number | 'any';
  path?: string;
  symbol?: string;
  startRange?: bigint;
  endRange?: bigint;
}

export interface WorkloadFilter {
  podSelector?: LabelSelector;
  containerSelector?: LabelSelector;
  hostSelector?: LabelSelector;
}

export interface RateLimit {
  /** As written, e.g. "5m". */
  raw: string;
  /** Milliseconds, capped at 2^32-1 as Tetragon stores it. */
  milliseconds: number;
}

export type Action =
  | {
      action: 'Post';
      rateLimit?: RateLimit;
      /** Default "thread"; only meaningful with rateLimit. */
      rateLimitScope: RateLimitScope;
      kernelStackTrace: boolean;
      userStackTrace: boolean;
      imaHash: boolean;
    }
  | { action: 'NoPost' }
  | { action: 'Sigkill' }
  | { action: 'Signal'; argSig: number }
  | {
      action: 'Override';
      /** Return value to inject (kprobes, fentries, LSM; uprobes with argRegs). */
      argError?: number;
      /** Uprobes only: register assignments. */
      argRegs: string[];
      argNewSymbol?: string;
      argNewAddr?: bigint;
      argNewOffset?: bigint;
    }
  | { action: 'GetUrl'; argUrl: string }
  | { action: 'DnsLookup'; argFqdn: string }
  | { action: 'TrackSock' | 'UntrackSock'; argSock: number }
  | { action: 'NotifyEnforcer'; argError?: number; argSig?: number }
  | { action: 'CleanupEnforcerNotification' }
  | { action: 'Set'; argIndex: number; argValue: bigint }
  | { action: 'UpdateState'; stateName: string; stateUpdateOperator: 'Set' | 'Delete'; stateNewValue?: string }
  /** Deprecated (removed from Tetragon 1.5); parsed with a warning. */
  | { action: 'FollowFD' | 'UnfollowFD' | 'CopyFD'; argFd: number; argName: number };

export interface ListSpec {
  name: string;
  type?: ListType;
  values: string[];
  pattern?: string;
  validated: boolean;
}

/** A call target of an enforcer: a symbol, or every entry of a list. */
export type CallRef = { kind: 'symbol'; name: string } | { kind: 'list'; name: string };

export interface EnforcerSpec {
  calls: CallRef[];
}

export interface PolicyOption {
  name: string;
  value: string;
}

export interface KnownOptions {
  disableKprobeMulti?: boolean;
  disableUprobeMulti?: boolean;
  uprobeHeapSize?: number;
  policyMode?: 'monitor' | 'enforce';
}

export interface StateSpec {
  name: string;
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelExpression[];
}

export interface LabelExpression {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** Every hook of a policy, in spec order (kprobes, fentries, tracepoints, uprobes, lsmhooks, usdts). */
export function policyHooks(policy: TracingPolicy): Hook[] {
  const s = policy.spec;
  return [...s.kprobes, ...s.fentries, ...s.tracepoints, ...s.uprobes, ...s.lsmhooks, ...s.usdts];
}
