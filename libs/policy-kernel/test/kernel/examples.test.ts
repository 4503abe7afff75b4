/**
 * Every Tetragon example policy, really loaded on the running kernel (in monitor mode: nothing
 * is enforced while it is loaded) and deleted again. Records per file "loads" or why not in
 * reports/policy-support/<kernel>.json, from which scripts/support-table.mjs writes
 * docs/policy-support.md. Runs on the host and in the kernel-matrix VMs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeKernel } from '@vigil/kernel-probe';
import { hostNamespaces } from '@vigil/process-cache';
import { parsePolicyFile } from '@vigil/policy';
import {
  kernelFromProbe,
  kernelFunctions,
  tracedSyscalls,
  PolicyLoadError,
  PolicyRuntime,
  SYSCALLS_X86_64,
} from '../../src/index';
import { EXAMPLES_DIR, exampleFiles } from '../examples-dir';

// Loading all 83 examples costs minutes under emulation: the kernel-matrix lane leaves them to
// the host unless asked (VIGIL_POLICY_EXAMPLES=1, as when regenerating docs/policy-support.md).
const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : process.env['VIGIL_VM'] === '1' && process.env['VIGIL_POLICY_EXAMPLES'] !== '1'
      ? 'in a kernel-matrix VM without VIGIL_POLICY_EXAMPLES=1 (docs/policy-support.md has the VM columns)'
      : undefined;
if (skip) console.warn(`SKIPPED loading every example policy: ${skip}`);

const REPORTS = path.resolve(__dirname, '../../../../reports/policy-support');
const KERNEL = process.env['VIGIL_KERNEL'] ?? 'host';

export interface SupportRow {
  file: string;
  loads: boolean;
  /** How each hook attached, when it loads; why not, when it does not. */
  detail: string;
}

describe.skipIf(skip !== undefined)('Tetragon example policies on this kernel', () => {
  it('each loads, or is refused with a reason, and the loaded set is empty after', async () => {
    const report = await probeKernel();
    // Namespaced examples load too, scoped to no workload yet (the node has no pods here).
    const runtime = new PolicyRuntime({
      kernel: kernelFromProbe(report, tracedSyscalls(SYSCALLS_X86_64), hostNamespaces(), kernelFunctions()),
      workloads: { pods: () => [], cgroups: () => [] },
    });
    const rows: SupportRow[] = [];
    for (const file of exampleFiles()) {
      const parsed = parsePolicyFile(path.join(EXAMPLES_DIR, file));
      expect(parsed.ok, `${file} parses`).toBe(true);
      if (!parsed.ok) continue;
      try {
        const status = runtime.add(parsed.policy, 'monitor');
        rows.push({ file, loads: true, detail: [...new Set(status.hooks.map((h) => h.mechanism))].join(', ') });
        runtime.delete(status.name);
      } catch (err) {
        if (!(err instanceof PolicyLoadError)) throw err;
        expect(err.reasons.length).toBeGreaterThan(0);
        rows.push({ file, loads: false, detail: err.reasons.join('; ') });
      }
      expect(runtime.list()).toEqual([]);
    }
    fs.mkdirSync(REPORTS, { recursive: true });
    const loads = rows.filter((r) => r.loads).length;
    fs.writeFileSync(
      path.join(REPORTS, `${KERNEL}.json`),
      JSON.stringify({ kernel: KERNEL, release: os.release(), loads, total: rows.length, rows }, null, 2) + '\n',
    );
    console.log(`${loads}/${rows.length} example policies load on ${KERNEL} (${os.release()})`);
    expect(rows.length).toBeGreaterThanOrEqual(80);
  }, 600_000);
});
