/**
 * Whether the kernel tests can run here: root, the addon and the BPF objects built, and the
 * bpf() syscall usable (probed by loading a tiny program). When not, they are skipped with
 * the reason printed, never silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BpfObject } from '../../src/index';
import { packageRoot } from '../../src/native';

export const BPF_BUILD_DIR = path.resolve(packageRoot, '..', '..', 'bpf', 'build');
export const SELFTEST_OBJECT = path.join(BPF_BUILD_DIR, 'selftest.bpf.o');
export const PROCESS_OBJECT = path.join(BPF_BUILD_DIR, 'process.bpf.o');

function probe(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  if (!fs.existsSync(path.join(packageRoot, 'build', 'Release', 'vigil_bpf.node')))
    return 'addon not built (npm run build)';
  for (const o of [SELFTEST_OBJECT, PROCESS_OBJECT]) if (!fs.existsSync(o)) return `${o} not built (make -C bpf)`;
  try {
    const obj = BpfObject.open(SELFTEST_OBJECT);
    for (const p of obj.programs()) p.autoload = p.name === 'vigil_st_iter';
    obj.load();
    obj.close();
  } catch (err) {
    return `BPF unusable here: ${(err as Error).message}`;
  }
  return undefined;
}

export const skipReason = probe();
export const kernelTestsSkipped = skipReason !== undefined;

export function warnIfSkipped(suite: string): void {
  if (skipReason) console.warn(`\n*** SKIPPING kernel tests "${suite}": ${skipReason} ***\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls cond every 20 ms until true or timeout; returns the last result. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}
