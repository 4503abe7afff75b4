/**
 * The collector's Tetragon API on the real kernel, driven by a client built from TETRAGON's
 * descriptor (shared/tetragon-api), as `tetra` or a Go client would: GetEvents of real processes
 * with allow/deny filters, AddTracingPolicy of a policy that kills, ListTracingPolicies with its
 * kernel state, ConfigureTracingPolicy (monitor mode, disable), DeleteTracingPolicy, and a policy
 * of vigil.policies refused (the policy engine owns it).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus } from '@vigil/bus';
import { RpcStatus } from '@vigil/rpc';
import { tetragonClient, type TetragonClient } from '@vigil/rpc/dist/testing/tetragon-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorModule } from '../../src';
import { kernelSkipReason } from './harness';

const TETRAGON_API =
  process.env['VIGIL_TETRAGON_API'] ?? path.resolve(__dirname, '../../../../../shared/tetragon-api/tetragon-api.json');

// Only the repository is shared with the kernel-matrix VMs: there, this file skips (its subject is
// the API, which the host's kernel lane covers; the kernel side is covered by tracing-policy.test.ts).
const noDescriptor = readable(TETRAGON_API) ? undefined : `Tetragon's descriptor ${TETRAGON_API} is not readable here`;
if (noDescriptor) console.warn(`SKIPPED collector Tetragon gRPC kernel test: ${noDescriptor}`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Decoded = Record<string, any>;

function readable(file: string): boolean {
  try {
    fs.readFileSync(file);
    return true;
  } catch {
    return false;
  }
}

function run(
  argv: string[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; pid: number; stdout: string }> {
  const child = spawn(argv[0]!, argv.slice(1));
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, pid: child.pid!, stdout })),
  );
}

async function until(what: () => boolean, label: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(kernelSkipReason !== undefined || noDescriptor !== undefined)(
  "collector: Tetragon's gRPC API (real kernel, Tetragon's client)",
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-grpc-'));
    const socket = `unix://${path.join(dir, 'vigil.sock')}`;
    const secret = path.join(dir, 'secret.txt');
    const myCat = path.join(dir, 'cat');
    let app: INestApplication;
    let client: TetragonClient;

    beforeAll(async () => {
      fs.writeFileSync(secret, 'the secret\n');
      fs.copyFileSync('/usr/bin/cat', myCat);
      fs.chmodSync(myCat, 0o755);
      app = await NestFactory.create(
        CollectorModule.register({
          bus: new InProcessBus(),
          load: { env: { VIGIL_NODE_NAME: 'grpc-node', VIGIL_GRPC_ADDRESS: socket, VIGIL_EXPORT_FILE: '' } },
        }),
        { logger: false, abortOnError: false },
      );
      await app.listen(0, '127.0.0.1');
      client = tetragonClient(TETRAGON_API, socket);
    }, 60_000);

    afterAll(async () => {
      client?.close();
      await app?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('GetEvents streams real exec and exit events, filtered by binary (allow) and arguments (deny)', async () => {
      const stream = client.getEvents({
        allow_list: [
          { binary_regex: [`^${myCat.replace(/[.]/g, '\\.')}$`], event_set: ['PROCESS_EXEC', 'PROCESS_EXIT'] },
        ],
        deny_list: [{ arguments_regex: ['skip-me'] }],
      });
      const events: Decoded[] = [];
      stream.on('data', (e: Decoded) => events.push(e));
      stream.on('error', (e: { code: number }) => {
        if (e.code !== RpcStatus.CANCELLED) throw e;
      });
      // Live stream: run until the server has the subscription and shows the first run.
      let shown: number | undefined;
      await until(
        () => {
          if (shown === undefined) void run([myCat, secret, 'warm-up']);
          shown = events.length > 0 ? events.length : undefined;
          return shown !== undefined;
        },
        () => 'the stream to show a warm-up run',
      );
      events.length = 0;
      const kept = await run([myCat, secret]);
      const skipped = await run([myCat, secret, 'skip-me']);
      await run(['/usr/bin/cat', secret]);
      await until(
        () => events.some((e) => e['process_exit']?.process?.pid?.value === kept.pid),
        () => `the exit of ${kept.pid} (got ${JSON.stringify(events.map((e) => Object.keys(e)))})`,
      );
      await new Promise((r) => setTimeout(r, 300));
      stream.cancel();
      const pids = events.map((e) => (e['process_exec'] ?? e['process_exit']).process.pid.value);
      expect(pids).toContain(kept.pid);
      expect(pids).not.toContain(skipped.pid);
      const exec = events.find((e) => e['process_exec']?.process?.pid?.value === kept.pid)!['process_exec'];
      expect(exec.process).toMatchObject({ binary: myCat, arguments: secret, uid: { value: 0 } });
      expect(exec.process.exec_id).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(exec.process.start_time.seconds).toMatch(/^\d+$/);
      expect(exec.parent.pid.value).toBe(process.pid);
      const exit = events.find((e) => e['process_exit']?.process?.pid?.value === kept.pid)!;
      expect(exit['node_name']).toBe('grpc-node');
      expect(exit['process_exit'].process.exec_id).toBe(exec.process.exec_id);
    });

    it('AddTracingPolicy loads a policy that kills; List shows it; Configure to monitor and disable; Delete restores', async () => {
      const yaml = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: grpc-block-cat
spec:
  kprobes:
  - call: "security_file_permission"
    syscall: false
    return: true
    args:
    - index: 0
      type: "file"
    - index: 1
      type: "int"
    returnArg:
      index: 0
      type: "int"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["${myCat}"]
      matchArgs:
      - index: 0
        operator: "Equal"
        values: ["${secret}"]
      matchActions:
      - action: Sigkill
`;
      expect(await client.unary('AddTracingPolicy', { yaml })).toEqual({});
      await expect(client.unary('AddTracingPolicy', { yaml })).rejects.toMatchObject({
        code: RpcStatus.ALREADY_EXISTS,
      });
      const [policy] = (await client.unary('ListTracingPolicies'))['policies'] as Decoded[];
      expect(policy).toMatchObject({
        name: 'grpc-block-cat',
        state: 'TP_STATE_ENABLED',
        mode: 'TP_MODE_ENFORCE',
        enabled: true,
      });
      expect(Number(policy!['kernel_memory_bytes'])).toBeGreaterThan(0);
      expect(policy!['hook_statuses'][0]).toMatchObject({ state: 'STATUS_LOADED' });

      const killed = await run([myCat, secret]);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.stdout).toBe('');

      await client.unary('ConfigureTracingPolicy', { name: 'grpc-block-cat', mode: 'TP_MODE_MONITOR' });
      const monitored = await run([myCat, secret]);
      expect(monitored).toMatchObject({ code: 0, stdout: 'the secret\n' });
      const listed = ((await client.unary('ListTracingPolicies'))['policies'] as Decoded[])[0]!;
      expect(listed['mode']).toBe('TP_MODE_MONITOR');
      expect(Number(listed['stats']['action_counters']['signal'])).toBeGreaterThanOrEqual(1);

      await client.unary('ConfigureTracingPolicy', { name: 'grpc-block-cat', mode: 'TP_MODE_ENFORCE' });
      await client.unary('DisableTracingPolicy', { name: 'grpc-block-cat' });
      expect(((await client.unary('ListTracingPolicies'))['policies'] as Decoded[])[0]).toMatchObject({
        state: 'TP_STATE_DISABLED',
      });
      expect(await run([myCat, secret])).toMatchObject({ code: 0 });
      await client.unary('EnableTracingPolicy', { name: 'grpc-block-cat' });
      expect((await run([myCat, secret])).signal).toBe('SIGKILL');

      await client.unary('DeleteTracingPolicy', { name: 'grpc-block-cat' });
      expect((await client.unary('ListTracingPolicies'))['policies'] ?? []).toEqual([]);
      expect(await run([myCat, secret])).toMatchObject({ code: 0, stdout: 'the secret\n' });
      await expect(client.unary('DeleteTracingPolicy', { name: 'grpc-block-cat' })).rejects.toMatchObject({
        code: RpcStatus.NOT_FOUND,
      });
    });

    it('refuses a policy that does not parse with INVALID_ARGUMENT naming line and column, loading nothing', async () => {
      const bad =
        'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: broken\nspec:\n  kprobes:\n  - call: "x"\n    args:\n    - index: 0\n      type: "nonsense"\n';
      await expect(client.unary('AddTracingPolicy', { yaml: bad })).rejects.toMatchObject({
        code: RpcStatus.INVALID_ARGUMENT,
        details: expect.stringMatching(/^AddTracingPolicy\.yaml:10:\d+: /m),
      });
      expect((await client.unary('ListTracingPolicies'))['policies'] ?? []).toEqual([]);
    });
  },
);
