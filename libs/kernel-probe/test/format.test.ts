import { describe, expect, it } from 'vitest';
import { CAPABILITY_NAMES } from '../src/capabilities';
import { formatProbeReport } from '../src/format';
import { summarizeConfig } from '../src/probe';
import { checkKernelConfig } from '../src/kernel-config';
import { debianLike, hostLike, reportOf } from './fixtures';

describe('probe report table', () => {
  it('has every section, one row per capability, and the why-not of each failure', () => {
    const text = formatProbeReport(reportOf(hostLike()));
    const lines = text.split('\n');
    for (const header of [
      'ATTACH TYPES',
      'HELPERS / FEATURES',
      'HOOK STRATEGY',
      'ENFORCEMENT',
      'KERNEL CONFIG GROUPS',
    ]) {
      expect(lines.some((l) => l.startsWith(header))).toBe(true);
    }
    for (const name of CAPABILITY_NAMES)
      expect(lines.filter((l) => new RegExp(`^${name} +(yes|no)( |$)`).test(l)).length).toBe(1);
    expect(lines.find((l) => l.startsWith('kprobe '))).toMatch(
      /^kprobe +no +ENOENT at attach: something \(CONFIG_KPROBES not set\)$/,
    );
    expect(lines.find((l) => l.startsWith('tp_btf '))).toMatch(/^tp_btf +yes$/);
    expect(lines.find((l) => l.startsWith('kernel function '))).toMatch(
      /^kernel function +tracepoint +kprobe: ENOENT at attach/,
    );
    expect(lines.find((l) => l.startsWith('override (return value)'))).toMatch(/unsupported +no way to override/);
    expect(lines.find((l) => l.startsWith('hooks and enforcement'))).toMatch(
      /^hooks and enforcement +no +missing CONFIG_KPROBES, CONFIG_KPROBE_EVENTS/,
    );
    expect(lines[0]).toBe('kernel   Linux 6.18.0-test x86_64, BTF yes, libbpf v1.1');
    expect(lines[2]).toBe('probed   9 of 16 capabilities work, in 0.42 s');
    // Columns line up: "works" starts at the same place in every table header.
    const col = (h: string) => lines.find((l) => l.startsWith(h))!.search(/ (works|use|ok) /);
    expect(
      new Set(['ATTACH TYPES', 'HELPERS / FEATURES', 'HOOK STRATEGY', 'ENFORCEMENT', 'KERNEL CONFIG GROUPS'].map(col))
        .size,
    ).toBe(1);
  });

  it('lists alternatives instead of repeating "works" for a first choice that works', () => {
    const lines = formatProbeReport(reportOf(debianLike())).split('\n');
    expect(lines.find((l) => l.startsWith('kernel function '))).toMatch(
      /^kernel function +kprobe +also: fentry, tracepoint$/,
    );
    expect(lines.find((l) => l.startsWith('override (return value)'))).toMatch(/fmod_ret +also: lsm$/);
  });

  it('says when the node has no kernel config', () => {
    const r = reportOf(debianLike());
    const checks = checkKernelConfig({ options: new Map() });
    const text = formatProbeReport({ ...r, config: { groups: summarizeConfig(checks), checks } });
    expect(text).toMatch(/KERNEL CONFIG GROUPS +ok +no kernel config found on this node/);
    expect(text).toMatch(/\ncore BPF +\? +unknown/);
  });

  it('summarizes config groups: missing required vs optional', () => {
    const groups = reportOf(hostLike()).config.groups;
    const hooks = groups.find((g) => g.group === 'hooks and enforcement')!;
    expect(hooks.ok).toBe(false);
    expect(hooks.missing).toContain('CONFIG_KPROBES');
    expect(hooks.optionalMissing).toContain('CONFIG_BPF_LSM');
    expect(groups.find((g) => g.group === 'core BPF')!.missing).not.toContain('CONFIG_BPF');
  });
});
