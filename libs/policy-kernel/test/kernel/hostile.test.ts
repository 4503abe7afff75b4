/**
 * Malformed and hostile policies against the loader on the real kernel: 1,000 deterministic
 * mutants of Tetragon's examples. Whatever parses goes through compile and load (monitor mode);
 * nothing crashes, every refusal says why, and the policy loaded before stays loaded and alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeKernel } from '@vigil/kernel-probe';
import { hostNamespaces } from '@vigil/process-cache';
import { parsePolicy } from '@vigil/policy';
import { mutants } from '@vigil/policy/dist/testing/mutants';
import {
  kernelFromProbe,
  kernelFunctions,
  tracedSyscalls,
  PolicyLoadError,
  PolicyRuntime,
  SYSCALLS_X86_64,
} from '../../src/index';
import { EXAMPLES_DIR, exampleFiles } from '../examples-dir';

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : process.env['VIGIL_VM'] === '1'
      ? 'minutes under emulation; the loader is the same code on every kernel (host lane runs it)'
      : undefined;
if (skip) console.warn(`SKIPPED hostile policy loading: ${skip}`);

const TOTAL = 1_000;

describe.skipIf(skip !== undefined)('hostile policies against the loader', () => {
  it(`${TOTAL} mutants: no crash, precise refusals, the loaded set unchanged`, async () => {
    const runtime = new PolicyRuntime({
      kernel: kernelFromProbe(
        await probeKernel(),
        tracedSyscalls(SYSCALLS_X86_64),
        hostNamespaces(),
        kernelFunctions(),
      ),
      workloads: { pods: () => [], cgroups: () => [] },
    });
    const anchor = parsePolicy(fs.readFileSync(path.join(EXAMPLES_DIR, 'write.yaml'), 'utf8'));
    if (!anchor.ok) throw new Error('write.yaml must parse');
    runtime.add(anchor.policy, 'monitor');
    const before = runtime.list().map((p) => p.name);
    const seeds = exampleFiles().map((f) => fs.readFileSync(path.join(EXAMPLES_DIR, f), 'utf8'));
    const counts = { parseRejected: 0, loadRefused: 0, loaded: 0, duplicateName: 0 };
    try {
      for (const m of mutants(seeds, TOTAL)) {
        const parsed = parsePolicy(m.text, `mutant-${m.index}.yaml`);
        if (!parsed.ok) {
          counts.parseRejected++;
          expect(parsed.errors.every((e) => e.path !== '' && e.reason !== '')).toBe(true);
          continue;
        }
        try {
          const status = runtime.add(parsed.policy, 'monitor');
          counts.loaded++;
          runtime.delete(status.name);
        } catch (err) {
          if (!(err instanceof PolicyLoadError))
            throw new Error(`mutant ${m.index} (${m.applied.join('+')}): ${String(err)}`);
          expect(err.reasons.length).toBeGreaterThan(0);
          expect(err.reasons.every((r) => r.length > 0)).toBe(true);
          if (err.reasons[0]!.includes('already loaded')) counts.duplicateName++;
          else counts.loadRefused++;
        }
        expect(runtime.list().map((p) => p.name)).toEqual(before);
      }
    } finally {
      runtime.close();
    }
    console.log(`hostile policies: ${JSON.stringify(counts)}`);
    expect(counts.parseRejected + counts.loadRefused + counts.loaded + counts.duplicateName).toBe(TOTAL);
  }, 600_000);
});
