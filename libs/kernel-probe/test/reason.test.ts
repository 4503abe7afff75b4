import { describe, expect, it } from 'vitest';
import { describeFailure, formatReason, telltaleLine } from '../src/reason';

/** What the addon throws: a BpfError (message, errno, code, libbpfLog) as seen on real kernels. */
function bpfError(op: string, code: string, errno: number, text: string, log: string) {
  return Object.assign(new Error(`${op}: ${text} (${code})\n${log}`), { code, errno, op, libbpfLog: log });
}

const VERIFIER_LOG = [
  "libbpf: prog 'vigil_probe_override': BPF program load failed: Invalid argument",
  "libbpf: prog 'vigil_probe_override': -- BEGIN PROG LOAD LOG --",
  '0: R1=ctx() R10=fp0',
  '; int vigil_probe_override(struct pt_regs *ctx) @ probe.bpf.c:167',
  '0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()',
  '11: (85) call bpf_override_return#58',
  'program of this type cannot use helper bpf_override_return#58',
  'processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  '-- END PROG LOAD LOG --',
  "libbpf: prog 'vigil_probe_override': failed to load: -22",
  "libbpf: failed to load object '/x/probe.bpf.o'",
].join('\n');

const KPROBE_LOG = [
  "libbpf: failed to add legacy kprobe event for 'security_file_open+0x0': No such file or directory",
  "libbpf: prog 'vigil_probe_kprobe': failed to create kprobe 'security_file_open+0x0' perf event: No such file or directory",
].join('\n');

const EPERM_LOG = [
  "libbpf: prog 'vigil_probe_fentry': BPF program load failed: Operation not permitted",
  "libbpf: permission error while running as root; try raising 'ulimit -l'? current value: 8.0 MiB",
  "libbpf: prog 'vigil_probe_fentry': failed to load: -1",
  "libbpf: failed to load object '/x/probe.bpf.o'",
].join('\n');

describe('failure reasons', () => {
  it("takes the verifier's verdict out of a program load log", () => {
    expect(telltaleLine(VERIFIER_LOG)).toBe('program of this type cannot use helper bpf_override_return#58');
  });

  it("takes libbpf's last telling line, without prefixes and boilerplate", () => {
    expect(telltaleLine(KPROBE_LOG)).toBe(
      "failed to create kprobe 'security_file_open+0x0' perf event: No such file or directory",
    );
    expect(telltaleLine(EPERM_LOG)).toBe('BPF program load failed: Operation not permitted');
    expect(telltaleLine('')).toBeUndefined();
  });

  it('reduces a BpfError to code, errno and one line without the repeated strerror', () => {
    const kprobe = bpfError(
      'bpf_program__attach for vigil_probe_kprobe',
      'ENOENT',
      2,
      'No such file or directory',
      KPROBE_LOG,
    );
    expect(describeFailure(kprobe)).toEqual({
      code: 'ENOENT',
      errno: 2,
      message: "failed to create kprobe 'security_file_open+0x0' perf event",
    });
    const fentry = bpfError('bpf_object__load(/x/probe.bpf.o)', 'EPERM', 1, 'Operation not permitted', EPERM_LOG);
    expect(describeFailure(fentry).message).toBe('BPF program load failed');
  });

  it('falls back to the error message when libbpf logged nothing', () => {
    const e = bpfError('open cgroup /nope', 'ENOENT', 2, 'No such file or directory', '');
    expect(describeFailure(e)).toEqual({ code: 'ENOENT', errno: 2, message: 'open cgroup /nope' });
    expect(describeFailure(new Error('plain'))).toEqual({ code: undefined, errno: undefined, message: 'plain' });
    expect(describeFailure('a string')).toMatchObject({ message: 'a string' });
  });

  it('formats "CODE at stage: message (hint)" and keeps it short', () => {
    expect(
      formatReason('attach', { code: 'ENOENT', message: 'failed to create kprobe' }, 'CONFIG_KPROBES not set'),
    ).toBe('ENOENT at attach: failed to create kprobe (CONFIG_KPROBES not set)');
    expect(formatReason('verify', { message: 'no record within 1000 ms' })).toBe(
      'verify failed: no record within 1000 ms',
    );
    const long = formatReason('load', { code: 'EINVAL', message: 'x'.repeat(500) });
    expect(long.length).toBe(200);
    expect(long.endsWith('…')).toBe(true);
  });
});
