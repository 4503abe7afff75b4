import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type TracingPolicy } from '@vigil/policy';
import { compilePolicy, fullKernel, SYSCALLS_X86_64, type CompileKernel } from '../src/index';

const EXAMPLE = fs.readFileSync(
  path.resolve(__dirname, '../../policy/test/fixtures/file-monitoring-filtered.yaml'),
  'utf8',
);

/** This CI host: tracepoints and send_signal, no kprobes, no trampolines, no LSM. */
const HOST: CompileKernel = {
  ...fullKernel(SYSCALLS_X86_64),
  kprobe: false,
  kretprobe: false,
  fentry: false,
  fexit: false,
  fmodRet: false,
  lsm: false,
  overrideReturn: false,
  whyNoFunctionHook: 'kprobe: ENOENT at attach (CONFIG_KPROBES not set); fentry: EPERM at load',
  whyNoOverride: 'fmod_ret: EPERM at load; lsm: EPERM at load; override_return: ENOENT',
};
const FULL = fullKernel(SYSCALLS_X86_64);

function policy(yaml: string): TracingPolicy {
  const r = parsePolicy(yaml);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.reason}`).join('; '));
  return r.policy;
}

const kprobe = (body: string) =>
  policy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: t }
spec:
  kprobes:
${body}`);

