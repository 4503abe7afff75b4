import { formatDiagnostic, parsePolicy } from '@vigil/policy';
import { PolicyLoadError, type PolicyRuntime, type PolicyStatus } from '@vigil/policy-kernel';
import {
  RpcError,
  RpcStatus,
  type PolicyRef,
  type TracingPolicyBackend,
  type TracingPolicyModeName,
  type TracingPolicyStatusJson,
} from '@vigil/rpc';

/**
 * The node's policies behind Tetragon's policy calls: the same PolicyRuntime as the policy
 * directory and PolicySync. Policies that came from vigil.policies belong to the policy engine:
 * changing them here would be undone by the next record, so those calls are refused.
 */
export class NodePolicies implements TracingPolicyBackend {
  constructor(
    private readonly runtime: () => PolicyRuntime | undefined,
    private readonly centrallyManaged: (name: string) => boolean,
  ) {}

  async add(yaml: string): Promise<void> {
    const parsed = parsePolicy(yaml, 'AddTracingPolicy.yaml');
    if (!parsed.ok) throw new RpcError(RpcStatus.INVALID_ARGUMENT, parsed.errors.map(formatDiagnostic).join('\n'));
    const runtime = this.require();
    if (runtime.status(parsed.policy.metadata.name))
      throw new RpcError(RpcStatus.ALREADY_EXISTS, `policy "${parsed.policy.metadata.name}" is already loaded`);
    try {
      runtime.add(parsed.policy);
    } catch (e) {
      if (e instanceof PolicyLoadError) throw new RpcError(RpcStatus.FAILED_PRECONDITION, e.message);
      throw e;
    }
  }

  async delete(ref: PolicyRef): Promise<void> {
    const runtime = this.local(ref);
    runtime.delete(ref.name);
  }

  async list(): Promise<TracingPolicyStatusJson[]> {
    return (this.runtime()?.list() ?? []).map((status, i) => tetragonStatus(status, i + 1));
  }

  async configure(ref: PolicyRef, change: { enable?: boolean; mode?: TracingPolicyModeName }): Promise<void> {
    const runtime = this.local(ref);
    if (change.mode !== undefined) {
      if (change.mode !== 'TP_MODE_ENFORCE' && change.mode !== 'TP_MODE_MONITOR')
        throw new RpcError(
          RpcStatus.INVALID_ARGUMENT,
          `mode: ${change.mode} is not a mode a policy can be set to (TP_MODE_ENFORCE, TP_MODE_MONITOR)`,
        );
      runtime.setMode(ref.name, change.mode === 'TP_MODE_ENFORCE' ? 'enforce' : 'monitor');
    }
    if (change.enable === true) runtime.enable(ref.name);
    if (change.enable === false) runtime.disable(ref.name);
  }

  private require(): PolicyRuntime {
    const runtime = this.runtime();
    if (!runtime)
      throw new RpcError(
        RpcStatus.UNAVAILABLE,
        'tracing policies are not available yet (the kernel probe has not answered)',
      );
    return runtime;
  }

  /** The runtime, once `ref` is known to be a policy this call may change. */
  private local(ref: PolicyRef): PolicyRuntime {
    const runtime = this.require();
    const status = runtime.status(ref.name);
    if (!status || (ref.namespace !== '' && (status.namespace ?? '') !== ref.namespace))
      throw new RpcError(
        RpcStatus.NOT_FOUND,
        `policy "${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}" is not loaded on this node`,
      );
    if (this.centrallyManaged(ref.name))
      throw new RpcError(
        RpcStatus.FAILED_PRECONDITION,
        `policy "${ref.name}" is managed by the policy engine (vigil.policies): change it there, or this node would undo it`,
      );
    return runtime;
  }
}

/** PolicyRuntime's status in Tetragon's TracingPolicyStatus shape. */
export function tetragonStatus(status: PolicyStatus, id: number): TracingPolicyStatusJson {
  const c = status.counters;
  const json: TracingPolicyStatusJson = {
    id: String(id),
    name: status.name,
    info: status.hooks.map((h) => `${h.source}: ${h.how}`).join('; '),
    sensors: [...new Set(status.hooks.map((h) => `${h.mechanism} sensor`))],
    enabled: status.state === 'enabled',
    state: status.state === 'enabled' ? 'TP_STATE_ENABLED' : 'TP_STATE_DISABLED',
    kernel_memory_bytes: String(status.kernelMemory),
    mode: status.mode === 'enforce' ? 'TP_MODE_ENFORCE' : 'TP_MODE_MONITOR',
    stats: {
      action_counters: {
        post: String(c.posted),
        signal: String(c.sigkill + c.signal),
        override: String(c.override),
      },
    },
    hook_statuses: status.hooks.map((h, i) => ({
      section: h.source,
      state: 'STATUS_LOADED',
      hook_description: `${h.target} (${h.mechanism})`,
      hook_idx: i,
    })),
  };
  if (status.namespace) json.namespace = status.namespace;
  return json;
}
