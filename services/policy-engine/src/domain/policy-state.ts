import { createHash } from 'node:crypto';
import type { AuditEntry, LabelSelector, PolicyCommand, PolicyMode, PolicyRecord } from '@vigil/contracts';
import { parsePolicy, type TracingPolicy } from '@vigil/policy';
import { badRequest, RequestError, type Problem } from './errors';
import { fromPolicySelector } from './label-selector';
import { invalidPolicyId, policyId } from './policy-id';

/** Audit entries a record carries; older ones are counted in audit_dropped (the record must stay small). */
export const MAX_AUDIT_ENTRIES = 200;

/** A change ready to publish: the record (null = tombstone) under its key, and its audit entry. */
export interface Change {
  id: string;
  record: PolicyRecord | null;
  audit: AuditEntry;
}

/** What replaying a message did (counted by the caller: nothing is dropped silently). */
export type ReplayOutcome = 'applied' | 'deleted' | 'stale' | 'invalid';

interface Deleted {
  lastVersion: number;
  audit: AuditEntry[];
  auditDropped: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const short = (digest: string): string => (digest ? digest.slice(0, 12) : '(none)');

export const modeName = (m: PolicyMode): string =>
  m === 'POLICY_MODE_MONITOR' ? 'monitor' : m === 'POLICY_MODE_ENFORCE' ? 'enforce' : 'unspecified';

function selectorText(s: LabelSelector | undefined): string {
  if (!s) return 'every node';
  return JSON.stringify({ matchLabels: s.match_labels, matchExpressions: s.match_expressions });
}

/**
 * The policies as the log says they are: one PolicyRecord per id. Framework-free and
 * transport-free: `plan` validates a command against the current state and returns the change
 * (nothing is modified), `commit` applies a published change, `replay` applies a record read back
 * from vigil.policies. Rebuilding = replaying every record from the beginning.
 */
export class PolicyState {
  private readonly records = new Map<string, PolicyRecord>();
  /** Ids deleted since start: their last version (versions stay monotonic) and audit trail. */
  private readonly deleted = new Map<string, Deleted>();

  get(id: string): PolicyRecord | undefined {
    return this.records.get(id);
  }

