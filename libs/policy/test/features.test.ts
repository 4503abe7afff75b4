import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parsePolicy, policyHooks, type TracingPolicy } from '../src';

function ok(text: string): { policy: TracingPolicy; warnings: string[] } {
  const result = parsePolicy(text, 'features.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return { policy: result.policy, warnings: result.warnings.map((w) => `${w.path}: ${w.reason}`) };
}

/** A policy touching every hook kind and most of the spec, all of it valid. */
const EVERYTHING = `
apiVersion: cilium.io/v1alpha1
kind: TracingPolicyNamespaced
metadata:
  name: everything
  namespace: team-a
  labels: { app.kubernetes.io/name: vigil }
  annotations: { description: "all the features" }
  uid: 1234-abcd
spec:
  options:
  - { name: disable-kprobe-multi, value: "1" }
  - { name: policy-mode, value: enforce }
  - { name: uprobe-heap-size, value: "65536" }
  lists:
  - { name: dups, type: syscalls, values: [sys_dup, sys_dup2] }
  state:
  - name: seen
  podSelector:
    matchLabels: { app: web }
    matchExpressions:
    - { key: tier, operator: In, values: [frontend] }
    - { key: canary, operator: DoesNotExist }
  containerSelector:
    matchLabels: { name: nginx }
  nodeSelector:
    matchLabels: { kubernetes.io/arch: arm64 }
  selectorsMacros:
    notRoot:
      label: not-root-pid-ns
      matchNamespaces: [{ namespace: Pid, operator: NotIn, values: [host_ns] }]
    post:
      matchActions: [{ action: Post, rateLimit: 30s, rateLimitScope: process, kernelStackTrace: true }]
  kprobes:
  - call: tcp_connect
    syscall: false
    message: "outbound TCP connection"
    tags: [observability.network]
    args:
    - { index: 0, type: sock, label: sk }
    data:
    - { index: 0, type: string, source: current_task, resolve: comm }
    selectors:
    - macros: [notRoot, post]
      matchArgs:
      - { index: 0, operator: DPort, values: ["80", "8000:8080"] }
      - { index: 0, operator: Family, values: [AF_INET6, "2"] }
      - { index: 0, operator: NotDAddr, values: ["fd00::/8", 127.0.0.1] }
      matchData:
      - { index: 0, operator: Equal, values: [curl] }
  - call: "list:dups"
    args: [{ index: 0, type: int }]
    return: true
    returnArg: { index: 0, type: int }
    selectors:
    - matchArgs:
      - { index: 0, operator: InRange, values: ["0:2", "0x10:0x20"] }
      matchReturnArgs:
      - { operator: LessThan, values: ["0"] }
      matchReturnActions:
      - { action: UpdateState, stateName: seen, stateUpdateOperator: Set, stateNewValue: "1" }
      matchStates:
      - { name: seen, operator: NotEqual, value: "1" }
      matchCmdArgs:
      - { index: 0, operator: Prefix, values: ["--"] }
      matchParentBinaries:
      - { operator: Postfix, values: [/sshd] }
      matchCEL: { expr: "arg0 > 2" }
      matchWorkloads:
        podSelector: { matchLabels: { app: api } }
        hostSelector: {}
  - call: commit_creds
    syscall: false
    args:
    - { index: 0, type: kernel_cap_t, resolve: cap_effective }
    - { index: 1, type: cap_effective }
    selectors:
    - matchArgs:
      - { args: [0, 1], operator: CapabilitiesGained }
      - { index: 0, operator: Equal, values: ["CAP_SYS_ADMIN,cap_net_raw", "0x3"] }
      matchCapabilityChanges:
      - { type: Permitted, operator: In, values: [cap_sys_admin] }
      matchNamespaceChanges:
      - { operator: In, values: [mnt, Pid] }
  fentries:
  - call: security_file_open
    syscall: false
    args: [{ index: 0, type: file }]
    selectors:
    - matchArgs: [{ index: 0, operator: Postfix, values: [.ssh/id_rsa] }]
      matchActions: [{ action: Override, argError: -1 }]
  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    raw: true
    args: [{ index: 4, type: syscall64 }]
    selectors:
    - matchArgs: [{ index: 4, operator: InMap, values: ["list:dups", "59", "300:302"] }]
      matchPIDs: [{ operator: NotIn, values: [0, 1], followForks: true, isNamespacePID: true }]
  uprobes:
  - path: /usr/lib/libssl.so.3
    offsets: [0x1000, 4096]
    refCtrOffsets: [8, 16]
    btfPath: /sys/kernel/btf/vmlinux
    args: [{ index: 0, type: char_buf, sizeArgIndex: 2, returnCopy: true }, { index: 1, type: size_t }]
    selectors:
    - matchUserCallers: [{ depth: any, symbol: SSL_write }]
      matchActions: [{ action: Override, argRegs: ["rax=0"] }]
  lsmhooks:
  - hook: file_open
    args: [{ index: 0, type: file }]
    selectors:
    - matchBinaries: [{ operator: In, values: [/usr/bin/cat], followChildren: true }]
      matchActions: [{ action: Post, imaHash: true }, { action: Signal, argSig: 19 }]
  usdts:
  - path: /usr/bin/python3
    provider: python
    name: function__entry
    args: [{ index: 1, type: string }]
    selectors:
    - matchActions: [{ action: Set, argIndex: 0, argValue: -5 }]
`;

describe('a policy using the whole spec', () => {
  it('parses without errors and tags every hook with its kind', () => {
    const { policy } = ok(EVERYTHING);
    expect(policyHooks(policy).map((h) => h.kind)).toEqual([
      'kprobe',
      'kprobe',
      'kprobe',
      'fentry',
      'tracepoint',
      'uprobe',
      'lsm',
      'usdt',
    ]);
    expect(policy.metadata).toEqual({
      name: 'everything',
      namespace: 'team-a',
      labels: { 'app.kubernetes.io/name': 'vigil' },
      annotations: { description: 'all the features' },
    });
    expect(policy.spec.optionValues).toEqual({
      disableKprobeMulti: true,
      policyMode: 'enforce',
      uprobeHeapSize: 65536,
    });
    expect(policy.spec.podSelector?.matchExpressions).toEqual([
      { key: 'tier', operator: 'In', values: ['frontend'] },
      { key: 'canary', operator: 'DoesNotExist', values: [] },
    ]);
    expect(policy.spec.nodeSelector).toEqual({ matchLabels: { 'kubernetes.io/arch': 'arm64' }, matchExpressions: [] });
  });

  it('expands selector macros (filters and label) into the selector', () => {
    const selector = ok(EVERYTHING).policy.spec.kprobes[0]?.selectors[0];
    expect(selector?.macros).toEqual(['notRoot', 'post']);
    expect(selector?.label).toBe('not-root-pid-ns');
    expect(selector?.matchNamespaces).toEqual([{ namespace: 'Pid', operator: 'NotIn', values: ['host_ns'] }]);
    expect(selector?.matchActions).toEqual([
      {
        action: 'Post',
        rateLimit: { raw: '30s', milliseconds: 30_000 },
        rateLimitScope: 'process',
        kernelStackTrace: true,
        userStackTrace: false,
        imaHash: false,
      },
    ]);
  });

  it('types socket filter values: port ranges, family names, CIDRs', () => {
    const filters = ok(EVERYTHING).policy.spec.kprobes[0]?.selectors[0]?.matchArgs;
    expect(filters?.[0]?.values).toEqual([
      { kind: 'int', value: 80n, raw: '80' },
      { kind: 'range', min: 8000n, max: 8080n, raw: '8000:8080' },
    ]);
    expect(filters?.[1]?.values).toEqual([
      { kind: 'int', value: 10n, raw: 'AF_INET6', name: 'AF_INET6' },
      { kind: 'int', value: 2n, raw: '2' },
    ]);
    expect(filters?.[2]?.values).toEqual([
      { kind: 'cidr', family: 6, address: 'fd00::', prefixLength: 8, raw: 'fd00::/8' },
      { kind: 'cidr', family: 4, address: '127.0.0.1', prefixLength: 32, raw: '127.0.0.1' },
    ]);
  });

  it('reads data entries and filters on them', () => {
    const hook = ok(EVERYTHING).policy.spec.kprobes[0];
    expect(hook?.data).toEqual([
      {
        index: 0,
        type: 'string',
        sizeArgIndex: 0,
        returnCopy: false,
        maxData: false,
        resolve: 'comm',
        source: 'current_task',
      },
    ]);
    expect(hook?.selectors[0]?.matchData).toEqual([
      {
        index: 0,
        args: [],
        operator: 'Equal',
        values: [{ kind: 'string', value: 'curl' }],
        argPosition: 0,
        argType: 'string',
      },
    ]);
  });

  it('canonicalizes LessThan and reads ranges, states, CEL and workloads', () => {
    const hook = ok(EVERYTHING).policy.spec.kprobes[1];
    expect(hook).toMatchObject({ call: 'list:dups', callList: 'dups', syscall: true, return: true });
    const s = hook?.selectors[0];
    expect(s?.matchArgs[0]?.values).toEqual([
      { kind: 'range', min: 0n, max: 2n, raw: '0:2' },
      { kind: 'range', min: 16n, max: 32n, raw: '0x10:0x20' },
    ]);
    expect(s?.matchReturnArgs[0]?.operator).toBe('LT');
    expect(s?.matchReturnActions).toEqual([
      { action: 'UpdateState', stateName: 'seen', stateUpdateOperator: 'Set', stateNewValue: '1' },
    ]);
    expect(s?.matchStates).toEqual([{ name: 'seen', operator: 'NotEqual', value: '1' }]);
    expect(s?.matchCmdArgs).toEqual([{ index: 0, operator: 'Prefix', values: ['--'] }]);
    expect(s?.matchParentBinaries).toEqual([{ operator: 'Postfix', values: ['/sshd'], followChildren: false }]);
    expect(s?.matchCEL).toEqual({ expr: 'arg0 > 2' });
    expect(s?.matchWorkloads).toEqual({
      podSelector: { matchLabels: { app: 'api' }, matchExpressions: [] },
      hostSelector: { matchLabels: {}, matchExpressions: [] },
    });
  });

  it('reads capability masks, CapabilitiesGained and namespace changes', () => {
    const s = ok(EVERYTHING).policy.spec.kprobes[2]?.selectors[0];
    expect(s?.matchArgs[0]).toMatchObject({ args: [0, 1], operator: 'CapabilitiesGained', values: [] });
    expect(s?.matchArgs[1]?.values).toEqual([
      { kind: 'caps', mask: (1n << 21n) | (1n << 13n), raw: 'CAP_SYS_ADMIN,cap_net_raw' },
      { kind: 'caps', mask: 3n, raw: '0x3' },
    ]);
    expect(s?.matchCapabilityChanges).toEqual([
      { type: 'Permitted', operator: 'In', isNamespaceCapability: false, values: ['CAP_SYS_ADMIN'] },
    ]);
    expect(s?.matchNamespaceChanges).toEqual([{ operator: 'In', values: ['Mnt', 'Pid'] }]);
  });

  it('reads fentries, tracepoints, uprobes, LSM hooks and USDTs', () => {
    const { spec } = ok(EVERYTHING).policy;
    expect(spec.fentries[0]?.selectors[0]?.matchActions).toEqual([{ action: 'Override', argError: -1, argRegs: [] }]);
    expect(spec.tracepoints[0]).toMatchObject({ subsystem: 'raw_syscalls', event: 'sys_enter', raw: true });
    expect(spec.tracepoints[0]?.selectors[0]?.matchArgs[0]?.values).toEqual([
      { kind: 'list', list: 'dups', raw: 'list:dups' },
      { kind: 'int', value: 59n, raw: '59' },
      { kind: 'range', min: 300n, max: 302n, raw: '300:302' },
    ]);
    expect(spec.uprobes[0]).toMatchObject({
      path: '/usr/lib/libssl.so.3',
      offsets: [4096n, 4096n],
      refCtrOffsets: [8n, 16n],
      symbols: [],
      btfPath: '/sys/kernel/btf/vmlinux',
    });
    expect(spec.uprobes[0]?.args[0]).toMatchObject({ type: 'char_buf', sizeArgIndex: 2, returnCopy: true });
    expect(spec.uprobes[0]?.selectors[0]?.matchUserCallers).toEqual([{ depth: 'any', symbol: 'SSL_write' }]);
    expect(spec.lsmhooks[0]?.selectors[0]?.matchActions).toEqual([
      { action: 'Post', rateLimitScope: 'thread', kernelStackTrace: false, userStackTrace: false, imaHash: true },
      { action: 'Signal', argSig: 19 },
    ]);
    expect(spec.usdts[0]?.selectors[0]?.matchActions).toEqual([{ action: 'Set', argIndex: 0, argValue: -5n }]);
  });

  it('warns only where something is off', () => {
    expect(ok(EVERYTHING).warnings).toEqual([]);
  });
});

describe('defaults and aliases', () => {
  const minimal =
    'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: m\nspec:\n  kprobes:\n  - call: sys_write\n    args:\n    - index: 0\n';

  it('fills Tetragon defaults: syscall true, type auto, returnArgAction Post', () => {
    const hook = ok(minimal).policy.spec.kprobes[0];
    expect(hook).toMatchObject({
      syscall: true,
      return: false,
      returnArgAction: 'Post',
      ignore: { callNotFound: false },
    });
    expect(hook?.args[0]).toEqual({ index: 0, type: 'auto', sizeArgIndex: 0, returnCopy: false, maxData: false });
  });

  it('canonicalizes arg type spellings the CRD accepts', () => {
    const text = minimal.replace(
      '    - index: 0\n',
      '    - { index: 0, type: sint32 }\n    - { index: 1, type: ulong }\n    - { index: 2, type: long }\n',
    );
    expect(ok(text).policy.spec.kprobes[0]?.args.map((a) => a.type)).toEqual(['int32', 'uint64', 'int64']);
  });

  it('accepts YAML 1.1 booleans with a warning, as kubectl reads them', () => {
    const { policy, warnings } = ok(minimal.replace('  - call: sys_write\n', '  - call: sys_write\n    syscall: no\n'));
    expect(policy.spec.kprobes[0]?.syscall).toBe(false);
    expect(warnings).toEqual(['spec.kprobes[0].syscall: "no" is a YAML 1.1 boolean; write false to be unambiguous']);
  });

  it('parses deprecated FD actions with a warning', () => {
    const text = minimal.replace(
      '    - index: 0\n',
      '    - { index: 0, type: int }\n    - { index: 1, type: file }\n    selectors:\n    - matchActions: [{ action: FollowFD, argFd: 0, argName: 1 }]\n',
    );
    const { policy, warnings } = ok(text);
    expect(policy.spec.kprobes[0]?.selectors[0]?.matchActions).toEqual([{ action: 'FollowFD', argFd: 0, argName: 1 }]);
    expect(warnings).toEqual([
      'spec.kprobes[0].selectors[0].matchActions[0].action: FollowFD is deprecated and was removed in Tetragon 1.5; it still parses here',
    ]);
  });

  it('supports YAML anchors, aliases and merge keys', () => {
    const text = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: anchors
spec:
  kprobes:
  - &base
    call: sys_openat
    args: &args [{ index: 0, type: int }]
    selectors:
    - matchActions: [{ action: Sigkill }]
  - <<: *base
    call: sys_openat2
    args: *args
`;
    const hooks = ok(text).policy.spec.kprobes;
    expect(hooks.map((h) => h.call)).toEqual(['sys_openat', 'sys_openat2']);
    expect(hooks[1]?.selectors[0]?.matchActions).toEqual([{ action: 'Sigkill' }]);
  });

  it('flags a macro nobody uses, still checking it', () => {
    const text = minimal.replace(
      'spec:\n',
      'spec:\n  selectorsMacros:\n    unused:\n      matchPIDs: [{ operator: In, values: [1] }]\n',
    );
    expect(ok(text).warnings).toEqual(['spec.selectorsMacros.unused: selector macro "unused" is never used']);
  });
});
