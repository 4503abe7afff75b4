import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `vigil run --tracing-policy-dir`: the policies of a folder load at start, a bad one is
// reported with its position and skipped, and policy events show as compact 🔧 lines.
const CLI = path.join(__dirname, '..', '..', 'dist', 'main.js');
const canRunBpf = process.getuid?.() === 0 && fs.existsSync('/sys/fs/bpf');
if (!canRunBpf) console.warn('SKIPPED vigil run --tracing-policy-dir kernel test: needs root and BPF');

describe.skipIf(!canRunBpf)('vigil run --tracing-policy-dir (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-run-policies-'));
  const policies = path.join(dir, 'policies');
  const secret = path.join(dir, 'secret.txt');
  const myCat = path.join(dir, 'cat');
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

  beforeAll(async () => {
    fs.mkdirSync(policies);
    fs.writeFileSync(secret, 'the secret content\n');
    fs.copyFileSync('/usr/bin/cat', myCat);
    fs.chmodSync(myCat, 0o755);
    fs.writeFileSync(
      path.join(policies, 'kill-secret-readers.yaml'),
      `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: kill-secret-readers }
spec:
  kprobes:
  - call: security_file_permission
    syscall: false
    args: [{ index: 0, type: file }, { index: 1, type: int }]
    selectors:
    - matchBinaries: [{ operator: In, values: ["${myCat}"] }]
      matchArgs: [{ index: 0, operator: Equal, values: ["${secret}"] }]
      matchActions: [{ action: Sigkill }]
`,
    );
    fs.writeFileSync(
      path.join(policies, 'broken.yaml'),
      'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: { name: broken }\nspec:\n  kprobes:\n  - call: x\n    args: [{ index: 0, type: inte }]\n',
    );
    child = spawn(process.execPath, [CLI, 'run', '--no-color', '--tracing-policy-dir', policies], {
      env: { ...process.env, VIGIL_EXPORT_FILE: '', VIGIL_HTTP_PORT: '0', VIGIL_DATA_DIR: path.join(dir, 'data') },
    });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes('observing this node'), 'start-up');
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads the good policy, names what is wrong with the bad one, and prints the kill', async () => {
    expect(stderr).toMatch(/policy kill-secret-readers \(enforce\): /);
    expect(stderr).toMatch(
      /broken\.yaml: not loaded:\n\s+\S*broken\.yaml:7:\d+: spec\.kprobes\[0\]\.args\[0\]\.type: unknown arg type "inte"/,
    );
    const killed = spawnSync(myCat, [secret], { encoding: 'utf8' });
    expect(killed.signal).toBe('SIGKILL');
    await waitFor(() => stdout.includes('🔧 kprobe') && stdout.includes(secret), 'the kprobe line');
    const line = stdout.split('\n').find((l) => l.includes('🔧') && l.includes(secret))!;
    expect(line).toContain(myCat);
    expect(line).toMatch(/SIGKILL$/);
    child.kill('SIGINT');
    await waitFor(() => child.exitCode !== null, 'exit');
    expect(stderr).toMatch(/published \([1-9]\d* from policies, \d+ of hooks no longer loaded\)/);
  });
});
