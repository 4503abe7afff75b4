/**
 * Stack traces of hook events (Post with kernelStackTrace / userStackTrace) as Tetragon reports
 * them: kernel frames by /proc/kallsyms (symbol + offset), user frames by the process's
 * /proc/<pid>/maps (module + offset in it) and the module's ELF symbol tables (symbol).
 * Addresses themselves are left out unless exposeAddresses is set: they break KASLR/ASLR
 * (Tetragon's --expose-stack-addresses). A process that exited before its event was handled has
 * no maps any more: its user frames keep only what the addresses say.
 */
import fs from 'node:fs';
import type { StackTraceEntry } from '@vigil/events';
import { elfSymbols, type ElfSymbols } from './elf-symbols';

export interface StackSymbolizerOptions {
  exposeAddresses?: boolean;
  /** Default /proc. */
  procRoot?: string;
  /** ELF files whose symbols stay cached; default 64. */
  maxModules?: number;
}

interface KernelSymbol {
  addr: bigint;
  name: string;
}

interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

export class StackSymbolizer {
  private kallsyms?: KernelSymbol[];
  private readonly modules = new Map<string, ElfSymbols | undefined>();
  private readonly procRoot: string;
  private readonly maxModules: number;

  constructor(private readonly opts: StackSymbolizerOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.maxModules = opts.maxModules ?? 64;
  }

  kernel(addrs: readonly bigint[]): StackTraceEntry[] {
    const syms = (this.kallsyms ??= readKallsyms(`${this.procRoot}/kallsyms`));
    return addrs.map((addr) => {
      const sym = nearest(syms, addr);
      return this.entry(addr, sym ? addr - sym.addr : 0n, sym?.name);
    });
  }

  user(pid: number, addrs: readonly bigint[]): StackTraceEntry[] {
    const maps = readMaps(`${this.procRoot}/${pid}/maps`);
    return addrs.map((addr) => {
      const m = maps.find((x) => addr >= x.start && addr < x.end);
      if (!m) return this.entry(addr, 0n);
      const offset = addr - m.start + m.offset;
      const sym = this.module(m.path)?.at(offset);
      return { ...this.entry(addr, offset, sym), module: m.path };
    });
  }

  private entry(addr: bigint, offset: bigint, symbol?: string): StackTraceEntry {
    return {
      address: this.opts.exposeAddresses ? addr.toString() : undefined,
      offset: offset.toString(),
      symbol,
    };
  }

  private module(path: string): ElfSymbols | undefined {
    if (this.modules.has(path)) return this.modules.get(path);
    if (this.modules.size >= this.maxModules) this.modules.delete(this.modules.keys().next().value!);
    let syms: ElfSymbols | undefined;
    try {
      syms = elfSymbols(fs.readFileSync(path));
    } catch {
      syms = undefined; // gone, unreadable or not ELF: frames keep module + offset
    }
    this.modules.set(path, syms);
    return syms;
  }
}

/** /proc/kallsyms, text symbols sorted by address; all zero when kptr_restrict hides them. */
function readKallsyms(file: string): KernelSymbol[] {
  const out: KernelSymbol[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [addr, type, name] = line.split(/\s+/);
    if (!addr || !name || !type || !'tTwW'.includes(type)) continue;
    const a = BigInt(`0x${addr}`);
    if (a !== 0n) out.push({ addr: a, name });
  }
  return out.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
}

function nearest(syms: KernelSymbol[], addr: bigint): KernelSymbol | undefined {
  let lo = 0;
  let hi = syms.length - 1;
  let best: KernelSymbol | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid]!.addr <= addr) {
      best = syms[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** File-backed mappings of /proc/<pid>/maps; empty once the process is gone. */
function readMaps(file: string): Mapping[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
    if (m) out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[3]}`), path: m[4]! });
  }
  return out;
}
