/**
 * The collector's GET /metrics on the real kernel: CollectorModule as `vigil run` composes it (an
 * in-process bus), a policy from collector.policyDir, the JSON export and the gRPC API on a Unix
 * socket. Running processes moves the event, kernel, cache, export, policy and gRPC metrics; a
 * second collector with the smallest ring buffer under an exec flood moves the kernel-side drops.
 */
import 'reflect-metadata';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic } from '@vigil/bus';
import { getEvents, sensorsClient } from '@vigil/rpc';
import { sampleValue } from '@vigil/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorModule } from '../../src';
import { kernelSkipReason } from './harness';

// Under emulation (the kernel-matrix VMs) its floods take minutes and starve the other kernel
// tests; what it checks is the metrics plumbing, and the kernel paths behind each counter are the
// same code the VMs' other kernel tests run. The host's kernel lane runs it.
const inVm = process.env['VIGIL_VM'] === '1';
if (inVm)
  console.warn('SKIPPED collector /metrics kernel test in the VM: floods too slow under emulation (host lane runs it)');

describe.skipIf(kernelSkipReason !== undefined || inVm)('collector /metrics (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-metrics-'));
  const canary = path.join(dir, 'canary.txt');
  const requests: string[] = [];
  let server: http.Server;
  const apps: INestApplication[] = [];

  async function start(env: Record<string, string>): Promise<{ app: INestApplication; scrape: () => Promise<string> }> {
    const app = await NestFactory.create(
      CollectorModule.register({
        bus: new InProcessBus(),
        load: { env: { VIGIL_NODE_NAME: 'metrics-node', VIGIL_GRPC_ADDRESS: '', ...env } },
      }),
      { logger: false, abortOnError: false },
    );
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    return { app, scrape: async () => (await fetch(`${url}/metrics`)).text() };
  }

  async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    fs.writeFileSync(canary, 'bait\n');
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('processes and a policy move the event, kernel, cache, export, policy, user-action and gRPC metrics', async () => {
    const policyDir = path.join(dir, 'policies');
    fs.mkdirSync(policyDir);
    const port = (server.address() as AddressInfo).port;
    fs.writeFileSync(
      path.join(policyDir, 'canary.yaml'),
      `apiVersion: cilium.io/v1alpha1
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
      - { action: GetUrl, argUrl: "http://127.0.0.1:${port}/canary" }
`,
    );
    const socket = path.join(dir, 'vigil.sock');
    const { scrape } = await start({
      VIGIL_POLICY_DIR: policyDir,
      VIGIL_EXPORT_FILE: path.join(dir, 'events.log'),
      VIGIL_GRPC_ADDRESS: `unix://${socket}`,
    });
    let text = await scrape();
    expect(sampleValue(text, 'vigil_collector_processes_seeded')).toBeGreaterThan(0);
    expect(sampleValue(text, 'vigil_collector_policy_info', { policy: 'canary', state: 'enabled' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_policies', { state: 'enabled' })).toBe(1);
    expect(sampleValue(text, 'vigil_collector_policy_kernel_memory_bytes', { policy: 'canary' })).toBeGreaterThan(0);
    const execsBefore = sampleValue(text, 'vigil_collector_events_total', { type: 'exec' });

    const client = sensorsClient(`unix://${socket}`);
    const abort = new AbortController();
    try {
      const stream = getEvents(client, {}, abort.signal)[Symbol.asyncIterator]();
      const first = stream.next();
      await until(
        'the gRPC stream open',
        async () => sampleValue(await scrape(), 'vigil_collector_grpc_streams_open') === 1,
      );

      const opened = spawnSync('/usr/bin/cat', [canary], { encoding: 'utf8' });
      expect(opened.stdout).toBe('bait\n');
      await until('the canary policy’s event and its GetUrl', async () => {
        const t = await scrape();
        return (
          sampleValue(t, 'vigil_collector_events_total', { type: 'kprobe', policy: 'canary' }) >= 1 &&
          sampleValue(t, 'vigil_collector_user_actions_total', { action: 'GetUrl', result: 'done' }) >= 1
        );
      });
      await first;
      text = await scrape();
      expect(requests).toContain('/canary');
      expect(sampleValue(text, 'vigil_collector_events_total', { type: 'exec' })).toBeGreaterThan(execsBefore);
      expect(sampleValue(text, 'vigil_collector_events_total', { type: 'exit' })).toBeGreaterThan(0);
      const counter = (name: string) =>
        sampleValue(text, 'vigil_collector_policy_hook_counts_total', { policy: 'canary', counter: name });
      expect(counter('calls')).toBeGreaterThanOrEqual(1);
      expect(counter('matched')).toBeGreaterThanOrEqual(1);
      expect(counter('posted')).toBeGreaterThanOrEqual(1);
      expect(sampleValue(text, 'vigil_collector_event_latency_seconds_count', { type: 'exec' })).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_event_latency_seconds_count', { type: 'kprobe' })).toBeGreaterThan(0);
      // Kernel to output within a second (the reader polls every 20 ms below 64 KiB).
      expect(
        sampleValue(text, 'vigil_collector_event_latency_seconds_bucket', { type: 'exec', le: '1' }) /
          sampleValue(text, 'vigil_collector_event_latency_seconds_count', { type: 'exec' }),
      ).toBeGreaterThan(0.9);
      expect(sampleValue(text, 'vigil_collector_kernel_events_received_total')).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_kernel_batches_total')).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_kernel_events_lost_total')).toBe(0);
      expect(sampleValue(text, 'vigil_collector_userspace_dropped_total')).toBe(0);
      expect(sampleValue(text, 'vigil_collector_process_cache_size')).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_process_cache_lookups_total', { result: 'hit' })).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_events_published_total')).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_bus_published_total', { topic: Topic.eventsRaw })).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_export_events_written_total')).toBeGreaterThan(0);
      expect(sampleValue(text, 'vigil_collector_grpc_streams_opened_total')).toBe(1);
      expect(sampleValue(text, 'vigil_collector_grpc_events_sent_total')).toBeGreaterThan(0);
    } finally {
      abort.abort();
      client.close();
    }
  }, 120_000);

  it('counts records the kernel could not put in a full ring buffer, by kind', async () => {
    // The smallest ring buffer (4 KiB) and a reader that wakes every 20 ms: a flood overflows it.
    const { scrape } = await start({ VIGIL_RING_BUFFER_SIZE: '4096' });
    const cpus = Math.max(2, os.availableParallelism());
    const flood = () =>
      Promise.all(
        Array.from({ length: 2 * cpus }, () => {
          const p = spawn('/bin/sh', ['-c', 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done'], {
            stdio: 'ignore',
          });
          return new Promise((resolve) => p.on('exit', resolve));
        }),
      );
    // Whether a burst overflows 4 KiB before the reader's next wake-up is up to the scheduler:
    // flood until it did (the first round nearly always does).
    const lost = async () => sampleValue(await scrape(), 'vigil_collector_kernel_events_lost_total');
    for (let round = 0; round < 10 && (await lost()) === 0; round++) {
      await flood();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await lost()).toBeGreaterThan(0);
    const text = await scrape();
    expect(
      sampleValue(text, 'vigil_collector_kernel_events_lost_total', { kind: 'exec' }) +
        sampleValue(text, 'vigil_collector_kernel_events_lost_total', { kind: 'exit' }),
    ).toBeGreaterThan(0);
  }, 120_000);
});
