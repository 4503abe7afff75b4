import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The kernel-matrix lane (scripts/vm/run) itself: a failure on one kernel must fail the lane and
// name that kernel, and a VM must never outlive its run. Real QEMU, real Debian kernels.

const REPO = path.resolve(__dirname, '..', '..');
const RUN = path.join(REPO, 'scripts', 'vm', 'run');
const FIXTURE = 'integration/test/fixtures/kernel-matrix';

/** Kernel names of scripts/vm/kernels.conf, in order. */
function kernels(): string[] {
  return fs
    .readFileSync(path.join(REPO, 'scripts', 'vm', 'kernels.conf'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/)[0]!);
}

function vmRun(args: string[]) {
  const r = spawnSync(RUN, args, { cwd: REPO, encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function qemuPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mount_tag=vigil-job');
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('scripts/vm/run', () => {
  it('fails the lane when a kernel test breaks on one kernel, naming that kernel, and passes the others', () => {
    const all = kernels();
    expect(all.length).toBeGreaterThanOrEqual(3);
    const broken = all[0]!;
    const { status, out } = vmRun([
      '--env',
      `VIGIL_BREAK_ON_KERNEL=${broken}`,
      '--cwd',
      FIXTURE,
      '--',
      path.join(REPO, 'node_modules', '.bin', 'vitest'),
      'run',
    ]);
    expect(status, out).not.toBe(0);
    // The assertion's own message, from inside that kernel's VM, prefixed with its name.
    expect(out).toMatch(new RegExp(`^\\[${broken}\\] .*deliberately broken on this kernel`, 'm'));
    // The closing table: the broken kernel failed, every other one passed.
    expect(out).toMatch(new RegExp(`^${broken}: FAILED \\(exit 1\\)`, 'm'));
    for (const k of all.filter((k) => k !== broken)) expect(out).toMatch(new RegExp(`^${k}: passed`, 'm'));
  }, 600_000);

  it('stops a VM that runs past --timeout, says so, and leaves no QEMU behind', () => {
    const vm = kernels().find((k) => k !== 'host')!;
    const started = Date.now();
    const { status, out } = vmRun(['--kernel', vm, '--timeout', '20', '--', 'sleep', '600']);
    expect(status, out).not.toBe(0);
    expect(out).toMatch(new RegExp(`^${vm}: TIMEOUT after 20 s`, 'm'));
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(qemuPids()).toEqual([]);
  }, 120_000);
});
