/**
 * Names and limits from Tetragon (CRD schema pkg/tracingpolicy/schemas/tracingpolicy-cilium.io.json,
 * pkg/selectors/kernel.go, pkg/generictypes, pkg/sensors/tracing, pkg/reader/network). Kept in one
 * place so a Tetragon upgrade is a diff of this file.
 */

export const API_VERSION = 'cilium.io/v1alpha1';
export const POLICY_KINDS = ['TracingPolicy', 'TracingPolicyNamespaced'] as const;

/** Argument types accepted by the CRD enum, canonical spellings only (aliases below). */
export const ARG_TYPES = [
  'auto',
  'int',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'size_t',
  'char_buf',
  'char_iovec',
  'skb',
  'sock',
  'sockaddr',
  'socket',
  'sockaddr_un',
  'string',
  'fd',
  'file',
  'filename',
  'path',
  'nop',
  'bpf_attr',
  'perf_event',
  'bpf_map',
  'user_namespace',
  'capability',
  'kiocb',
  'iov_iter',
  'cred',
  'const_buf',
  'load_info',
  'module',
  'syscall64',
  'kernel_cap_t',
  'cap_inheritable',
  'cap_permitted',
  'cap_effective',
  'linux_binprm',
  'data_loc',
  'net_device',
  'bpf_cmd',
  'dentry',
  'bpf_prog',
] as const;
export type ArgType = (typeof ARG_TYPES)[number];

/** Spellings the CRD also accepts, mapped to the canonical one (same kernel type in Tetragon). */
export const ARG_TYPE_ALIASES: Readonly<Record<string, ArgType>> = {
  sint8: 'int8',
  sint16: 'int16',
  sint32: 'int32',
  sint64: 'int64',
  long: 'int64',
  ulong: 'uint64',
};