  list(): PolicyRecord[] {
    return [...this.records.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The audit trail of a policy, also of one deleted since the engine started. */
  audit(id: string): { entries: AuditEntry[]; dropped: number } | undefined {
    const r = this.records.get(id);
    if (r) return { entries: r.audit, dropped: r.audit_dropped };
    const d = this.deleted.get(id);
    return d && { entries: d.audit, dropped: d.auditDropped };
  }

  replay(key: string, value: PolicyRecord | null): ReplayOutcome {
    if (invalidPolicyId(key)) return 'invalid';
    if (value === null) {
      const current = this.records.get(key);
      if (!current) return 'stale';
      this.forget(current, undefined);
      return 'deleted';
    }
    if (value.id !== key || value.version < 1) return 'invalid';
    const current = this.records.get(key);
    const floor = current?.version ?? this.deleted.get(key)?.lastVersion ?? 0;
    // A re-delivered older record must not roll the state back.
    if (current && value.version < floor) return 'stale';
    this.records.set(key, value);
    this.deleted.delete(key);
    return 'applied';
  }

  commit(change: Change): void {
    if (change.record) {
      this.records.set(change.id, change.record);
      this.deleted.delete(change.id);
    } else {
      const current = this.records.get(change.id);
      if (current) this.forget(current, change.audit);
    }
  }

  /** Validates a command and computes its change; undefined when it changes nothing (idempotent). */
  plan(command: PolicyCommand, file = 'policy.yaml'): Change | undefined {
    const current = this.records.get(command.policy_id);
    switch (command.action) {
      case 'POLICY_ACTION_APPLY':
        return this.planApply(command, current, file);
      case 'POLICY_ACTION_DELETE': {
        const record = this.require(command.policy_id);
        return { id: record.id, record: null, audit: this.entry(command, record, record.version, 'deleted') };
      }
      case 'POLICY_ACTION_ENABLE':
      case 'POLICY_ACTION_DISABLE': {
        const record = this.require(command.policy_id);
        const enabled = command.action === 'POLICY_ACTION_ENABLE';
        if (record.enabled === enabled) return undefined;
        return this.next(command, record, { ...record, enabled }, `enabled ${record.enabled} → ${enabled}`);
      }
      case 'POLICY_ACTION_SET_MODE': {
        const record = this.require(command.policy_id);
        if (command.mode === 'POLICY_MODE_UNSPECIFIED') throw badRequest('mode is required', []);
        if (record.mode === command.mode) return undefined;
        return this.next(
          command,
          record,
          { ...record, mode: command.mode },
          `mode ${modeName(record.mode)} → ${modeName(command.mode)}`,
        );
      }
      default:
        throw badRequest(`unknown action ${command.action}`, []);
    }
  }

  private planApply(command: PolicyCommand, current: PolicyRecord | undefined, file: string): Change | undefined {
    const policy = validate(command.yaml, file);
    const id = policyId(policy.kind, policy.metadata.name, policy.metadata.namespace);
    if (command.policy_id && command.policy_id !== id)
      throw badRequest(`the policy's id is "${id}", not "${command.policy_id}"`, [
        {
          path: 'metadata.name',
          reason: `kind ${policy.kind}, namespace "${policy.metadata.namespace ?? ''}" and name "${policy.metadata.name}" make the id "${id}"; the URL says "${command.policy_id}"`,
          text: `metadata.name: the policy's id is "${id}", the URL says "${command.policy_id}"`,
        },
      ]);
    const base = current ?? this.records.get(id);
    const yamlMode = policy.spec.optionValues.policyMode;
    const mode: PolicyMode =
      command.mode !== 'POLICY_MODE_UNSPECIFIED'
        ? command.mode
        : yamlMode
          ? yamlMode === 'monitor'
            ? 'POLICY_MODE_MONITOR'
            : 'POLICY_MODE_ENFORCE'
          : (base?.mode ?? 'POLICY_MODE_ENFORCE');
    const nodeSelector =
      command.node_selector ?? (policy.spec.nodeSelector ? fromPolicySelector(policy.spec.nodeSelector) : undefined);
    const proposed: PolicyRecord = {
      id,
      name: policy.metadata.name,
      namespace: policy.metadata.namespace ?? '',
      kind: policy.kind,
      version: 0,
      yaml: command.yaml,
      yaml_sha256: sha256(command.yaml),
      enabled: command.enabled ?? base?.enabled ?? true,
      mode,
      ...(nodeSelector ? { node_selector: nodeSelector } : {}),
      created_by: base?.created_by ?? command.actor,
      created_at: base?.created_at ?? command.requested_at,
      updated_by: command.actor,
      updated_at: command.requested_at,
      audit: base?.audit ?? [],
      audit_dropped: base?.audit_dropped ?? 0,
    };
    if (!base) {
      const summary = `created (${policy.kind}, yaml sha256 ${short(proposed.yaml_sha256)}, ${proposed.enabled ? 'enabled' : 'disabled'}, ${modeName(mode)}, nodes: ${selectorText(nodeSelector)})`;
      return this.next(command, undefined, proposed, summary);
    }
    const changes: string[] = [];
    if (base.yaml_sha256 !== proposed.yaml_sha256)
      changes.push(`yaml sha256 ${short(base.yaml_sha256)} → ${short(proposed.yaml_sha256)}`);
    if (base.enabled !== proposed.enabled) changes.push(`enabled ${base.enabled} → ${proposed.enabled}`);
    if (base.mode !== proposed.mode) changes.push(`mode ${modeName(base.mode)} → ${modeName(proposed.mode)}`);
    if (selectorText(base.node_selector) !== selectorText(proposed.node_selector))
      changes.push(`nodes ${selectorText(base.node_selector)} → ${selectorText(proposed.node_selector)}`);
    if (changes.length === 0) return undefined;
    return this.next(command, base, proposed, changes.join('; '));
  }

  /** The next version of a record, with its audit entry appended (and the oldest dropped past the cap). */
  private next(
    command: PolicyCommand,
    previous: PolicyRecord | undefined,
    proposed: PolicyRecord,
    summary: string,
  ): Change {
    const id = proposed.id;
    const version = (previous?.version ?? this.deleted.get(id)?.lastVersion ?? 0) + 1;
    const audit = this.entry(command, previous, version, summary, proposed.yaml_sha256, id);
    const trail = [...proposed.audit, audit];
    const overflow = Math.max(0, trail.length - MAX_AUDIT_ENTRIES);
    const record: PolicyRecord = {
      ...proposed,
      version,
      updated_by: command.actor,
      updated_at: command.requested_at,
      audit: trail.slice(overflow),
      audit_dropped: proposed.audit_dropped + overflow,
    };
    return { id, record, audit };
  }

  private entry(
    command: PolicyCommand,
    previous: PolicyRecord | undefined,
    version: number,
    summary: string,
    yamlSha256 = '',
    id = command.policy_id,
  ): AuditEntry {
    return {
      policy_id: id,
      action: command.action,
      version,
      previous_version: previous?.version ?? 0,
      actor: command.actor,
      at: command.requested_at,
      summary,
      command_id: command.command_id,
      yaml_sha256: command.action === 'POLICY_ACTION_DELETE' ? '' : yamlSha256 || (previous?.yaml_sha256 ?? ''),
      previous_yaml_sha256: previous?.yaml_sha256 ?? '',
    };
  }

  private require(id: string): PolicyRecord {
    const record = this.records.get(id);
    if (!record) throw new RequestError(404, `no policy "${id}"`);
    return record;
  }

  private forget(record: PolicyRecord, deletion: AuditEntry | undefined): void {
    this.records.delete(record.id);
    this.deleted.set(record.id, {
      lastVersion: record.version,
      audit: deletion ? [...record.audit, deletion] : record.audit,
      auditDropped: record.audit_dropped,
    });
  }
}

/** parsePolicy plus what the API needs on top: every problem at once, each with line and column. */
export function validate(yaml: string, file: string): TracingPolicy {
  const result = parsePolicy(yaml, file);
  if (!result.ok)
    throw badRequest(
      `invalid tracing policy: ${result.errors.length} error(s)`,
      result.errors.map((d): Problem => ({
        path: d.path,
        reason: d.reason,
        line: d.line,
        column: d.column,
        text: `${d.file}:${d.line}:${d.column}: ${d.path}: ${d.reason}`,
      })),
    );
  const policy = result.policy;
  if (policy.kind === 'TracingPolicyNamespaced' && !policy.metadata.namespace) {
    const w = result.warnings.find((d) => d.path.startsWith('metadata')) ?? { line: 1, column: 1 };
    const reason = 'required for TracingPolicyNamespaced: the API has no kubectl context to take it from';
    throw badRequest('invalid tracing policy: 1 error(s)', [
      {
        path: 'metadata.namespace',
        reason,
        line: w.line,
        column: w.column,
        text: `${file}:${w.line}:${w.column}: metadata.namespace: ${reason}`,
      },
    ]);
  }
  return policy;
}
