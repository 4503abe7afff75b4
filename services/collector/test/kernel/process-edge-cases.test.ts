import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelSkipReason, startPipeline } from './harness';

describe.skipIf(kernelSkipReason)('process edge cases through the collector pipeline (real kernel)', () => {
  let harness: ReturnType<typeof startPipeline>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-edge-'));
  // Started before the pipeline: must be seen through /proc, with flag procFS and its parent.
  const before = spawn('/bin/sh', ['-c', '/bin/sleep 120 & echo $!; wait']);
  let sleepPid = 0;

  beforeAll(async () => {
    sleepPid = await new Promise<number>((resolve) =>
      before.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    // The fork is reported before the exec: wait until sleep really runs, so /proc shows it as sleep.
    while (fs.readlinkSync(`/proc/${sleepPid}/exe`) !== '/usr/bin/sleep') await new Promise((r) => setTimeout(r, 10));
    harness = startPipeline();
  });

  afterAll(async () => {
    process.kill(sleepPid, 'SIGKILL');
    before.kill('SIGKILL');
    await harness.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports processes that ran before it started with flag procFS and their real parents', async () => {
    const sleep = await harness.waitFor(() => harness.execOf((p) => p.pid === sleepPid), 'seeded sleep');
    const sh = harness.execOf((p) => p.pid === before.pid);
    expect(sleep.process.binary).toBe('/usr/bin/sleep');
    expect(sleep.process.flags?.split(' ')).toContain('procFS');
    expect(sh?.process.flags?.split(' ')).toContain('procFS');
    expect(sleep.process.parent_exec_id).toBe(sh!.process.exec_id);
    expect(sh!.process.parent_exec_id).toBe(harness.execOf((p) => p.pid === process.pid)!.process.exec_id);
  });

  it('truncates long arguments safely and flags them', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `argument-${i}-${'x'.repeat(20)}`);
    expect(spawnSync('/bin/true', ['long-args-marker', ...long]).status).toBe(0);
    const exec = await harness.waitFor(
      () => harness.execOf((p) => p.arguments?.startsWith('long-args-marker ') === true),
      'long-args exec',
    );
    expect(exec.process.flags?.split(' ')).toContain('truncArgs');
    const shown = exec.process.arguments!.split(' ');
    expect(shown.length).toBeLessThan(long.length + 1);
    // Every argument shown but the last (cut mid-way) is exactly the one passed.
    shown.slice(1, -1).forEach((arg, i) => expect(arg).toBe(long[i]));
  });

  it('flags a binary path deeper than the kernel walk bound as truncated', async () => {
    const deep = path.join(dir, ...Array.from({ length: 140 }, () => 'd'));
    fs.mkdirSync(deep, { recursive: true });
    fs.copyFileSync('/bin/true', path.join(deep, 'deep-true'));
    fs.chmodSync(path.join(deep, 'deep-true'), 0o755);
    expect(spawnSync(path.join(deep, 'deep-true'), ['deep-path-marker']).status).toBe(0);
    const exec = await harness.waitFor(() => harness.execOf((p) => p.arguments === 'deep-path-marker'), 'deep exec');
    expect(exec.process.flags?.split(' ')).toContain('truncFilename');
    expect(path.join(deep, 'deep-true').endsWith(exec.process.binary!)).toBe(true);
  });

  it('reports a binary that was deleted before it was executed (through its open file)', async () => {
    const bin = path.join(dir, 'doomed');
    fs.copyFileSync('/bin/true', bin);
    fs.chmodSync(bin, 0o755);
    const res = spawnSync('/bin/sh', ['-c', `exec 3<${bin}; rm ${bin}; exec /proc/self/fd/3 deleted-marker`]);
    expect(res.status).toBe(0);
    const exec = await harness.waitFor(() => harness.execOf((p) => p.arguments === 'deleted-marker'), 'deleted exec');
    expect(exec.process.binary).toBe(bin);
  });

  it('reports a binary whose directory was removed before it was executed', async () => {
    const gone = path.join(dir, 'gone');
    fs.mkdirSync(gone);
    const bin = path.join(gone, 'orphan');
    fs.copyFileSync('/bin/true', bin);
    fs.chmodSync(bin, 0o755);
    const res = spawnSync('/bin/sh', ['-c', `exec 3<${bin}; rm -r ${gone}; exec /proc/self/fd/3 unlinked-dir-marker`]);
    expect(res.status).toBe(0);
    const exec = await harness.waitFor(
      () => harness.execOf((p) => p.arguments === 'unlinked-dir-marker'),
      'unlinked-dir exec',
    );
    expect(exec.process.binary).toBe(bin);
  });

  it('keeps the whole ancestry of a 100-deep process chain', async () => {
    const script = path.join(dir, 'chain.sh');
    // "; exit $?" keeps each level a fork+exec child instead of an exec in place.
    fs.writeFileSync(script, 'if [ "$1" -gt 0 ]; then /bin/sh "$0" $(($1 - 1)); exit $?; fi; exit 0\n');
    expect(spawnSync('/bin/sh', [script, '100']).status).toBe(0);
    const leaf = await harness.waitFor(() => harness.execOf((p) => p.arguments === `${script} 0`), 'chain leaf');
    const ancestors = harness.cache.ancestors(leaf.process.exec_id, 1_000);
    const chain = ancestors.slice(0, 100).map((p) => p.arguments);
    expect(chain).toEqual(Array.from({ length: 100 }, (_, i) => `${script} ${i + 1}`));
    expect(ancestors[100]?.pid).toBe(process.pid);
  });
});
