/**
 * Capability sets: 64-bit masks (bit N = capability N, linux/capability.h) → Tetragon's
 * CapabilitiesType names. Names and numbers are copied from the Tetragon descriptor
 * (enum tetragon.CapabilitiesType), including its one irregular spelling: bit 1 is
 * "DAC_OVERRIDE", not "CAP_DAC_OVERRIDE".
 */
import type { Capabilities } from './tetragon';

export const CapabilitiesType = {
  CAP_CHOWN: 0,
  DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;
export type CapabilitiesTypeName = keyof typeof CapabilitiesType;

/** tetragon.SecureBitsType (names only; the collector does not read securebits yet). */
export const SecureBitsType = {
  SecBitNotSet: 0,
  SecBitNoRoot: 1,
  SecBitNoRootLocked: 2,
  SecBitNoSetUidFixup: 4,
  SecBitNoSetUidFixupLocked: 8,
  SecBitKeepCaps: 16,
  SecBitKeepCapsLocked: 32,
  SecBitNoCapAmbientRaise: 64,
  SecBitNoCapAmbientRaiseLocked: 128,
} as const;
export type SecureBitsTypeName = keyof typeof SecureBitsType;

const NAME_BY_BIT: ReadonlyMap<number, CapabilitiesTypeName> = new Map(
  (Object.entries(CapabilitiesType) as Array<[CapabilitiesTypeName, number]>).map(([name, bit]) => [bit, name]),
);

/** Names of the capabilities set in `mask`, lowest bit first (Tetragon's order). */
export function capabilityNames(mask: bigint): Array<CapabilitiesTypeName | number> {
  const out: Array<CapabilitiesTypeName | number> = [];
  for (let bit = 0; bit < 64 && mask >> BigInt(bit) !== 0n; bit++) {
    if ((mask >> BigInt(bit)) & 1n) out.push(NAME_BY_BIT.get(bit) ?? bit);
  }
  return out;
}

/** Capability masks, structurally the kernel contract's RawCapabilities. */
export interface CapabilityMasks {
  permitted: bigint;
  effective: bigint;
  inheritable: bigint;
}

/** Tetragon's Capabilities message for three masks; empty sets are omitted, as protojson does. */
export function capabilitiesFromMasks(masks: CapabilityMasks): Capabilities {
  const out: Capabilities = {};
  const permitted = capabilityNames(masks.permitted);
  const effective = capabilityNames(masks.effective);
  const inheritable = capabilityNames(masks.inheritable);
  if (permitted.length) out.permitted = permitted;
  if (effective.length) out.effective = effective;
  if (inheritable.length) out.inheritable = inheritable;
  return out;
}
