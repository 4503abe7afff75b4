import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = path.join(__dirname, '..', 'dist', 'main.js');

function vigil(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('vigil CLI', () => {
  it('prints its version as JSON for scripts', () => {
    const res = vigil(['version', '-o', 'json']);
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ vigil: '0.1.0', node: process.versions.node, kernel: os.release() });
  });

  it('shows the effective configuration with environment overrides and secrets masked', () => {
    const res = vigil(['config', 'show'], { VIGIL_NODE_NAME: 'n1', VIGIL_CLICKHOUSE_PASSWORD: 'hunter2' });
    expect(res.status).toBe(0);
    const shown = JSON.parse(res.stdout);
    expect(shown.node.name).toBe('n1');
    expect(shown.clickhouse.password).toBe('***');
  });

  it('exits 3 with the precise problem on a bad configuration value', () => {
    const res = vigil(['config', 'show'], { VIGIL_KAFKA_BROKERS: 'nohostport' });
    expect(res.status).toBe(3);
    expect(res.stderr).toContain('env VIGIL_KAFKA_BROKERS: kafka.brokers: expected host:port, got "nohostport"');
  });

  it('exits 2 on an unknown command', () => {
    const res = vigil(['frobnicate']);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("unknown command 'frobnicate'");
  });
});
