/**
 * Whether the kernel tests can run here: root, the bpf-native addon and bpf/build/probe.bpf.o
 * built, and bpf() usable (one program loaded). When not, the suites are skipped with the
 * reason printed, never silently. Also: direct attach attempts and leftover checks that do
 * not go through probeKernel().
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BpfObject, isBpfError, type AttachSpec } from '@vigil/bpf-native';
import { defaultProbeObjectPath } from '../../src/probe';

export const PROBE_OBJECT = defaultProbeObjectPath();

function probe(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  const addon = path.join(
    path.dirname(require.resolve('@vigil/bpf-native/package.json')),
    'build',
    'Release',
    'vigil_bpf.node',
  );
  if (!fs.existsSync(addon)) return `${addon} not built (npm run build in libs/bpf-native)`;
  if (!fs.existsSync(PROBE_OBJECT)) return `${PROBE_OBJECT} not built (make -C bpf)`;
  const raw = directAttempt('vigil_probe_raw_tp', null);
  return raw.ok ? undefined : `BPF unusable here: ${raw.error}`;
}

/**
 * Loads one program of probe.bpf.o and attaches it (spec null: load only), without any of
 * kernel-probe's code. ok=false with the error's code and message otherwise.
 */
export function directAttempt(
  program: string,
  spec: AttachSpec | null = { kind: 'auto' },
): { ok: boolean; code?: string; error?: string } {
  let obj: BpfObject | undefined;
  try {
    obj = BpfObject.open(PROBE_OBJECT);
    for (const p of obj.programs()) p.autoload = p.name === program;
    obj.load();
    if (spec) obj.attach(program, spec).destroy();
    return { ok: true };
  } catch (err) {
    return { ok: false, ...(isBpfError(err) ? { code: err.code } : {}), error: (err as Error).message.split('\n')[0] };
  } finally {
    obj?.close();
  }
}

export const skipReason = probe();
export const kernelTestsSkipped = skipReason !== undefined;

export function warnIfSkipped(suite: string): void {
  if (skipReason) console.warn(`\n*** SKIPPING kernel tests "${suite}": ${skipReason} ***\n`);
}

/** bpftool, from PATH or where Debian puts it; undefined when absent. */
export function bpftool(): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin']) {
    const p = path.join(dir, 'bpftool');
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Names of the loaded programs that are the probe's (kernel names are cut to 15 characters). */
export function probeProgramsLoaded(tool: string): string[] {
  const res = spawnSync(tool, ['-j', 'prog', 'show'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`bpftool prog show failed: ${res.stderr}`);
  const progs = JSON.parse(res.stdout || '[]') as Array<{ id: number; name?: string }>;
  return progs.filter((p) => p.name?.startsWith('vigil_probe')).map((p) => `${p.id}:${p.name}`);
}

export interface BpfFd {
  fd: number;
  /** 'bpf-prog', 'bpf-map', 'bpf_link', ... */
  kind: string;
  /** From /proc/self/fdinfo: map_type, max_entries, prog_type, link_type ... */
  info: Record<string, string>;
}

/** This process' fds that are BPF objects (programs, maps, links). */
export function bpfFds(): BpfFd[] {
  const out: BpfFd[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (!target.startsWith('anon_inode:bpf')) continue;
      const info = Object.fromEntries(
        fs
          .readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
          .split('\n')
          .map((l) => l.split(/:\s*/, 2) as [string, string])
          .filter(([k]) => k),
      );
      out.push({ fd: Number(fd), kind: target.slice('anon_inode:'.length), info });
    } catch {
      // the fd readdir itself used, closed meanwhile
    }
  }
  return out;
}

/** BPF_MAP_TYPE_RINGBUF */
export const MAP_TYPE_RINGBUF = '27';

/** Children of this process still alive (e.g. the signalled cat). */
export function liveChildren(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z')
        out.push(`${pid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
    } catch {
      // gone
    }
  }
  return out;
}
