import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicies, parsePolicy, parsePolicyFile } from '../src';
import { parseAddress, parseGoInt, parseRange, parseRateLimit } from '../src/values';

const policy = (name: string) =>
  `apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: ${name}\nspec:\n  kprobes:\n  - call: sys_openat\n`;

function tmp(name: string, text: string | Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-policy-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('multi-document streams', () => {
  const stream = `${policy('first')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n---\n${policy('second')}`;

  it('parsePolicies returns every policy and skips other objects with a warning', () => {
    const result = parsePolicies(stream, 'stream.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policies.map((p) => p.metadata.name)).toEqual(['first', 'second']);
    expect(result.warnings.map((w) => [w.line, w.column, w.reason])).toEqual([
      [10, 7, 'skipping document 2: kind "ConfigMap" is not a Tetragon tracing policy'],
    ]);
  });

  it('parsePolicy refuses a stream of several policies, pointing at the second', () => {
    const result = parsePolicy(stream, 'stream.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      {
        file: 'stream.yaml',
        line: 13,
        column: 1,
        path: '(document 3)',
        reason: 'the file holds 2 tracing policies; parsePolicy takes exactly one (use parsePolicies)',
        severity: 'error',
      },
    ]);
  });

  it('reports errors of every document in one pass', () => {
    const result = parsePolicies(`${policy('Bad_One')}---\n${policy('bad_two')}`, 's.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.line, e.path])).toEqual([
      [4, 'metadata.name'],
      [12, 'metadata.name'],
    ]);
  });

  it('reports a file without any policy', () => {
    const result = parsePolicy(
      'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\n---\napiVersion: v1\nkind: Service\n',
      'k.yaml',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.reason)).toEqual(['no TracingPolicy or TracingPolicyNamespaced document found']);
  });
});

describe('kind-specific rules', () => {
  it('rejects hostSelector on a TracingPolicyNamespaced', () => {
    const text =
      policy('n')
        .replace('kind: TracingPolicy', 'kind: TracingPolicyNamespaced')
        .replace('  name: n', '  name: n\n  namespace: ns') + '  hostSelector: {}\n';
    const result = parsePolicy(text, 'n.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.reason}`)).toEqual([
      '9:17 spec.hostSelector: TracingPolicyNamespaced must not set hostSelector',
    ]);
  });

  it('accepts hostSelector {} on a TracingPolicy', () => {
    const result = parsePolicy(`${policy('h')}  hostSelector: {}\n`);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.policy.spec.hostSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
  });
});

describe('parsePolicyFile', () => {
  it('reads a file and reports against its path', () => {
    const file = tmp('p.yaml', policy('from-file').replace('sys_openat', '""'));
    const result = parsePolicyFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({
      file,
      line: 7,
      column: 11,
      path: 'spec.kprobes[0].call',
      reason: '"" is not a function name',
    });
  });

  it('reports missing, non-regular and oversized files without throwing', () => {
    const missing = parsePolicyFile('/nonexistent/policy.yaml');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.errors[0]?.reason).toMatch(/^cannot read: ENOENT/);
    const dir = parsePolicyFile(os.tmpdir());
    expect(dir.ok).toBe(false);
    if (!dir.ok) expect(dir.errors[0]?.reason).toBe('not a regular file');
    const big = parsePolicyFile(tmp('big.yaml', Buffer.alloc(2 * 1024 * 1024, 0x61)));
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.errors[0]?.reason).toBe('the file is 2097152 bytes; the limit is 1048576 (1 MiB)');
  });
});

describe('value parsing follows Go strconv', () => {
  it('parses integers with base prefixes and underscores only in base 0', () => {
    expect(parseGoInt('0x1F', true, false)).toBe(31n);
    expect(parseGoInt('0o17', true, false)).toBe(15n);
    expect(parseGoInt('017', true, false)).toBe(15n);
    expect(parseGoInt('0b101', true, false)).toBe(5n);
    expect(parseGoInt('1_000', true, false)).toBe(1000n);
    expect(parseGoInt('-42', true, true)).toBe(-42n);
    expect(parseGoInt('-42', true, false)).toBeUndefined();
    expect(parseGoInt('08', true, false)).toBeUndefined();
    expect(parseGoInt('0x10', false, false)).toBeUndefined();
    expect(parseGoInt('1_000', false, false)).toBeUndefined();
    expect(parseGoInt(' 1', true, false)).toBeUndefined();
    expect(parseGoInt('18446744073709551615', false, false)).toBe(2n ** 64n - 1n);
  });

  it('parses ranges in either order', () => {
    expect(parseRange('10:2', false, false)).toEqual({ min: 2n, max: 10n });
    expect(parseRange('1:2:3', false, false)).toBeUndefined();
  });

  it('parses addresses and CIDRs', () => {
    expect(parseAddress('192.168.0.0/16')).toEqual({ family: 4, address: '192.168.0.0', prefixLength: 16 });
    expect(parseAddress('2001:db8::1')).toEqual({ family: 6, address: '2001:db8::1', prefixLength: 128 });
    expect(parseAddress('10.0.0.0/33')).toBeUndefined();
    expect(parseAddress('010.0.0.1')).toBeUndefined();
    expect(parseAddress('example.com')).toBeUndefined();
  });

  it('parses rate limits to milliseconds, capped like Tetragon', () => {
    expect(parseRateLimit('30')).toBe(30_000);
    expect(parseRateLimit('5m')).toBe(300_000);
    expect(parseRateLimit('2H')).toBe(7_200_000);
    expect(parseRateLimit('4294967295h')).toBe(0xffffffff);
    expect(parseRateLimit('m')).toBeUndefined();
    expect(parseRateLimit('1d')).toBeUndefined();
  });
});
