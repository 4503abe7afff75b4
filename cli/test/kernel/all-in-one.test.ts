import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfProgramsOf, bpfProgramsStillLoaded, canRunBpf, CLI, startVigilRun, type VigilRun } from './vigil-run';

// `vigil run` as a user starts it, on the real kernel: one process with the collector, enricher,
// policy engine and exporter (DuckDB). An exec is queryable within seconds; a TracingPolicy made
// through the API with the generated token loads, kills, and goes away again; Ctrl-C stops it all.
if (!canRunBpf) console.warn('SKIPPED vigil run all-in-one kernel test: needs root and BPF');

interface QueryResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(!canRunBpf)('vigil run all-in-one (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-aio-'));
  const dataDir = path.join(dir, 'data');
  // A binary nothing else on the machine runs: its first exec is this test's.
  const unique = path.join(dir, `vigil-aio-true-${process.pid}`);
  const secret = path.join(dir, 'secret.txt');
  const myCat = path.join(dir, 'cat');
  let run: VigilRun;
  let url: string;
  let token: string;

  const query = (args: string[]): Promise<QueryResult> =>
    new Promise((resolve) =>
      execFile(
        process.execPath,
        [CLI, 'query', ...args, '--data-dir', dataDir],
        { encoding: 'utf8' },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const api = (method: string, p: string, init: { body?: string; type?: string; auth?: boolean } = {}) =>
    fetch(`${url}${p}`, {
      method,
      headers: {
        ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }),
        ...(init.type ? { 'content-type': init.type } : {}),
      },
      body: init.body,
    });

  beforeAll(async () => {
    fs.copyFileSync('/usr/bin/true', unique);
    fs.chmodSync(unique, 0o755);
    fs.copyFileSync('/usr/bin/cat', myCat);
    fs.chmodSync(myCat, 0o755);
    fs.writeFileSync(secret, 'the secret content\n');
    run = startVigilRun(['--no-color', '-o', 'none', '--data-dir', dataDir], {
      VIGIL_EXPORT_FILE: '',
      VIGIL_HTTP_PORT: '0',
      VIGIL_POLICY_ENGINE_TOKENS: '',
      VIGIL_POLICY_ENGINE_TOKENS_FILE: '',
    });
    await run.waitFor(() => run.stderr().includes('policy API: '), 'start-up');
    url = JSON.parse(fs.readFileSync(path.join(dataDir, 'run.json'), 'utf8')).url as string;
  });

  afterAll(() => {
    if (run?.child.exitCode === null) run.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints the API and docs URLs, where the generated admin token is (never the token), and how to query', () => {
    const tokenFile = path.join(dataDir, 'admin-token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    token = fs.readFileSync(tokenFile, 'utf8').trim();
    const err = run.stderr();
    expect(err).toContain(`policy API: ${url}/policies, docs: ${url}/docs`);
    expect(err).toContain(`admin token generated in ${tokenFile}`);
    expect(err).toContain(`query: vigil query topBinaries --since 1h --data-dir ${dataDir}`);
    expect(err + run.stdout()).not.toContain(token);
  });

  it('makes an exec of a new binary queryable within seconds, over HTTP and through vigil query', async () => {
    const started = Date.now();
    expect(spawnSync(unique, ['marker']).status).toBe(0);
    const firstSeen = `${url}/exporter/queries/firstSeen?binary=${encodeURIComponent(unique)}`;
    let http: { result: unknown } = { result: null };
    await run.waitFor(async () => {
      http = (await (await fetch(firstSeen)).json()) as typeof http;
      return http.result !== null;
    }, 'the exec in DuckDB');
    // Measured on the HTTP endpoint: each `vigil query` is a Node start of its own.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(http.result).toMatchObject({ binary: unique, executions: 1, namespace: '' });
    const json = await query(['firstSeen', '--binary', unique, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(http.result);
    const table = await query(['topBinaries', '--since', '5m', '--limit', '10000']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${unique.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+1\\s`));
  });

  it('refuses the policy API without the token (401)', async () => {
    const res = await api('GET', '/policies', { auth: false });
    expect(res.status).toBe(401);
  });

  it('loads a TracingPolicy created through the API, enforces it, and lets go after DELETE', async () => {
    const name = `kill-secret-readers-${process.pid}`;
    const yaml = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: ${name} }
spec:
  kprobes:
  - call: security_file_permission
    syscall: false
    args: [{ index: 0, type: file }, { index: 1, type: int }]
    selectors:
    - matchBinaries: [{ operator: In, values: ["${myCat}"] }]
      matchArgs: [{ index: 0, operator: Equal, values: ["${secret}"] }]
      matchActions: [{ action: Sigkill }]
`;
    const created = await api('POST', '/policies', { body: yaml, type: 'application/yaml' });
    expect(created.status).toBe(201);
    let status: { summary?: { loaded: number; failed: number }; nodes?: Array<{ error?: string }> } = {};
    await run.waitFor(async () => {
      status = (await (await api('GET', `/policies/${name}/status`)).json()) as typeof status;
      return (status.summary?.loaded ?? 0) + (status.summary?.failed ?? 0) > 0;
    }, 'the policy status');
    expect(status.summary).toMatchObject({ nodes: 1, loaded: 1, failed: 0 });

    const killed = spawnSync(myCat, [secret], { encoding: 'utf8' });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    // The kill's event is stored like any other: policyHits counts it as enforced. (Waited for
    // before the DELETE: the collector drops hook events of a policy it no longer has.)
    const hits = `${url}/exporter/queries/policyHits?since=5m&policy=${name}`;
    let rows: Array<{ hits: number; enforced: number }> = [];
    await run.waitFor(async () => {
      rows = ((await (await fetch(hits)).json()) as { result: typeof rows }).result;
      return rows.length > 0;
    }, 'the enforcement in DuckDB');
    expect(rows.reduce((n, r) => n + r.enforced, 0)).toBeGreaterThanOrEqual(1);

    expect((await api('DELETE', `/policies/${name}`)).status).toBe(200);
    // The runtime unloads it when PolicySync gets the tombstone: a moment after the answer.
    await run.waitFor(
      () => {
        const read = spawnSync(myCat, [secret], { encoding: 'utf8' });
        return read.status === 0 && read.stdout === 'the secret content\n';
      },
      'the policy to let go',
      10_000,
    );
    expect((await api('GET', `/policies/${name}`)).status).toBe(404);
  });

  it('stops everything on SIGINT: exit 0, a summary with what was stored, none of its BPF programs left, run.json gone', async () => {
    const held = bpfProgramsOf(run.child.pid!);
    expect(held.length).toBeGreaterThan(0);
    run.child.kill('SIGINT');
    expect(await run.exited()).toBe(0);
    expect(run.stderr()).toMatch(
      /stopped: \d+ kernel events, \d+ published \([1-9]\d* from policies, \d+ of hooks no longer loaded\).*; stored [1-9]\d* events, 0 dead-lettered/,
    );
    expect(bpfProgramsStillLoaded(held)).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'run.json'))).toBe(false);
  });
});
