/**
 * What a FineGuidanceSensors server serves: the collector backs it with its node (kernel events,
 * its PolicyRuntime), the exporter with the fleet (vigil.events, the policy engine). Values are
 * Tetragon's protojson shapes (the same as its JSON export).
 */
import type { GetEventsResponse } from '@vigil/events';
import type { CallContext } from '../server';

/** Live events; `subscribe` returns the function that ends the subscription. */
export interface EventSource {
  subscribe(listener: (events: readonly GetEventsResponse[]) => void): () => void;
}

export type TracingPolicyModeName = 'TP_MODE_UNKNOWN' | 'TP_MODE_ENFORCE' | 'TP_MODE_MONITOR' | 'TP_MODE_MONITOR_ONLY';

/** tetragon.TracingPolicyStatus in protojson form. */
export interface TracingPolicyStatusJson {
  id?: string;
  name?: string;
  namespace?: string;
  info?: string;
  sensors?: string[];
  enabled?: boolean;
  filter_id?: string;
  error?: string;
  state?: string;
  kernel_memory_bytes?: string;
  mode?: TracingPolicyModeName;
  stats?: { action_counters?: Record<string, string> };
  hook_statuses?: Array<{ section?: string; state?: string; hook_description?: string; hook_idx?: number }>;
}

export interface PolicyRef {
  name: string;
  namespace: string;
}

/** Policy operations; each throws RpcError (NOT_FOUND, INVALID_ARGUMENT, ...) to refuse. */
export interface TracingPolicyBackend {
  add(yaml: string, context: CallContext): Promise<void>;
  delete(ref: PolicyRef, context: CallContext): Promise<void>;
  list(context: CallContext): Promise<TracingPolicyStatusJson[]>;
  configure(
    ref: PolicyRef,
    change: { enable?: boolean; mode?: TracingPolicyModeName },
    context: CallContext,
  ): Promise<void>;
}

export interface HealthCheck {
  name: string;
  ok: boolean;
  details: string;
}

export interface SensorsBackend {
  events: EventSource;
  /** Absent: policy calls answer UNIMPLEMENTED. */
  policies?: TracingPolicyBackend;
  health(): HealthCheck[] | Promise<HealthCheck[]>;
  version: string;
}
