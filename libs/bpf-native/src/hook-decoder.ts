/**
 * Decodes VIGIL_EV_HOOK records (bpf/vigil_hook.h) into RawHookEvent. The record's arguments
 * are typed by the kernel side's own type byte; the policy's names for them (e.g. a `file`
 * read from an fd by a syscall equivalent) are the caller's business.
 */
import {
  ActionKind,
  ArgFlag,
  ArgType,
  CRED,
  HOOK_EVENT,
  SKB,
  SOCK,
  USER_NS,
  HookEventFlag,
  type ActionKindName,
  type ArgTypeName,
} from './hook-layout';
import type { RawHookArg, RawHookCred, RawHookEvent, RawHookSock, RawHookUserNs } from './process-events';
import { HDR } from './process-layout';

const ARG_TYPE_NAME = invert(ArgType);
const ACTION_NAME = invert(ActionKind);
const NO_SYSCALL = 0xffffffff;
const NO_SELECTOR = 0xff;

function invert<K extends string>(o: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(o).map(([k, v]) => [v as number, k as K]));
}

/** Decodes one hook record at buf[off, off + len); undefined when it is malformed. */
export function decodeHookRecord(b: Buffer, o: number, len: number): RawHookEvent | undefined {
  if (len < HOOK_EVENT.SIZE) return undefined;
  const dataLen = b.readUInt32LE(o + HOOK_EVENT.data_len);
  const end = o + HOOK_EVENT.SIZE + dataLen;
  if (end > o + len) return undefined;
  const flags = b[o + HOOK_EVENT.flags]!;
  const nargs = b[o + HOOK_EVENT.nargs]!;
  const args: RawHookArg[] = [];
  let p = o + HOOK_EVENT.SIZE;
  for (let i = 0; i < nargs && p + 4 <= end; i++) {
    const alen = b.readUInt16LE(p);
    const type = ARG_TYPE_NAME.get(b[p + 2]!) ?? 'none';
    const aflags = b[p + 3]!;
    const start = p + 4;
    if (start + alen > end) return undefined;
    args.push(decodeArg(b, start, alen, type, aflags));
    p = start + alen;
  }
  // A string return value comes as one more argument after the others, the stacks before it.
  const retArg = flags & HookEventFlag.retArg ? args.pop() : undefined;
  const userStack = flags & HookEventFlag.userStack ? args.pop()?.stack : undefined;
  const kernelStack = flags & HookEventFlag.kernelStack ? args.pop()?.stack : undefined;
  const syscall = b.readUInt32LE(o + HOOK_EVENT.syscall);
  const selector = b[o + HOOK_EVENT.selector]!;
  return {
    kind: 'hook',
    time: b.readBigUInt64LE(o + HDR.time),
    pid: b.readUInt32LE(o + HOOK_EVENT.pid),
    tid: b.readUInt32LE(o + HOOK_EVENT.tid),
    ktime: b.readBigUInt64LE(o + HOOK_EVENT.ktime),
    hookId: b.readUInt32LE(o + HOOK_EVENT.hook_id),
    syscall: syscall === NO_SYSCALL ? undefined : syscall,
    ret: flags & HookEventFlag.return ? b.readBigInt64LE(o + HOOK_EVENT.ret) : undefined,
    retArg,
    action: ACTION_NAME.get(b[o + HOOK_EVENT.action]!) ?? ('Post' as ActionKindName),
    actionArg: b.readInt32LE(o + HOOK_EVENT.action_arg),
    selector: selector === NO_SELECTOR ? undefined : selector,
    enforced: (flags & HookEventFlag.enforced) !== 0,
    monitorOnly: (flags & HookEventFlag.monitor) !== 0,
    actionError: (flags & HookEventFlag.actionError) !== 0,
    truncated: (flags & HookEventFlag.truncated) !== 0,
    args,
    kernelStack,
    userStack,
  };
}

