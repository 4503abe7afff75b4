/**
 * tracefs and bpffs are not always mounted (this project's VMs mount neither at boot):
 * classic tracepoints need tracefs, pinning needs bpffs.
 */
import fs from 'node:fs';
import { native } from './native';

export const TRACEFS = '/sys/kernel/tracing';
export const BPFFS = '/sys/fs/bpf';

/** Mounts tracefs at /sys/kernel/tracing unless it (or debugfs' tracing dir) is there. Returns the tracing dir. */
export function ensureTracefs(): string {
  if (fs.existsSync(`${TRACEFS}/events`)) return TRACEFS;
  if (fs.existsSync('/sys/kernel/debug/tracing/events')) return '/sys/kernel/debug/tracing';
  native().mount('nodev', TRACEFS, 'tracefs');
  return TRACEFS;
}

/** Mounts bpffs at /sys/fs/bpf unless one is mounted there. */
export function ensureBpffs(): string {
  const mounted = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => {
      const f = l.split(' ');
      return f[1] === BPFFS && f[2] === 'bpf';
    });
  if (!mounted) native().mount('bpf', BPFFS, 'bpf');
  return BPFFS;
}
