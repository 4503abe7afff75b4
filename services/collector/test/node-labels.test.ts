import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '@vigil/config';
import { describe, expect, it } from 'vitest';
import { collectorSchema } from '../src/collector.config';
import { parseNodeLabels } from '../src/node-labels';

describe('node labels (node.labels, VIGIL_NODE_LABELS)', () => {
  it('reads k=v,k2=v2 with spaces, prefixed keys and empty values', () => {
    expect(parseNodeLabels(' zone=eu-1 , kubernetes.io/os=linux,role=')).toEqual({
      zone: 'eu-1',
      'kubernetes.io/os': 'linux',
      role: '',
    });
    expect(parseNodeLabels('')).toEqual({});
  });

  it('refuses what Kubernetes would refuse, saying which label and why', () => {
    expect(() => parseNodeLabels('zone')).toThrow('expected k=v items separated by commas, got "zone" (no "=")');
    expect(() => parseNodeLabels('a=1,a=2')).toThrow('label key "a" given twice');
    expect(() => parseNodeLabels('-bad=1')).toThrow(/^label key "-bad": the name must be 1-63 characters/);
    expect(() => parseNodeLabels('Example.COM/x=1')).toThrow(/^label key "Example.COM\/x": the prefix must be a DNS/);
    expect(() => parseNodeLabels(`zone=${'x'.repeat(64)}`)).toThrow(
      /^label "zone": the value "x+" must be empty or 1-63/,
    );
  });

  it('comes from the environment or a file mapping (numbers and booleans as strings), errors with their source', () => {
    const env = { VIGIL_NODE_LABELS: 'zone=eu,gpu=true' };
    expect(loadConfig(collectorSchema, { env }).node.labels).toEqual({ zone: 'eu', gpu: 'true' });
    expect(loadConfig(collectorSchema, { env: {} }).node.labels).toEqual({});

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-labels-'));
    try {
      const file = path.join(dir, 'vigil.yaml');
      fs.writeFileSync(file, 'node:\n  name: n1\n  labels:\n    rack: 12\n    ssd: true\n');
      expect(loadConfig(collectorSchema, { env: {}, file }).node).toEqual({
        name: 'n1',
        labels: { rack: '12', ssd: 'true' },
      });
      fs.writeFileSync(file, 'node:\n  labels: [a, b]\n');
      expect(() => loadConfig(collectorSchema, { env: {}, file })).toThrow(ConfigError);
      expect(() => loadConfig(collectorSchema, { env: {}, file })).toThrow(
        /vigil\.yaml:2:11: node\.labels: expected "k=v,k2=v2" or a mapping of label keys to values, got \["a","b"\]/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(() => loadConfig(collectorSchema, { env: { VIGIL_NODE_LABELS: 'x' } })).toThrow(
      /env VIGIL_NODE_LABELS: node\.labels: expected k=v items/,
    );
  });
});