/** Integer types and the range Tetragon parses comparison values in (writeMatchValues). */
export const INT_TYPES: Readonly<Partial<Record<ArgType, { min: bigint; max: bigint; signed: boolean }>>> = {
  int: { min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  // Tetragon parses size_t comparison values as int32 (strconv.ParseInt(v, 0, 32)).
  size_t: { min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  uint32: { min: 0n, max: 2n ** 32n - 1n, signed: false },
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true },
  syscall64: { min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true },
  uint64: { min: 0n, max: 2n ** 64n - 1n, signed: false },
  int8: { min: -128n, max: 127n, signed: true },
  uint8: { min: 0n, max: 255n, signed: false },
  int16: { min: -32768n, max: 32767n, signed: true },
  uint16: { min: 0n, max: 65535n, signed: false },
  bpf_cmd: { min: 0n, max: 2n ** 32n - 1n, signed: false },
};

/** Types Equal/NotEqual compare as strings (string maps), and Prefix/Postfix apply to. */
export const STRING_TYPES: ReadonlySet<ArgType> = new Set<ArgType>([
  'string',
  'char_buf',
  'fd',
  'file',
  'path',
  'filename',
  'dentry',
  'linux_binprm',
  'data_loc',
  'net_device',
  'const_buf',
]);

export const SOCKET_TYPES: ReadonlySet<ArgType> = new Set<ArgType>(['sock', 'skb', 'sockaddr', 'socket']);
export const CAPABILITY_TYPES: ReadonlySet<ArgType> = new Set<ArgType>([
  'kernel_cap_t',
  'cap_inheritable',
  'cap_permitted',
  'cap_effective',
]);
/** Types whose value is a buffer whose size may come from another argument. */
export const BUFFER_TYPES: ReadonlySet<ArgType> = new Set<ArgType>(['char_buf', 'char_iovec']);

/** matchArgs operators, canonical spellings. */
export const ARG_OPERATORS = [
  'Equal',
  'NotEqual',
  'Prefix',
  'NotPrefix',
  'Postfix',
  'NotPostfix',
  'GT',
  'LT',
  'Mask',
  'SPort',
  'NotSPort',
  'SPortPriv',
  'NotSPortPriv',
  'DPort',
  'NotDPort',
  'DPortPriv',
  'NotDPortPriv',
  'SAddr',
  'NotSAddr',
  'DAddr',
  'NotDAddr',
  'Protocol',
  'Family',
  'State',
  'InMap',
  'NotInMap',
  'CapabilitiesGained',
  'InRange',
  'NotInRange',
  'SubString',
  'SubStringIgnCase',
  'CelExpr',
  'FileType',
  'NotFileType',
] as const;
export type ArgOperator = (typeof ARG_OPERATORS)[number];

/**
 * Other spellings, canonicalized. The CRD enum spells the negated privileged source port
 * "NotSportPriv"; Tetragon's docs and its selector parser also accept "NotSPortPriv".
 */
export const ARG_OPERATOR_ALIASES: Readonly<Record<string, ArgOperator>> = {
  GreaterThan: 'GT',
  LessThan: 'LT',
  NotSportPriv: 'NotSPortPriv',
};

export const BINARY_OPERATORS = ['In', 'NotIn', 'Prefix', 'NotPrefix', 'Postfix', 'NotPostfix'] as const;
export type BinaryOperator = (typeof BINARY_OPERATORS)[number];
export const SET_OPERATORS = ['In', 'NotIn'] as const;
export type SetOperator = (typeof SET_OPERATORS)[number];
export const CMD_ARG_OPERATORS = ['Equal', 'NotEqual', 'Prefix', 'NotPrefix', 'Postfix', 'NotPostfix'] as const;
export type CmdArgOperator = (typeof CMD_ARG_OPERATORS)[number];
export const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type LabelOperator = (typeof LABEL_OPERATORS)[number];

export const NAMESPACE_KINDS = [
  'Uts',
  'Ipc',
  'Mnt',
  'Pid',
  'PidForChildren',
  'Net',
  'Time',
  'TimeForChildren',
  'Cgroup',
  'User',
] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

export const CAPABILITY_SETS = ['Effective', 'Inheritable', 'Permitted'] as const;
export type CapabilitySet = (typeof CAPABILITY_SETS)[number];

/** Linux capabilities by bit number (include/uapi/linux/capability.h). */
export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Names the Protocol operator accepts (pkg/reader/network), case-sensitive as in Tetragon. */
export const IP_PROTOCOLS: Readonly<Record<string, number>> = {
  IPPROTO_IP: 0,
  IPPROTO_ICMP: 1,
  IPPROTO_IGMP: 2,
  IPPROTO_IPIP: 4,
  IPPROTO_TCP: 6,
  IPPROTO_EGP: 8,
  IPPROTO_PUP: 12,
  IPPROTO_UDP: 17,
  IPPROTO_IDP: 22,
  IPPROTO_TP: 29,
  IPPROTO_DCCP: 33,
  IPPROTO_IPV6: 41,
  IPPROTO_RSVP: 46,
  IPPROTO_GRE: 47,
  IPPROTO_ESP: 50,
  IPPROTO_AH: 51,
  IPPROTO_MTP: 92,
  IPPROTO_BEETPH: 94,
  IPPROTO_ENCAP: 98,
  IPPROTO_PIM: 103,
  IPPROTO_COMP: 108,
  IPPROTO_SCTP: 132,
  IPPROTO_UDPLITE: 136,
  IPPROTO_MPLS: 137,
  IPPROTO_ETHERNET: 143,
  IPPROTO_RAW: 255,
  IPPROTO_MPTCP: 262,
};

/** Names the Family operator accepts, with their Linux values. */
export const ADDRESS_FAMILIES: Readonly<Record<string, number>> = {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_AX25: 3,
  AF_IPX: 4,
  AF_APPLETALK: 5,
  AF_NETROM: 6,
  AF_BRIDGE: 7,
  AF_ATMPVC: 8,
  AF_X25: 9,
  AF_INET6: 10,
  AF_ROSE: 11,
  AF_DECnet: 12,
  AF_NETBEUI: 13,
  AF_SECURITY: 14,
  AF_KEY: 15,
  AF_NETLINK: 16,
  AF_PACKET: 17,
  AF_ASH: 18,
  AF_ECONET: 19,
  AF_ATMSVC: 20,
  AF_RDS: 21,
  AF_IRDA: 23,
  AF_PPPOX: 24,
  AF_WANPIPE: 25,
  AF_LLC: 26,
  AF_IB: 27,
  AF_MPLS: 28,
  AF_CAN: 29,
  AF_TIPC: 30,
  AF_BLUETOOTH: 31,
  AF_IUCV: 32,
  AF_RXRPC: 33,
  AF_ISDN: 34,
  AF_PHONET: 35,
  AF_IEEE802154: 36,
  AF_CAIF: 37,
  AF_ALG: 38,
  AF_NFC: 39,
  AF_VSOCK: 40,
  AF_KCM: 41,
  AF_QIPCRTR: 42,
  AF_SMC: 43,
  AF_XDP: 44,
  AF_MCTP: 45,
};

/** Names the State operator accepts. */
export const TCP_STATES: Readonly<Record<string, number>> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCP_NEW_SYN_RECV: 12,
};

