import { randomUUID } from 'node:crypto';
import type { LabelSelector, PolicyAction, PolicyCommand, PolicyMode, PolicyRecord } from '@vigil/contracts';
import { authorize, mayAccess, type Principal } from './auth';
import { badRequest, problem, RequestError } from './errors';
import { invalidPolicyId, namespaceOfId, policyId } from './policy-id';
import type { PolicyLog } from './policy-log';
import { validate } from './policy-state';

/** An apply request, whatever transport brought it (REST body or gRPC ApplyPolicyRequest). */
export interface ApplyRequest {
  yaml: string;
  /** Where the YAML came from, for "file:line:col" in errors. */
  file: string;
  enabled?: boolean;
  mode: PolicyMode;
  nodeSelector?: LabelSelector;
}

/**
 * The policy management operations behind both the REST and the gRPC API: the caller's scope is
 * checked before anything else (so a caller outside it learns nothing about the policy), then
 * the request; every change is a command on the policy log. Refusals are RequestErrors.
 */
export class PolicyApi {
  constructor(private readonly log: () => PolicyLog) {}

  list(who: Principal): PolicyRecord[] {
    this.requireReady();
    return this.log()
      .state.list()
      .filter((r) => mayAccess(who, { kind: r.kind, namespace: r.namespace }));
  }

  get(who: Principal, id: string): PolicyRecord {
    return this.visible(who, id);
  }

  /** Creates, or updates; `id` (PUT) must be the YAML's; createOnly refuses an existing one (409). */
  async apply(who: Principal, request: ApplyRequest, options: { id?: string; createOnly?: boolean } = {}) {
    if (options.id !== undefined) {
      checkId(options.id);
      authorize(who, scopeOfId(options.id));
    }
    const policy = validate(request.yaml, request.file);
    authorize(who, { kind: policy.kind, namespace: policy.metadata.namespace ?? '' });
    const id = policyId(policy.kind, policy.metadata.name, policy.metadata.namespace);
    const existed = this.log().state.get(options.id ?? id) !== undefined;
    if (options.createOnly && existed)
      throw new RequestError(409, `policy "${id}" exists; PUT /policies/${id} updates it`);
    const command: PolicyCommand = {
      // The id asked for (PUT), or the YAML's: the log refuses a YAML that is not that policy.
      ...command_(who, 'POLICY_ACTION_APPLY', options.id ?? id, request.mode),
      yaml: request.yaml,
      ...(request.enabled !== undefined ? { enabled: request.enabled } : {}),
      ...(request.nodeSelector ? { node_selector: request.nodeSelector } : {}),
    };
    const change = await this.log().execute(command, request.file);
    return {
      existed,
      changed: change !== undefined,
      policy: change?.record ?? this.log().state.get(options.id ?? id),
      audit: change?.audit,
    };
  }

  async delete(who: Principal, id: string) {
    this.visible(who, id);
    const change = await this.log().execute(command_(who, 'POLICY_ACTION_DELETE', id));
    return { changed: true, audit: change?.audit };
  }

  /** Enable, disable or set the mode. */
  async change(who: Principal, id: string, action: PolicyAction, mode?: PolicyMode) {
    this.visible(who, id);
    const change = await this.log().execute(command_(who, action, id, mode));
    return { changed: change !== undefined, policy: this.log().state.get(id), audit: change?.audit };
  }

  audit(who: Principal, id: string) {
    checkId(id);
    authorize(who, scopeOfId(id));
    this.requireReady();
    const trail = this.log().state.audit(id);
    if (!trail) throw new RequestError(404, `no policy "${id}"`);
    return trail;
  }

  status(who: Principal, id: string) {
    const record = this.visible(who, id);
    const nodes = this.log().statuses.of(id);
    return {
      version: record.version,
      nodes,
      summary: {
        nodes: nodes.length,
        current: nodes.filter((n) => n.version === record.version).length,
        loaded: nodes.filter((n) => n.state === 'POLICY_STATE_LOADED').length,
        failed: nodes.filter((n) => n.state === 'POLICY_STATE_ERROR' || n.state === 'POLICY_STATE_UNSUPPORTED').length,
      },
    };
  }

  private requireReady(): void {
    if (!this.log().ready)
      throw new RequestError(503, 'the policy engine is still replaying vigil.policies; retry shortly');
  }

  private visible(who: Principal, id: string): PolicyRecord {
    checkId(id);
    authorize(who, scopeOfId(id));
    this.requireReady();
    const record = this.log().state.get(id);
    if (!record) throw new RequestError(404, `no policy "${id}"`);
    return record;
  }
}

function command_(
  who: Principal,
  action: PolicyAction,
  id: string,
  mode: PolicyMode = 'POLICY_MODE_UNSPECIFIED',
): PolicyCommand {
  return {
    command_id: randomUUID(),
    action,
    policy_id: id,
    yaml: '',
    mode,
    actor: who.subject,
    requested_at: new Date().toISOString(),
  };
}

/** Scope from the id alone, so a request outside the token's scope learns nothing about the policy. */
function scopeOfId(id: string) {
  const namespace = namespaceOfId(id);
  return { kind: namespace ? 'TracingPolicyNamespaced' : 'TracingPolicy', namespace };
}

export function checkId(id: string): void {
  const why = invalidPolicyId(id);
  if (why) throw badRequest(`invalid policy id`, [problem('id', why)]);
}
