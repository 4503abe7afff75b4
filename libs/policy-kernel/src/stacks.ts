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
import { floorEntry, readKallsyms, sortByKey, type KernelSymbol } from './symbols';

export interface StackSymbolizerOptions {
  exposeAddresses?: boolean;
  /** Default /proc. */
  procRoot?: string;
  /** ELF files whose symbols stay cached; default 64. */
  maxModules?: number;
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
    const syms = (this.kallsyms ??= textSymbols(`${this.procRoot}/kallsyms`));
    return addrs.map((addr) => {
      const sym = floorEntry(syms, addr, (x) => x.addr);
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

/** Text symbols sorted by address (none when kptr_restrict hides the addresses: all zero). */
function textSymbols(file: string): KernelSymbol[] {
  const text = readKallsyms(file).filter((x) => 'tTwW'.includes(x.type) && x.addr !== 0n);
  return sortByKey(text, (x) => x.addr);
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
