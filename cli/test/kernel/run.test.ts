import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfProgramsOf, bpfProgramsStillLoaded } from './vigil-run';

const CLI = path.join(__dirname, '..', '..', 'dist', 'main.js');
const canRunBpf = process.getuid?.() === 0 && fs.existsSync('/sys/fs/bpf');
if (!canRunBpf) console.warn('SKIPPED vigil run kernel test: needs root and BPF (run as root on Linux)');

interface Event {
  process_exec?: {
    process: { pid: number; binary: string; arguments?: string; exec_id: string; parent_exec_id?: string };
  };
  process_exit?: { process: { pid: number; exec_id: string }; status?: number };
}

describe.skipIf(!canRunBpf)('vigil run (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-run-'));
  const exportFile = path.join(dir, 'events.log');
  const dataDir = path.join(dir, 'data');
  let child: ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';

  const waitFor = async (what: () => boolean, label: string, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!what()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const events = (): Event[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Event);

  beforeAll(async () => {
    child = spawn(process.execPath, [CLI, 'run', '-o', 'json'], {
      env: { ...process.env, VIGIL_EXPORT_FILE: exportFile, VIGIL_HTTP_PORT: '0', VIGIL_DATA_DIR: dataDir },
    });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes('observing this node'), 'start-up');
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the exec and exit of a process started after it, with its parent, on stdout and in the export file', async () => {
    const marker = `vigil-run-${process.pid}`;
    const res = spawnSync('/bin/sh', ['-c', 'exit 3', marker]);
    expect(res.status).toBe(3);
    const pid = res.pid;
    await waitFor(() => events().some((e) => e.process_exit?.process.pid === pid), 'the exit event');
    const exec = events().find((e) => e.process_exec?.process.pid === pid)!.process_exec!;
    expect(exec.process.arguments).toBe(`-c "exit 3" ${marker}`);
    expect(exec.process.binary).toBe(fs.realpathSync('/bin/sh'));
    const parent = events().find((e) => e.process_exec?.process.exec_id === exec.process.parent_exec_id);
    expect(parent?.process_exec?.process.pid).toBe(process.pid);
    const exit = events().find((e) => e.process_exit?.process.pid === pid)!.process_exit!;
    expect(exit.status).toBe(3);
    await waitFor(
      () => fs.existsSync(exportFile) && fs.readFileSync(exportFile, 'utf8').includes(exit.process.exec_id),
      'the export file',
    );
  });

  it('reports its counters on /status with nothing lost', async () => {
    const url = /status and health on (http:\/\/[^ ]+) /.exec(stderr)![1];
    // The all-in-one's /status holds each service's own under its name.
    const { collector: status } = (await (await fetch(`${url}/status`)).json()) as {
      collector: { kernel: { lostKernel: number; droppedUserspace: number; received: number }; seeded: number };
    };
    expect(status.kernel.lostKernel).toBe(0);
    expect(status.kernel.droppedUserspace).toBe(0);
    expect(status.kernel.received).toBeGreaterThan(0);
    expect(status.seeded).toBeGreaterThan(1);
  });

  it('stops cleanly on SIGINT with a summary and no BPF program left behind', async () => {
    const held = bpfProgramsOf(child.pid!);
    expect(held.length).toBeGreaterThan(0);
    child.kill('SIGINT');
    await waitFor(() => child.exitCode !== null, 'exit');
    expect(child.exitCode).toBe(0);
    expect(stderr).toMatch(
      /stopped: \d+ kernel events, \d+ published \(0 from policies, 0 of hooks no longer loaded\), \d+ seeded from \/proc; lost in kernel 0, dropped in user space 0/,
    );
    expect(bpfProgramsStillLoaded(held)).toEqual([]);
  });
});