describe('compilePolicy', () => {
  it("the users' example on a kernel with kprobes: one kprobe + kretprobe on security_file_permission", () => {
    const c = compilePolicy(policy(EXAMPLE), FULL, { firstHookId: 10 });
    expect(c.unsupported).toEqual([]);
    expect(c.hooks).toHaveLength(1);
    const h = c.hooks[0]!;
    expect(h).toMatchObject({
      source: 'spec.kprobes[0]',
      target: 'security_file_permission',
      mechanism: 'kprobe',
      eventKind: 'kprobe',
    });
    expect(h.attach).toEqual({ kind: 'kprobe', func: 'security_file_permission' });
    expect(h.config).toEqual({
      hookId: 10,
      args: [
        { type: 'file', src: 0, sizeSrc: undefined, user: false, maxData: undefined },
        { type: 's32', src: 1, sizeSrc: undefined, user: false, maxData: undefined },
      ],
      ret: { type: 's32', post: true, user: false },
      syscall: false,
      cgroupScoped: true, // a TracingPolicyNamespaced: only its namespace's workloads
      selectors: [
        {
          pids: undefined,
          namespaces: [],
          capabilities: [],
          binaries: { op: 'In', paths: ['/usr/bin/cat', '/usr/bin/tail', '/usr/bin/bash'] },
          args: [],
          returnArgs: [],
          actions: [{ kind: 'Sigkill' }],
        },
      ],
    });
  });

  it('the same policy without kprobes: the read/write syscalls, file from the fd, mask as a constant', () => {
    const c = compilePolicy(policy(EXAMPLE), HOST, { firstHookId: 1 });
    expect(c.unsupported).toEqual([]);
    expect(c.hooks.map((h) => h.mechanism)).toEqual(['syscalls', 'syscalls', 'syscalls']);
    expect(c.hooks.map((h) => h.config.hookId)).toEqual([1, 2, 3]);
    const reads = c.hooks[0]!;
    expect(reads.config.args[0]).toMatchObject({ type: 'fd', src: 0 });
    expect(reads.attach.kind === 'syscalls' && reads.attach.syscalls[0]).toEqual({
      name: 'read',
      nr: 0,
      args: [0, { const: 4n }],
    });
    const sendfile = c.hooks[1]!;
    expect(sendfile.attach.kind === 'syscalls' && sendfile.attach.syscalls[0]).toEqual({
      name: 'sendfile64',
      nr: 40,
      args: [1, { const: 4n }],
    });
    const writes = c.hooks[2]!;
    expect(writes.attach.kind === 'syscalls' && writes.attach.syscalls.map((s) => s.args[1])).toEqual(
      Array(5).fill({ const: 2n }),
    );
    // Events still say what the policy said: a file argument, an int.
    expect(reads.args).toEqual([
      { type: 'file', label: undefined },
      { type: 'int', label: undefined },
    ]);
    expect(reads.how).toMatch(/^syscall equivalents of security_file_permission: read, readv/);
  });

  it("Override: fmod_ret where trampolines work, refused with the kernel's reason where not", () => {
    const p = kprobe(`  - call: security_file_open
    syscall: false
    args: [{ index: 0, type: file }]
    selectors:
    - matchArgs: [{ index: 0, operator: Prefix, values: [/etc/shadow] }]
      matchActions: [{ action: Override, argError: -1 }]`);
    const full = compilePolicy(p, FULL, { firstHookId: 1 });
    expect(full.hooks[0]).toMatchObject({
      mechanism: 'fmod_ret',
      attach: { kind: 'fmod_ret', func: 'security_file_open' },
    });
    expect(full.hooks[0]!.config.selectors[0]!.args).toEqual([
      { arg: 0, op: 'Prefix', strings: [Buffer.from('/etc/shadow')] },
    ]);
    expect(full.hooks[0]!.config.selectors[0]!.actions).toEqual([{ kind: 'Override', arg: -1 }]);
    const host = compilePolicy(p, HOST, { firstHookId: 1 });
    expect(host.hooks).toEqual([]);
    expect(host.unsupported).toEqual([
      {
        source: 'spec.kprobes[0]',
        target: 'security_file_open',
        reason: expect.stringMatching(/Override on security_file_open needs fmod_ret .*: fmod_ret: EPERM at load/),
      },
    ]);
  });

  it('syscall: true hooks: kprobe on the arch wrapper with user-space arguments, else the syscall tracepoint', () => {
    const p = kprobe(`  - call: sys_write
    syscall: true
    args: [{ index: 0, type: int }, { index: 1, type: char_buf, sizeArgIndex: 3 }, { index: 2, type: size_t }]`);
    const full = compilePolicy(p, FULL, { firstHookId: 1 }).hooks[0]!;
    expect(full).toMatchObject({ mechanism: 'kprobe', attach: { kind: 'kprobe', func: '__x64_sys_write' } });
    expect(full.config.syscall).toBe(true);
    expect(full.config.args[1]).toMatchObject({ type: 'char_buf', user: true, sizeSrc: 2 });
    const host = compilePolicy(p, HOST, { firstHookId: 1 }).hooks[0]!;
    expect(host.attach).toEqual({ kind: 'syscalls', syscalls: [{ name: 'write', nr: 1, args: [0, 1, 2, 3, 4, 5] }] });
  });

  it('lsmhooks: BPF LSM where available, else the syscall equivalents (without Override)', () => {
    const p = policy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: l }
spec:
  lsmhooks:
  - hook: file_open
    args: [{ index: 0, type: file }]`);
    expect(compilePolicy(p, FULL, { firstHookId: 1 }).hooks[0]).toMatchObject({
      mechanism: 'lsm',
      eventKind: 'lsm',
      attach: { kind: 'lsm', hook: 'file_open' },
    });
    const host = compilePolicy(p, HOST, { firstHookId: 1 }).hooks;
    expect(host.map((h) => h.mechanism)).toEqual(['syscalls', 'syscalls']);
    expect(host[1]!.config.args[0]).toMatchObject({ type: 'string', user: true });
  });

  it('matchPIDs entries are ANDed into one set', () => {
    const p = kprobe(`  - call: sys_dup
    selectors:
    - matchPIDs:
      - { operator: NotIn, isNamespacePID: true, values: [1] }
      - { operator: NotIn, isNamespacePID: true, values: [0, 7] }`);
    expect(compilePolicy(p, FULL, { firstHookId: 1 }).hooks[0]!.config.selectors[0]!.pids).toEqual({
      op: 'NotIn',
      values: [0, 1, 7],
      namespacePid: true,
    });
    const q = kprobe(`  - call: sys_dup
    selectors:
    - matchPIDs:
      - { operator: In, values: [1, 2, 3] }
      - { operator: In, values: [2, 3, 4] }
      - { operator: NotIn, values: [3] }`);
    expect(compilePolicy(q, FULL, { firstHookId: 1 }).hooks[0]!.config.selectors[0]!.pids).toEqual({
      op: 'In',
      values: [2],
      namespacePid: false,
    });
  });

  it('refuses what it cannot enforce, naming the field, instead of matching more than the policy says', () => {
    const p = kprobe(`  - call: sys_dup
    selectors:
    - matchParentBinaries: [{ operator: In, values: [/usr/bin/bash], followChildren: true }]
      matchActions: [{ action: Sigkill }]`);
    const c = compilePolicy(p, FULL, { firstHookId: 1 });
    expect(c.hooks).toEqual([]);
    expect(c.unsupported[0]!.reason).toBe(
      'spec.kprobes[0].selectors[0]: followChildren is not enforced in the kernel yet',
    );
  });

  it('matchCapabilityChanges and matchNamespaceChanges: one entry each, as change filters', () => {
    const p = kprobe(`  - call: sys_dup
    selectors:
    - matchCapabilityChanges: [{ type: Effective, operator: In, isNamespaceCapability: true, values: [CAP_SYS_ADMIN] }]
      matchNamespaceChanges: [{ operator: NotIn, values: [Mnt, Net] }]`);
    const sel = compilePolicy(p, FULL, { firstHookId: 1 }).hooks[0]!.config.selectors[0]!;
    expect(sel.capabilityChanges).toEqual({ set: 'Effective', op: 'In', mask: 1n << 21n, notHostUserNs: true });
    expect(sel.namespaceChanges).toEqual({ op: 'NotIn', kinds: ['Mnt', 'Net'] });
  });

  it('matchNamespaces resolves host_ns from the node; matchCapabilities becomes a mask', () => {
    const p = kprobe(`  - call: sys_dup
    selectors:
    - matchNamespaces:
      - { namespace: Pid, operator: NotIn, values: [host_ns] }
      - { namespace: Mnt, operator: In, values: [4026531841, host_ns] }
      matchCapabilities:
      - { type: Permitted, operator: In, values: [CAP_SYS_ADMIN, CAP_NET_RAW] }`);
    const ns = {
      uts: 1,
      ipc: 2,
      mnt: 3,
      pid: 4,
      pidForChildren: 5,
      net: 6,
      time: 7,
      timeForChildren: 8,
      cgroup: 9,
      user: 10,
    };
    const sel = compilePolicy(p, { ...FULL, hostNamespaces: ns }, { firstHookId: 1 }).hooks[0]!.config.selectors[0]!;
    expect(sel.namespaces).toEqual([
      { kind: 'Pid', op: 'NotIn', inums: [4] },
      { kind: 'Mnt', op: 'In', inums: [4026531841, 3] },
    ]);
    expect(sel.capabilities).toEqual([
      { set: 'Permitted', op: 'In', mask: (1n << 21n) | (1n << 13n), notHostUserNs: false },
    ]);
    expect(compilePolicy(p, FULL, { firstHookId: 1 }).unsupported[0]!.reason).toBe(
      "spec.kprobes[0].selectors[0].matchNamespaces[0]: host_ns: the host's Pid namespace is unknown here",
    );
  });

  it("a hook that cannot attach anywhere here says why (the probe's reasons)", () => {
    const c = compilePolicy(kprobe('  - call: tcp_set_state\n    syscall: false'), HOST, { firstHookId: 1 });
    expect(c.unsupported[0]!.reason).toBe(
      'tcp_set_state cannot be hooked here (kprobe: ENOENT at attach (CONFIG_KPROBES not set); fentry: EPERM at load) and has no syscall equivalent',
    );
  });

  it('uprobes: one hook per symbol (events name theirs), user-memory strings, /procRoot as /proc', () => {
    const p = policy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: u }
spec:
  uprobes:
  - path: /procRoot/1/root/usr/bin/bash
    symbols: [readline, main]
    args: [{ index: 0, type: string }]
    return: true
    returnArg: { index: 0, type: string }`);
    const c = compilePolicy(p, HOST, { firstHookId: 1 });
    expect(c.hooks.map((h) => [h.target, h.mechanism, h.eventKind])).toEqual([
      ['/proc/1/root/usr/bin/bash:readline', 'uprobe', 'uprobe'],
      ['/proc/1/root/usr/bin/bash:main', 'uprobe', 'uprobe'],
    ]);
    expect(c.hooks[0]!.config.args[0]).toMatchObject({ type: 'string', user: true });
    expect(c.hooks[0]!.config.ret).toEqual({ type: 'string', post: true, user: true });
    expect(compilePolicy(p, { ...HOST, uprobe: false }, { firstHookId: 1 }).unsupported[0]!.reason).toBe(
      'uprobes do not attach on this kernel',
    );
  });

  it('call "list:NAME": syscall lists become one hook on all their tracepoints; kernel-function lists one kprobe each', () => {
    const p = policy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: lists }
spec:
  lists:
  - { name: dups, type: syscalls, values: [sys_dup, sys_dup2, __ia32_sys_dup] }
  - { name: funcs, values: [security_file_open, security_inode_mkdir] }
  - { name: all, type: generated_syscalls }
  kprobes:
  - call: list:dups
  - call: list:funcs
    syscall: false
  - call: list:all`);
    const host = compilePolicy(p, HOST, { firstHookId: 1 });
    expect(host.hooks[0]!.attach).toEqual({
      kind: 'syscalls',
      syscalls: [
        { name: 'dup', nr: 32, args: [0, 1, 2, 3, 4, 5] },
        { name: 'dup2', nr: 33, args: [0, 1, 2, 3, 4, 5] },
      ],
    });
    expect(host.hooks[0]!.syscallFunctions).toEqual({ 32: '__x64_sys_dup', 33: '__x64_sys_dup2' });
    expect(host.unsupported).toEqual([
      {
        source: 'spec.kprobes[1]',
        target: 'list:funcs',
        reason: expect.stringMatching(
          /^list funcs: security_file_open cannot be hooked here \(kprobe: ENOENT.*\) and has no plain syscall equivalent$/,
        ),
      },
    ]);
    expect(host.hooks[1]!.attach.kind === 'syscalls' && host.hooks[1]!.attach.syscalls.length).toBe(
      Object.keys(SYSCALLS_X86_64).length,
    );
    const full = compilePolicy(p, FULL, { firstHookId: 1 });
    expect(full.hooks.filter((h) => h.source === 'spec.kprobes[1]').map((h) => [h.target, h.attach])).toEqual([
      ['security_file_open', { kind: 'kprobe', func: 'security_file_open' }],
      ['security_inode_mkdir', { kind: 'kprobe', func: 'security_inode_mkdir' }],
    ]);
  });

  it('raw_syscalls/sys_enter: every syscall, the id as the first argument, InMap over a syscall list', () => {
    const p = policy(`apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: raw }
spec:
  lists:
  - { name: dups, type: syscalls, values: [sys_dup, sys_dup2, __ia32_sys_dup] }
  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    args: [{ index: 4, type: syscall64 }]
    selectors:
    - matchArgs: [{ index: 0, operator: InMap, values: ["list:dups"] }]`);
    const c = compilePolicy(p, HOST, { firstHookId: 1 });
    expect(c.unsupported).toEqual([]);
    const h = c.hooks[0]!;
    expect(h).toMatchObject({ mechanism: 'rawSyscalls', eventKind: 'tracepoint', target: 'raw_syscalls/sys_enter' });
    expect(h.attach).toEqual({ kind: 'rawSyscalls', args: ['nr', 0, 1, 2, 3, 4] });
    expect(h.config.args[0]).toMatchObject({ type: 's64', src: 0 });
    expect(h.config.selectors[0]!.args).toEqual([{ arg: 0, op: 'InMap', values: [32n, 33n] }]);
  });
});
