import { describe, expect, it } from 'vitest';
import { CAPABILITY_NAMES } from '../src/capabilities';
import { bpfUnusable } from '../src/probe';
import { deriveHookStrategy, shortReason } from '../src/strategy';
import { cap, debianLike, hostLike } from './fixtures';

describe('hook strategy', () => {
  it('falls back from kprobe and fentry to tracepoints, saying why, where neither works', () => {
    const s = deriveHookStrategy(hostLike());
    expect(s.kernelFunction.mechanism).toBe('tracepoint');
    expect(s.kernelFunction.available).toEqual(['tracepoint']);
    expect(s.kernelFunction.why).toBe(
      'kprobe: ENOENT at attach (CONFIG_KPROBES not set); fentry: EPERM at load; tp_btf works: hook the nearest tracepoint instead',
    );
    expect(s.kernelFunctionReturn.mechanism).toBe('tracepoint');
    expect(s.tracepoint).toMatchObject({ mechanism: 'tp_btf', available: ['tp_btf', 'raw_tp', 'tracepoint'] });
    expect(s.enforcement.override.mechanism).toBe('unsupported');
    expect(s.enforcement.override.why).toMatch(
      /^no way to override.*fmod_ret: EPERM at load; lsm: EPERM at load; override_return: EINVAL at load \(CONFIG_BPF_KPROBE_OVERRIDE not set\)$/,
    );
    expect(s.enforcement.cgroupDeny).toEqual({ mechanism: 'cgroup', available: ['cgroup'], why: 'cgroup works' });
    expect(s.enforcement.sendSignal.mechanism).toBe('send_signal');
  });

  it('prefers kprobe, and fmod_ret for overrides, on a stock distribution kernel', () => {
    const s = deriveHookStrategy(debianLike());
    expect(s.kernelFunction).toEqual({
      mechanism: 'kprobe',
      available: ['kprobe', 'fentry', 'tracepoint'],
      why: 'kprobe works',
    });
    expect(s.kernelFunctionReturn.mechanism).toBe('kretprobe');
    expect(s.enforcement.override).toMatchObject({ mechanism: 'fmod_ret', available: ['fmod_ret', 'lsm'] });
  });

  it('takes fentry when only kprobes are missing, and lsm when only fmod_ret is refused', () => {
    const caps = debianLike().map((c) =>
      c.name === 'kprobe'
        ? cap('kprobe', false, { code: 'ENOENT', stage: 'attach' })
        : c.name === 'fmod_ret'
          ? cap('fmod_ret', false, { code: 'EINVAL' })
          : c,
    );
    const s = deriveHookStrategy(caps);
    expect(s.kernelFunction.mechanism).toBe('fentry');
    expect(s.kernelFunction.why).toBe('kprobe: ENOENT at attach; fentry works');
    expect(s.enforcement.override.mechanism).toBe('lsm');
  });

  it('uses whichever tracepoint flavour works, and says unsupported when none does', () => {
    const onlyClassic = hostLike().map((c) => (c.name === 'tp_btf' || c.name === 'raw_tp' ? cap(c.name, false) : c));
    expect(deriveHookStrategy(onlyClassic).tracepoint.mechanism).toBe('tracepoint');
    expect(deriveHookStrategy(onlyClassic).kernelFunction.why).toMatch(/tracepoint works: hook the nearest tracepoint/);
    const none = hostLike().map((c) => (['tp_btf', 'raw_tp', 'tracepoint'].includes(c.name) ? cap(c.name, false) : c));
    const s = deriveHookStrategy(none);
    expect(s.kernelFunction.mechanism).toBe('unsupported');
    expect(s.kernelFunction.available).toEqual([]);
    expect(s.kernelFunction.why).toMatch(
      /^no way to hook a kernel function: kprobe: .*; fentry: .*; tracepoint \(tp_btf\/raw_tp\/tp\): EPERM at load$/,
    );
  });

  it('says "not probed" for capabilities left out', () => {
    const s = deriveHookStrategy([cap('kprobe', false, { code: 'ENOENT', stage: 'attach' })]);
    expect(s.kernelFunction.why).toBe(
      'no way to hook a kernel function: kprobe: ENOENT at attach; fentry: not probed; tracepoint (tp_btf/raw_tp/tp): not probed',
    );
    expect(shortReason(undefined)).toBe('not probed');
    expect(shortReason(cap('iter', true))).toBe('works');
  });

  it('calls bpf() unusable only when every program, trampolines aside, was refused at load', () => {
    const allRefused = CAPABILITY_NAMES.map((n) => cap(n, false, { code: 'EPERM', stage: 'load' }));
    expect(bpfUnusable(allRefused)).toMatch(
      /^bpf\(\) is refused here: every program failed to load \(raw_tp: EPERM at load/,
    );
    expect(bpfUnusable(hostLike())).toBeUndefined();
    expect(bpfUnusable(allRefused.filter((c) => ['fentry', 'lsm'].includes(c.name)))).toBeUndefined();
    expect(
      bpfUnusable(allRefused.map((c) => (c.name === 'iter' ? cap('iter', false, { code: 'EINVAL' }) : c))),
    ).toBeUndefined();
    expect(bpfUnusable([])).toBeUndefined();
  });
});
