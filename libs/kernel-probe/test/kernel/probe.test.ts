/**
 * probeKernel() against the running kernel. Written to hold on every kernel the project runs
 * on: this project's 6.18 VMs (kprobes off, trampolines blocked) and stock Debian 6.1/6.12 in
 * QEMU (scripts/vm/run), where kprobe, fentry and lsm work. Answers that differ between them
 * are compared with the kernel config and with direct attach attempts, never hard-coded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttachSpec } from '@vigil/bpf-native';
import {
  CAPABILITY_NAMES,
  PROBE_KERNEL_FUNCTION,
  PROBE_PROGRAMS,
  errorInjectableFunction,
  type CapabilityName,
} from '../../src/capabilities';
import { readKernelConfig } from '../../src/kernel-config';
import { probeKernel, type KernelProbeReport } from '../../src/probe';
import { findCgroup2Mount, readMounts } from '../../src/system';
import {
  MAP_TYPE_RINGBUF,
  bpfFds,
  bpftool,
  directAttempt,
  kernelTestsSkipped,
  liveChildren,
  probeProgramsLoaded,
  warnIfSkipped,
  type BpfFd,
} from './kernel-env';

warnIfSkipped('probeKernel');

const inVm = process.env['VIGIL_VM'] === '1';
/** Under QEMU's TCG everything runs ~10x slower. */
const BUDGET_MS = inVm ? 30_000 : 3_000;

const tool = bpftool();
if (!kernelTestsSkipped && !tool)
  console.warn('\n*** bpftool not found: the "nothing left in bpftool prog show" checks use /proc/self/fd only ***\n');

/** Capabilities every kernel Vigil supports has (5.17+ with BTF, tracefs, cgroup v2, libc). */
const EVERYWHERE: CapabilityName[] = [
  'tp_btf',
  'raw_tp',
  'tracepoint',
  'uprobe',
  'cgroup',
  'iter',
  'ringbuf',
  'send_signal',
  'bpf_loop',
];

/** Per kernel-dependent capability: the same try without kernel-probe's code. */
const DIRECT: Array<[CapabilityName, AttachSpec]> = [
  ['kprobe', { kind: 'kprobe', func: PROBE_KERNEL_FUNCTION }],
  ['kretprobe', { kind: 'kprobe', func: PROBE_KERNEL_FUNCTION, retprobe: true }],
  ['fentry', { kind: 'auto' }],
  ['fexit', { kind: 'auto' }],
  ['fmod_ret', { kind: 'auto' }],
  ['lsm', { kind: 'auto' }],
  ['override_return', { kind: 'kprobe', func: errorInjectableFunction() }],
];

