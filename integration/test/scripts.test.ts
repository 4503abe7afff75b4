import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const SERVICES = path.join(REPO, 'scripts', 'services');
const SETUP = path.join(REPO, 'scripts', 'setup');

/** Ports away from the defaults, so this runs beside the suite's own services. */
const portsEnv = {
  VIGIL_KAFKA_PORT: '29092',
  VIGIL_KAFKA_CONTROLLER_PORT: '29093',
  VIGIL_CLICKHOUSE_HTTP_PORT: '28123',
  VIGIL_CLICKHOUSE_TCP_PORT: '29000',
};

function sh(cmd: string, args: string[], env: Record<string, string>) {
  return spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
}

function processesMentioning(text: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('scripts/services', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-services-'));
  const env = { ...portsEnv, VIGIL_SERVICES_DIR: dir };
  afterAll(() => {
    sh(SERVICES, ['down'], env);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('brings Kafka and ClickHouse up healthy within 60 s, and down leaves none of its processes', async () => {
    const started = Date.now();
    const up = sh(SERVICES, ['up'], env);
    const seconds = (Date.now() - started) / 1000;
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(seconds).toBeLessThan(60);
    console.log(`scripts/services up: both healthy in ${seconds.toFixed(1)} s`);

    const status = sh(SERVICES, ['status'], env);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('VIGIL_KAFKA_BROKERS=127.0.0.1:29092');
    const ping = await fetch('http://127.0.0.1:28123/ping');
    expect(await ping.text()).toBe('Ok.\n');
    const pids = ['kafka', 'clickhouse'].map((s) => Number(fs.readFileSync(path.join(dir, s, 'pid'), 'utf8')));
    expect(processesMentioning(dir).sort()).toEqual(pids.sort());

    const down = sh(SERVICES, ['down'], env);
    expect(down.status).toBe(0);
    expect(processesMentioning(dir)).toEqual([]);
    expect(sh(SERVICES, ['status'], env).status).toBe(3);
  });

  it('refuses a port that is already in use, with one line naming it and the fix', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(28123, '127.0.0.1', resolve));
    try {
      const up = sh(SERVICES, ['up'], env);
      expect(up.status).toBe(1);
      const lines = up.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /clickhouse cannot start: 127\.0\.0\.1:28123 is already in use by .*node.* — fix: .*VIGIL_CLICKHOUSE_HTTP_PORT=28223/,
      );
      expect(processesMentioning(dir)).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('scripts/setup', () => {
  it('refuses to run without root, in one line', () => {
    const res = sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', SETUP], {});
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      'vigil setup: must run as root (it installs Debian packages) — fix: run it as root: sudo scripts/setup',
    ]);
  });

  it('says in one line that Maven Central is unreachable, and how to fix it', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-setup-'));
    try {
      // An empty local repository and a proxy nobody listens on: Maven must go to the network and cannot.
      const res = sh(SETUP, [], {
        VIGIL_CACHE: cache,
        MAVEN_OPTS: `-Dmaven.repo.local=${cache}/m2 -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=9 -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=9`,
      });
      expect(res.status).toBe(1);
      const lines = res.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^vigil setup: Maven cannot reach Maven Central to fetch org\.apache\.kafka:kafka_2\.13:3\.9\.\d+ — fix: check network access/,
      );
      expect(fs.existsSync(path.join(cache, 'kafka-3.9.1', 'libs'))).toBe(false);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('changes nothing when run again: every step takes its fast path', async () => {
    const before = await run('git', ['status', '--porcelain'], { cwd: REPO });
    const started = Date.now();
    const res = sh(SETUP, [], {});
    const seconds = (Date.now() - started) / 1000;
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\[1\/4\] Debian packages\n\s+ok all present/);
    expect(res.stdout).toMatch(/\[2\/4\] .*\n\s+ok cached in/);
    expect(res.stdout).toMatch(/\[3\/4\] .*\n\s+ok node_modules matches package-lock.json/);
    expect(res.stdout).toMatch(/\[4\/4\] .*\n\s+ok all \d+ builds from cache/);
    expect((await run('git', ['status', '--porcelain'], { cwd: REPO })).stdout).toBe(before.stdout);
    console.log(`scripts/setup rerun: ${seconds.toFixed(1)} s`);
  });
});
