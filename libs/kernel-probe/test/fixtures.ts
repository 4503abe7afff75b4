import { CAPABILITY_NAMES, FEATURE_CAPABILITIES, type Capability, type CapabilityName } from '../src/capabilities';
import { checkKernelConfig, parseKernelConfig } from '../src/kernel-config';
import { summarizeConfig, type KernelProbeReport } from '../src/probe';
import { deriveHookStrategy } from '../src/strategy';

/** A capability as a try reports it: works, or fails with code/stage/hint. */
export function cap(
  name: CapabilityName,
  works: boolean,
  fail: { code?: string; stage?: Capability['stage']; hint?: string } = {},
): Capability {
  const group = (FEATURE_CAPABILITIES as readonly string[]).includes(name) ? 'feature' : 'attach';
  if (works) return { name, group, works, tried: name, ms: 1 };
  const code = fail.code ?? 'EPERM';
  const stage = fail.stage ?? 'load';
  return {
    name,
    group,
    works,
    code,
    stage,
    ...(fail.hint ? { hint: fail.hint } : {}),
    reason: `${code} at ${stage}: something${fail.hint ? ` (${fail.hint})` : ''}`,
    tried: name,
    ms: 1,
  };
}

/** This project's VMs (Linux 6.18 with kprobes off and trampolines blocked). */
export function hostLike(): Capability[] {
  return CAPABILITY_NAMES.map((n) => {
    if (n === 'kprobe' || n === 'kretprobe')
      return cap(n, false, { code: 'ENOENT', stage: 'attach', hint: 'CONFIG_KPROBES not set' });
    if (['fentry', 'fexit', 'fmod_ret', 'lsm'].includes(n)) return cap(n, false, { code: 'EPERM', stage: 'load' });
    if (n === 'override_return')
      return cap(n, false, { code: 'EINVAL', stage: 'load', hint: 'CONFIG_BPF_KPROBE_OVERRIDE not set' });
    return cap(n, true);
  });
}

/** A stock Debian 6.1/6.12 kernel: everything but bpf_override_return. */
export function debianLike(): Capability[] {
  return CAPABILITY_NAMES.map((n) =>
    n === 'override_return' ? cap(n, false, { code: 'EINVAL', stage: 'load' }) : cap(n, true),
  );
}

export function reportOf(
  capabilities: Capability[],
  configText = '# CONFIG_KPROBES is not set\nCONFIG_BPF=y\n',
): KernelProbeReport {
  const checks = checkKernelConfig({ source: '/proc/config.gz', options: parseKernelConfig(configText) });
  return {
    kernel: { release: '6.18.0-test', version: '#1', machine: 'x86_64' },
    btf: { vmlinux: true, path: '/sys/kernel/btf/vmlinux' },
    lsm: { active: ['lockdown', 'bpf'], source: 'securityfs', bpf: true },
    libbpf: 'v1.1',
    capabilities,
    hookStrategy: deriveHookStrategy(capabilities),
    config: { source: '/proc/config.gz', groups: summarizeConfig(checks), checks },
    mounted: [],
    cleanup: { checked: true, stillLoaded: [], waitedMs: 12 },
    objectPath: '/x/probe.bpf.o',
    probedAt: '2026-11-28T00:00:00.000Z',
    durationMs: 420,
  };
}
