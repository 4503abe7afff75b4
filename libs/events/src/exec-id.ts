/**
 * Tetragon's process identity: exec_id = base64("node:ktime:pid") (standard alphabet, padded),
 * as cilium/tetragon pkg/process GetProcessID builds it. ktime is the process's CLOCK_BOOTTIME
 * start (or last exec) time in ns, so the id is unique per exec image across pid reuse.
 */

/** Tetragon's parent id for pid 1 and kernel threads: the "<kernel>" pseudo process (pid 0, ktime 1). */
export const KERNEL_KTIME = 1n;

export function execId(node: string, ktime: bigint, pid: number): string {
  return Buffer.from(`${node}:${ktime}:${pid}`, 'utf8').toString('base64');
}

export function kernelExecId(node: string): string {
  return execId(node, KERNEL_KTIME, 0);
}

export interface ParsedExecId {
  node: string;
  ktime: bigint;
  pid: number;
}

/**
 * Inverse of execId, or undefined when `id` is not one. Splits at the last two colons (as
 * Tetragon's KtimeFromExecID does) so a node name containing ':' still parses.
 */
export function parseExecId(id: string): ParsedExecId | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id) || id.length % 4 !== 0) return undefined;
  const text = Buffer.from(id, 'base64').toString('utf8');
  const pidColon = text.lastIndexOf(':');
  const ktimeColon = text.lastIndexOf(':', pidColon - 1);
  if (pidColon < 0 || ktimeColon < 0) return undefined;
  const ktimeText = text.slice(ktimeColon + 1, pidColon);
  const pidText = text.slice(pidColon + 1);
  if (!/^\d+$/.test(ktimeText) || !/^\d+$/.test(pidText)) return undefined;
  const pid = Number(pidText);
  if (pid > 0xffffffff) return undefined;
  return { node: text.slice(0, ktimeColon), ktime: BigInt(ktimeText), pid };
}
