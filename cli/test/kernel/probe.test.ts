/**
 * `vigil probe` against the real kernel: the JSON report carries the same capabilities (and
 * answers) as the library's probeKernel(), the table shows every one of them, the exit code is 0
 * whatever is missing and 1 when the probe cannot run, and nothing stays loaded afterwards.
 * Holds on this project's 6.18 VMs and on stock Debian 6.1/6.12 (scripts/vm/run).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITY_NAMES, defaultProbeObjectPath, probeKernel, type KernelProbeReport } from '@vigil/kernel-probe';

const CLI = path.join(__dirname, '..', '..', 'dist', 'main.js');
/** Each test starts the CLI a few times: minutes under QEMU's TCG (scripts/vm/run). */
const TIMEOUT_MS = process.env['VIGIL_VM'] === '1' ? 300_000 : 30_000;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!fs.existsSync(CLI)) return `${CLI} not built (npm run build)`;
  if (!fs.existsSync(defaultProbeObjectPath())) return `${defaultProbeObjectPath()} not built (make -C bpf)`;
  if (!fs.existsSync('/sys/fs/bpf')) return 'no BPF on this kernel';
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`\n*** SKIPPING vigil probe kernel tests: ${skip} ***\n`);

function vigil(args: string[], opts: { asUser?: number } = {}) {
  const cmd =
    opts.asUser === undefined
      ? [process.execPath, CLI, ...args]
      : [
          'setpriv',
          `--reuid=${opts.asUser}`,
          `--regid=${opts.asUser}`,
          '--clear-groups',
          process.execPath,
          CLI,
          ...args,
        ];
  return spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', timeout: 120_000 });
}

function bpftool(): string | undefined {
  return [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin']
    .map((d) => path.join(d, 'bpftool'))
    .find((p) => fs.existsSync(p));
}

function probeProgramsLoaded(): string[] {
  const tool = bpftool();
  if (!tool) return [];
  const progs = JSON.parse(spawnSync(tool, ['-j', 'prog', 'show'], { encoding: 'utf8' }).stdout || '[]') as Array<{
    id: number;
    name?: string;
  }>;
  return progs.filter((p) => p.name?.startsWith('vigil_probe')).map((p) => `${p.id}:${p.name}`);
}

describe.skipIf(skip !== undefined)('vigil probe (real kernel)', { timeout: TIMEOUT_MS }, () => {
  let library: KernelProbeReport;

  beforeAll(async () => {
    library = await probeKernel();
  }, TIMEOUT_MS);

  it('-o json: exit 0 and the same capabilities, with the same answers, as probeKernel()', () => {
    const res = vigil(['probe', '-o', 'json']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout) as KernelProbeReport;
    expect(report.capabilities.map((c) => c.name)).toEqual([...CAPABILITY_NAMES]);
    expect(report.capabilities.map((c) => c.name)).toEqual(library.capabilities.map((c) => c.name));
    const works = (r: KernelProbeReport) => Object.fromEntries(r.capabilities.map((c) => [c.name, c.works]));
    expect(works(report)).toEqual(works(library));
    expect(report.hookStrategy).toEqual(library.hookStrategy);
    expect(report.kernel.release).toBe(library.kernel.release);
    expect(report.config.groups).toEqual(library.config.groups);
    expect(report.cleanup).toMatchObject({ checked: true, stillLoaded: [] });
    expect(probeProgramsLoaded()).toEqual([]);
  });

  it('prints the table: every capability with works yes/no and why not, grouped, plus config groups', () => {
    const res = vigil(['probe']);
    expect(res.status).toBe(0);
    const lines = res.stdout.split('\n');
    for (const header of [
      'ATTACH TYPES',
      'HELPERS / FEATURES',
      'HOOK STRATEGY',
      'ENFORCEMENT',
      'KERNEL CONFIG GROUPS',
    ]) {
      expect(
        lines.some((l) => l.startsWith(header)),
        header,
      ).toBe(true);
    }
    for (const c of library.capabilities) {
      const row = lines.find((l) => new RegExp(`^${c.name} +(yes|no)( |$)`).test(l));
      expect(row, c.name).toBeDefined();
      expect(row, c.name).toMatch(new RegExp(`^${c.name} +${c.works ? 'yes' : 'no +\\S'}`));
    }
    const kf = lines.find((l) => l.startsWith('kernel function '))!;
    expect(kf).toMatch(new RegExp(`^kernel function +${library.hookStrategy.kernelFunction.mechanism} `));
    expect(probeProgramsLoaded()).toEqual([]);
  });

  it('--only tries just the named capabilities; bad names and formats are usage errors (exit 2)', () => {
    const res = vigil(['probe', '--only', 'raw_tp,iter', '-o', 'json']);
    expect(res.status).toBe(0);
    expect((JSON.parse(res.stdout) as KernelProbeReport).capabilities.map((c) => c.name)).toEqual(['raw_tp', 'iter']);
    expect(vigil(['probe', '--only', 'kprobe,nope']).status).toBe(2);
    expect(vigil(['probe', '-o', 'yaml']).status).toBe(2);
  });

  it('exits 1 with the reason when it cannot run at all (not root)', () => {
    const setpriv = spawnSync('setpriv', ['--version']);
    if (setpriv.status !== 0) {
      console.warn('*** setpriv (util-linux) missing: the non-root exit code is not checked ***');
      return;
    }
    const res = vigil(['probe', '-o', 'json'], { asUser: 65534 });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^vigil: needs root/);
  });
});
