/**
 * Kernel hook records → Tetragon's ProcessKprobe / ProcessLsm / ProcessTracepoint, typed by the
 * policy (a `file` read through a syscall's fd is still a file_arg).
 */
import type { RawHookArg, RawHookEvent, RawHookSkb, RawHookSock } from '@vigil/bpf-native';
import type {
  GetEventsResponse,
  KprobeAction,
  KprobeArgument,
  KprobeSkb,
  KprobeSock,
  Process,
  ProcessKprobe,
  ProcessLoader,
  ProcessLsm,
  ProcessTracepoint,
  ProcessUprobe,
  Timestamp,
} from '@vigil/events';
import { capabilityNames } from '@vigil/events';
import { ADDRESS_FAMILIES, IP_PROTOCOLS, TCP_STATES, type ArgType } from '@vigil/policy';
import { bpfAttrArg, bpfMapArg, perfEventArg } from './bpf-objects';
import type { CompiledHook } from './compile';
import type { BuildIds } from './loader';
import type { StackSymbolizer } from './stacks';
import type { UserAction } from './user-actions';

const ACTION: Record<RawHookEvent['action'], KprobeAction> = {
  Post: 'KPROBE_ACTION_POST',
  NoPost: 'KPROBE_ACTION_NOPOST',
  Sigkill: 'KPROBE_ACTION_SIGKILL',
  Signal: 'KPROBE_ACTION_SIGNAL',
  Override: 'KPROBE_ACTION_OVERRIDE',
  NotifyEnforcer: 'KPROBE_ACTION_NOTIFYENFORCER',
  User: 'KPROBE_ACTION_POST',
};

const USER_ACTION: Record<UserAction['kind'], KprobeAction> = {
  GetUrl: 'KPROBE_ACTION_GETURL',
  DnsLookup: 'KPROBE_ACTION_DNSLOOKUP',
};

/** The event's action; a user-space action (GetUrl, DnsLookup) by the selector's first one. */
function actionOf(raw: RawHookEvent, hook: CompiledHook): KprobeAction {
  const user = raw.action === 'User' ? hook.userActions[raw.selector ?? -1]?.[0] : undefined;
  return user ? USER_ACTION[user.kind] : ACTION[raw.action];
}

const AF: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6' };

function sockaddr(b: Buffer): KprobeArgument['sockaddr_arg'] {
  if (b.length < 2) return {};
  const family = b.readUInt16LE(0);
  if (family === 2 && b.length >= 8)
    return { family: 'AF_INET', addr: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(2) };
  if (family === 10 && b.length >= 24) {
    const words = [];
    for (let i = 8; i < 24; i += 2) words.push(b.readUInt16BE(i).toString(16));
    return { family: 'AF_INET6', addr: words.join(':'), port: b.readUInt16BE(2) };
  }
  if (family === 1) return { family: 'AF_UNIX', addr: b.toString('utf8', 2).replace(/\0.*$/s, '') };
  return { family: AF[family] ?? String(family) };
}

const byNumber = (o: Readonly<Record<string, number>>) => new Map(Object.entries(o).map(([k, v]) => [v, k]));
const FAMILY_NAMES = byNumber(ADDRESS_FAMILIES);
const PROTOCOL_NAMES = byNumber(IP_PROTOCOLS);
const STATE_NAMES = byNumber(TCP_STATES);
const SOCK_TYPE_NAMES = new Map([
  [1, 'SOCK_STREAM'],
  [2, 'SOCK_DGRAM'],
  [3, 'SOCK_RAW'],
  [5, 'SOCK_SEQPACKET'],
]);

function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  return words.join(':');
}

/** tetragon.KprobeSock. */
function sockArg(s: RawHookSock): KprobeSock {
  return {
    family: FAMILY_NAMES.get(s.family) ?? String(s.family),
    type: SOCK_TYPE_NAMES.get(s.type) ?? String(s.type),
    protocol: PROTOCOL_NAMES.get(s.protocol) ?? String(s.protocol),
    mark: s.mark,
    priority: s.priority,
    saddr: ipString(s.saddr),
    daddr: ipString(s.daddr),
    sport: s.sport,
    dport: s.dport,
    state: STATE_NAMES.get(s.state) ?? String(s.state),
  };
}

