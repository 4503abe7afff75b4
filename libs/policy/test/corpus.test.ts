import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parsePolicy, policyHooks, type TracingPolicy } from '../src';
import { CORPUS_DIR, corpusFiles } from './helpers';

function load(relative: string): TracingPolicy {
  const file = path.join(CORPUS_DIR, relative);
  const result = parsePolicy(fs.readFileSync(file, 'utf8'), relative);
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.policy;
}

describe('Tetragon example policies', () => {
  it('every YAML file of the corpus parses', () => {
    const files = corpusFiles();
    const failures = files.flatMap((file) => {
      const result = parsePolicy(fs.readFileSync(file, 'utf8'), path.relative(CORPUS_DIR, file));
      return result.ok ? [] : result.errors.map(formatDiagnostic);
    });
    expect(failures).toEqual([]);
    // The corpus is the 80-odd examples shipped with Tetragon (plus _extra); a much smaller count means a bad copy.
    expect(files.length).toBeGreaterThan(50);
  });

  it('reads a multi-document file (Pod + policy) as the policy, skipping the Pod with a warning', () => {
    const file = path.join(CORPUS_DIR, '_extra/other/file-block-kubectl-exec-access.yaml');
    const result = parsePolicy(fs.readFileSync(file, 'utf8'), 'file-block-kubectl-exec-access.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => w.reason)).toContain(
      'skipping document 1: kind "Pod" is not a Tetragon tracing policy',
    );
    const policy = result.policy;
    expect(policy.metadata.name).toBe('enforce-security');
    expect(policy.spec.podSelector).toEqual({ matchLabels: { app: 'bigsecret' }, matchExpressions: [] });
    const selector = policy.spec.kprobes[0]?.selectors[0];
    expect(selector?.matchPIDs).toEqual([{ operator: 'NotIn', values: [1], followForks: true, isNamespacePID: true }]);
    expect(selector?.matchActions).toEqual([{ action: 'Override', argError: -1, argRegs: [] }, { action: 'Sigkill' }]);
  });

  it('types CIDR values of NotDAddr on a sock argument', () => {
    const policy = load('tcp-connect-only-private-addrs.yaml');
    expect(policyHooks(policy)).toHaveLength(1);
    const filter = policy.spec.kprobes[0]?.selectors[0]?.matchArgs[0];
    expect(filter?.operator).toBe('NotDAddr');
    expect(filter?.argType).toBe('sock');
    expect(filter?.values[0]).toEqual({
      kind: 'cidr',
      family: 4,
      address: '10.0.0.0',
      prefixLength: 8,
      raw: '10.0.0.0/8',
    });
  });

  it('resolves a list reference and the enforcer of killer.yaml', () => {
    const policy = load('killer.yaml');
    expect(policy.spec.lists).toEqual([
      { name: 'dups', type: 'syscalls', values: ['sys_dup', 'sys_dup2', '__ia32_sys_dup'], validated: false },
    ]);
    expect(policy.spec.enforcers).toEqual([{ calls: [{ kind: 'list', name: 'dups' }] }]);
    const tp = policy.spec.tracepoints[0];
    expect(tp?.kind).toBe('tracepoint');
    expect(tp?.args[0]).toMatchObject({ index: 4, type: 'syscall64' });
    const selector = tp?.selectors[0];
    // The filter's index 0 is a position in the tracepoint's args list (the syscall64 at format field 4).
    expect(selector?.matchArgs[0]).toMatchObject({
      operator: 'InMap',
      argPosition: 0,
      argType: 'syscall64',
      values: [{ kind: 'list', list: 'dups', raw: 'list:dups' }],
    });
    expect(selector?.matchActions).toEqual([{ action: 'NotifyEnforcer', argError: -1, argSig: 9 }]);
  });

  it('canonicalizes operators and types numeric filter values (openat_write.yaml)', () => {
    const hook = load('openat_write.yaml').spec.kprobes[0];
    const selector = hook?.selectors[0];
    expect(selector?.matchArgs.map((f) => f.operator)).toEqual(['Equal', 'Mask']);
    expect(selector?.matchArgs[1]?.values).toEqual([
      { kind: 'int', value: 64n, raw: '64' },
      { kind: 'int', value: 1n, raw: '1' },
      { kind: 'int', value: 2n, raw: '2' },
    ]);
    expect(selector?.matchReturnArgs).toEqual([
      {
        index: 0,
        args: [],
        operator: 'GT',
        values: [{ kind: 'int', value: 0n, raw: '0' }],
        argPosition: 0,
        argType: 'int',
      },
    ]);
  });

  it('parses rate limits, host namespaces and capabilities', () => {
    const creds = load('process-credentials/process-creds-installed.yaml').spec.kprobes[0]?.selectors[0];
    expect(creds?.matchNamespaces).toEqual([{ namespace: 'Pid', operator: 'NotIn', values: ['host_ns'] }]);
    expect(creds?.matchActions[0]).toEqual({
      action: 'Post',
      rateLimit: { raw: '1m', milliseconds: 60_000 },
      rateLimitScope: 'thread',
      kernelStackTrace: false,
      userStackTrace: false,
      imaHash: false,
    });
    const caps = load('fd_install_caps.yaml').spec.kprobes[0]?.selectors[0]?.matchCapabilities;
    expect(caps).toEqual([
      { type: 'Effective', operator: 'In', isNamespaceCapability: true, values: ['CAP_CHOWN', 'CAP_NET_RAW'] },
    ]);
  });

  it('reads USDT hooks with the Set action and generated lists', () => {
    const usdt = load('usdt-set.yaml').spec.usdts[0];
    expect(usdt).toMatchObject({ kind: 'usdt', provider: 'tetragon', name: 'test_4B' });
    expect(usdt?.selectors[0]?.matchActions).toEqual([{ action: 'Set', argIndex: 0, argValue: 32n }]);
    const generated = load('list-generated-ftrace.yaml');
    expect(generated.spec.lists[0]).toEqual({
      name: 'ksys',
      type: 'generated_ftrace',
      pattern: '^ksys_*',
      values: [],
      validated: false,
    });
    expect(generated.spec.kprobes[0]).toMatchObject({ call: 'list:ksys', callList: 'ksys', syscall: true });
  });

  it('keeps envsubst placeholders as such, with a warning, unless variables are given', () => {
    const file = path.join(CORPUS_DIR, '_extra/quickstart/network_egress_cluster.yaml');
    const text = fs.readFileSync(file, 'utf8');
    const plain = parsePolicy(text);
    expect(plain.ok).toBe(true);
    if (!plain.ok) return;
    expect(plain.warnings.some((w) => w.reason.startsWith('unexpanded placeholder ${PODCIDR}'))).toBe(true);
    expect(plain.policy.spec.kprobes[0]?.selectors[0]?.matchArgs[0]?.values).toContainEqual({
      kind: 'placeholder',
      name: 'PODCIDR',
      raw: '${PODCIDR}',
    });
    const filled = parsePolicy(text, 'x.yaml', { variables: { PODCIDR: '10.44.0.0/14', SERVICECIDR: '10.48.0.0/20' } });
    expect(filled.ok).toBe(true);
    if (!filled.ok) return;
    expect(filled.policy.spec.kprobes[0]?.selectors[0]?.matchArgs[0]?.values.map((v) => v.kind)).toEqual([
      'cidr',
      'cidr',
      'cidr',
    ]);
    const wrong = parsePolicy(text, 'x.yaml', { variables: { PODCIDR: 'not-a-cidr', SERVICECIDR: '10.48.0.0/20' } });
    expect(wrong.ok).toBe(false);
  });
});
