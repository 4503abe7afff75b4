import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';

/** A kernel build option's value: "y", "m", a string/number value, or "n" when unset. */
export type OptionValue = string;

export interface KernelConfig {
  /** Where the configuration was read from, or undefined when no source exists on this node. */
  source?: string;
  options: Map<string, OptionValue>;
}

/** Places distributions keep the running kernel's build configuration, in the order Tetragon checks them. */
export function configSources(release = os.release()): string[] {
  return ['/proc/config.gz', `/boot/config-${release}`, `/lib/modules/${release}/config`];
}

export function parseKernelConfig(text: string): Map<string, OptionValue> {
  const options = new Map<string, OptionValue>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) {
      options.set(set[1]!, set[2]!.replace(/^"(.*)"$/, '$1'));
      continue;
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) options.set(unset[1]!, 'n');
  }
  return options;
}

export function readKernelConfig(sources = configSources()): KernelConfig {
  for (const source of sources) {
    try {
      const raw = fs.readFileSync(source);
      const text = source.endsWith('.gz') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      return { source, options: parseKernelConfig(text) };
    } catch {
      // Not there on this distribution: try the next place.
    }
  }
  return { options: new Map() };
}

/**
 * The options Tetragon documents as needed (docs/installation/faq.md: CORE BPF, BTF,
 * Enforcement, CGROUP and process tracking), plus the ones Vigil's hook strategies depend on.
 */
export const REQUIRED_OPTIONS: Record<string, Array<{ name: string; why: string; optional?: boolean }>> = {
  'core BPF': [
    { name: 'CONFIG_BPF', why: 'BPF at all' },
    { name: 'CONFIG_BPF_SYSCALL', why: 'the bpf() system call' },
    { name: 'CONFIG_BPF_JIT', why: 'JIT-compiled programs (cheap hooks)' },
    { name: 'CONFIG_BPF_JIT_DEFAULT_ON', why: 'JIT on by default', optional: true },
    { name: 'CONFIG_HAVE_BPF_JIT', why: 'architecture JIT support', optional: true },
    { name: 'CONFIG_HAVE_EBPF_JIT', why: 'architecture eBPF JIT' },
    { name: 'CONFIG_BPF_EVENTS', why: 'BPF on kprobes, uprobes and tracepoints' },
    { name: 'CONFIG_FTRACE_SYSCALLS', why: 'syscall tracepoints (syscall: true hooks, fallbacks)' },
  ],
  BTF: [
    { name: 'CONFIG_DEBUG_INFO_BTF', why: 'CO-RE relocation, tp_btf, fentry, LSM' },
    { name: 'CONFIG_DEBUG_INFO_BTF_MODULES', why: 'hooks in module functions', optional: true },
  ],
  'hooks and enforcement': [
    { name: 'CONFIG_KPROBES', why: 'kprobe/kretprobe hooks' },
    { name: 'CONFIG_KPROBE_EVENTS', why: 'kprobe perf events' },
    { name: 'CONFIG_UPROBE_EVENTS', why: 'uprobe hooks' },
    { name: 'CONFIG_FUNCTION_TRACER', why: 'fentry/fexit/fmod_ret trampolines' },
    { name: 'CONFIG_BPF_KPROBE_OVERRIDE', why: 'Override via bpf_override_return', optional: true },
    { name: 'CONFIG_FUNCTION_ERROR_INJECTION', why: 'Override on error-injectable functions', optional: true },
    { name: 'CONFIG_BPF_LSM', why: 'lsmhooks and Override via LSM', optional: true },
  ],
  'cgroups and process tracking': [
    { name: 'CONFIG_CGROUPS', why: 'control groups' },
    { name: 'CONFIG_MEMCG', why: 'memory controller', optional: true },
    { name: 'CONFIG_BLK_CGROUP', why: 'block IO controller', optional: true },
    { name: 'CONFIG_CGROUP_SCHED', why: 'CPU controller', optional: true },
    { name: 'CONFIG_CGROUP_PIDS', why: 'pids controller', optional: true },
    { name: 'CONFIG_CGROUP_FREEZER', why: 'freezer controller', optional: true },
    { name: 'CONFIG_CPUSETS', why: 'cpusets', optional: true },
    { name: 'CONFIG_PROC_PID_CPUSET', why: '/proc/<pid>/cpuset', optional: true },
    { name: 'CONFIG_CGROUP_DEVICE', why: 'devices controller', optional: true },
    { name: 'CONFIG_CGROUP_CPUACCT', why: 'CPU accounting', optional: true },
    { name: 'CONFIG_CGROUP_PERF', why: 'perf per cgroup', optional: true },
    { name: 'CONFIG_CGROUP_BPF', why: 'cgroup programs: connect/bind deny' },
  ],
};

export interface OptionCheck {
  group: string;
  name: string;
  value: OptionValue | 'unknown';
  ok: boolean;
  optional: boolean;
  why: string;
}

/** Checks every listed option; without a config source every value is "unknown", never "ok". */
export function checkKernelConfig(config: KernelConfig): OptionCheck[] {
  return Object.entries(REQUIRED_OPTIONS).flatMap(([group, options]) =>
    options.map(({ name, why, optional }) => {
      const value = config.source ? (config.options.get(name) ?? 'n') : 'unknown';
      return { group, name, value, ok: value === 'y' || value === 'm', optional: optional ?? false, why };
    }),
  );
}
