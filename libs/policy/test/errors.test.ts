import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parsePolicy, PolicyError, assertPolicy } from '../src';

/**
 * A kprobe policy whose first 12 lines are fixed, so each case appends kprobe-level lines (4-space
 * indent) starting at line 13, or replaces the whole text.
 */
const HEAD = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: test
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 0
      type: int
    - index: 1
      type: string
`;

function kprobe(...lines: string[]): string {
  return HEAD + lines.join('\n') + '\n';
}

/** A whole policy with `spec:` lines given at 2-space indent from line 6. */
function spec(...lines: string[]): string {
  return `apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: test\nspec:\n${lines.join('\n')}\n`;
}

interface Case {
  name: string;
  yaml: string;
  line: number;
  column: number;
  path: string;
  reason: string;
}

const cases: Case[] = [
  {
    name: 'misspelled arg type',
    yaml: HEAD.replace('type: string', 'type: inte'),
    line: 12,
    column: 13,
    path: 'spec.kprobes[0].args[1].type',
    reason: 'unknown arg type "inte" (did you mean "int"?)',
  },
  {
    name: 'arg type far from any known one',
    yaml: HEAD.replace('type: string', 'type: banana'),
    line: 12,
    column: 13,
    path: 'spec.kprobes[0].args[1].type',
    reason:
      'unknown arg type "banana" (expected one of: int, int8, uint8, int16, uint16, int32, uint32, int64, uint64, size_t, char_buf, char_iovec, skb, sock, sockaddr, socket, sockaddr_un, string, fd, file, filename, path, nop, bpf_attr, perf_event, bpf_map, user_namespace, capability, kiocb, iov_iter, cred, const_buf, load_info, module, syscall64, kernel_cap_t, cap_inheritable, cap_permitted, cap_effective, linux_binprm, data_loc, net_device, bpf_cmd, dentry, bpf_prog)',
  },
  {
    name: 'misspelled selector field',
    yaml: kprobe(
      '    selectors:',
      '    - matchArg:',
      '      - index: 0',
      '        operator: Equal',
      '        values: ["1"]',
    ),
    line: 14,
    column: 7,
    path: 'spec.kprobes[0].selectors[0].matchArg',
    reason: 'unknown field "matchArg" (did you mean "matchArgs"?)',
  },
  {
    name: 'misspelled top-level field',
    yaml: HEAD.replace('spec:', 'specs:'),
    line: 5,
    column: 1,
    path: 'specs',
    reason: 'unknown field "specs" (did you mean "spec"?)',
  },
  {
    name: 'unknown hook field without a near match',
    yaml: kprobe('    frobnicate: true'),
    line: 13,
    column: 5,
    path: 'spec.kprobes[0].frobnicate',
    reason:
      'unknown field "frobnicate" (known fields: call, syscall, return, returnArg, returnArgAction, data, ignore, args, selectors, message, tags)',
  },
  {
    name: 'wrong apiVersion',
    yaml: HEAD.replace('cilium.io/v1alpha1', 'cilium.io/v1'),
    line: 1,
    column: 13,
    path: 'apiVersion',
    reason: 'unsupported apiVersion "cilium.io/v1" (expected "cilium.io/v1alpha1")',
  },
  {
    name: 'misspelled kind',
    yaml: HEAD.replace('kind: TracingPolicy', 'kind: TracingPolicies'),
    line: 2,
    column: 7,
    path: 'kind',
    reason: 'unknown kind "TracingPolicies" (did you mean "TracingPolicy"?)',
  },
  {
    name: 'missing metadata.name',
    yaml: HEAD.replace('  name: test', '  labels: {}'),
    line: 4,
    column: 3,
    path: 'metadata.name',
    reason: 'name is required',
  },
  {
    name: 'name that is not a DNS subdomain',
    yaml: HEAD.replace('name: test', 'name: Bad_Name'),
    line: 4,
    column: 9,
    path: 'metadata.name',
    reason:
      'name "Bad_Name" must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  },
  {
    name: 'namespace on a cluster-scoped policy',
    yaml: HEAD.replace('  name: test', '  name: test\n  namespace: default'),
    line: 5,
    column: 14,
    path: 'metadata.namespace',
    reason: 'TracingPolicy is cluster-scoped and takes no namespace; use kind TracingPolicyNamespaced',
  },
  {
    name: 'misspelled matchArgs operator',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 1',
      '        operator: Equals',
      '        values: ["/etc/passwd"]',
    ),
    line: 16,
    column: 19,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].operator',
    reason: 'unknown operator "Equals" (did you mean "Equal"?)',
  },
  {
    name: 'lowercase operator the CRD rejects',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 0',
      '        operator: gt',
      '        values: ["1"]',
    ),
    line: 16,
    column: 19,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].operator',
    reason: 'unknown operator "gt" (did you mean "GT"?)',
  },
  {
    name: 'filter on an undeclared arg index',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 3',
      '        operator: Equal',
      '        values: ["1"]',
    ),
    line: 15,
    column: 16,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].index',
    reason: 'index 3 does not refer to a declared arg (declared indexes: 0, 1)',
  },
  {
    name: 'InMap on a list that does not exist',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 0',
      '        operator: InMap',
      '        values: ["list:dupz"]',
    ),
    line: 17,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: 'list "dupz" is not defined in spec.lists (spec.lists is empty)',
  },
  {
    name: 'call naming a missing list',
    yaml: HEAD.replace('call: sys_openat', 'call: "list:syscalls"'),
    line: 7,
    column: 11,
    path: 'spec.kprobes[0].call',
    reason: 'list "syscalls" is not defined in spec.lists (spec.lists is empty)',
  },
  {
    name: 'invalid CIDR',
    yaml: spec(
      '  kprobes:',
      '  - call: tcp_connect',
      '    syscall: false',
      '    args: [{ index: 0, type: sock }]',
      '    selectors:',
      '    - matchArgs:',
      '      - { index: 0, operator: DAddr, values: ["10.0.0.0/33"] }',
    ),
    line: 12,
    column: 47,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: '"10.0.0.0/33" is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8)',
  },
  {
    name: 'port out of range',
    yaml: spec(
      '  kprobes:',
      '  - call: tcp_connect',
      '    syscall: false',
      '    args: [{ index: 0, type: sock }]',
      '    selectors:',
      '    - matchArgs:',
      '      - { index: 0, operator: DPort, values: ["70000"] }',
    ),
    line: 12,
    column: 47,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: '70000 is out of range for a port (0..65535)',
  },
  {
    name: 'non-numeric value for an int argument',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 0',
      '        operator: Equal',
      '        values: ["abc"]',
    ),
    line: 17,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: '"abc" is not an integer (decimal, 0x hex, 0o or 0 octal, 0b binary)',
  },
  {
    name: 'int value out of the int32 range',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 0',
      '        operator: Equal',
      '        values: ["0x100000000"]',
    ),
    line: 17,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: '4294967296 is out of range for int (-2147483648..2147483647)',
  },
  {
    name: 'too many numeric values for Equal',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 0',
      '        operator: Equal',
      '        values: ["1", "2", "3", "4", "5"]',
    ),
    line: 17,
    column: 38,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[4]',
    reason: 'operator Equal takes at most 4 values here (5 given); use InMap for longer lists',
  },
  {
    name: 'Prefix on an integer argument',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 0',
      '        operator: Prefix',
      '        values: ["1"]',
    ),
    line: 16,
    column: 19,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].operator',
    reason:
      'operator Prefix needs a string-like (string, char_buf, file, path, fd, ...) argument, but the argument is int',
  },
  {
    name: 'port operator on a string argument',
    yaml: kprobe(
      '    selectors:',
      '    - matchArgs:',
      '      - index: 1',
      '        operator: SPort',
      '        values: ["22"]',
    ),
    line: 16,
    column: 19,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].operator',
    reason: 'operator SPort needs a sock, skb, sockaddr or socket argument, but the argument is string',
  },
  {
    name: 'DAddr on a sockaddr',
    yaml: spec(
      '  kprobes:',
      '  - call: security_socket_connect',
      '    syscall: false',
      '    args: [{ index: 1, type: sockaddr }]',
      '    selectors:',
      '    - matchArgs:',
      '      - { index: 1, operator: DAddr, values: ["10.0.0.1"] }',
    ),
    line: 12,
    column: 31,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].operator',
    reason:
      'operator DAddr does not apply to sockaddr (it supports SAddr, NotSAddr, SPort, NotSPort, SPortPriv, NotSPortPriv and Family)',
  },
  {
    name: 'misspelled protocol name',
    yaml: spec(
      '  kprobes:',
      '  - call: tcp_connect',
      '    syscall: false',
      '    args: [{ index: 0, type: sock }]',
      '    selectors:',
      '    - matchArgs:',
      '      - { index: 0, operator: Protocol, values: ["IPPROTO_TPC"] }',
    ),
    line: 12,
    column: 50,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: 'unknown protocol "IPPROTO_TPC" (did you mean "IPPROTO_TCP"?)',
  },
  {
    name: 'matchPIDs with a matchArgs operator',
    yaml: kprobe('    selectors:', '    - matchPIDs:', '      - operator: Equal', '        values: [1]'),
    line: 15,
    column: 19,
    path: 'spec.kprobes[0].selectors[0].matchPIDs[0].operator',
    reason: 'unknown operator "Equal" (expected one of: In, NotIn)',
  },
  {
    name: 'PID given as a word',
    yaml: kprobe('    selectors:', '    - matchPIDs:', '      - operator: In', '        values: [pid1]'),
    line: 16,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchPIDs[0].values[0]',
    reason: 'expected an integer, got string "pid1"',
  },
  {
    name: 'too many PIDs',
    yaml: kprobe('    selectors:', '    - matchPIDs:', '      - operator: In', '        values: [1, 2, 3, 4, 5]'),
    line: 16,
    column: 17,
    path: 'spec.kprobes[0].selectors[0].matchPIDs[0].values',
    reason: 'matchPIDs takes at most 4 values (the kernel checks only the first 4)',
  },
  {
    name: 'two matchBinaries filters in one selector',
    yaml: kprobe(
      '    selectors:',
      '    - matchBinaries:',
      '      - { operator: In, values: ["/bin/a"] }',
      '      - { operator: In, values: ["/bin/b"] }',
    ),
    line: 16,
    column: 9,
    path: 'spec.kprobes[0].selectors[0].matchBinaries[1]',
    reason: 'too many matchBinaries entries: Tetragon supports at most 1 per selector',
  },
  {
    name: 'misspelled namespace kind',
    yaml: kprobe(
      '    selectors:',
      '    - matchNamespaces:',
      '      - namespace: Pids',
      '        operator: In',
      '        values: ["host_ns"]',
    ),
    line: 15,
    column: 20,
    path: 'spec.kprobes[0].selectors[0].matchNamespaces[0].namespace',
    reason: 'unknown namespace "Pids" (did you mean "Pid"?)',
  },
  {
    name: 'namespace value that is neither an inode nor host_ns',
    yaml: kprobe(
      '    selectors:',
      '    - matchNamespaces:',
      '      - namespace: Mnt',
      '        operator: In',
      '        values: ["hostns"]',
    ),
    line: 17,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchNamespaces[0].values[0]',
    reason: '"hostns" is not a namespace inode number (0..4294967295) or "host_ns"',
  },
  {
    name: 'misspelled capability',
    yaml: kprobe(
      '    selectors:',
      '    - matchCapabilities:',
      '      - operator: In',
      '        values: ["CAP_SYS_ADMN"]',
    ),
    line: 16,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchCapabilities[0].values[0]',
    reason: 'unknown capability "CAP_SYS_ADMN" (did you mean "CAP_SYS_ADMIN"?)',
  },
  {
    name: 'capability set in the wrong case',
    yaml: kprobe(
      '    selectors:',
      '    - matchCapabilities:',
      '      - type: effective',
      '        operator: In',
      '        values: ["CAP_SYS_ADMIN"]',
    ),
    line: 15,
    column: 15,
    path: 'spec.kprobes[0].selectors[0].matchCapabilities[0].type',
    reason: 'unknown capability set "effective" (did you mean "Effective"?)',
  },
  {
    name: 'action in the wrong case',
    yaml: kprobe('    selectors:', '    - matchActions:', '      - action: sigkill'),
    line: 15,
    column: 17,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].action',
    reason: 'unknown action "sigkill" (did you mean "Sigkill"?)',
  },
  {
    name: 'Signal without argSig',
    yaml: kprobe('    selectors:', '    - matchActions:', '      - action: Signal'),
    line: 15,
    column: 9,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].argSig',
    reason: 'argSig is required',
  },
  {
    name: 'rate limit that is not a duration',
    yaml: kprobe('    selectors:', '    - matchActions:', '      - action: Post', '        rateLimit: 5 minutes'),
    line: 16,
    column: 20,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].rateLimit',
    reason:
      '"5 minutes" is not a rate limit (a number of seconds, optionally with an s, m or h suffix, e.g. "30s", "5m", "1h")',
  },
  {
    name: 'rate limit on an action other than Post',
    yaml: kprobe('    selectors:', '    - matchActions:', '      - action: Sigkill', '        rateLimit: 1m'),
    line: 16,
    column: 20,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].rateLimit',
    reason: 'rateLimit only applies to the Post action, not Sigkill',
  },
  {
    name: 'unknown rate limit scope',
    yaml: kprobe(
      '    selectors:',
      '    - matchActions:',
      '      - action: Post',
      '        rateLimit: 1m',
      '        rateLimitScope: pod',
    ),
    line: 17,
    column: 25,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].rateLimitScope',
    reason: 'unknown rateLimitScope "pod" (expected one of: thread, process, global)',
  },
  {
    name: 'GetUrl with something that is not an http URL',
    yaml: kprobe(
      '    selectors:',
      '    - matchActions:',
      '      - action: GetUrl',
      '        argUrl: "ftp://canary.example"',
    ),
    line: 16,
    column: 17,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].argUrl',
    reason: '"ftp://canary.example" is not an http(s) URL',
  },
  {
    name: 'DnsLookup with an invalid name',
    yaml: kprobe(
      '    selectors:',
      '    - matchActions:',
      '      - action: DnsLookup',
      '        argFqdn: "bad..example"',
    ),
    line: 16,
    column: 18,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].argFqdn',
    reason: '"bad..example" is not a fully qualified domain name',
  },
  {
    name: 'NotifyEnforcer without an enforcer',
    yaml: kprobe('    selectors:', '    - matchActions:', '      - action: NotifyEnforcer', '        argSig: 9'),
    line: 15,
    column: 17,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].action',
    reason: 'NotifyEnforcer needs an enforcer: add spec.enforcers with the calls to enforce on',
  },
  {
    name: 'Override on a tracepoint',
    yaml: spec(
      '  tracepoints:',
      '  - subsystem: syscalls',
      '    event: sys_enter_openat',
      '    selectors:',
      '    - matchActions:',
      '      - action: Override',
      '        argError: -1',
    ),
    line: 11,
    column: 17,
    path: 'spec.tracepoints[0].selectors[0].matchActions[0].action',
    reason: 'Override is not supported on tracepoints (kprobes, fentries, lsmhooks and uprobes only)',
  },
  {
    name: 'Override without argError',
    yaml: kprobe('    selectors:', '    - matchActions:', '      - action: Override'),
    line: 15,
    column: 9,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].argError',
    reason: 'argError is required by Override (the return value to inject, e.g. -1 for EPERM)',
  },
  {
    name: 'return without returnArg',
    yaml: kprobe('    return: true'),
    line: 13,
    column: 13,
    path: 'spec.kprobes[0].return',
    reason: 'return: true needs returnArg (the type of the return value)',
  },
  {
    name: 'misspelled returnArgAction',
    yaml: kprobe('    return: true', '    returnArg: { index: 0, type: sock }', '    returnArgAction: Track'),
    line: 15,
    column: 22,
    path: 'spec.kprobes[0].returnArgAction',
    reason: 'unknown returnArgAction "Track" (did you mean "TrackSock"?)',
  },
  {
    name: 'more than five selectors',
    yaml: kprobe('    selectors:', '    - {}', '    - {}', '    - {}', '    - {}', '    - {}', '    - {}'),
    line: 19,
    column: 7,
    path: 'spec.kprobes[0].selectors[5]',
    reason: 'too many selectors: Tetragon supports at most 5 per hook',
  },
  {
    name: 'more than three actions',
    yaml: kprobe(
      '    selectors:',
      '    - matchActions:',
      '      - action: Post',
      '      - action: NoPost',
      '      - action: Sigkill',
      '      - action: Post',
    ),
    line: 18,
    column: 9,
    path: 'spec.kprobes[0].selectors[0].matchActions[3]',
    reason: 'too many matchActions entries: Tetragon supports at most 3 per selector',
  },
  {
    name: 'sizeArgIndex past 4 bits',
    yaml: HEAD.replace('type: string', 'type: char_buf\n      sizeArgIndex: 16'),
    line: 13,
    column: 21,
    path: 'spec.kprobes[0].args[1].sizeArgIndex',
    reason: 'sizeArgIndex 16 is out of range (0..15; it is the 1-based position of the size argument)',
  },
  {
    name: 'arg index past what Tetragon reads',
    yaml: HEAD.replace('index: 1', 'index: 5'),
    line: 11,
    column: 14,
    path: 'spec.kprobes[0].args[1].index',
    reason: 'index 5 is out of range: Tetragon reads function arguments 0-4 only',
  },
  {
    name: 'duplicate key',
    yaml: HEAD.replace('    args:', '    syscall: true\n    syscall: false\n    args:'),
    line: 9,
    column: 5,
    path: 'spec.kprobes[0].syscall',
    reason: 'duplicate key "syscall" (first defined on line 8)',
  },
  {
    name: 'YAML syntax error',
    yaml: HEAD.replace('type: string', 'type: [string'),
    line: 12,
    column: 20,
    path: '(syntax)',
    reason: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'selector naming an undefined macro',
    yaml: kprobe('    selectors:', '    - macros: [noSuchMacro]'),
    line: 14,
    column: 16,
    path: 'spec.kprobes[0].selectors[0].macros[0]',
    reason: 'undefined macro "noSuchMacro": spec.selectorsMacros defines no macros',
  },
  {
    name: 'macro setting a filter the selector already sets',
    yaml:
      HEAD.replace(
        'spec:\n',
        'spec:\n  selectorsMacros:\n    onlyBash:\n      matchBinaries: [{ operator: In, values: ["/bin/bash"] }]\n',
      ) + '    selectors:\n    - macros: [onlyBash]\n      matchBinaries: [{ operator: In, values: ["/bin/sh"] }]\n',
    line: 17,
    column: 16,
    path: 'spec.kprobes[0].selectors[0].macros[0]',
    reason:
      'macro "onlyBash" sets matchBinaries, which the selector already sets; a filter may come from one place only',
  },
  {
    name: 'macro filter that does not fit one of the hooks using it',
    yaml: spec(
      '  selectorsMacros:',
      '    onPath:',
      '      matchArgs: [{ index: 1, operator: Equal, values: ["/etc/shadow"] }]',
      '  kprobes:',
      '  - call: sys_openat',
      '    args: [{ index: 1, type: string }]',
      '    selectors: [{ macros: [onPath] }]',
      '  - call: sys_close',
      '    args: [{ index: 0, type: int }]',
      '    selectors: [{ macros: [onPath] }]',
    ),
    line: 8,
    column: 28,
    path: 'spec.selectorsMacros.onPath.matchArgs[0].index',
    reason: 'index 1 does not refer to a declared arg (declared indexes: 0) (in the macro as used by spec.kprobes[1])',
  },
  {
    name: 'uprobe with both symbols and offsets',
    yaml: spec('  uprobes:', '  - path: /usr/bin/bash', '    symbols: [readline]', '    offsets: [4096]'),
    line: 9,
    column: 14,
    path: 'spec.uprobes[0].offsets',
    reason: 'a uprobe takes at most one of symbols, offsets and addrs',
  },
  {
    name: 'tracepoint without event',
    yaml: spec('  tracepoints:', '  - subsystem: syscalls'),
    line: 7,
    column: 5,
    path: 'spec.tracepoints[0].event',
    reason: 'event is required',
  },
  {
    name: 'action an LSM hook cannot run',
    yaml: spec(
      '  lsmhooks:',
      '  - hook: file_open',
      '    args: [{ index: 0, type: file }]',
      '    selectors:',
      '    - matchActions: [{ action: GetUrl, argUrl: "http://x.example" }]',
    ),
    line: 10,
    column: 32,
    path: 'spec.lsmhooks[0].selectors[0].matchActions[0].action',
    reason: 'action GetUrl is not supported on lsmhooks (allowed: Post, NoPost, Sigkill, Signal, Override)',
  },
  {
    name: 'matchReturnArgs on a tracepoint',
    yaml: spec(
      '  tracepoints:',
      '  - subsystem: syscalls',
      '    event: sys_exit_openat',
      '    selectors:',
      '    - matchReturnArgs: [{ operator: Equal, values: ["0"] }]',
    ),
    line: 10,
    column: 7,
    path: 'spec.tracepoints[0].selectors[0].matchReturnArgs',
    reason: 'matchReturnArgs is not supported on tracepoint hooks',
  },
  {
    name: 'tag that is too short',
    yaml: kprobe('    tags: ["observability.filesystem", "x"]'),
    line: 13,
    column: 40,
    path: 'spec.kprobes[0].tags[1]',
    reason: 'tag "x" is too short (at least 2 characters)',
  },
  {
    name: 'unknown policy-mode',
    yaml: spec('  options:', '  - name: policy-mode', '    value: audit', '  kprobes:', '  - call: sys_openat'),
    line: 8,
    column: 12,
    path: 'spec.options[0].value',
    reason: 'policy-mode is "monitor" or "enforce", got "audit"',
  },
  {
    name: 'args given as a mapping',
    yaml: spec('  kprobes:', '  - call: sys_openat', '    args: { index: 0, type: int }'),
    line: 8,
    column: 11,
    path: 'spec.kprobes[0].args',
    reason: 'expected a list, got a mapping',
  },
  {
    name: 'index given as a string',
    yaml: HEAD.replace('index: 1', 'index: "1"'),
    line: 11,
    column: 14,
    path: 'spec.kprobes[0].args[1].index',
    reason: 'expected an integer, got string "1"',
  },
  {
    name: 'boolean field given a word',
    yaml: kprobe('    syscall: maybe'),
    line: 13,
    column: 14,
    path: 'spec.kprobes[0].syscall',
    reason: 'expected a boolean (true or false), got string "maybe"',
  },
  {
    name: 'hostSelector with labels',
    yaml: spec('  hostSelector:', '    matchLabels: { role: worker }', '  kprobes:', '  - call: sys_openat'),
    line: 7,
    column: 5,
    path: 'spec.hostSelector',
    reason: 'hostSelector must be either null or {} (labels are not supported)',
  },
  {
    name: 'label selector In without values',
    yaml: spec(
      '  podSelector:',
      '    matchExpressions:',
      '    - { key: app, operator: In }',
      '  kprobes:',
      '  - call: sys_openat',
    ),
    line: 8,
    column: 7,
    path: 'spec.podSelector.matchExpressions[0].values',
    reason: 'values must not be empty for operator In',
  },
  {
    name: 'label value with a space',
    yaml: spec('  podSelector:', '    matchLabels: { app: "my app" }', '  kprobes:', '  - call: sys_openat'),
    line: 7,
    column: 25,
    path: 'spec.podSelector.matchLabels.app',
    reason:
      'value "my app" must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit (or empty)',
  },
  {
    name: 'generated_ftrace list without a pattern',
    yaml: spec('  lists:', '  - name: ksys', '    type: generated_ftrace', '  kprobes:', '  - call: "list:ksys"'),
    line: 7,
    column: 5,
    path: 'spec.lists[0].pattern',
    reason: 'pattern is required for generated_ftrace lists',
  },
  {
    name: 'list defined twice',
    yaml: spec(
      '  lists:',
      '  - { name: a, values: [sys_dup] }',
      '  - { name: a, values: [sys_dup2] }',
      '  kprobes:',
      '  - call: "list:a"',
    ),
    line: 8,
    column: 13,
    path: 'spec.lists[1].name',
    reason: 'list "a" is already defined',
  },
  {
    name: 'UpdateState on an undefined state',
    yaml: kprobe(
      '    selectors:',
      '    - matchActions:',
      '      - { action: UpdateState, stateName: seen, stateUpdateOperator: Delete }',
    ),
    line: 15,
    column: 43,
    path: 'spec.kprobes[0].selectors[0].matchActions[0].stateName',
    reason: 'state "seen" is not defined in spec.state (spec.state is empty)',
  },
  {
    name: 'data entry without a source',
    yaml: kprobe('    data:', '    - { index: 0, type: string, resolve: comm }'),
    line: 14,
    column: 7,
    path: 'spec.kprobes[0].data[0].source',
    reason: 'source is required on data entries (one of: current_task, pt_regs)',
  },
  {
    name: 'source on an ordinary arg',
    yaml: HEAD.replace('type: string', 'type: string\n      source: current_task'),
    line: 13,
    column: 15,
    path: 'spec.kprobes[0].args[1].source',
    reason: 'source is only valid on data entries, not on args',
  },
  {
    name: 'CapabilitiesGained with one arg position',
    yaml: kprobe('    selectors:', '    - matchArgs:', '      - { args: [0], operator: CapabilitiesGained }'),
    line: 15,
    column: 17,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].args',
    reason: 'CapabilitiesGained needs exactly two args positions (new and old capability set), got 1',
  },
  {
    name: 'InRange value that is not a range',
    yaml: kprobe('    selectors:', '    - matchArgs:', '      - { index: 0, operator: InRange, values: ["5"] }'),
    line: 15,
    column: 49,
    path: 'spec.kprobes[0].selectors[0].matchArgs[0].values[0]',
    reason: '"5" is not a range "min:max" of 32-bit integers',
  },
  {
    name: 'matchUserCallers outside a uprobe',
    yaml: kprobe('    selectors:', '    - matchUserCallers: [{ depth: "1", symbol: main }]'),
    line: 14,
    column: 7,
    path: 'spec.kprobes[0].selectors[0].matchUserCallers',
    reason: 'matchUserCallers is only supported on uprobes',
  },
  {
    name: 'alias to an undefined anchor',
    yaml: HEAD.replace('type: string', 'type: *argtype'),
    line: 12,
    column: 13,
    path: 'spec.kprobes[0].args[1].type',
    reason: 'alias *argtype does not refer to an anchor defined before it',
  },
  {
    name: 'a mapping used as a key',
    yaml: HEAD.replace('    args:', '    ? { a: 1 }\n    : x\n    args:'),
    line: 8,
    column: 7,
    path: 'spec.kprobes[0]',
    reason: 'mapping keys must be strings, got a mapping',
  },
  {
    name: 'uprobe refCtrOffsets not matching offsets',
    yaml: spec('  uprobes:', '  - path: /usr/bin/app', '    offsets: [16, 32]', '    refCtrOffsets: [8]'),
    line: 9,
    column: 20,
    path: 'spec.uprobes[0].refCtrOffsets',
    reason: 'refCtrOffsets has 1 entries but the uprobe probes 2 locations; they must match one to one',
  },
  {
    name: 'enforcer calling an undefined list',
    yaml: spec('  enforcers:', '  - calls: ["list:dups"]', '  kprobes:', '  - call: sys_dup'),
    line: 7,
    column: 13,
    path: 'spec.enforcers[0].calls[0]',
    reason: 'list "dups" is not defined in spec.lists (spec.lists is empty)',
  },
];

describe('precise errors', () => {
  it('has at least 40 distinct cases', () => {
    expect(new Set(cases.map((c) => c.reason)).size).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$name', (c) => {
    const result = parsePolicy(c.yaml, 'case.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const expected = {
      file: 'case.yaml',
      line: c.line,
      column: c.column,
      path: c.path,
      reason: c.reason,
      severity: 'error',
    };
    expect(result.errors, result.errors.map(formatDiagnostic).join('\n')).toContainEqual(expected);
  });

  it('collects every error of a document in one pass', () => {
    const yaml = kprobe(
      '    syscall: maybe',
      '    selectors:',
      '    - matchArgs:',
      '      - { index: 9, operator: Equals, values: ["x"] }',
      '      matchActions:',
      '      - action: Kill',
    );
    const result = parsePolicy(yaml, 'many.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      'spec.kprobes[0].syscall',
      'spec.kprobes[0].selectors[0].matchArgs[0].operator',
      'spec.kprobes[0].selectors[0].matchArgs[0].index',
      'spec.kprobes[0].selectors[0].matchActions[0].action',
    ]);
  });

  it('formats diagnostics as file:line:col: path: reason', () => {
    const result = parsePolicy(HEAD.replace('type: string', 'type: inte'), 'file.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatDiagnostic)).toEqual([
      'file.yaml:12:13: spec.kprobes[0].args[1].type: unknown arg type "inte" (did you mean "int"?)',
    ]);
    expect(() => assertPolicy(result)).toThrow(PolicyError);
    try {
      assertPolicy(result);
    } catch (err) {
      expect((err as PolicyError).message).toContain('file.yaml:12:13: spec.kprobes[0].args[1].type: unknown arg type');
      expect((err as PolicyError).diagnostics).toHaveLength(1);
    }
  });
});
