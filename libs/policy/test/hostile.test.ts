import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type PolicyParseResult } from '../src';

const HEAD = 'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: hostile\nspec:\n';

/** Parses, failing the test if it throws or takes longer than `ms`. */
function timed(text: string, ms = 2000): PolicyParseResult {
  const start = performance.now();
  const result = parsePolicy(text, 'hostile.yaml');
  const elapsed = performance.now() - start;
  expect(elapsed, `took ${elapsed.toFixed(0)} ms`).toBeLessThan(ms);
  return result;
}

function reasons(result: PolicyParseResult): string[] {
  return result.ok ? [] : result.errors.map((e) => e.reason);
}

describe('hostile input', () => {
  it('rejects a billion-laughs alias bomb without expanding it', () => {
    let bomb = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 10; i++)
      bomb += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(',')}]\n`;
    const result = timed(`${bomb}${HEAD}  kprobes: *a9\n`);
    expect(result.ok).toBe(false);
    expect(reasons(result)).toContain('unknown field "a0" (known fields: apiVersion, kind, metadata, spec)');
    expect(reasons(result)).toContain('expected a mapping, got a list');
  });

  it('reads a merge-key bomb once per mapping instead of expanding it', () => {
    // Each level merges the previous one ten times: 10^9 mappings if expanded naively.
    let anchors = '  lists:\n  - &m0 { name: x, values: [sys_dup] }\n';
    for (let i = 1; i < 10; i++)
      anchors += `  - &m${i} { <<: [${Array(10)
        .fill(`*m${i - 1}`)
        .join(', ')}] }\n`;
    const result = timed(`${HEAD}${anchors}  kprobes:\n  - { <<: *m9, call: sys_openat }\n`);
    expect(result.ok).toBe(false);
    expect(reasons(result)).toContain(
      'unknown field "name" (known fields: call, syscall, return, returnArg, returnArgAction, data, ignore, args, selectors, message, tags)',
    );
  });

  it('stops alias fan-out across nested lists at the node budget', () => {
    // 1000 hooks x 1000 selectors x 1000 actions through aliases: 10^9 nodes if walked.
    const many = (alias: string) => `[${Array(1000).fill(alias).join(',')}]`;
    const text = `${HEAD}  lists:\n  - &a { action: Post }\n  - &s { matchActions: &as ${many('*a')} }\n  - &k { call: sys_openat, selectors: ${many('*s')} }\n  kprobes: ${many('*k')}\n`;
    const result = timed(text);
    expect(result.ok).toBe(false);
    expect(reasons(result)).toContain(
      'the document expands to more than 100000 nodes through aliases; refusing to expand it further',
    );
  });

  it('reports a mapping that merges itself', () => {
    const result = timed(`${HEAD}  kprobes:\n  - &k { call: sys_openat, <<: *k }\n`);
    expect(reasons(result)).toEqual(['a merge key (<<) refers to the mapping that contains it']);
  });

  it('rejects a 10 MB string before parsing it', () => {
    const result = timed(`${HEAD}  kprobes:\n  - call: "${'x'.repeat(10 * 1024 * 1024)}"\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ line: 1, column: 1, path: '(document)' });
    expect(result.errors[0]?.reason).toMatch(
      /^the policy text is 10485\d+ bytes; the limit is 1048576 \(1 MiB\); refusing to parse$/,
    );
  });

  it('reports an oversized value under the size limit as a plain field error', () => {
    const result = timed(HEAD.replace('name: hostile', `name: ${'a'.repeat(900_000)}`) + '  loader: true\n');
    expect(result.ok).toBe(false);
    expect(reasons(result)).toContain(`name "${'a'.repeat(57)}..." is 900000 characters; at most 253`);
  });

  it('rejects 10,000-deep flow nesting', () => {
    const result = timed(`${HEAD}  kprobes: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({
      line: 6,
      column: 76,
      path: '(document)',
      reason: 'collections nest deeper than 64 levels; refusing to parse',
    });
  });

  it('rejects 10,000-deep block nesting', () => {
    const seqs = timed(`${HEAD}  kprobes:\n  ${'- '.repeat(10_000)}x\n`);
    expect(reasons(seqs)).toEqual(['a line is indented or nested deeper than 256 columns; refusing to parse']);
    const maps = timed(
      HEAD + Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(Math.min(i, 300))}k${i}:`).join('\n'),
    );
    expect(reasons(maps)).toEqual(['a line is indented or nested deeper than 256 columns; refusing to parse']);
  });

  it('rejects deep nesting hidden behind an unbalanced quote', () => {
    const result = timed(`${HEAD}  message: |\n    'unbalanced\n  kprobes: ${'{a: '.repeat(600)}1${'}'.repeat(600)}\n`);
    expect(reasons(result)).toEqual(['brackets nest deeper than 512 levels; refusing to parse']);
  });

  it('rejects documents with too many nodes before the parser sees them', () => {
    const result = timed(
      `${HEAD}  lists:\n  - name: big\n    values: [${Array.from({ length: 30_000 }, (_, i) => `s${i}`).join(',')}]\n`,
    );
    expect(reasons(result)).toEqual([
      'more than 20000 lines and list separators; no tracing policy is this large; refusing to parse',
    ]);
  });

  it('survives binary garbage', () => {
    for (let seed = 0; seed < 20; seed++) {
      const bytes = crypto.createHash('sha512').update(String(seed)).digest();
      const garbage = Buffer.concat(
        Array.from({ length: 200 }, (_, i) => crypto.createHash('sha512').update(bytes).update(String(i)).digest()),
      );
      const result = timed(garbage.toString('latin1'));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
    }
  });

  it('rejects non-string keys and never lets a key reach an object prototype', () => {
    const keys = timed(`${HEAD}  ? [a, b]\n  : c\n  loader: true\n`);
    expect(reasons(keys)).toEqual(['mapping keys must be strings, got a list']);
    const proto = timed(
      `${HEAD.replace('  name: hostile\n', '  name: hostile\n  annotations: { __proto__: x }\n')}  loader: true\n`,
    );
    expect(reasons(proto)).toEqual([
      'key "__proto__": the name part must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
    ]);
    const ok = timed(
      `${HEAD.replace('  name: hostile\n', '  name: hostile\n  labels: { constructor: x, toString: y }\n')}  loader: true\n`,
    );
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(Object.getPrototypeOf(ok.policy.metadata.labels)).toBe(Object.prototype);
    expect(ok.policy.metadata.labels).toEqual({ constructor: 'x', toString: 'y' });
  });

  it('answers empty and comment-only input with an error, not an exception', () => {
    for (const text of ['', '   \n\n', '# just a comment\n', '---\n...\n', '~', '42', '"a string"', '[1, 2]']) {
      const result = timed(text);
      expect(result.ok, JSON.stringify(text)).toBe(false);
      if (!result.ok) expect(result.errors[0]?.line).toBe(1);
    }
  });
});
