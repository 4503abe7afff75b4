import type { TracingPolicy } from '@vigil/policy';
import { PolicyLoadError, type PolicyMode, type PolicyStatus, type PolicyTarget } from '../../src';

/**
 * A recording stand-in for PolicyRuntime (loading BPF needs root and a kernel; these tests check
 * what PolicySync asks of the runtime). It keeps policies by name as PolicyRuntime does, refuses a
 * duplicate add like it, and fails an add when the policy's name is in `refuse`.
 */
export class RecordingPolicyTarget implements PolicyTarget {
  readonly calls: string[] = [];
  readonly loaded = new Map<string, { policy: TracingPolicy; mode: PolicyMode; enabled: boolean }>();
  /** name → reasons: add() throws PolicyLoadError with them (unsupported when `unsupported`). */
  readonly refuse = new Map<string, { reasons: string[]; unsupported?: boolean }>();

  add(policy: TracingPolicy, mode?: PolicyMode): PolicyStatus {
    const name = policy.metadata.name;
    this.calls.push(`add ${name}${mode ? ` ${mode}` : ''}`);
    if (this.loaded.has(name))
      throw new PolicyLoadError(name, ['a policy of that name is already loaded (delete it first)']);
    const refusal = this.refuse.get(name);
    if (refusal)
      throw new PolicyLoadError(
        name,
        refusal.reasons,
        refusal.unsupported
          ? refusal.reasons.map((reason) => ({ source: 'spec.kprobes[0]', target: 'sys_connect', reason }))
          : [],
      );
    this.loaded.set(name, { policy, mode: mode ?? 'enforce', enabled: true });
    return this.status(name)!;
  }

  delete(name: string): boolean {
    this.calls.push(`delete ${name}`);
    return this.loaded.delete(name);
  }

  enable(name: string): PolicyStatus {
    this.calls.push(`enable ${name}`);
    this.get(name).enabled = true;
    return this.status(name)!;
  }

  disable(name: string): PolicyStatus {
    this.calls.push(`disable ${name}`);
    this.get(name).enabled = false;
    return this.status(name)!;
  }

  setMode(name: string, mode: PolicyMode): PolicyStatus {
    this.calls.push(`setMode ${name} ${mode}`);
    this.get(name).mode = mode;
    return this.status(name)!;
  }

  status(name: string): PolicyStatus | undefined {
    const l = this.loaded.get(name);
    if (!l) return undefined;
    return {
      name,
      state: l.enabled ? 'enabled' : 'disabled',
      mode: l.mode,
      hooks: [
        {
          source: 'spec.kprobes[0]',
          target: l.policy.spec.kprobes[0]?.call ?? '?',
          mechanism: 'syscalls',
          how: 'syscall tracepoint (recorded stand-in)',
          attachments: l.enabled ? ['vigil_sys_enter → syscalls/sys_enter_connect'] : [],
          kernelMemory: l.enabled ? 4096 : 0,
        },
      ],
      warnings: [],
      counters: { calls: 12n, matched: 3n } as PolicyStatus['counters'],
      kernelMemory: l.enabled ? 4096 : 0,
    };
  }

  private get(name: string) {
    const l = this.loaded.get(name);
    if (!l) throw new PolicyLoadError(name, ['no policy of that name is loaded']);
    return l;
  }
}
