/**
 * Reading running processes from /proc, in the kernel contract's RawExecEvent shape, so the
 * cache learns them exactly as it learns exec events (flags "procFS auid", like Tetragon's
 * /proc walk in pkg/sensors/exec/procevents).
 *
 * Times: /proc/<pid>/stat field 22 is the start time in clock ticks since boot, on the same
 * CLOCK_BOOTTIME base as the kernel's ktime, floored to a tick (10 ms at CLK_TCK 100): the cache
 * tolerates that granularity when matching a seeded process against kernel events.
 *
 * Kernel threads (PF_KTHREAD) are kept, as Tetragon keeps them: binary is the thread's comm
 * (e.g. "kworker/0:1"), no arguments, parent kthreadd. Zombies are skipped: their exit has
 * already happened and will never be reported, so caching them would pin them forever.
 * A "<kernel>" pseudo process (pid 0, ktime 1) parents pid 1 and kthreadd, as in Tetragon.
 *
 * Everything here is synchronous: the start-up walk runs before events flow, and the per-pid
 * fallback has to answer inside ProcessCache.ingest.
 */
import type { RawExecEvent } from '@vigil/bpf-native';
import {
  INVALID_UID,
  KERNEL_KTIME,
  NAMESPACE_KINDS,
  ProcessFlag,
  zeroNamespaces,
  type NamespaceInums,
} from '@vigil/events';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

const PF_KTHREAD = 0x00200000;

export interface ProcReadOptions {
  /** Default "/proc". */
  procRoot?: string;
  /** Default: `getconf CLK_TCK`, read once (100 on Linux x86-64 and arm64). */
  clockTicksPerSecond?: number;
  /** Where the cgroup v2 hierarchy is mounted, for cgroup ids. Default: found in /proc/self/mounts. */
  cgroup2Root?: string;
}

export interface ProcReadResult {
  /** "<kernel>" first, then every process, in /proc order. */
  processes: RawExecEvent[];
  /** Processes that exited while being read (ENOENT/ESRCH). */
  vanished: number;
  zombies: number;
  /** Processes skipped for another reason (unparsable stat, unexpected errors). */
  failed: number;
}

/** Thrown by readProcess when the process is gone. */
export class ProcessVanishedError extends Error {}

let cachedTicks: number | undefined;

/** CLK_TCK, asked of getconf once; 100 (every mainstream Linux build) if that fails. */
export function clockTicksPerSecond(): number {
  if (cachedTicks === undefined) {
    try {
      const out = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
      cachedTicks = Number.isInteger(out) && out > 0 ? out : 100;
    } catch {
      cachedTicks = 100;
    }
  }
  return cachedTicks;
}

/** Every process running now. */
export function readProcFs(options: ProcReadOptions = {}): ProcReadResult {
  const root = options.procRoot ?? '/proc';
  const opts = {
    ...options,
    clockTicksPerSecond: options.clockTicksPerSecond ?? clockTicksPerSecond(),
    cgroup2Root: resolveCgroup2Root(options),
  };
  const result: ProcReadResult = { processes: [kernelPseudoProcess()], vanished: 0, zombies: 0, failed: 0 };
  for (const name of readdirSync(root)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const p = readProcessInternal(Number(name), root, opts);
      if (p === 'zombie') result.zombies++;
      else result.processes.push(p);
    } catch (err) {
      if (err instanceof ProcessVanishedError) result.vanished++;
      else result.failed++;
    }
  }
  return result;
}

/** One process, for the cache's on-demand parent lookup; undefined when gone, a zombie or unreadable. */
export function readProcess(pid: number, options: ProcReadOptions = {}): RawExecEvent | undefined {
  if (pid === 0) return kernelPseudoProcess();
  const root = options.procRoot ?? '/proc';
  const opts = {
    ...options,
    clockTicksPerSecond: options.clockTicksPerSecond ?? clockTicksPerSecond(),
    cgroup2Root: resolveCgroup2Root(options),
  };
  try {
    const p = readProcessInternal(pid, root, opts);
    return p === 'zombie' ? undefined : p;
  } catch {
    return undefined;
  }
}

