/**
 * What the probe reads from the running system besides the live tries: BTF, active LSMs,
 * where cgroup v2 and libc are, and whether this process may use bpf() at all.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { KernelConfig } from './kernel-config';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';
export const SECURITYFS = '/sys/kernel/security';

export interface LsmInfo {
  /** Active LSMs in call order, undefined when nothing says. */
  active?: string[];
  /**
   * securityfs: /sys/kernel/security/lsm (the kernel's own answer); cmdline: the lsm= boot
   * parameter; config: CONFIG_LSM (the build default, what boots without lsm=); unknown.
   */
  source: 'securityfs' | 'cmdline' | 'config' | 'unknown';
  /** Whether BPF LSM programs run here ('bpf' is active); undefined when unknown. */
  bpf?: boolean;
}

export function parseLsmList(text: string): string[] {
  return text
    .trim()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The lsm= parameter of a kernel command line, if any (the last one wins, as in the kernel). */
export function lsmFromCmdline(cmdline: string): string[] | undefined {
  let found: string | undefined;
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === '--') break; // arguments after "--" go to init, not to the kernel
    if (word.startsWith('lsm=')) found = word.slice(4);
  }
  return found === undefined ? undefined : parseLsmList(found);
}

export function isMounted(target: string, fstype: string, mounts = readMounts()): boolean {
  return mounts.some((m) => m.target === target && m.fstype === fstype);
}

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
}

/** /proc/self/mounts, octal escapes (\040 for a space) decoded. */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source = '', target = '', fstype = ''] = l.split(' ');
      return { source: unescape(source), target: unescape(target), fstype };
    });
}

export function readMounts(): MountEntry[] {
  try {
    return parseMounts(fs.readFileSync('/proc/self/mounts', 'utf8'));
  } catch {
    return [];
  }
}

/** The first cgroup v2 mount (/sys/fs/cgroup on systemd hosts, /sys/fs/cgroup/unified in hybrid mode). */
export function findCgroup2Mount(mounts = readMounts()): string | undefined {
  return mounts.find((m) => m.fstype === 'cgroup2')?.target;
}

/**
 * Reads the active LSMs; mounts securityfs first when allowed and not mounted (the mount
 * stays, like tracefs: both are the kernel's own filesystems, mounted on most distributions).
 * `mounted` receives what was mounted.
 */
export function readLsms(
  config: KernelConfig,
  opts: { mount: boolean; mounted: string[]; lsmFile?: string; cmdlineFile?: string },
): LsmInfo {
  const file = opts.lsmFile ?? `${SECURITYFS}/lsm`;
  if (!fs.existsSync(file) && opts.mount && fs.existsSync(SECURITYFS) && !isMounted(SECURITYFS, 'securityfs')) {
    try {
      execFileSync('mount', ['-t', 'securityfs', 'securityfs', SECURITYFS], { stdio: 'ignore', timeout: 3000 });
      opts.mounted.push(`securityfs at ${SECURITYFS}`);
    } catch {
      // Not allowed (container) or no mount(8): fall back to the boot parameters and config.
    }
  }
  const withBpf = (active: string[], source: LsmInfo['source']): LsmInfo => ({
    active,
    source,
    bpf: active.includes('bpf'),
  });
  try {
    return withBpf(parseLsmList(fs.readFileSync(file, 'utf8')), 'securityfs');
  } catch {
    // securityfs not there: try the boot parameters.
  }
  try {
    const fromCmdline = lsmFromCmdline(fs.readFileSync(opts.cmdlineFile ?? '/proc/cmdline', 'utf8'));
    if (fromCmdline) return withBpf(fromCmdline, 'cmdline');
  } catch {
    // no /proc/cmdline
  }
  const configured = config.options.get('CONFIG_LSM');
  if (configured && configured !== 'n') {
    const active = parseLsmList(configured);
    // CONFIG_BPF_LSM unset means "bpf" in the list is inert.
    const bpfBuilt = config.options.get('CONFIG_BPF_LSM');
    return { active, source: 'config', bpf: active.includes('bpf') && (bpfBuilt === undefined || bpfBuilt === 'y') };
  }
  return { source: 'unknown' };
}

/** The C library this process runs with (a uprobe target every node has). */
export function findLibc(maps?: string): string | undefined {
  let text = maps;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/maps', 'utf8');
    } catch {
      return undefined;
    }
  }
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[5])
    .find((p): p is string => !!p && /\/(libc[.-][^/]*so[^/]*|ld-musl-[^/]*\.so[^/]*)$/.test(p));
}

/** Effective capabilities of this process (CapEff of /proc/self/status), 0n when unreadable. */
export function effectiveCapabilities(status?: string): bigint {
  let text = status;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      return 0n;
    }
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

export const CAP_SYS_ADMIN = 21;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;

/** Why this process cannot load tracing programs, or undefined when it may (root, CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON). */
export function privilegeProblem(euid: number | undefined, caps: bigint): string | undefined {
  if (euid === 0) return undefined;
  const has = (c: number) => (caps & (1n << BigInt(c))) !== 0n;
  if (has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))) return undefined;
  return 'needs root (or CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN) to load BPF programs';
}
