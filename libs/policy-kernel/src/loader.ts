/**
 * `spec.loader: true` — Tetragon's loader sensor: a ProcessLoader event each time a process maps
 * an executable file (the dynamic loader mapping a shared library's code). Here it is one more
 * hook, written in the policy language itself: security_mmap_file of a file (a path starting
 * with "/", not anonymous memory) with PROT_EXEC — so it attaches like any hook on this kernel
 * (kprobe, trampoline, or the mmap syscall equivalent). The build id is read from the file.
 */
import fs from 'node:fs';
import { parsePolicy, type FunctionHook } from '@vigil/policy';
import { elfBuildId } from './elf-symbols';

const PROT_EXEC = 4;

const LOADER_POLICY = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: { name: loader }
spec:
  kprobes:
  - call: security_mmap_file
    syscall: false
    args: [{ index: 0, type: file }, { index: 1, type: uint32 }]
    selectors:
    - matchArgs:
      - { index: 0, operator: Prefix, values: ["/"] }
      - { index: 1, operator: Mask, values: ["${PROT_EXEC}"] }
`;

/** The hook behind `loader: true`. */
export const LOADER_HOOK: FunctionHook = (() => {
  const parsed = parsePolicy(LOADER_POLICY, 'loader.ts');
  if (!parsed.ok) throw new Error(`the loader hook does not parse: ${parsed.errors.map((e) => e.reason).join('; ')}`);
  return parsed.policy.spec.kprobes[0]!;
})();

/** Build ids of mapped files, base64 as Tetragon prints bytes; a bounded cache by path. */
export class BuildIds {
  private readonly cache = new Map<string, string | undefined>();

  constructor(private readonly max = 256) {}

  get(path: string): string | undefined {
    if (this.cache.has(path)) return this.cache.get(path);
    if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
    let id: string | undefined;
    try {
      id = elfBuildId(fs.readFileSync(path))?.toString('base64');
    } catch {
      id = undefined; // gone or unreadable: the event keeps its path
    }
    this.cache.set(path, id);
    return id;
  }
}