/** tetragon.KprobeSkb: the packet's ends, its L4 protocol as a number (proto) and a name. */
function skbArg(s: RawHookSkb): KprobeSkb {
  const { family, protocol, saddr, daddr, sport, dport } = sockArg(s);
  return {
    hash: s.hash,
    len: s.len,
    priority: s.priority,
    mark: s.mark,
    saddr,
    daddr,
    sport,
    dport,
    proto: s.protocol,
    sec_path_len: s.secPathLen,
    sec_path_olen: s.secPathOlen,
    protocol,
    family,
  };
}

function intArg(type: ArgType, v: bigint): KprobeArgument {
  switch (type) {
    case 'int64':
      return { long_arg: v.toString() };
    case 'uint64':
    case 'size_t':
      return { size_arg: BigInt.asUintN(64, v).toString() };
    case 'uint32':
    case 'uint16':
    case 'uint8':
      return { uint_arg: Number(BigInt.asUintN(32, v)) };
    default:
      return { int_arg: Number(BigInt.asIntN(32, v)) };
  }
}

/** One argument as Tetragon reports it for the policy's type. */
export function kprobeArgument(raw: RawHookArg, type: ArgType, label?: string): KprobeArgument {
  const arg = ((): KprobeArgument => {
    switch (type) {
      case 'file':
      case 'kiocb':
        return { file_arg: { path: raw.str ?? '' } };
      case 'kernel_cap_t':
      case 'cap_effective':
      case 'cap_inheritable':
      case 'cap_permitted':
        return { [`${type}_arg`]: capabilityNames(BigInt.asUintN(64, raw.int ?? 0n)).join(' ') };
      case 'path':
        return { path_arg: { path: raw.str ?? '' } };
      case 'linux_binprm':
        return { linux_binprm_arg: { path: raw.str ?? '' } };
      case 'string':
      case 'filename':
      case 'dentry':
        return { string_arg: raw.str ?? '' };
      case 'char_buf':
      case 'iov_iter':
        return { bytes_arg: (raw.bytes ?? Buffer.alloc(0)).toString('base64') };
      case 'sockaddr':
        return { sockaddr_arg: sockaddr(raw.bytes ?? Buffer.alloc(0)) };
      case 'sock':
      case 'socket':
        return raw.sock ? { sock_arg: sockArg(raw.sock) } : {};
      case 'skb':
        return raw.skb ? { skb_arg: skbArg(raw.skb) } : {};
      case 'bpf_attr':
        return bpfAttrArg(raw.bytes ?? Buffer.alloc(0));
      case 'bpf_map':
        return bpfMapArg(raw.bytes ?? Buffer.alloc(0));
      case 'perf_event':
        return perfEventArg(raw.bytes ?? Buffer.alloc(0));
      case 'net_device':
        return { net_dev_arg: { name: raw.str ?? '' } };
      case 'capability':
        return { capability_arg: { value: Number(raw.int ?? 0n) } };
      case 'syscall64':
        return { syscall_id: { id: Number(raw.int ?? 0n), abi: 'x64' } };
      case 'user_namespace':
        return raw.userNs
          ? {
              user_ns_arg: {
                level: raw.userNs.level,
                uid: raw.userNs.owner,
                gid: raw.userNs.group,
                // Level 0 is the initial user namespace: the host's.
                ns: { inum: raw.userNs.inum, is_host: raw.userNs.level === 0 },
              },
            }
          : {};
      case 'cred':
        return raw.cred
          ? {
              process_credentials_arg: {
                uid: raw.cred.uid,
                gid: raw.cred.gid,
                euid: raw.cred.euid,
                egid: raw.cred.egid,
                suid: raw.cred.suid,
                sgid: raw.cred.sgid,
                fsuid: raw.cred.fsuid,
                fsgid: raw.cred.fsgid,
              },
            }
          : {};
      default:
        return intArg(type, raw.int ?? 0n);
    }
  })();
  return label ? { ...arg, label } : arg;
}

export interface HookEventContext {
  process: Process;
  parent?: Process;
  ancestors?: Process[];
  nodeName: string;
  time: Timestamp;
  policyName: string;
  /** Symbolizes stack traces (Post with kernelStackTrace / userStackTrace); without it they are left out. */
  stacks?: StackSymbolizer;
  /** Build ids of loaded files (loader events); without it they are left out. */
  buildIds?: BuildIds;
}

