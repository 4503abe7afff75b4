import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kernelSkipReason, startPipeline } from './harness';

// The kernel-matrix VMs run under emulation (TCG): they set a smaller flood through VIGIL_FLOOD_EXECS.
const EXECS = Number(process.env['VIGIL_FLOOD_EXECS'] ?? 20_000);

describe.skipIf(kernelSkipReason)('exec flood through the collector pipeline (real kernel)', () => {
  it(`publishes the exec and exit of all ${EXECS} processes of a flood, nothing lost, and the counters say so`, async () => {
    const harness = startPipeline();
    try {
      // One shell forks and execs /bin/true as fast as it can; every child's parent is that shell.
      const shell = spawn('/bin/sh', ['-c', `i=0; while [ $i -lt ${EXECS} ]; do /bin/true; i=$((i+1)); done`], {
        stdio: 'ignore',
      });
      const code = await new Promise<number | null>((resolve) => shell.on('exit', resolve));
      expect(code).toBe(0);
      const shellExec = await harness.waitFor(() => harness.execOf((p) => p.pid === shell.pid), 'the shell exec');
      const children = () =>
        harness.events.filter((e) => e.process_exec?.process?.parent_exec_id === shellExec.process.exec_id);
      await harness.waitFor(() => children().length >= EXECS || undefined, `${EXECS} execs`, 60_000);
      const ids = new Set(children().map((e) => e.process_exec!.process!.exec_id));
      await harness.waitFor(
        () =>
          harness.events.filter((e) => e.process_exit && ids.has(e.process_exit.process!.exec_id)).length >= EXECS ||
          undefined,
        `${EXECS} exits`,
        30_000,
      );

      expect(ids.size).toBe(EXECS);
      const stats = harness.pipeline.stats();
      expect(stats.kernel.lostKernel).toBe(0);
      expect(stats.kernel.droppedUserspace).toBe(0);
      expect(stats.kernel.malformed).toBe(0);
      expect(stats.failedEvents).toBe(0);
      expect(stats.cache.parentsUnknown).toBe(0);
      expect(harness.bus.stats().dropped).toEqual({});
    } finally {
      await harness.close();
    }
  }, 180_000);
});