function decodeArg(b: Buffer, p: number, len: number, type: ArgTypeName, flags: number): RawHookArg {
  const arg: RawHookArg = { type, truncated: (flags & ArgFlag.truncated) !== 0, error: (flags & ArgFlag.error) !== 0 };
  switch (type) {
    case 's64':
    case 's32':
    case 's16':
    case 's8':
      if (len >= 8) arg.int = b.readBigInt64LE(p);
      break;
    case 'u64':
    case 'u32':
    case 'u16':
    case 'u8':
    case 'capability':
    case 'kernel_cap':
      if (len >= 8) arg.int = b.readBigUInt64LE(p);
      break;
    case 'fd':
      if (len >= 4) {
        arg.int = BigInt(b.readInt32LE(p));
        arg.str = b.toString('utf8', p + 4, p + len);
      }
      break;
    case 'char_buf':
    case 'sockaddr':
    case 'bpf_attr':
    case 'perf_event':
    case 'bpf_map':
      arg.bytes = Buffer.from(b.subarray(p, p + len));
      break;
    case 'cred':
      if (len >= CRED.SIZE) arg.cred = decodeCred(b, p);
      break;
    case 'sock':
    case 'socket':
    case 'fd_sock':
    case 'skb_sock':
      if (len >= SOCK.SIZE) arg.sock = decodeSock(b, p);
      break;
    case 'skb':
      if (len >= SKB.SIZE)
        arg.skb = {
          ...decodeSock(b, p),
          len: b.readUInt32LE(p + SKB.len),
          hash: b.readUInt32LE(p + SKB.hash),
          secPathLen: b.readUInt32LE(p + SKB.sec_path_len),
          secPathOlen: b.readUInt32LE(p + SKB.sec_path_olen),
        };
      break;
    case 'stack':
      arg.stack = [];
      for (let q = p; q + 8 <= p + len; q += 8) arg.stack.push(b.readBigUInt64LE(q));
      break;
    case 'user_ns':
      if (len >= USER_NS.SIZE) arg.userNs = decodeUserNs(b, p);
      break;
    default:
      arg.str = b.toString('utf8', p, p + len);
  }
  return arg;
}

function decodeSock(b: Buffer, p: number): RawHookSock {
  const family = b.readUInt16LE(p + SOCK.family);
  const n = family === 10 ? 16 : 4; // AF_INET6
  return {
    family,
    type: b.readUInt16LE(p + SOCK.type),
    protocol: b.readUInt16LE(p + SOCK.protocol),
    state: b[p + SOCK.state]!,
    mark: b.readUInt32LE(p + SOCK.mark),
    priority: b.readUInt32LE(p + SOCK.priority),
    sport: b.readUInt16LE(p + SOCK.sport),
    dport: b.readUInt16LE(p + SOCK.dport),
    saddr: Buffer.from(b.subarray(p + SOCK.saddr, p + SOCK.saddr + n)),
    daddr: Buffer.from(b.subarray(p + SOCK.daddr, p + SOCK.daddr + n)),
  };
}

function decodeUserNs(b: Buffer, p: number): RawHookUserNs {
  return {
    level: b.readInt32LE(p + USER_NS.level),
    owner: b.readUInt32LE(p + USER_NS.owner),
    group: b.readUInt32LE(p + USER_NS.group),
    inum: b.readUInt32LE(p + USER_NS.inum),
  };
}

function decodeCred(b: Buffer, p: number): RawHookCred {
  return {
    uid: b.readUInt32LE(p + CRED.uid),
    gid: b.readUInt32LE(p + CRED.gid),
    euid: b.readUInt32LE(p + CRED.euid),
    egid: b.readUInt32LE(p + CRED.egid),
    suid: b.readUInt32LE(p + CRED.suid),
    sgid: b.readUInt32LE(p + CRED.sgid),
    fsuid: b.readUInt32LE(p + CRED.fsuid),
    fsgid: b.readUInt32LE(p + CRED.fsgid),
    capPermitted: b.readBigUInt64LE(p + CRED.cap_permitted),
    capEffective: b.readBigUInt64LE(p + CRED.cap_effective),
    capInheritable: b.readBigUInt64LE(p + CRED.cap_inheritable),
    securebits: b.readUInt32LE(p + CRED.securebits),
  };
}
