/**
 * The probe report as the table `vigil probe` prints: capability | works | why not, grouped
 * into attach types, helpers/features, hook strategy, enforcement and kernel config.
 */
import type { Capability } from './capabilities';
import type { KernelProbeReport } from './probe';
import type { StrategyChoice } from './strategy';

const STRATEGY_LABELS: Array<[string, (r: KernelProbeReport) => StrategyChoice<string>]> = [
  ['kernel function', (r) => r.hookStrategy.kernelFunction],
  ['kernel function return', (r) => r.hookStrategy.kernelFunctionReturn],
  ['tracepoint flavour', (r) => r.hookStrategy.tracepoint],
];
const ENFORCEMENT_LABELS: Array<[string, (r: KernelProbeReport) => StrategyChoice<string>]> = [
  ['override (return value)', (r) => r.hookStrategy.enforcement.override],
  ['cgroup deny', (r) => r.hookStrategy.enforcement.cgroupDeny],
  ['send signal', (r) => r.hookStrategy.enforcement.sendSignal],
];

function table(
  title: [string, string, string],
  rows: Array<[string, string, string]>,
  width: [number, number],
): string[] {
  const line = ([a, b, c]: [string, string, string]) => `${a.padEnd(width[0])}  ${b.padEnd(width[1])}  ${c}`.trimEnd();
  return [line(title), ...rows.map(line)];
}

function capabilityRow(c: Capability): [string, string, string] {
  if (c.works) return [c.name, 'yes', c.note ? `(${c.note})` : ''];
  return [c.name, 'no', c.reason ?? 'does not work'];
}

function strategyWhy(s: StrategyChoice<string>): string {
  if (s.mechanism === 'unsupported') return s.why;
  const others = s.available.filter((m) => m !== s.mechanism);
  // A working first choice needs no explanation beyond "also available".
  const why = s.why.endsWith(' works') && !s.why.includes(';') ? '' : s.why;
  return [why, others.length ? `also: ${others.join(', ')}` : ''].filter(Boolean).join('; ');
}

/** The human-readable report (no colours, no trailing newline). */
export function formatProbeReport(r: KernelProbeReport): string {
  const attach = r.capabilities.filter((c) => c.group === 'attach');
  const features = r.capabilities.filter((c) => c.group === 'feature');
  const strategies = STRATEGY_LABELS.map(([label, get]) => [label, get(r)] as const);
  const enforcement = ENFORCEMENT_LABELS.map(([label, get]) => [label, get(r)] as const);
  const col0 = Math.max(
    'kernel config groups'.length,
    ...r.capabilities.map((c) => c.name.length),
    ...[...strategies, ...enforcement].map(([l]) => l.length),
    ...r.config.groups.map((g) => g.group.length),
  );
  const col1 = Math.max('works'.length, ...[...strategies, ...enforcement].map(([, s]) => s.mechanism.length));
  const width: [number, number] = [col0, col1];

  const working = r.capabilities.filter((c) => c.works).length;
  const lsms = r.lsm.active ? `${r.lsm.active.join(',')} (${r.lsm.source})` : 'unknown';
  const out: string[] = [
    `kernel   Linux ${r.kernel.release} ${r.kernel.machine}, BTF ${r.btf.vmlinux ? 'yes' : `no (${r.btf.path} missing)`}, libbpf ${r.libbpf}`,
    `LSMs     ${lsms}; bpf LSM ${r.lsm.bpf === undefined ? 'unknown' : r.lsm.bpf ? 'active' : 'not active'}`,
    `probed   ${working} of ${r.capabilities.length} capabilities work, in ${(r.durationMs / 1000).toFixed(2)} s` +
      (r.mounted.length ? `; mounted ${r.mounted.join(', ')}` : ''),
    '',
  ];
  if (attach.length) out.push(...table(['ATTACH TYPES', 'works', 'why not'], attach.map(capabilityRow), width), '');
  if (features.length)
    out.push(...table(['HELPERS / FEATURES', 'works', 'why not'], features.map(capabilityRow), width), '');
  out.push(
    ...table(
      ['HOOK STRATEGY', 'use', 'why'],
      strategies.map(([l, s]) => [l, s.mechanism, strategyWhy(s)]),
      width,
    ),
    '',
  );
  out.push(
    ...table(
      ['ENFORCEMENT', 'use', 'why'],
      enforcement.map(([l, s]) => [l, s.mechanism, strategyWhy(s)]),
      width,
    ),
    '',
  );
  out.push(
    ...table(
      [
        'KERNEL CONFIG GROUPS',
        'ok',
        r.config.source ? `from ${r.config.source}` : 'no kernel config found on this node',
      ],
      r.config.groups.map((g) => {
        if (!r.config.source) return [g.group, '?', 'unknown'];
        const parts = [
          g.missing.length ? `missing ${g.missing.join(', ')}` : '',
          g.optionalMissing.length ? `optional, not set: ${g.optionalMissing.join(', ')}` : '',
        ].filter(Boolean);
        return [g.group, g.ok ? 'yes' : 'no', parts.join('; ')];
      }),
      width,
    ),
  );
  return out.join('\n');
}
