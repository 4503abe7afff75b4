import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const BUILD = path.resolve(__dirname, '..', 'build');
/** A copy of /bin/true under a name nothing else on the machine runs: its execs are ours. */
export const BENCH_TRUE = path.join(BUILD, 'vigil-bench-true');

/** Compiles native/execloop.c (once) and places the marker binary. */
export function prepareExecLoop(): string {
  fs.mkdirSync(BUILD, { recursive: true });
  const bin = path.join(BUILD, 'execloop');
  const src = path.resolve(__dirname, '..', 'native', 'execloop.c');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs)
    execFileSync('cc', ['-O2', '-o', bin, src]);
  if (!fs.existsSync(BENCH_TRUE)) fs.copyFileSync('/bin/true', BENCH_TRUE);
  fs.chmodSync(BENCH_TRUE, 0o755);
  return bin;
}

export interface ExecLoopResult {
  execs: number;
  seconds: number;
  rate: number;
}

/** Runs execloop without blocking the event loop (the agent under test lives in this process). */
export function runExecLoop(execloop: string, execs: number, workers: number): Promise<ExecLoopResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(execloop, [String(execs), String(workers), BENCH_TRUE], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as ExecLoopResult) : reject(new Error(`execloop exited ${code}`)),
    );
  });
}
