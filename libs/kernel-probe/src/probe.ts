/**
 * probeKernel(): what this node's kernel can do for Vigil, from live tries (one small program
 * per attach type and helper) plus the build configuration, BTF and the active LSMs, and the
 * hook strategies that follow. Leaves nothing behind: every program is detached and closed,
 * and probeKernel() returns only once the kernel has freed them (bounded wait), the temporary
 * cgroup is removed, the signalled child reaped. It may mount tracefs and
 * securityfs (kernel filesystems most distributions mount at boot); the report says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { libbpfVersion, type BpfObjectOpenOptions } from '@vigil/bpf-native';
import {
  CAPABILITY_NAMES,
  tryCapability,
  waitForRelease,
  type Capability,
  type CapabilityName,
  type ReleaseResult,
  type TryEnv,
} from './capabilities';
import {
  checkKernelConfig,
  readKernelConfig,
  REQUIRED_OPTIONS,
  type KernelConfig,
  type OptionCheck,
} from './kernel-config';
import { deriveHookStrategy, type HookStrategy } from './strategy';
import { effectiveCapabilities, privilegeProblem, readLsms, VMLINUX_BTF, type LsmInfo } from './system';

export interface ConfigGroupSummary {
  group: string;
  /** Every non-optional option is set (false when the config is unknown). */
  ok: boolean;
  /** Non-optional options not set. */
  missing: string[];
  /** Optional options not set. */
  optionalMissing: string[];
}

export interface KernelProbeReport {
  kernel: { release: string; version: string; machine: string };
  btf: { vmlinux: boolean; path: string };
  lsm: LsmInfo;
  libbpf: string;
  /** One entry per capability tried, in CAPABILITY_NAMES order. */
  capabilities: Capability[];
  hookStrategy: HookStrategy;
  config: {
    /** Where the build configuration was read from; absent when the node has none. */
    source?: string;
    groups: ConfigGroupSummary[];
    checks: OptionCheck[];
  };
  /** Filesystems the probe mounted (left mounted): e.g. "tracefs at /sys/kernel/tracing". */
  mounted: string[];
  /** The wait for the kernel to free the probe's programs (stillLoaded is normally empty). */
  cleanup: ReleaseResult;
  objectPath: string;
  probedAt: string;
  durationMs: number;
}

export interface ProbeKernelOptions {
  /** Default: $VIGIL_PROBE_BPF_OBJECT, else <repo>/bpf/build/probe.bpf.o. */
  objectPath?: string;
  /** BTF for CO-RE on kernels without /sys/kernel/btf/vmlinux. */
  btfCustomPath?: string;
  /** Mount tracefs/securityfs when missing (default true). */
  mount?: boolean;
  /** Only these capabilities (default: all). The hook strategy then only knows those. */
  only?: CapabilityName[];
  /** Upper bound of each wait on the kernel: ring buffer record, signal delivery, iterator (default 1000 ms). */
  waitMs?: number;
  /** The kernel configuration (default: read from /proc/config.gz, /boot, /lib/modules). */
  config?: KernelConfig;
  /**
   * Return only once the kernel has freed the probe's programs (default true; bounded by
   * waitMs). Programs behind raw tracepoint links outlive their link by an RCU grace period.
   */
  awaitRelease?: boolean;
}

/** The probe could not run at all: no privileges, no bpf(), no addon or object. */
export class ProbeUnavailableError extends Error {
  override readonly name = 'ProbeUnavailableError';
}

export function defaultProbeObjectPath(): string {
  return (
    process.env['VIGIL_PROBE_BPF_OBJECT'] ?? path.resolve(__dirname, '..', '..', '..', 'bpf', 'build', 'probe.bpf.o')
  );
}

export function summarizeConfig(checks: OptionCheck[]): ConfigGroupSummary[] {
  return Object.keys(REQUIRED_OPTIONS).map((group) => {
    const inGroup = checks.filter((c) => c.group === group);
    const missing = inGroup.filter((c) => !c.optional && !c.ok).map((c) => c.name);
    const optionalMissing = inGroup.filter((c) => c.optional && !c.ok).map((c) => c.name);
    const known = inGroup.every((c) => c.value !== 'unknown');
    return { group, ok: known && missing.length === 0, missing, optionalMissing };
  });
}

