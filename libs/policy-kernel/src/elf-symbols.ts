/**
 * Function symbols of a 64-bit little-endian ELF file (.symtab, else .dynsym for stripped
 * libraries), looked up by file offset — what a user stack frame gives once its mapping is known.
 */
import { floorEntry, sortByKey } from './symbols';

export interface ElfSymbols {
  /** The function containing this file offset, if the file names one. */
  at(fileOffset: bigint): string | undefined;
}

interface Sym {
  value: bigint;
  size: bigint;
  name: string;
}

interface Load {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
}

const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const NT_GNU_BUILD_ID = 3;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const PT_LOAD = 1;

/** Throws on a file that is not a 64-bit little-endian ELF. */
export function elfSymbols(b: Buffer): ElfSymbols {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1)
    throw new Error('not a 64-bit little-endian ELF file');
  const loads = programLoads(b);
  const syms = functionSymbols(b);
  return {
    at(fileOffset) {
      const seg = loads.find((l) => fileOffset >= l.offset && fileOffset < l.offset + l.filesz);
      if (!seg) return undefined;
      const vaddr = fileOffset - seg.offset + seg.vaddr;
      const best = floorEntry(syms, vaddr, (x) => x.value);
      return best && (best.size === 0n || vaddr < best.value + best.size) ? best.name : undefined;
    },
  };
}

/** The GNU build id of an ELF file (its .note.gnu.build-id), undefined when it has none. */
export function elfBuildId(b: Buffer): Buffer | undefined {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return undefined;
  const shoff = Number(b.readBigUInt64LE(0x28));
  const entsize = b.readUInt16LE(0x3a);
  for (let i = 0; i < b.readUInt16LE(0x3c); i++) {
    const o = shoff + i * entsize;
    if (o + 64 > b.length || b.readUInt32LE(o + 4) !== SHT_NOTE) continue;
    // Notes: namesz, descsz, type, name (4-aligned), desc (4-aligned).
    let p = Number(b.readBigUInt64LE(o + 24));
    const end = p + Number(b.readBigUInt64LE(o + 32));
    while (p + 12 <= Math.min(end, b.length)) {
      const namesz = b.readUInt32LE(p);
      const descsz = b.readUInt32LE(p + 4);
      const desc = p + 12 + ((namesz + 3) & ~3);
      if (b.readUInt32LE(p + 8) === NT_GNU_BUILD_ID && b.toString('latin1', p + 12, p + 15) === 'GNU')
        return Buffer.from(b.subarray(desc, desc + descsz));
      p = desc + ((descsz + 3) & ~3);
    }
  }
  return undefined;
}

function programLoads(b: Buffer): Load[] {
  const phoff = Number(b.readBigUInt64LE(0x20));
  const entsize = b.readUInt16LE(0x36);
  const out: Load[] = [];
  for (let i = 0; i < b.readUInt16LE(0x38); i++) {
    const o = phoff + i * entsize;
    if (o + 56 > b.length || b.readUInt32LE(o) !== PT_LOAD) continue;
    out.push({ offset: b.readBigUInt64LE(o + 8), vaddr: b.readBigUInt64LE(o + 16), filesz: b.readBigUInt64LE(o + 32) });
  }
  return out;
}

function functionSymbols(b: Buffer): Sym[] {
  const shoff = Number(b.readBigUInt64LE(0x28));
  const entsize = b.readUInt16LE(0x3a);
  const sections = Array.from({ length: b.readUInt16LE(0x3c) }, (_, i) => shoff + i * entsize).filter(
    (o) => o + 64 <= b.length,
  );
  const table = (type: number) => sections.find((o) => b.readUInt32LE(o + 4) === type);
  const symtab = table(SHT_SYMTAB) ?? table(SHT_DYNSYM);
  if (symtab === undefined) return [];
  const off = Number(b.readBigUInt64LE(symtab + 24));
  const size = Number(b.readBigUInt64LE(symtab + 32));
  const strtab = sections[b.readUInt32LE(symtab + 40)];
  if (strtab === undefined) return [];
  const strOff = Number(b.readBigUInt64LE(strtab + 24));
  const out: Sym[] = [];
  for (let o = off; o + 24 <= Math.min(off + size, b.length); o += 24) {
    if ((b[o + 4]! & 0xf) !== STT_FUNC) continue;
    const value = b.readBigUInt64LE(o + 8);
    if (value === 0n) continue;
    const nameAt = strOff + b.readUInt32LE(o);
    const end = b.indexOf(0, nameAt);
    out.push({ value, size: b.readBigUInt64LE(o + 16), name: b.toString('utf8', nameAt, end < 0 ? nameAt : end) });
  }
  return sortByKey(out, (x) => x.value);
}
