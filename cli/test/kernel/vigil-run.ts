import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Helpers of the kernel tests that start the built `vigil run` as a child process. */
export const CLI = path.join(__dirname, '..', '..', 'dist', 'main.js');
export const canRunBpf = process.getuid?.() === 0 && fs.existsSync('/sys/fs/bpf');

export interface VigilRun {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  waitFor(what: () => boolean | Promise<boolean>, label: string, ms?: number): Promise<void>;
  /** Resolves with the exit code once the child exited. */
  exited(): Promise<number | null>;
}

export function startVigilRun(args: string[], env: Record<string, string>): VigilRun {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(what, label, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!(await what())) {
        if (child.exitCode !== null)
          throw new Error(`vigil run exited (${child.exitCode}) waiting for ${label}; stderr: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    exited: () => exit,
  };
}

/**
 * Ids of the BPF programs a process holds: its program fds and the programs of its link fds,
 * from /proc/<pid>/fdinfo. Other tests may load BPF at the same time, so "nothing left behind"
 * is checked for exactly these ids, not by program name.
 */
export function bpfProgramsOf(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== 'anon_inode:bpf-prog' && target !== 'anon_inode:bpf_link') continue;
    const m = /^prog_id:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    if (m) ids.add(Number(m[1]));
  }
  return [...ids].sort((a, b) => a - b);
}

/** Which of these program ids are still loaded in the kernel. */
export function bpfProgramsStillLoaded(ids: number[]): number[] {
  return ids.filter((id) => spawnSync('bpftool', ['prog', 'show', 'id', String(id)]).status === 0);
}
