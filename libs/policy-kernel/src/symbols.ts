/**
 * Symbol tables by address: /proc/kallsyms read once into records, and the lookup a stack frame
 * needs (the last symbol at or below an address) for kallsyms and ELF symbol tables alike.
 */
import fs from 'node:fs';

export interface KernelSymbol {
  addr: bigint;
  /** nm's type letter: t/T text, w/W weak, d/D data ... */
  type: string;
  name: string;
}

/** Every line of /proc/kallsyms (`address type name [module]`), in file order. */
export function readKallsyms(file = '/proc/kallsyms'): KernelSymbol[] {
  const out: KernelSymbol[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [addr, type, name] = line.split(/\s+/);
    if (addr && type && name) out.push({ addr: BigInt(`0x${addr}`), type, name });
  }
  return out;
}

/** Sorts in place by a bigint key, ascending. */
export function sortByKey<T>(items: T[], key: (t: T) => bigint): T[] {
  return items.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

/** The last of `sorted` (ascending by `key`) whose key is at or below `at`. */
export function floorEntry<T>(sorted: readonly T[], at: bigint, key: (t: T) => bigint): T | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let best: T | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]!) <= at) {
      best = sorted[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
