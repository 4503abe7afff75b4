import type { HookStatus, PolicyMode as ContractMode, PolicyStatus as StatusMessage } from '@vigil/contracts';
import type { UnsupportedHook } from '../compile';
import type { PolicyMode, PolicyStatus } from '../runtime';

export function contractMode(mode: PolicyMode | undefined): ContractMode {
  return mode === 'monitor'
    ? 'POLICY_MODE_MONITOR'
    : mode === 'enforce'
      ? 'POLICY_MODE_ENFORCE'
      : 'POLICY_MODE_UNSPECIFIED';
}

export function runtimeMode(mode: ContractMode): PolicyMode | undefined {
  return mode === 'POLICY_MODE_MONITOR' ? 'monitor' : mode === 'POLICY_MODE_ENFORCE' ? 'enforce' : undefined;
}

/** The runtime's status of a loaded policy as the PolicyStatus contract (counters as decimal strings). */
export function loadedStatus(
  base: Pick<StatusMessage, 'node' | 'policy_id' | 'version' | 'time'>,
  s: PolicyStatus,
): StatusMessage {
  return {
    ...base,
    state: s.state === 'enabled' ? 'POLICY_STATE_LOADED' : 'POLICY_STATE_DISABLED',
    error: '',
    mode: contractMode(s.mode),
    hooks: s.hooks.map((h): HookStatus => ({
      source: h.source,
      target: h.target,
      mechanism: h.mechanism,
      how: h.how,
      attachments: [...h.attachments],
    })),
    counters: Object.fromEntries(Object.entries(s.counters).map(([k, v]) => [k, String(v)])),
    warnings: [...s.warnings],
    kernel_memory_bytes: String(s.kernelMemory),
  };
}

/** A version the node could not load: why, and for unsupported hooks which ones. */
export function failedStatus(
  base: Pick<StatusMessage, 'node' | 'policy_id' | 'version' | 'time'>,
  mode: ContractMode,
  error: string,
  unsupported: UnsupportedHook[] = [],
): StatusMessage {
  return {
    ...base,
    state: unsupported.length > 0 ? 'POLICY_STATE_UNSUPPORTED' : 'POLICY_STATE_ERROR',
    error,
    mode,
    hooks: unsupported.map((u) => ({
      source: u.source,
      target: u.target,
      mechanism: 'unsupported',
      how: u.reason,
      attachments: [],
    })),
    counters: {},
    warnings: [],
    kernel_memory_bytes: '0',
  };
}