describe.skipIf(kernelTestsSkipped)('probeKernel (real kernel)', () => {
  let report: KernelProbeReport;
  let elapsedMs = 0;
  let fdsBefore: BpfFd[] = [];
  const config = readKernelConfig();
  const cap = (n: CapabilityName) => report.capabilities.find((c) => c.name === n)!;

  beforeAll(async () => {
    fdsBefore = bpfFds();
    const t0 = performance.now();
    report = await probeKernel();
    elapsedMs = performance.now() - t0;
    console.log(
      `probeKernel on ${report.kernel.release}: ${Math.round(elapsedMs)} ms; ` +
        report.capabilities.map((c) => `${c.name}=${c.works ? 'yes' : 'no'}`).join(' '),
    );
  });

  it('reports every capability once, in order, each failure with a stage and a short reason', () => {
    expect(report.capabilities.map((c) => c.name)).toEqual([...CAPABILITY_NAMES]);
    for (const c of report.capabilities) {
      if (c.works) {
        expect(c.reason, c.name).toBeUndefined();
        continue;
      }
      expect(c.stage, c.name).toBeDefined();
      expect(c.reason, c.name).toMatch(
        /^(E[A-Z0-9]+ at (prepare|open|load|attach|verify)|(prepare|verify) failed): \S/,
      );
      expect(c.reason!.length, c.name).toBeLessThanOrEqual(200);
      if (c.code) expect(c.reason!.startsWith(`${c.code} at ${c.stage}`), c.name).toBe(true);
    }
  });

  it('finds tracepoints, tp_btf, raw_tp, uprobes, cgroup programs, iterators, the ring buffer, bpf_send_signal and bpf_loop working', () => {
    const broken = EVERYWHERE.map(cap)
      .filter((c) => !c.works)
      .map((c) => `${c.name}: ${c.reason}`);
    expect(broken).toEqual([]);
  });

  it.each(DIRECT)('reports %s as a direct attach attempt finds it', (name, spec) => {
    const direct = directAttempt(PROBE_PROGRAMS[name], spec);
    // An lsm program that attaches only runs when "bpf" is an active LSM.
    const expected = name === 'lsm' ? direct.ok && report.lsm.bpf !== false : direct.ok;
    expect({ works: cap(name).works, reason: cap(name).reason }).toMatchObject({ works: expected });
    if (!direct.ok && direct.code) expect(cap(name).code).toBe(direct.code);
  });

  it('reports kprobes, BPF LSM and bpf_override_return missing where the kernel config lacks them, naming the option', () => {
    if (!config.source) {
      console.warn(
        '*** no kernel config on this node (no /proc/config.gz, /boot/config-*): config agreement not checked ***',
      );
      return;
    }
    const unset = (o: string) => (config.options.get(o) ?? 'n') === 'n';
    const expectations: Array<[CapabilityName, string]> = [
      ['kprobe', 'CONFIG_KPROBES'],
      ['kretprobe', 'CONFIG_KPROBES'],
      ['lsm', 'CONFIG_BPF_LSM'],
      ['override_return', 'CONFIG_BPF_KPROBE_OVERRIDE'],
    ];
    for (const [name, option] of expectations) {
      if (!unset(option)) continue;
      expect(cap(name).works, name).toBe(false);
      expect(cap(name).reason, name).toContain(option);
      expect(cap(name).hint, name).toContain(option);
    }
    expect(report.config.source).toBe(config.source);
    const hooks = report.config.groups.find((g) => g.group === 'hooks and enforcement')!;
    expect(hooks.missing.includes('CONFIG_KPROBES')).toBe(unset('CONFIG_KPROBES'));
  });

  it('derives the hook strategy from the tries: kprobe, else fentry, else tracepoints', () => {
    const expected = cap('kprobe').works ? 'kprobe' : cap('fentry').works ? 'fentry' : 'tracepoint';
    expect(report.hookStrategy.kernelFunction.mechanism).toBe(expected);
    expect(report.hookStrategy.tracepoint.mechanism).toBe('tp_btf');
    const override = cap('fmod_ret').works
      ? 'fmod_ret'
      : cap('lsm').works
        ? 'lsm'
        : cap('override_return').works
          ? 'override_return'
          : 'unsupported';
    expect(report.hookStrategy.enforcement.override.mechanism).toBe(override);
    expect(report.hookStrategy.enforcement.cgroupDeny.mechanism).toBe('cgroup');
    expect(report.hookStrategy.enforcement.sendSignal.mechanism).toBe('send_signal');
    if (expected !== 'kprobe')
      expect(report.hookStrategy.kernelFunction.why).toContain(`kprobe: ${cap('kprobe').code}`);
  });

  it('reads BTF, the kernel release and the active LSMs as the kernel states them', () => {
    expect(report.btf.vmlinux).toBe(fs.existsSync('/sys/kernel/btf/vmlinux'));
    expect(report.kernel.release).toBe(fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    const lsmFile = '/sys/kernel/security/lsm';
    if (fs.existsSync(lsmFile)) {
      expect(report.lsm.source).toBe('securityfs');
      expect(report.lsm.active).toEqual(fs.readFileSync(lsmFile, 'utf8').trim().split(','));
      expect(report.lsm.bpf).toBe(report.lsm.active!.includes('bpf'));
    } else {
      console.warn(
        `*** ${lsmFile} absent even after the probe (securityfs not mountable here): LSM source is ${report.lsm.source} ***`,
      );
    }
  });

  it(`takes less than ${BUDGET_MS / 1000} s`, () => {
    expect(elapsedMs).toBeLessThan(BUDGET_MS);
    expect(report.durationMs).toBeLessThanOrEqual(Math.ceil(elapsedMs));
  });

  it('leaves nothing behind: no program loaded, no BPF fd, no cgroup, no child, no kprobe event', async () => {
    expect(report.cleanup).toMatchObject({ checked: true, stillLoaded: [] });
    if (tool) expect(probeProgramsLoaded(tool)).toEqual([]);
    const before = new Set(fdsBefore.map((f) => f.fd));
    const added = bpfFds().filter((f) => !before.has(f.fd));
    // No program or link fd may stay open.
    expect(added.filter((f) => f.kind !== 'bpf-map')).toEqual([]);
    // Known bpf-native issue: RingBufferReader.stop() keeps its dup of the ring buffer map fd
    // (with libbpf's ring_buffer and its mmap) until the reader is garbage collected
    // (src/native/ringbuf.cc frees them in StopNoJs(), called from the destructor only). The
    // probe's 4 KiB ring is the only map allowed to outlive it, and only until then.
    const maps = added.filter((f) => f.kind === 'bpf-map');
    expect(maps.filter((f) => f.info['map_type'] !== MAP_TYPE_RINGBUF || f.info['max_entries'] !== '4096')).toEqual([]);
    if (maps.length > 0) {
      console.warn(
        `*** ${maps.length} ring buffer map fd(s) left open until GC by bpf-native's RingBufferReader.stop() (fix in ringbuf.cc) ***`,
      );
    }
    const cg = findCgroup2Mount();
    if (cg) expect(fs.readdirSync(cg).filter((d) => d.startsWith('vigil-probe-'))).toEqual([]);
    // The signalled child is reaped asynchronously.
    const deadline = Date.now() + 2000;
    while (liveChildren().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(liveChildren()).toEqual([]);
    for (const m of readMounts().filter((x) => x.fstype === 'tracefs')) {
      const events = path.join(m.target, 'kprobe_events');
      if (fs.existsSync(events))
        expect(fs.readFileSync(events, 'utf8')).not.toMatch(new RegExp(`libbpf_${process.pid}_`));
    }
  });

  it('gives the same answers when run again (and only the capabilities asked for)', async () => {
    const again = await probeKernel();
    const works = (r: KernelProbeReport) => Object.fromEntries(r.capabilities.map((c) => [c.name, c.works]));
    expect(works(again)).toEqual(works(report));
    const some = await probeKernel({ only: ['raw_tp', 'fentry'] });
    expect(some.capabilities.map((c) => c.name)).toEqual(['fentry', 'raw_tp']); // CAPABILITY_NAMES order
    expect(some.capabilities[0]!.works).toBe(cap('fentry').works);
    if (tool) expect(probeProgramsLoaded(tool)).toEqual([]);
  });
});
