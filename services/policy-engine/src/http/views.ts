import type { AuditEntry, PolicyRecord } from '@vigil/contracts';

/** A policy in lists: the record without its YAML and audit trail. */
export function summaryView(r: PolicyRecord): Omit<PolicyRecord, 'yaml' | 'audit'> {
  const { yaml: _yaml, audit: _audit, ...rest } = r;
  return rest;
}

/** One version of a policy, as the audit trail tells it. */
export interface VersionView {
  version: number;
  action: AuditEntry['action'];
  actor: string;
  at: string;
  summary: string;
  yaml_sha256: string;
}

/** GET /policies/:id: the record (YAML included) and its versions, newest first. */
export function detailView(r: PolicyRecord): Omit<PolicyRecord, 'audit'> & { versions: VersionView[] } {
  const { audit, ...rest } = r;
  const versions = audit
    .filter((e) => e.version !== e.previous_version)
    .map((e) => ({
      version: e.version,
      action: e.action,
      actor: e.actor,
      at: e.at,
      summary: e.summary,
      yaml_sha256: e.yaml_sha256,
    }))
    .reverse();
  return { ...rest, versions };
}
