/**
 * GetUrl and DnsLookup, Tetragon's canary actions, end to end on the real kernel: an fd_install
 * policy (the example open_geturl / open_dnsrequest policies, pointed at local servers) fires
 * when a process opens the watched file, the event says which action, and the collector makes
 * the HTTP request and the DNS query — to a real HTTP server and a real UDP DNS responder on
 * 127.0.0.1. Opening another file does neither.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeKernel } from '@vigil/kernel-probe';
import { parsePolicy } from '@vigil/policy';
import {
  kernelFromProbe,
  PolicyRuntime,
  SYSCALLS_X86_64,
  tracedSyscalls,
  kernelFunctions,
  UserActionRunner,
} from '@vigil/policy-kernel';
import { hostNamespaces } from '@vigil/process-cache';
import { kernelSkipReason, startPipeline } from './harness';

/** A DNS responder answering every A query with 127.0.0.1, recording the names asked. */
function startDns(names: string[]): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, peer) => {
    const labels: string[] = [];
    let p = 12;
    while (q[p]! > 0) {
      labels.push(q.toString('ascii', p + 1, p + 1 + q[p]!));
      p += q[p]! + 1;
    }
    names.push(labels.join('.'));
    const question = q.subarray(12, p + 5);
    const header = Buffer.from(q.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2); // response, recursion available, no error
    header.writeUInt16BE(1, 6); // one answer
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    sock.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => resolve(sock)));
}

describe.skipIf(kernelSkipReason !== undefined)('GetUrl and DnsLookup actions (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-canary-'));
  const canary = path.join(dir, 'canary-token.txt');
  const other = path.join(dir, 'other.txt');
  const requests: string[] = [];
  const names: string[] = [];
  let server: http.Server;
  let dns: dgram.Socket;
  let harness: ReturnType<typeof startPipeline>;
  let runtime: PolicyRuntime;

  beforeAll(async () => {
    fs.writeFileSync(canary, 'bait\n');
    fs.writeFileSync(other, 'plain\n');
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dns = await startDns(names);
    harness = startPipeline({
      userActions: new UserActionRunner({ dnsServers: [`127.0.0.1:${(dns.address() as AddressInfo).port}`] }),
    });
    runtime = new PolicyRuntime({
      kernel: kernelFromProbe(
        await probeKernel(),
        tracedSyscalls(SYSCALLS_X86_64),
        hostNamespaces(),
        kernelFunctions(),
      ),
      shared: harness.pipeline.sharedMaps(),
    });
    harness.pipeline.usePolicies(runtime);
  }, 60_000);
  afterAll(async () => {
    runtime?.close();
    await harness?.close();
    server?.close();
    dns?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opening the watched file makes the HTTP request and the DNS query; another file makes neither', async () => {
    const port = (server.address() as AddressInfo).port;
    const yaml = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: canary }
spec:
  kprobes:
  - call: fd_install
    syscall: false
    args:
    - { index: 0, type: int }
    - { index: 1, type: file }
    selectors:
    - matchArgs:
      - { index: 1, operator: Equal, values: [${JSON.stringify(canary)}] }
      matchActions:
      - { action: GetUrl, argUrl: "http://127.0.0.1:${port}/canary?token=42" }
      - { action: DnsLookup, argFqdn: canary.vigil.test }
`;
    const parsed = parsePolicy(yaml, 'canary.yaml');
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.reason).join('; '));
    const status = runtime.add(parsed.policy);
    console.log(`canary policy on ${os.release()}: ${status.hooks.map((h) => h.mechanism).join(', ')}`);

    expect(spawnSync('/usr/bin/cat', [other]).status).toBe(0);
    const opened = spawnSync('/usr/bin/cat', [canary], { encoding: 'utf8' });
    expect(opened.stdout).toBe('bait\n');

    const ev = await harness.waitFor(
      () => harness.events.find((e) => e.process_kprobe?.process?.pid === opened.pid)?.process_kprobe,
      'the fd_install event of the cat that opened the canary',
    );
    expect(ev).toMatchObject({ function_name: 'fd_install', policy_name: 'canary', action: 'KPROBE_ACTION_GETURL' });
    expect(ev.args?.[1]?.file_arg?.path).toBe(canary);
    // Done = the collector saw the answers (the servers saw the requests a little earlier).
    const done = () => harness.pipeline.stats().userActions;
    await harness.waitFor(() => done().getUrl.done + done().dnsLookup.done === 2, 'the HTTP request and the DNS query');
    expect(requests).toEqual(['/canary?token=42']);
    expect(names).toEqual(['canary.vigil.test']);
    expect(harness.pipeline.stats().userActions).toMatchObject({
      getUrl: { done: 1, failed: 0, dropped: 0 },
      dnsLookup: { done: 1, failed: 0, dropped: 0 },
    });
    runtime.delete('canary');
  });
});
