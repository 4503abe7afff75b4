/**
 * A connect-deny policy: connections to one port, from one binary, fail with the configured
 * error; other ports, other binaries, and everything after the policy is deleted connect. On
 * kernels with BPF trampolines this is fmod_ret on security_socket_connect; on the host (no
 * kprobes, no trampolines) the connect(2) tracepoint decides and a cgroup/connect4 program in the
 * same call denies.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeKernel } from '@vigil/kernel-probe';
import { hostNamespaces } from '@vigil/process-cache';
import { parsePolicy } from '@vigil/policy';
import { kernelFromProbe, PolicyRuntime, SYSCALLS_X86_64 } from '../../src/index';

const skip = process.getuid?.() !== 0 ? 'needs root' : undefined;
if (skip) console.warn(`SKIPPED connect-deny kernel tests: ${skip}`);

describe.skipIf(skip !== undefined)('connect-deny policy (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-connect-'));
  const myBash = path.join(dir, 'bash');
  const servers: net.Server[] = [];
  const ports: number[] = [];
  let runtime: PolicyRuntime;

  beforeAll(async () => {
    fs.copyFileSync('/usr/bin/bash', myBash);
    fs.chmodSync(myBash, 0o755);
    for (let i = 0; i < 2; i++) {
      const s = net.createServer((c) => c.end('hello\n'));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      ports.push((s.address() as net.AddressInfo).port);
    }
    runtime = new PolicyRuntime({ kernel: kernelFromProbe(await probeKernel(), SYSCALLS_X86_64, hostNamespaces()) });
  }, 60_000);
  afterAll(() => {
    runtime?.close();
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** bash's /dev/tcp: connect(2) to 127.0.0.1:port, then read the server's greeting (async: the servers live in this process). */
  const connect = (bash: string, port: number) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(bash, ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3`], { timeout: 10_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('denies the chosen port from the chosen binary only, with the configured error', async () => {
    const parsed = parsePolicy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: deny-port }
spec:
  kprobes:
  - call: security_socket_connect
    syscall: false
    args:
    - { index: 1, type: sockaddr }
    selectors:
    - matchBinaries: [{ operator: In, values: ["${myBash}"] }]
      matchArgs:
      - { index: 1, operator: Family, values: [AF_INET] }
      # a sockaddr holds one address: Tetragon names its port and address SPort and SAddr
      - { index: 1, operator: SPort, values: ["${ports[0]}"] }
      - { index: 1, operator: SAddr, values: ["127.0.0.0/8"] }
      matchActions: [{ action: Override, argError: -111 }]
`);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.path}: ${e.reason}`).join('; '));
    const status = runtime.add(parsed.policy);
    console.log(`deny-port on ${os.release()}: ${status.hooks.map((h) => h.how).join('; ')}`);
    try {
      const denied = await connect(myBash, ports[0]!);
      expect(denied.status).not.toBe(0);
      expect(denied.stderr).toMatch(/Connection refused/);
      expect((await connect(myBash, ports[1]!)).stdout).toBe('hello\n'); // other port
      expect((await connect('/usr/bin/bash', ports[0]!)).stdout).toBe('hello\n'); // other binary
      expect(runtime.status('deny-port')!.counters.override).toBeGreaterThanOrEqual(1n);
    } finally {
      runtime.delete('deny-port');
    }
    expect((await connect(myBash, ports[0]!)).stdout).toBe('hello\n');
  });
});
