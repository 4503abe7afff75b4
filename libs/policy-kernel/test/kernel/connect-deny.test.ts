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
import { ProcessEventSource, type RawHookEvent } from '@vigil/bpf-native';
import { kernelFromProbe, kernelFunctions, tracedSyscalls, PolicyRuntime, SYSCALLS_X86_64 } from '../../src/index';

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
    runtime = new PolicyRuntime({
      kernel: kernelFromProbe(
        await probeKernel(),
        tracedSyscalls(SYSCALLS_X86_64),
        hostNamespaces(),
        kernelFunctions(),
      ),
    });
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

  it('reads a sock argument (tcp_connect) and filters on its peer in the kernel, where kprobes attach', async (ctx) => {
    const report = await probeKernel();
    if (
      report.hookStrategy.kernelFunction.mechanism !== 'kprobe' &&
      report.hookStrategy.kernelFunction.mechanism !== 'fentry'
    ) {
      console.warn(`SKIPPED sock argument test on ${os.release()}: ${report.hookStrategy.kernelFunction.why}`);
      ctx.skip();
    }
    const events: RawHookEvent[] = [];
    const source = ProcessEventSource.open({
      pollIntervalMs: 5,
      onEvents: (b) => events.push(...b.flatMap((e) => (e.kind === 'hook' ? [e] : []))),
    });
    const rt = new PolicyRuntime({
      kernel: kernelFromProbe(report, tracedSyscalls(SYSCALLS_X86_64), hostNamespaces(), kernelFunctions()),
      shared: source.sharedMaps(),
    });
    try {
      const parsed = parsePolicy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: tcp-peer }
spec:
  kprobes:
  - call: tcp_connect
    syscall: false
    args: [{ index: 0, type: sock }]
    selectors:
    - matchArgs:
      - { index: 0, operator: DPort, values: ["${ports[1]}"] }
      - { index: 0, operator: DAddr, values: ["127.0.0.0/8"] }
      - { index: 0, operator: Protocol, values: [IPPROTO_TCP] }
`);
      if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.path}: ${e.reason}`).join('; '));
      rt.add(parsed.policy);
      const other = await connect(myBash, ports[0]!);
      const mine = await connect(myBash, ports[1]!);
      expect([other.stdout, mine.stdout]).toEqual(['hello\n', 'hello\n']);
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.args[0]?.sock?.dport === ports[1]) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const ev = events.find((e) => e.args[0]?.sock?.dport === ports[1]);
      expect(ev?.args[0]?.sock).toMatchObject({ family: 2, protocol: 6, daddr: Buffer.from([127, 0, 0, 1]) });
      expect(events.some((e) => e.args[0]?.sock?.dport === ports[0])).toBe(false); // filtered in the kernel
    } finally {
      rt.close();
      source.close();
    }
  });
});