/** Tetragon's "<kernel>" process: pid 0, ktime 1, binary "<kernel>", root credentials. */
export function kernelPseudoProcess(): RawExecEvent {
  return {
    kind: 'exec',
    ktime: KERNEL_KTIME,
    pid: 0,
    tid: 0,
    ppid: 0,
    parentKtime: 0n,
    creds: { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0, auid: INVALID_UID },
    binary: '<kernel>',
    args: [],
    argv0: '<kernel>',
    cwd: '',
    cgroupId: 0n,
    cgroupPath: '',
    ns: zeroNamespaces(),
    caps: { permitted: 0n, effective: 0n, inheritable: 0n },
    flags: ProcessFlag.procFS,
  };
}

/** Namespace inums of a process from /proc/<pid>/ns/*; 0 for a kind the kernel lacks or that cannot be read. */
export function readNamespaces(pid: number | 'self', procRoot = '/proc'): NamespaceInums {
  const out = zeroNamespaces();

  for (const [key, file] of NAMESPACE_KINDS) {
    try {
      out[key] = Number(/\[(\d+)\]$/.exec(readlinkSync(path.join(procRoot, String(pid), 'ns', file)))?.[1] ?? 0);
    } catch (err) {
      if (isVanished(err) && !existsDir(path.join(procRoot, String(pid))))
        throw new ProcessVanishedError(`pid ${pid} exited`);
      // EACCES (ptrace access mode denied, e.g. a non-dumpable pid 1) or no such namespace kind: 0
    }
  }
  return out;
}

/**
 * The host's namespaces for Namespace.is_host: pid 1's, as Tetragon reads them. Where pid 1's
 * links cannot be read (EACCES for a protected init, as on this project's VMs) the collector's
 * own stand in, kind by kind: the collector runs in the host namespaces (hostPID, hostNetwork…).
 */
export function hostNamespaces(procRoot = '/proc'): NamespaceInums {
  const init = readNamespaces(1, procRoot);
  const self = readNamespaces('self', procRoot);
  for (const [key] of NAMESPACE_KINDS) if (init[key] === 0) init[key] = self[key];
  return init;
}

type InternalOptions = Required<Pick<ProcReadOptions, 'clockTicksPerSecond'>> & { cgroup2Root: string | undefined };

function readProcessInternal(pid: number, root: string, opts: InternalOptions): RawExecEvent | 'zombie' {
  const dir = path.join(root, String(pid));
  const stat = parseStat(readText(path.join(dir, 'stat')));
  if (stat.state === 'Z' || stat.state === 'X') return 'zombie';
  const tickNs = 1_000_000_000n / BigInt(opts.clockTicksPerSecond);
  const status = parseStatus(readText(path.join(dir, 'status')));
  const kernelThread = (stat.flags & PF_KTHREAD) !== 0;

  let flags = ProcessFlag.procFS | ProcessFlag.needsAUID; // Tetragon's /proc flags: "procFS auid"
  const argv = kernelThread ? [] : readText(path.join(dir, 'cmdline')).split('\0');
  if (argv.at(-1) === '') argv.pop();
  const argv0 = argv[0] ?? stat.comm;

  let binary: string;
  if (kernelThread) binary = stat.comm;
  else {
    const exe = readLink(path.join(dir, 'exe'));
    if (exe !== undefined) binary = exe.endsWith(' (deleted)') ? exe.slice(0, -' (deleted)'.length) : exe;
    else {
      binary = argv0; // exe unreadable (e.g. non-dumpable process): what argv[0] claims, flagged
      flags |= ProcessFlag.errorFilename;
    }
  }

  let cwd = readLink(path.join(dir, 'cwd'));
  if (cwd === undefined) {
    cwd = '';
    flags |= ProcessFlag.rootCWD | ProcessFlag.errorCWD; // Tetragon getCWD's error flags
  } else if (cwd === '/') flags |= ProcessFlag.rootCWD;

  const loginuid = readOptional(path.join(dir, 'loginuid'));
  const cgroupPath = parseCgroupV2Path(readOptional(path.join(dir, 'cgroup')) ?? '');

  return {
    kind: 'exec',
    ktime: BigInt(stat.startTicks) * tickNs,
    pid,
    tid: pid,
    ppid: stat.ppid,
    parentKtime: stat.ppid === 0 ? KERNEL_KTIME : parentStart(root, stat.ppid, tickNs),
    creds: {
      uid: status.uid[0],
      euid: status.uid[1],
      suid: status.uid[2],
      fsuid: status.uid[3],
      gid: status.gid[0],
      egid: status.gid[1],
      sgid: status.gid[2],
      fsgid: status.gid[3],
      auid: loginuid === undefined ? INVALID_UID : Number(loginuid.trim()),
    },
    binary,
    args: argv.slice(1),
    argv0,
    cwd,
    cgroupId: cgroupId(opts.cgroup2Root, cgroupPath),
    cgroupPath,
    ns: readNamespaces(pid, root),
    caps: { permitted: status.capPrm, effective: status.capEff, inheritable: status.capInh },
    flags,
  };
}

