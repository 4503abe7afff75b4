import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseSchema, ConfigError, describeSchema, field, loadConfig } from '../src';

const schema = {
  ...baseSchema,
  spool: {
    maxBytes: field.bytes({ env: 'VIGIL_SPOOL_MAX', default: 1024, min: 1, doc: 'spool bound' }),
    ring: field.bytes({ env: 'VIGIL_RING', default: 4096, powerOfTwo: true, doc: 'ring size' }),
    enabled: field.bool({ env: 'VIGIL_SPOOL_ENABLED', default: true, doc: 'spool on' }),
    file: field.string({ env: 'VIGIL_SPOOL_FILE', default: '/var/spool/x', doc: 'empty disables' }),
  },
};

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-config-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns typed defaults when nothing is set', () => {
    const cfg = loadConfig(schema, { env: {} });
    expect(cfg.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(cfg.spool.maxBytes).toBe(1024);
    expect(cfg.log.level).toBe('info');
  });

  it('layers file under environment', () => {
    const file = tmpFile(
      'vigil.yaml',
      'kafka:\n  brokers: ["k1:9092", "k2:9092"]\nspool:\n  maxBytes: 64MiB\nlog:\n  level: debug\n',
    );
    const cfg = loadConfig(schema, { env: { VIGIL_LOG_LEVEL: 'warn' }, file });
    expect(cfg.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(cfg.spool.maxBytes).toBe(64 * 1024 * 1024);
    expect(cfg.log.level).toBe('warn');
  });

  it('takes an empty variable as a value for a string field (turning it off), as unset for the others', () => {
    const cfg = loadConfig(schema, { env: { VIGIL_SPOOL_FILE: '', VIGIL_SPOOL_MAX: '', VIGIL_SPOOL_ENABLED: '' } });
    expect(cfg.spool.file).toBe('');
    expect(cfg.spool.maxBytes).toBe(1024);
    expect(cfg.spool.enabled).toBe(true);
  });

  it('reads the file named by VIGIL_CONFIG, JSON included', () => {
    const file = tmpFile('vigil.json', JSON.stringify({ spool: { enabled: false } }));
    expect(loadConfig(schema, { env: { VIGIL_CONFIG: file } }).spool.enabled).toBe(false);
  });

  it('names the env var and the reason for a bad environment value', () => {
    const problems = problemsOf(() =>
      loadConfig(schema, { env: { VIGIL_KAFKA_BROKERS: 'localhost', VIGIL_HTTP_PORT: '70000' } }),
    );
    expect(problems).toEqual([
      { path: 'kafka.brokers', source: 'env VIGIL_KAFKA_BROKERS', reason: 'expected host:port, got "localhost"' },
      { path: 'http.port', source: 'env VIGIL_HTTP_PORT', reason: 'expected an integer in [0, 65535], got 70000' },
    ]);
  });

  it('names file, line, column and field path for a bad file value', () => {
    const file = tmpFile('bad.yaml', 'log:\n  level: loud\nspool:\n  maxBytes: lots\n');
    const problems = problemsOf(() => loadConfig(schema, { env: {}, file }));
    expect(problems).toEqual([
      { path: 'log.level', source: `${file}:2:10`, reason: 'expected one of error, warn, info, debug, got "loud"' },
      {
        path: 'spool.maxBytes',
        source: `${file}:4:13`,
        reason: 'expected a size such as 1048576, "512KiB" or "64MiB", got "lots"',
      },
    ]);
  });

  it('checks sizes that must be powers of two', () => {
    expect(loadConfig(schema, { env: { VIGIL_RING: '8MiB' } }).spool.ring).toBe(8 * 1024 * 1024);
    expect(problemsOf(() => loadConfig(schema, { env: { VIGIL_RING: '3MiB' } }))).toEqual([
      {
        path: 'spool.ring',
        source: 'env VIGIL_RING',
        reason: 'expected a power of two (e.g. "16MiB"), got "3MiB" = 3145728 bytes',
      },
    ]);
  });

  it('rejects unknown keys so typos do not pass silently', () => {
    const file = tmpFile('typo.yaml', 'kafka:\n  broker: x:1\n');
    const [problem] = problemsOf(() => loadConfig(schema, { env: {}, file }));
    expect(problem?.path).toBe('kafka.broker');
    expect(problem?.source).toBe(`${file}:2:3`);
    expect(problem?.reason).toMatch(/unknown key.*brokers/);
  });

  it('reports YAML syntax errors with their position', () => {
    const file = tmpFile('syntax.yaml', 'kafka:\n  brokers: [a:1\n');
    const [problem] = problemsOf(() => loadConfig(schema, { env: {}, file }));
    expect(problem?.path).toBe('(syntax)');
    expect(problem?.source).toMatch(new RegExp(`^${file}:\\d+:\\d+$`));
  });

  it('reports a missing file', () => {
    const [problem] = problemsOf(() => loadConfig(schema, { env: {}, file: '/nonexistent/vigil.yaml' }));
    expect(problem?.reason).toMatch(/cannot read: ENOENT/);
  });

  it('lists every field for documentation', () => {
    const rows = describeSchema(schema);
    expect(rows.find((r) => r.path === 'kafka.brokers')).toMatchObject({
      env: 'VIGIL_KAFKA_BROKERS',
      kind: 'host:port list',
    });
    expect(rows).toHaveLength(14);
  });
});
