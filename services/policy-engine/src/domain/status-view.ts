import type { PolicyStatus } from '@vigil/contracts';

/** What vigil.policy-status told so far, counted (a message that cannot be used is never silent). */
export interface StatusViewStats {
  received: number;
  /** Keys that are not "<node>/<policy id>" or whose value names another node or policy. */
  invalid: number;
  /** Older than what the node already reported for that policy (re-delivery, reordering). */
  stale: number;
  removed: number;
}

/**
 * Per policy, per node: the latest status each node reported (key "<node>/<policy id>"). A
 * tombstone means the node no longer has the policy. Built from the topic alone, so a restarted
 * engine has it back after the replay.
 */
export class StatusView {
  private readonly byPolicy = new Map<string, Map<string, PolicyStatus>>();
  private readonly counters: StatusViewStats = { received: 0, invalid: 0, stale: 0, removed: 0 };

  apply(key: string, value: PolicyStatus | null): void {
    this.counters.received++;
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) {
      this.counters.invalid++;
      return;
    }
    const node = key.slice(0, slash);
    const policyId = key.slice(slash + 1);
    if (value === null) {
      if (this.byPolicy.get(policyId)?.delete(node)) this.counters.removed++;
      return;
    }
    if (value.node !== node || value.policy_id !== policyId) {
      this.counters.invalid++;
      return;
    }
    const nodes = this.byPolicy.get(policyId) ?? new Map<string, PolicyStatus>();
    const previous = nodes.get(node);
    if (
      previous &&
      (value.version < previous.version || (value.version === previous.version && value.time < previous.time))
    ) {
      this.counters.stale++;
      return;
    }
    nodes.set(node, value);
    this.byPolicy.set(policyId, nodes);
  }

  /** Node statuses of a policy, by node name. */
  of(policyId: string): PolicyStatus[] {
    return [...(this.byPolicy.get(policyId)?.values() ?? [])].sort((a, b) => a.node.localeCompare(b.node));
  }

  stats(): StatusViewStats {
    return { ...this.counters };
  }
}
