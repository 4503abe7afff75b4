/**
 * PolicyRuntime: the TracingPolicies loaded in this node's kernel, managed at run time — add,
 * delete, enable, disable, set mode — without touching the other policies. A policy loads
 * whole or not at all: a hook that cannot run here, or fails to load, leaves the loaded set
 * exactly as it was and says why.
 */
import { HookProgram, isBpfError, type HookSharedMaps, type HookStatName } from '@vigil/bpf-native';
import { findCgroup2Mount } from '@vigil/kernel-probe';
import type { TracingPolicy } from '@vigil/policy';
import { compilePolicy, workloadScope, type CompiledHook, type CompiledPolicy, type UnsupportedHook } from './compile';
import { cgroupsInScope, type CgroupEntry, type PodInfo, type WorkloadScope } from './workloads';
import type { CompileKernel } from './kernel';

export type PolicyMode = 'enforce' | 'monitor';
export type PolicyState = 'enabled' | 'disabled';

export interface HookStatus {
  source: string;
  target: string;
  mechanism: CompiledHook['mechanism'];
  how: string;
  /** "vigil_sys_enter → syscalls/sys_enter_read", one per attachment while enabled. */
  attachments: string[];
  /** Kernel memory of its programs and maps (bytes, memlock), 0 while disabled. */
  kernelMemory: number;
}

/** Like Tetragon's TracingPolicyStatus: what is loaded, how, and what it did. */
export interface PolicyStatus {
  name: string;
  namespace?: string;
  state: PolicyState;
  mode: PolicyMode;
  hooks: HookStatus[];
  warnings: string[];
  /** Namespaced/pod/container-scoped policies: the workloads it applies to now. */
  scope?: WorkloadScope & { cgroups: number };
  /** Kernel counters summed over the policy's hooks (calls, matched, posted, sigkill ...). */
  counters: Record<HookStatName, bigint>;
  /** Kernel memory of all its hooks (bytes), like Tetragon's TracingPolicyStatus.kernel_memory_bytes. */
  kernelMemory: number;
}

export class PolicyLoadError extends Error {
  constructor(
    readonly policy: string,
    readonly reasons: string[],
    readonly unsupported: UnsupportedHook[] = [],
  ) {
    super(`policy "${policy}" not loaded: ${reasons.join('; ')}`);
    this.name = 'PolicyLoadError';
  }
}

/** Where the workloads of this node come from (see workloads.ts); read at every refresh. */
export interface WorkloadSource {
  pods(): PodInfo[];
  cgroups(): CgroupEntry[];
}

export interface PolicyRuntimeOptions {
  kernel: CompileKernel;
  /** Needed for namespaced policies (and pod/container selectors): without it they are refused. */
  workloads?: WorkloadSource;
  /** The process object's maps: hook events join the process events' ring. */
  shared?: HookSharedMaps;
  /** The cgroup v2 root (Override carried out by cgroup programs attaches there). */
  cgroupRoot?: string;
  objectPath?: string;
}

interface Loaded {
  policy: TracingPolicy;
  compiled: CompiledPolicy;
  mode: PolicyMode;
  programs: HookProgram[];
  /** Counters of programs closed by disable, so status keeps counting across it. */
  closedCounters: Partial<Record<HookStatName, bigint>>;
  scope?: WorkloadScope;
  scopedCgroups: number;
}

export class PolicyRuntime {
  private readonly policies = new Map<string, Loaded>();
  private readonly byHookId = new Map<number, { loaded: Loaded; hook: CompiledHook }>();
  private nextHookId = 1;

  /** Where cgroup programs attach: fixed for the node's life, so resolved once. */
  private readonly cgroupRoot: string | undefined;

  constructor(private readonly opts: PolicyRuntimeOptions) {
    this.cgroupRoot = opts.cgroupRoot ?? findCgroup2Mount();
  }

  /** Compiles and loads; throws PolicyLoadError (nothing changed) when it cannot. */
  add(policy: TracingPolicy, mode?: PolicyMode): PolicyStatus {
    const name = policy.metadata.name;
    if (this.policies.has(name))
      throw new PolicyLoadError(name, ['a policy of that name is already loaded (delete it first)']);
    const compiled = compilePolicy(policy, this.opts.kernel, { firstHookId: this.nextHookId });
    if (compiled.unsupported.length > 0)
      throw new PolicyLoadError(
        name,
        compiled.unsupported.map((u) => `${u.source} (${u.target}): ${u.reason}`),
        compiled.unsupported,
      );
    if (compiled.hooks.length === 0) throw new PolicyLoadError(name, ['the policy has no hook']);
    const scope = workloadScope(policy);
    if (scope && !this.opts.workloads)
      throw new PolicyLoadError(name, [
        'it is limited to workloads (namespace, podSelector or containerSelector), and this node has no workload source',
      ]);
    this.nextHookId += compiled.hooks.length;
    const loaded: Loaded = {
      policy,
      compiled,
      mode: mode ?? compiled.mode,
      programs: [],
      closedCounters: {},
      scope,
      scopedCgroups: 0,
    };
    this.attach(loaded);
    this.policies.set(name, loaded);
    for (const hook of compiled.hooks) this.byHookId.set(hook.config.hookId, { loaded, hook });
    return this.statusOf(loaded);
  }

