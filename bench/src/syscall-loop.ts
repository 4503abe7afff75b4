import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const BUILD = path.resolve(__dirname, '..', 'build');
/** The workload binary: the posting policies select it by path, so only its calls post. */
export const SYSCALL_LOOP = path.join(BUILD, 'syscall-loop');

export type Workload = 'getpid' | 'read';

/** Compiles native/syscall-loop.c when the binary is missing or older than the source. */
export function prepareSyscallLoop(): void {
  fs.mkdirSync(BUILD, { recursive: true });
  const src = path.resolve(__dirname, '..', 'native', 'syscall-loop.c');
  if (!fs.existsSync(SYSCALL_LOOP) || fs.statSync(SYSCALL_LOOP).mtimeMs < fs.statSync(src).mtimeMs)
    execFileSync('cc', ['-O2', '-o', SYSCALL_LOOP, src]);
}

export interface LoopResult {
  calls: number;
  seconds: number;
  /** Wall time per call. */
  nsPerCall: number;
  /** The looping thread's CPU time per call: what the ratios use (see syscall-loop.c). */
  cpuNsPerCall: number;
}

/** Async, so this process keeps draining the ring while the loop runs (as an agent would). */
export function runSyscallLoop(workload: Workload, calls: number): Promise<LoopResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSCALL_LOOP, [workload, String(calls)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoopResult) : reject(new Error(`syscall-loop exited ${code}`)),
    );
  });
}