const RAW_TP_FIRST: CapabilityName[] = ['ringbuf', 'send_signal', 'raw_tp', 'tp_btf'];

/** Capabilities that failed only because bpf() itself is refused. */
const UNUSABLE_CODES = new Set(['EPERM', 'EACCES', 'ENOSYS']);
const TRAMPOLINE = new Set<CapabilityName>(['fentry', 'fexit', 'fmod_ret', 'lsm']);

/**
 * Why the tries say bpf() is unusable (every program refused at load with EPERM/EACCES/ENOSYS:
 * no privilege in this namespace, bpf() disabled or filtered), or undefined when anything worked
 * or failed for a reason of its own.
 */
export function bpfUnusable(capabilities: Capability[]): string | undefined {
  const refused = (c: Capability) =>
    !c.works && (c.stage === 'open' || c.stage === 'load') && c.code !== undefined && UNUSABLE_CODES.has(c.code);
  // fentry, fexit, fmod_ret and lsm can all be refused with EPERM where bpf() itself works.
  const plain = capabilities.filter((c) => !TRAMPOLINE.has(c.name));
  if (plain.length === 0 || !capabilities.every(refused)) return undefined;
  const first = plain.find((c) => c.name === 'raw_tp') ?? plain[0]!;
  return `bpf() is refused here: every program failed to load (${first.name}: ${first.reason})`;
}

export async function probeKernel(opts: ProbeKernelOptions = {}): Promise<KernelProbeReport> {
  const started = process.hrtime.bigint();
  const privilege = privilegeProblem(process.geteuid?.(), effectiveCapabilities());
  if (privilege) throw new ProbeUnavailableError(privilege);

  const objectPath = opts.objectPath ?? defaultProbeObjectPath();
  if (!fs.existsSync(objectPath)) {
    throw new ProbeUnavailableError(
      `probe object ${objectPath} is missing (build it: make -C bpf, or set VIGIL_PROBE_BPF_OBJECT)`,
    );
  }
  let libbpf: string;
  try {
    libbpf = libbpfVersion();
  } catch (err) {
    throw new ProbeUnavailableError(`the BPF addon does not load (build @vigil/bpf-native): ${(err as Error).message}`);
  }

  const config = opts.config ?? readKernelConfig();
  const mount = opts.mount ?? true;
  const mounted: string[] = [];
  const lsm = readLsms(config, { mount: mount && process.geteuid?.() === 0, mounted });
  const openOptions: BpfObjectOpenOptions = opts.btfCustomPath ? { btfCustomPath: opts.btfCustomPath } : {};
  const env: TryEnv = {
    objectPath,
    openOptions,
    config,
    lsm,
    mount,
    mounted,
    waitMs: opts.waitMs ?? 1000,
    loadedIds: [],
  };

  const names = opts.only ? CAPABILITY_NAMES.filter((n) => opts.only!.includes(n)) : [...CAPABILITY_NAMES];
  // Raw tracepoint programs outlive their links by an RCU grace period: try them first, so that
  // the kernel frees them while the other tries run. The report keeps CAPABILITY_NAMES order.
  const order = [...RAW_TP_FIRST.filter((n) => names.includes(n)), ...names.filter((n) => !RAW_TP_FIRST.includes(n))];
  const tried = new Map<CapabilityName, Capability>();
  for (const name of order) tried.set(name, await tryCapability(name, env));
  const capabilities = names.map((n) => tried.get(n)!);

  const unusable = bpfUnusable(capabilities);
  if (unusable) throw new ProbeUnavailableError(unusable);
  const cleanup: ReleaseResult =
    (opts.awaitRelease ?? true)
      ? await waitForRelease(env, env.loadedIds, env.waitMs)
      : { checked: false, stillLoaded: [], waitedMs: 0 };

  const checks = checkKernelConfig(config);
  return {
    kernel: { release: os.release(), version: os.version(), machine: os.machine() },
    btf: { vmlinux: fs.existsSync(VMLINUX_BTF), path: VMLINUX_BTF },
    lsm,
    libbpf,
    capabilities,
    hookStrategy: deriveHookStrategy(capabilities),
    config: { ...(config.source ? { source: config.source } : {}), groups: summarizeConfig(checks), checks },
    mounted,
    cleanup,
    objectPath,
    probedAt: new Date().toISOString(),
    durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
  };
}
