import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKernelConfig, type KernelConfig } from '../src/kernel-config';
import {
  CAP_BPF,
  CAP_PERFMON,
  CAP_SYS_ADMIN,
  effectiveCapabilities,
  findCgroup2Mount,
  findLibc,
  lsmFromCmdline,
  parseLsmList,
  parseMounts,
  privilegeProblem,
  readLsms,
} from '../src/system';

describe('system facts', () => {
  it('parses LSM lists and the lsm= boot parameter (the last one; not after "--")', () => {
    expect(parseLsmList('lockdown,capability,landlock,bpf\n')).toEqual(['lockdown', 'capability', 'landlock', 'bpf']);
    expect(lsmFromCmdline('console=ttyS0 lsm=lockdown,yama quiet lsm=landlock,bpf')).toEqual(['landlock', 'bpf']);
    expect(lsmFromCmdline('console=ttyS0 quiet -- lsm=bpf')).toBeUndefined();
    expect(lsmFromCmdline('quiet')).toBeUndefined();
  });

  it('reads active LSMs from securityfs, else lsm=, else CONFIG_LSM (bpf inert without CONFIG_BPF_LSM)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-lsm-'));
    const file = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const lsmFile = file('lsm', 'lockdown,capability,landlock,bpf');
    const plainCmdline = file('cmdline', 'console=ttyS0 quiet\n');
    const lsmCmdline = file('cmdline-lsm', 'console=ttyS0 lsm=lockdown,yama\n');
    const missing = path.join(dir, 'missing');
    const config = (text: string): KernelConfig => ({ source: 'test', options: parseKernelConfig(text) });
    const withBpf = config('CONFIG_LSM="lockdown,yama,bpf"\nCONFIG_BPF_LSM=y\n');
    const read = (cfg: KernelConfig, lsm: string, cmdline: string) =>
      readLsms(cfg, { mount: false, mounted: [], lsmFile: lsm, cmdlineFile: cmdline });

    expect(read(withBpf, lsmFile, lsmCmdline)).toEqual({
      active: ['lockdown', 'capability', 'landlock', 'bpf'],
      source: 'securityfs',
      bpf: true,
    });
    expect(read(withBpf, missing, lsmCmdline)).toEqual({ active: ['lockdown', 'yama'], source: 'cmdline', bpf: false });
    expect(read(withBpf, missing, plainCmdline)).toEqual({
      active: ['lockdown', 'yama', 'bpf'],
      source: 'config',
      bpf: true,
    });
    expect(read(config('CONFIG_LSM="lockdown,bpf"\n# CONFIG_BPF_LSM is not set\n'), missing, plainCmdline).bpf).toBe(
      false,
    );
    expect(read({ options: new Map() }, missing, missing)).toEqual({ source: 'unknown' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds cgroup v2 in hybrid and unified layouts, escapes decoded', () => {
    const hybrid = parseMounts(
      [
        'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
        'cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0',
        'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0',
        '',
      ].join('\n'),
    );
    expect(findCgroup2Mount(hybrid)).toBe('/sys/fs/cgroup/unified');
    expect(findCgroup2Mount(parseMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n'))).toBe('/sys/fs/cgroup');
    expect(findCgroup2Mount(parseMounts('proc /proc proc rw 0 0\n'))).toBeUndefined();
    expect(parseMounts('a /mnt/with\\040space ext4 rw 0 0')[0]).toEqual({
      source: 'a',
      target: '/mnt/with space',
      fstype: 'ext4',
    });
  });

  it('finds glibc or musl in a process map', () => {
    const maps = [
      '5581c9c00000-5581c9e00000 r--p 00000000 fe:01 1 /usr/bin/node',
      '7f0000000000-7f0000028000 r--p 00000000 fe:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f1000000000-7f1000028000 r--p 00000000 fe:01 3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3',
    ].join('\n');
    expect(findLibc(maps)).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(findLibc('7f00-7f01 r-xp 0 fe:01 9 /lib/ld-musl-x86_64.so.1\n')).toBe('/lib/ld-musl-x86_64.so.1');
    expect(findLibc('7f00-7f01 r-xp 0 fe:01 9 /usr/lib/libcrypto.so.3\n')).toBeUndefined();
    expect(findLibc()).toMatch(/libc/); // this very process
  });

  it('knows who may load tracing programs', () => {
    const caps = (...bits: number[]) => bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);
    expect(privilegeProblem(0, 0n)).toBeUndefined();
    expect(privilegeProblem(1000, caps(CAP_SYS_ADMIN))).toBeUndefined();
    expect(privilegeProblem(1000, caps(CAP_BPF, CAP_PERFMON))).toBeUndefined();
    expect(privilegeProblem(1000, caps(CAP_BPF))).toMatch(/needs root/);
    expect(privilegeProblem(1000, 0n)).toMatch(/needs root/);
    expect(effectiveCapabilities('Name:\tnode\nCapEff:\t000001ffffffffff\n')).toBe(0x1ffffffffffn);
    expect(effectiveCapabilities('Name:\tnode\n')).toBe(0n);
  });
});