/** Keys in descriptor order (protojson prints them so), undefined and empty lists dropped. */
function ordered<T extends object>(keys: ReadonlyArray<keyof T>, fields: Partial<T>): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v: unknown = fields[k];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k as string] = v;
  }
  return out as T;
}

const KPROBE_ORDER = [
  'process',
  'parent',
  'function_name',
  'args',
  'return',
  'action',
  'kernel_stack_trace',
  'policy_name',
  'return_action',
  'message',
  'tags',
  'user_stack_trace',
  'ancestors',
] as const;
const LOADER_ORDER = ['process', 'path', 'buildid', 'parent', 'ancestors'] as const;
const LSM_ORDER = [
  'process',
  'parent',
  'function_name',
  'policy_name',
  'message',
  'args',
  'action',
  'tags',
  'ancestors',
] as const;
const UPROBE_ORDER = [
  'process',
  'parent',
  'path',
  'symbol',
  'policy_name',
  'message',
  'args',
  'tags',
  'ancestors',
  'offset',
  'action',
] as const;
const TRACEPOINT_ORDER = [
  'process',
  'parent',
  'subsys',
  'event',
  'args',
  'policy_name',
  'action',
  'message',
  'tags',
  'ancestors',
] as const;

/** The Tetragon event for one hook record. */
export function hookResponse(raw: RawHookEvent, hook: CompiledHook, ctx: HookEventContext): GetEventsResponse {
  const common = {
    process: ctx.process,
    parent: ctx.parent,
    policy_name: ctx.policyName,
    message: hook.message,
    tags: hook.tags,
    ancestors: ctx.ancestors,
    args: raw.args.map((a, i) => kprobeArgument(a, hook.args[i]?.type ?? 'int', hook.args[i]?.label)),
    action: actionOf(raw, hook),
  };
  const base = { node_name: ctx.nodeName, time: ctx.time };
  if (hook.eventKind === 'uprobe' && hook.attach.kind === 'uprobe') {
    // ProcessUprobe has no return field: a returned string (readline's line) is the last argument.
    const ret =
      raw.retArg && kprobeArgument(raw.retArg, hook.returnArg?.type ?? 'string', hook.returnArg?.label ?? 'return');
    const offset = hook.attach.offsets[0];
    return {
      ...base,
      process_uprobe: ordered<ProcessUprobe>(UPROBE_ORDER, {
        ...common,
        args: ret ? [...common.args, ret] : common.args,
        path: hook.attach.path,
        symbol: hook.attach.symbols[0],
        offset: offset === undefined ? undefined : String(offset),
      }),
    };
  }
  if (hook.eventKind === 'loader') {
    const path = raw.args[0]?.str ?? '';
    return {
      ...base,
      process_loader: ordered<ProcessLoader>(LOADER_ORDER, {
        process: ctx.process,
        path,
        buildid: ctx.buildIds?.get(path),
        parent: ctx.parent,
        ancestors: ctx.ancestors,
      }),
    };
  }
  if (hook.eventKind === 'lsm')
    return { ...base, process_lsm: ordered<ProcessLsm>(LSM_ORDER, { ...common, function_name: hook.target }) };
  if (hook.eventKind === 'tracepoint') {
    const [subsys, event] = hook.target.split('/');
    return { ...base, process_tracepoint: ordered<ProcessTracepoint>(TRACEPOINT_ORDER, { ...common, subsys, event }) };
  }
  const ret = raw.ret === undefined ? undefined : intArg(hook.returnArg?.type ?? 'int64', raw.ret);
  return {
    ...base,
    process_kprobe: ordered<ProcessKprobe>(KPROBE_ORDER, {
      ...common,
      function_name: (raw.syscall !== undefined && hook.syscallFunctions?.[raw.syscall]) || hook.target,
      return: ret && hook.returnArg?.label ? { ...ret, label: hook.returnArg.label } : ret,
      return_action: ret ? 'KPROBE_ACTION_POST' : undefined,
      kernel_stack_trace: raw.kernelStack && ctx.stacks?.kernel(raw.kernelStack),
      user_stack_trace: raw.userStack && ctx.stacks?.user(raw.pid, raw.userStack),
    }),
  };
}
