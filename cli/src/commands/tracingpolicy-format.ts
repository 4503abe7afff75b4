import type { PolicyRecord, PolicyStatus } from '@vigil/contracts';
import type { TracingPolicyStatusJson } from '@vigil/rpc';
import { formatTable } from '../query/format';

/** GetPolicyStatus's answer (vigil.v1.PolicyStatusReport) in protojson: zero values left out. */
export interface PolicyStatusReportJson {
  version?: number;
  nodes?: Array<Partial<PolicyStatus>>;
  nodes_reporting?: number;
  current?: number;
  loaded?: number;
  failed?: number;
}

/** One policy of `vigil tp list --fleet -o json`: the record as listed, and its per-node report. */
export type FleetPolicyJson = Partial<PolicyRecord> & { status: PolicyStatusReportJson };

/** 4096 → "4.0 KiB"; what `tetra tp list` shows as kernel memory, in binary units. */
export function formatBytes(value: string | number | undefined): string {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n) || n <= 0) return n === 0 ? '0 B' : '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** TP_STATE_PARTIALLY_ENABLED → "partially enabled", POLICY_MODE_ENFORCE → "enforce". */
function enumWord(value: string | undefined, prefix: string, zero: string): string {
  if (!value) return zero;
  return value.replace(prefix, '').toLowerCase().replace(/_/g, ' ');
}

/**
 * `vigil tp list` of a node (ListTracingPolicies): one row a policy with its state, mode, kernel
 * memory and hooks — Tetragon's columns, in words. The ERROR column only when a policy has one.
 */
export function nodePolicyTable(policies: TracingPolicyStatusJson[]): string {
  const withError = policies.some((p) => p.error);
  const rows = policies.map((p) => ({
    id: p.id ?? '',
    name: p.name ?? '',
    namespace: p.namespace ?? '',
    state: enumWord(p.state, 'TP_STATE_', 'unknown'),
    mode: enumWord(p.mode, 'TP_MODE_', 'unknown'),
    enabled: p.enabled === true || p.state === 'TP_STATE_ENABLED' ? 'yes' : 'no',
    kernel_memory: formatBytes(p.kernel_memory_bytes),
    sensors: (p.sensors ?? []).join(', '),
    hooks: hooksOf(p),
    ...(withError ? { error: p.error ?? '' } : {}),
  }));
  return formatTable(rows);
}

function hooksOf(p: TracingPolicyStatusJson): string {
  const hooks = (p.hook_statuses ?? []).map((h) => {
    const what = h.hook_description || h.section || '';
    return h.state && h.state !== 'STATUS_LOADED' ? `${what} [${enumWord(h.state, 'STATUS_', '')}]` : what;
  });
  return hooks.length > 0 ? hooks.join(', ') : (p.info ?? '');
}

/**
 * `vigil tp list --fleet`: one row a policy (its record, and what the nodes report: loaded,
 * failed, kernel memory summed over them, the hooks they attached), then one row per node and
 * policy. Returns the two tables; the second is empty when no node reported yet.
 */
export function fleetPolicyTables(policies: FleetPolicyJson[]): { policies: string; nodes: string } {
  const rows = policies.map((p) => {
    const s = p.status;
    const nodes = s.nodes ?? [];
    const failed = s.failed ?? 0;
    const reporting = s.nodes_reporting ?? 0;
    const behind = reporting - (s.current ?? 0);
    const memory = nodes.reduce((sum, n) => sum + Number(n.kernel_memory_bytes || 0), 0);
    const hooks = new Set(nodes.flatMap((n) => (n.hooks ?? []).map((h) => `${h.target} (${h.mechanism})`)));
    return {
      id: p.id ?? '',
      name: p.name ?? '',
      namespace: p.namespace ?? '',
      version: p.version ?? 0,
      state: failed > 0 ? 'error' : p.enabled ? 'enabled' : 'disabled',
      mode: enumWord(p.mode, 'POLICY_MODE_', 'unspecified'),
      enabled: p.enabled ? 'yes' : 'no',
      kernel_memory: formatBytes(memory),
      nodes:
        `${s.loaded ?? 0}/${reporting} loaded` +
        (failed > 0 ? `, ${failed} failed` : '') +
        (behind > 0 ? `, ${behind} behind` : ''),
      node_selector: selectorText(p.node_selector),
      hooks: [...hooks].join(', '),
    };
  });
  const nodeRows = policies.flatMap((p) =>
    (p.status.nodes ?? []).map((n) => ({
      policy: p.id ?? '',
      node: n.node ?? '',
      state: enumWord(n.state, 'POLICY_STATE_', 'unspecified'),
      version: n.version ?? 0,
      mode: enumWord(n.mode, 'POLICY_MODE_', 'unspecified'),
      kernel_memory: formatBytes(n.kernel_memory_bytes),
      time: n.time ?? '',
      error: n.error ?? '',
    })),
  );
  return { policies: formatTable(rows), nodes: formatTable(nodeRows) };
}

function selectorText(selector: PolicyRecord['node_selector'] | undefined): string {
  if (!selector) return '';
  const labels = Object.entries(selector.match_labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const exprs = (selector.match_expressions ?? []).map(
    (e) => `${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`,
  );
  return [...labels, ...exprs].join(',');
}
