import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunBpf, CLI, startVigilRun, type VigilRun } from './vigil-run';

if (!canRunBpf) console.warn('SKIPPED vigil getevents kernel test: needs root and BPF (run as root on Linux)');

/** `vigil getevents` as a user runs it, its stdout collected. */
function getevents(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [CLI, 'getevents', ...args]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

/** Waits for `what`; the label is built when giving up, so it shows the state at that moment. */
async function until(what: () => boolean, label: string | (() => string), ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof label === 'string' ? label : label()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(!canRunBpf)(
  'vigil getevents -o compact against this node and the fleet (vigil run, real kernel)',
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-getevents-'));
    const dataDir = path.join(dir, 'data');
    let run: VigilRun;
    const server = http.createServer((_req, res) => res.end('ok\n'));
    let port = 0;

    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
      run = startVigilRun(['-o', 'json'], { VIGIL_EXPORT_FILE: '', VIGIL_HTTP_PORT: '0', VIGIL_DATA_DIR: dataDir });
      await run.waitFor(() => run.stderr().includes('observing this node'), 'start-up', 60_000);
    }, 90_000);

    afterAll(async () => {
      run.child.kill('SIGINT');
      await run.exited();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('shows bash -c "curl …; cat /etc/passwd" as readable lines with ancestry, from both APIs', async () => {
      const filters = ['--processes', '^/usr/bin/(bash|curl|cat)$', '--data-dir', dataDir, '--color', 'never'];
      const node = getevents(['-o', 'compact', ...filters]);
      const fleet = getevents(['-o', 'compact', '--fleet', ...filters]);
      const marker = `vigil-getevents-${process.pid}`;
      // The streams are live: run a harmless bash until both show it, so both are subscribed.
      await until(
        () => {
          spawn('/usr/bin/bash', ['-c', `: warm-up ${marker}`]);
          return [node, fleet].every((s) => s.out().includes(`warm-up ${marker}`));
        },
        () => `both streams subscribed (node: ${node.err()}, fleet: ${fleet.err()})`,
        30_000,
      );
      const script = `curl -s -m 10 http://127.0.0.1:${port}/${marker}; cat /etc/passwd`;
      // Asynchronously: the HTTP server curl talks to runs in this process.
      const shell = spawn('/usr/bin/bash', ['-c', script]);
      let stdout = '';
      shell.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      expect(await new Promise((r) => shell.once('exit', r))).toBe(0);
      expect(stdout).toContain('root:x:0:0');
      const bash = shell.pid!;

      const expected = [
        new RegExp(
          `^🚀 process \\S+ /usr/bin/bash -c "curl -s -m 10 http://127\\.0\\.0\\.1:${port}/${marker}; cat /etc/passwd" ⇠ node\\(${process.pid}\\)`,
          'm',
        ),
        new RegExp(
          `^🚀 process \\S+ /usr/bin/curl -s -m 10 http://127\\.0\\.0\\.1:${port}/${marker} ⇠ bash\\(${bash}\\)`,
          'm',
        ),
        // bash runs the last command of -c in its own process: cat may replace bash (same pid, bash's parent).
        new RegExp(`^🚀 process \\S+ /usr/bin/cat /etc/passwd ⇠ (bash\\(${bash}\\)|node\\(${process.pid}\\))`, 'm'),
        new RegExp(
          `^💥 exit    \\S+ /usr/bin/curl -s -m 10 http://127\\.0\\.0\\.1:${port}/${marker} 0 ⇠ bash\\(${bash}\\)`,
          'm',
        ),
        new RegExp(`^💥 exit    \\S+ /usr/bin/cat /etc/passwd 0 ⇠ `, 'm'),
      ];
      for (const [name, stream] of [
        ['node', node],
        ['fleet', fleet],
      ] as const) {
        await until(
          () => expected.every((re) => re.test(stream.out())),
          () => `${name}: every line (got:\n${stream.out()}\n${stream.err()})`,
        );
      }
      for (const { child } of [node, fleet]) child.kill('SIGINT');
      const codes = await Promise.all([node, fleet].map(({ child }) => new Promise((r) => child.once('exit', r))));
      expect(codes).toEqual([0, 0]);
      console.log(
        `vigil getevents -o compact (this node):\n${node
          .out()
          .split('\n')
          .filter((l) => l.includes(marker) || l.includes('/etc/passwd'))
          .join('\n')}`,
      );
    }, 60_000);

    it('--since prints the stored run and exits; with -f it goes on live without repeating the seam', async () => {
      const marker = `vigil-since-${process.pid}`;
      const first = spawn('/usr/bin/bash', ['-c', `: stored ${marker}`]);
      await new Promise((r) => first.once('exit', r));
      const args = ['-o', 'compact', '--processes', '^/usr/bin/bash$', '--data-dir', dataDir, '--color', 'never'];
      // Stored within a second or two (the all-in-one's exporter batches into DuckDB).
      let stored = '';
      await until(
        () => {
          const res = spawnSync(process.execPath, [CLI, 'getevents', ...args, '--since', '5m'], { encoding: 'utf8' });
          expect(res.status, res.stderr).toBe(0);
          stored = res.stdout;
          return new RegExp(`^💥 exit    \\S+ /usr/bin/bash -c ": stored ${marker}"`, 'm').test(stored);
        },
        () => `the stored run (got:\n${stored})`,
      );
      expect(stored).toMatch(new RegExp(`^🚀 process \\S+ /usr/bin/bash -c ": stored ${marker}"`, 'm'));

      const follow = getevents([...args, '--since', '5m', '-f']);
      await until(
        () => follow.out().includes(`: stored ${marker}`),
        () => `the stored run first (got:\n${follow.out()}${follow.err()})`,
      );
      await until(
        () => {
          spawn('/usr/bin/bash', ['-c', `: live ${marker}`]);
          return follow.out().includes(`: live ${marker}`);
        },
        () => `a live run after it (got:\n${follow.out()}${follow.err()})`,
        30_000,
      );
      follow.child.kill('SIGINT');
      expect(await new Promise((r) => follow.child.once('exit', r))).toBe(0);
      const lines = follow.out().split('\n');
      const storedExec = lines.filter((l) => l.startsWith('🚀') && l.includes(`: stored ${marker}`));
      expect(storedExec).toHaveLength(1);
      expect(lines.findIndex((l) => l.includes(`: live ${marker}`))).toBeGreaterThan(lines.indexOf(storedExec[0]!));
    }, 90_000);

    it('refuses a bad filter before connecting, naming it, with exit code 2', () => {
      const res = spawnSync(process.execPath, [CLI, 'getevents', '--processes', '(', '--data-dir', dataDir], {
        encoding: 'utf8',
      });
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/binary_regex\[0\]: invalid regular expression/);
    });

    it('exits 4 when nothing answers at the address', () => {
      const res = spawnSync(
        process.execPath,
        [CLI, 'getevents', '--server-address', `unix://${path.join(dir, 'nobody.sock')}`],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(res.stderr).toMatch(/nothing answers at unix:/);
      expect(res.status).toBe(4);
    });
  },
);
