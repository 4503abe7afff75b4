/**
 * Policy argument types → how the kernel side reads them (bpf/vigil_hook.h's vigil_arg_type).
 */
import type { ArgTypeName, HookArgConfig } from '@vigil/bpf-native';
import type { ArgType, HookArg } from '@vigil/policy';
import { Unsupported } from './unsupported';

const KERNEL_TYPE: Partial<Record<ArgType, ArgTypeName>> = {
  int: 's32',
  int32: 's32',
  uint32: 'u32',
  int64: 's64',
  syscall64: 's64',
  uint64: 'u64',
  size_t: 'u64',
  int16: 's16',
  uint16: 'u16',
  int8: 's8',
  uint8: 'u8',
  string: 'string',
  char_buf: 'char_buf',
  fd: 'fd',
  file: 'file',
  path: 'path',
  filename: 'filename',
  dentry: 'dentry',
  linux_binprm: 'linux_binprm',
  cred: 'cred',
  capability: 'capability',
  sockaddr: 'sockaddr',
  sock: 'sock',
  socket: 'socket',
  user_namespace: 'user_ns',
  skb: 'skb',
  bpf_attr: 'bpf_attr',
  perf_event: 'perf_event',
  bpf_map: 'bpf_map',
  net_device: 'net_device',
  kernel_cap_t: 'kernel_cap',
  cap_effective: 'kernel_cap',
  cap_inheritable: 'kernel_cap',
  cap_permitted: 'kernel_cap',
  nop: 'none',
};

/** Bytes of a struct sockaddr read (sockaddr_storage). */
const SOCKADDR_BYTES = 128;

/** Kernel types whose bytes the string filters compare. */
export const STRING_KERNEL_TYPES: ReadonlySet<ArgTypeName> = new Set<ArgTypeName>([
  'string',
  'char_buf',
  'file',
  'path',
  'fd',
  'filename',
  'dentry',
  'linux_binprm',
  'net_device',
]);

export function kernelType(type: ArgType): ArgTypeName {
  const t = KERNEL_TYPE[type];
  if (!t) throw new Unsupported(`argument type "${type}" is not read by the kernel side yet`);
  return t;
}

/** How an equivalent reads a policy argument instead of as its type says. */
export interface ArgRead {
  type: ArgTypeName;
  /** A user-space pointer. */
  user?: boolean;
  /** char_buf: the raw argument holding its size, when the policy's type has none (iov_iter). */
  sizeSrc?: number;
}

/** One policy argument as the kernel side reads it; `read` overrides the type (syscall equivalents). */
export function argConfig(arg: HookArg, opts: { user: boolean; read?: ArgRead }): HookArgConfig {
  // An fd standing for a socket (syscall equivalents) is read as the socket's sock.
  const type =
    opts.read?.type === 'fd' && (arg.type === 'socket' || arg.type === 'sock')
      ? 'fd_sock'
      : (opts.read?.type ?? kernelType(arg.type));
  if (arg.type === 'char_buf' && arg.sizeArgIndex === 0 && !arg.returnCopy)
    throw new Unsupported('char_buf without sizeArgIndex: its length is unknown');
  if (arg.returnCopy) throw new Unsupported('returnCopy (reading a buffer at return) is not supported yet');
  const user = opts.read
    ? (opts.read.user ?? false)
    : opts.user && (type === 'string' || type === 'char_buf' || type === 'sockaddr');
  return {
    type,
    src: arg.index,
    sizeSrc: arg.sizeArgIndex > 0 ? arg.sizeArgIndex - 1 : opts.read?.sizeSrc,
    user,
    maxData: type === 'sockaddr' ? SOCKADDR_BYTES : undefined,
  };
}