  delete(name: string): boolean {
    const loaded = this.policies.get(name);
    if (!loaded) return false;
    this.detach(loaded);
    this.policies.delete(name);
    for (const hook of loaded.compiled.hooks) this.byHookId.delete(hook.config.hookId);
    return true;
  }

  /** Detaches and unloads the policy's programs; it stays listed and can be enabled again. */
  disable(name: string): PolicyStatus {
    const loaded = this.get(name);
    if (loaded.programs.length) this.detach(loaded);
    return this.statusOf(loaded);
  }

  enable(name: string): PolicyStatus {
    const loaded = this.get(name);
    if (!loaded.programs.length) this.attach(loaded);
    return this.statusOf(loaded);
  }

  /** Monitor: enforcement actions are counted, not carried out. Immediate, no reload. */
  setMode(name: string, mode: PolicyMode): PolicyStatus {
    const loaded = this.get(name);
    loaded.mode = mode;
    for (const p of loaded.programs) p.setMode(mode);
    return this.statusOf(loaded);
  }

  status(name: string): PolicyStatus | undefined {
    const loaded = this.policies.get(name);
    return loaded && this.statusOf(loaded);
  }

  list(): PolicyStatus[] {
    return [...this.policies.values()].map((l) => this.statusOf(l));
  }

  /** The policy and hook behind a hook event. */
  lookup(hookId: number): { policyName: string; hook: CompiledHook } | undefined {
    const h = this.byHookId.get(hookId);
    return h && { policyName: h.loaded.policy.metadata.name, hook: h.hook };
  }

  close(): void {
    for (const name of [...this.policies.keys()]) this.delete(name);
  }

  /**
   * Re-reads the workloads and gives every scoped policy's hooks the cgroups now in its scope.
   * Call when workloads change (the collector does on a timer); cheap when nothing changed.
   */
  refreshWorkloads(): void {
    const scoped = [...this.policies.values()].filter((l) => l.scope && l.programs.length);
    if (!scoped.length || !this.opts.workloads) return;
    const pods = this.opts.workloads.pods();
    const cgroups = this.opts.workloads.cgroups();
    for (const l of scoped) this.applyScope(l, pods, cgroups);
  }

  private applyScope(l: Loaded, pods?: PodInfo[], cgroups?: CgroupEntry[]): void {
    if (!l.scope || !this.opts.workloads) return;
    const ids = cgroupsInScope(l.scope, pods ?? this.opts.workloads.pods(), cgroups ?? this.opts.workloads.cgroups());
    for (const p of l.programs) p.setCgroups(ids);
    l.scopedCgroups = ids.length;
  }

  private get(name: string): Loaded {
    const loaded = this.policies.get(name);
    if (!loaded) throw new PolicyLoadError(name, ['no policy of that name is loaded']);
    return loaded;
  }

  private attach(loaded: Loaded): void {
    try {
      for (const hook of loaded.compiled.hooks)
        loaded.programs.push(
          HookProgram.load({
            config: hook.config,
            attach: hook.attach,
            shared: this.opts.shared,
            mode: loaded.mode,
            objectPath: this.opts.objectPath,
            cgroupRoot: this.cgroupRoot,
          }),
        );
      this.applyScope(loaded);
    } catch (err) {
      for (const p of loaded.programs.splice(0)) p.close();
      if (!isBpfError(err) && !(err instanceof RangeError)) throw err;
      throw new PolicyLoadError(loaded.policy.metadata.name, [err.message.split('\n')[0]!]);
    }
  }

  private detach(loaded: Loaded): void {
    for (const p of loaded.programs.splice(0)) {
      for (const [k, v] of Object.entries(p.stats()) as [HookStatName, bigint][])
        loaded.closedCounters[k] = (loaded.closedCounters[k] ?? 0n) + v;
      p.close();
    }
  }

  private statusOf(l: Loaded): PolicyStatus {
    const counters = { ...l.closedCounters } as Record<HookStatName, bigint>;
    for (const p of l.programs)
      for (const [k, v] of Object.entries(p.stats()) as [HookStatName, bigint][]) counters[k] = (counters[k] ?? 0n) + v;
    const hooks = l.compiled.hooks.map((h, i): HookStatus => ({
      source: h.source,
      target: h.target,
      mechanism: h.mechanism,
      how: h.how,
      attachments: (l.programs[i]?.attachments ?? []).map((a) => `${a.program} → ${a.target}`),
      kernelMemory: l.programs[i]?.kernelMemory() ?? 0,
    }));
    return {
      name: l.policy.metadata.name,
      namespace: l.policy.metadata.namespace,
      state: l.programs.length ? 'enabled' : 'disabled',
      mode: l.mode,
      hooks,
      warnings: l.compiled.warnings,
      scope: l.scope && { ...l.scope, cgroups: l.scopedCgroups },
      counters,
      kernelMemory: hooks.reduce((sum, h) => sum + h.kernelMemory, 0),
    };
  }
}