interface Stat {
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  startTicks: string;
}

/** /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ")". */
function parseStat(text: string): Stat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const [state, ppid, flags, startTicks] = [rest[0], rest[1], rest[6], rest[19]];
  if (open < 0 || close < open || !state || !ppid || !flags || !startTicks || !/^\d+$/.test(startTicks)) {
    throw new Error(`unparsable stat: ${text.slice(0, 80)}`);
  }
  return { comm: text.slice(open + 1, close), state, ppid: Number(ppid), flags: Number(flags), startTicks };
}

interface Status {
  uid: [number, number, number, number];
  gid: [number, number, number, number];
  capInh: bigint;
  capPrm: bigint;
  capEff: bigint;
}

function parseStatus(text: string): Status {
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  const ids = (name: string): [number, number, number, number] => {
    const v = field(name).split(/\s+/).map(Number);
    const at = (i: number): number => (Number.isInteger(v[i]) ? (v[i] as number) : INVALID_UID);
    return [at(0), at(1), at(2), at(3)];
  };
  const caps = (name: string): bigint => {
    const hex = field(name);
    return /^[0-9a-f]+$/i.test(hex) ? BigInt(`0x${hex}`) : 0n;
  };
  return { uid: ids('Uid'), gid: ids('Gid'), capInh: caps('CapInh'), capPrm: caps('CapPrm'), capEff: caps('CapEff') };
}

/** The v2 path ("0::/a/b" line) of /proc/<pid>/cgroup; "" when there is none. */
function parseCgroupV2Path(text: string): string {
  return /^0::(.*)$/m.exec(text)?.[1] ?? '';
}

function parentStart(root: string, ppid: number, tickNs: bigint): bigint {
  try {
    return BigInt(parseStat(readFileSync(path.join(root, String(ppid), 'stat'), 'utf8')).startTicks) * tickNs;
  } catch {
    return 0n; // parent gone: the cache then resolves by pid, like a kernel event that never saw it
  }
}

/** cgroup v2 id = inode number of the cgroup's directory. */
function cgroupId(cgroup2Root: string | undefined, cgroupPath: string): bigint {
  if (!cgroup2Root || !cgroupPath) return 0n;
  try {
    return statSync(path.join(cgroup2Root, cgroupPath), { bigint: true }).ino;
  } catch {
    return 0n;
  }
}

const cgroup2Roots = new Map<string, string | undefined>();

function resolveCgroup2Root(options: ProcReadOptions): string | undefined {
  if (options.cgroup2Root !== undefined) return options.cgroup2Root;
  const root = options.procRoot ?? '/proc';
  if (!cgroup2Roots.has(root)) {
    const mounts = readOptional(path.join(root, 'self', 'mounts')) ?? '';
    cgroup2Roots.set(root, /^\S+ (\S+) cgroup2 /m.exec(mounts)?.[1]);
  }
  return cgroup2Roots.get(root);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (isVanished(err)) throw new ProcessVanishedError(`${file}: process exited`);
    throw err;
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (isVanished(err) && !existsDir(path.dirname(file))) throw new ProcessVanishedError(`${file}: process exited`);
    return undefined;
  }
}

function readLink(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch (err) {
    if (isVanished(err) && !existsDir(path.dirname(file))) throw new ProcessVanishedError(`${file}: process exited`);
    return undefined; // EACCES, or ENOENT for a link that has no target (exe of a kernel thread)
  }
}

function existsDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function isVanished(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}
