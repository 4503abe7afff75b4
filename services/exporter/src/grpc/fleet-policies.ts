import type { Metadata } from '@grpc/grpc-js';
import type { PolicyRecord, PolicyStatus } from '@vigil/contracts';
import {
  RpcError,
  RpcStatus,
  type CallContext,
  type PolicyRef,
  type RpcClient,
  type TracingPolicyBackend,
  type TracingPolicyModeName,
  type TracingPolicyStatusJson,
} from '@vigil/rpc';

type Call = (method: string, request: Record<string, unknown>, metadata: Metadata) => Promise<Record<string, unknown>>;

/**
 * Tetragon's policy calls for the whole fleet, carried out by the policy engine
 * (vigil.v1.PolicyService) with the caller's own token: the engine authenticates, scopes and
 * audits them exactly as its REST API does. A TracingPolicyNamespaced is named
 * "<namespace>:<name>" there.
 */
export class FleetPolicies implements TracingPolicyBackend {
  constructor(private readonly call: Call) {}

  async add(yaml: string, context: CallContext): Promise<void> {
    await this.call('ApplyPolicy', { yaml, create_only: true }, context.metadata);
  }

  async delete(ref: PolicyRef, context: CallContext): Promise<void> {
    await this.call('DeletePolicy', { id: policyId(ref) }, context.metadata);
  }

  async list(context: CallContext): Promise<TracingPolicyStatusJson[]> {
    const { policies = [] } = (await this.call('ListPolicies', {}, context.metadata)) as { policies?: PolicyRecord[] };
    return Promise.all(
      policies.map(async (record, i) => {
        const report = (await this.call('GetPolicyStatus', { id: record.id }, context.metadata)) as {
          nodes?: PolicyStatus[];
        };
        return fleetStatus(record, report.nodes ?? [], i + 1);
      }),
    );
  }

  async configure(
    ref: PolicyRef,
    change: { enable?: boolean; mode?: TracingPolicyModeName },
    context: CallContext,
  ): Promise<void> {
    const id = policyId(ref);
    if (change.mode !== undefined) {
      if (change.mode !== 'TP_MODE_ENFORCE' && change.mode !== 'TP_MODE_MONITOR')
        throw new RpcError(
          RpcStatus.INVALID_ARGUMENT,
          `mode: ${change.mode} is not a mode a policy can be set to (TP_MODE_ENFORCE, TP_MODE_MONITOR)`,
        );
      const mode = change.mode === 'TP_MODE_ENFORCE' ? 'POLICY_MODE_ENFORCE' : 'POLICY_MODE_MONITOR';
      await this.call('SetPolicyMode', { id, mode }, context.metadata);
    }
    if (change.enable !== undefined)
      await this.call(change.enable ? 'EnablePolicy' : 'DisablePolicy', { id }, context.metadata);
  }
}

/**
 * The policy engine's client as FleetPolicies calls it: the caller's metadata passed on, and the
 * engine's refusal (NOT_FOUND, UNAUTHENTICATED, INVALID_ARGUMENT with every problem, ...) handed
 * back to the caller as it is; the engine unreachable is UNAVAILABLE.
 */
export function forwardingCall(client: RpcClient): Call {
  return async (method, request, metadata) => {
    const authorization = metadata.get('authorization')[0];
    try {
      return await client.call(method, request, 30_000, typeof authorization === 'string' ? { authorization } : {});
    } catch (e) {
      const { code, details } = e as { code?: unknown; details?: unknown };
      if (typeof code === 'number' && typeof details === 'string') {
        throw new RpcError(
          code,
          code === RpcStatus.UNAVAILABLE ? `the policy engine is unavailable: ${details}` : details,
        );
      }
      throw e;
    }
  };
}

function policyId(ref: PolicyRef): string {
  return ref.namespace ? `${ref.namespace}:${ref.name}` : ref.name;
}

/** A central policy as Tetragon reports one: enabled/disabled, or in error when a node failed it. */
export function fleetStatus(record: PolicyRecord, nodes: PolicyStatus[], id: number): TracingPolicyStatusJson {
  const failed = nodes.filter((n) => n.state === 'POLICY_STATE_ERROR' || n.state === 'POLICY_STATE_UNSUPPORTED');
  const memory = nodes.reduce((sum, n) => sum + BigInt(n.kernel_memory_bytes || '0'), 0n);
  const json: TracingPolicyStatusJson = {
    id: String(id),
    name: record.name,
    info: `version ${record.version}; ${nodes.filter((n) => n.state === 'POLICY_STATE_LOADED').length} of ${nodes.length} reporting nodes loaded it`,
    enabled: record.enabled,
    state: failed.length > 0 ? 'TP_STATE_ERROR' : record.enabled ? 'TP_STATE_ENABLED' : 'TP_STATE_DISABLED',
    kernel_memory_bytes: String(memory),
    mode: record.mode === 'POLICY_MODE_MONITOR' ? 'TP_MODE_MONITOR' : 'TP_MODE_ENFORCE',
  };
  if (record.namespace) json.namespace = record.namespace;
  if (failed.length > 0) json.error = failed.map((n) => `${n.node}: ${n.error}`).join('; ');
  return json;
}
