import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkKernelConfig, parseKernelConfig, readKernelConfig } from '../src/kernel-config';

const SAMPLE = [
  'CONFIG_BPF=y',
  'CONFIG_BPF_SYSCALL=y',
  '# CONFIG_KPROBES is not set',
  'CONFIG_LSM="lockdown,yama,bpf"',
  'CONFIG_CGROUP_BPF=m',
  '',
].join('\n');

describe('kernel config', () => {
  it('parses set, unset and quoted options', () => {
    const options = parseKernelConfig(SAMPLE);
    expect(options.get('CONFIG_BPF')).toBe('y');
    expect(options.get('CONFIG_KPROBES')).toBe('n');
    expect(options.get('CONFIG_LSM')).toBe('lockdown,yama,bpf');
    expect(options.get('CONFIG_CGROUP_BPF')).toBe('m');
  });

  it('reads the first source that exists, gzip included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kconfig-'));
    fs.writeFileSync(path.join(dir, 'config.gz'), zlib.gzipSync(SAMPLE));
    const config = readKernelConfig([path.join(dir, 'missing'), path.join(dir, 'config.gz')]);
    expect(config.source).toBe(path.join(dir, 'config.gz'));
    expect(config.options.get('CONFIG_BPF_SYSCALL')).toBe('y');
  });

  it('marks missing options as not ok and says why each matters', () => {
    const checks = checkKernelConfig({ source: 'sample', options: parseKernelConfig(SAMPLE) });
    expect(checks.find((c) => c.name === 'CONFIG_KPROBES')).toMatchObject({
      value: 'n',
      ok: false,
      group: 'hooks and enforcement',
      why: 'kprobe/kretprobe hooks',
    });
    expect(checks.find((c) => c.name === 'CONFIG_CGROUP_BPF')).toMatchObject({ value: 'm', ok: true });
    expect(checks.find((c) => c.name === 'CONFIG_DEBUG_INFO_BTF')).toMatchObject({ value: 'n', ok: false });
  });

  it('reports unknown, not missing, when the node has no config source', () => {
    const checks = checkKernelConfig(readKernelConfig(['/nonexistent/config']));
    expect(checks.every((c) => c.value === 'unknown' && !c.ok)).toBe(true);
  });

  it('reads the running kernel configuration here', () => {
    const config = readKernelConfig();
    expect(config.source).toBeDefined();
    expect(config.options.get('CONFIG_BPF_SYSCALL')).toBe('y');
  });
});