export const ACTIONS = [
  'Post',
  'NoPost',
  'Sigkill',
  'Signal',
  'Override',
  'GetUrl',
  'DnsLookup',
  'TrackSock',
  'UntrackSock',
  'NotifyEnforcer',
  'CleanupEnforcerNotification',
  'Set',
  'UpdateState',
] as const;
/** Removed from Tetragon's CRD in 1.5; still parsed so old policies load, with a warning. */
export const DEPRECATED_ACTIONS = ['FollowFD', 'UnfollowFD', 'CopyFD'] as const;
export type ActionName = (typeof ACTIONS)[number] | (typeof DEPRECATED_ACTIONS)[number];

export const RETURN_ARG_ACTIONS = ['Post', 'TrackSock', 'UntrackSock'] as const;
export type ReturnArgAction = (typeof RETURN_ARG_ACTIONS)[number];

export const RATE_LIMIT_SCOPES = ['thread', 'process', 'global'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

export const LIST_TYPES = ['syscalls', 'generated_syscalls', 'generated_ftrace'] as const;
export type ListType = (typeof LIST_TYPES)[number];

export const DATA_SOURCES = ['current_task', 'pt_regs'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

/** Options Tetragon reads from spec.options (docs: concepts/tracing-policy/options.md, mode.md). */
export const KNOWN_OPTIONS = [
  'disable-kprobe-multi',
  'disable-uprobe-multi',
  'uprobe-heap-size',
  'policy-mode',
] as const;

/** Limits enforced by Tetragon's loader or BPF programs; exceeding them fails at load time there. */
export const LIMITS = {
  /** bpf/process/types/basic.h MAX_SELECTORS: one tail call per selector. */
  selectorsPerHook: 5,
  /** EventConfigMaxArgs: args + data entries per hook, and kprobe arg indexes 0..4. */
  argsPerHook: 5,
  maxFunctionArgIndex: 4,
  /** USDT probes carry up to 12 arguments. */
  maxUsdtArgIndex: 11,
  /** matchArgs + matchData filters per selector (kernels >= 5.3). */
  argFiltersPerSelector: 5,
  /** MAX_MATCH_VALUES for numeric comparisons (use InMap for more). */
  numericValuesPerFilter: 4,
  actionsPerSelector: 3,
  binariesFiltersPerSelector: 1,
  pidValuesPerFilter: 4,
  namespaceFiltersPerSelector: 10,
  namespaceValuesPerFilter: 4,
  namespaceChangeFiltersPerSelector: 1,
  stateFiltersPerSelector: 4,
  states: 10,
  stateNameLength: 255,
  /** String map keys hold up to 4096 bytes (kernels >= 5.11). */
  stringValueBytes: 4096,
  prefixBytes: 256,
  postfixBytes: 127,
  binaryPathBytes: 255,
  sizeArgIndex: 15,
  tags: 16,
  tagMinLength: 2,
  tagMaxLength: 128,
  messageMinLength: 2,
  messageMaxLength: 256,
  cmdArgIndex: 31,
  enforcers: 1,
} as const;

/** Every field Kubernetes' ObjectMeta accepts; only name, namespace, labels and annotations matter here. */
export const OBJECT_META_FIELDS = [
  'name',
  'namespace',
  'labels',
  'annotations',
  'generateName',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;
