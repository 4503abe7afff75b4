import { Injectable } from '@nestjs/common';
import type { PolicyAction, PolicyCommand } from '@vigil/contracts';
import { byLabel, Metrics, observeCalls, perScrape, type LabelValues } from '@vigil/service-kit';
import { RequestError } from './domain/errors';
import { modeName, type Change } from './domain/policy-state';
import { PolicyLogProvider } from './policy-log.provider';

/** "POLICY_ACTION_SET_MODE" → "set_mode"; "POLICY_STATE_LOADED" → "loaded". */
const short = (value: string, prefix: string): string => value.replace(prefix, '').toLowerCase();

/** How a command ended: a change, nothing to change, refused (4xx), the log unavailable (503), or a failure. */
function commandResult(outcome: { ok: true; value: Change | undefined } | { ok: false; error: unknown }): string {
  if (outcome.ok) return outcome.value ? 'changed' : 'unchanged';
  if (outcome.error instanceof RequestError) return outcome.error.status === 503 ? 'unavailable' : 'refused';
  return 'error';
}

/**
 * The policy engine's metrics (vigil_policy_engine_*, docs/metrics.md): the policies and what the
 * nodes report about them, read at scrape time from the policy log; every command that reaches the
 * log, counted and timed by action and result.
 */
@Injectable()
export class PolicyEngineMetrics {
  constructor(metrics: Metrics, provider: PolicyLogProvider) {
    const log = provider.log;
    const stats = perScrape(() => log.stats());
    const statusStats = perScrape(() => log.statuses.stats());

    metrics.gaugeFrom(
      {
        name: 'policies',
        help: 'Policies on vigil.policies, by state (enabled, disabled) and mode (enforce, monitor).',
        labelNames: ['state', 'mode'],
      },
      () => {
        const counts = new Map<string, [LabelValues, number]>();
        for (const r of log.state.list()) {
          const labels = { state: r.enabled ? 'enabled' : 'disabled', mode: modeName(r.mode) };
          const key = `${labels.state}/${labels.mode}`;
          const entry = counts.get(key) ?? [labels, 0];
          entry[1]++;
          counts.set(key, entry);
        }
        return counts.values();
      },
    );
    metrics.gaugeFrom(
      {
        name: 'policy_nodes',
        help: 'Nodes per policy and state they last reported on vigil.policy-status (loaded, error, disabled, unsupported).',
        labelNames: ['policy', 'state'],
      },
      () => {
        const out: Array<[LabelValues, number]> = [];
        for (const r of log.state.list()) {
          const counts: Record<string, number> = {};
          for (const s of log.statuses.of(r.id)) {
            const state = short(s.state, 'POLICY_STATE_');
            counts[state] = (counts[state] ?? 0) + 1;
          }
          for (const [state, n] of Object.entries(counts)) out.push([{ policy: r.id, state }, n]);
        }
        return out;
      },
    );

    const commands = metrics.counter({
      name: 'commands_total',
      help: 'Policy commands that reached the policy log (REST and gRPC), by action and result (changed, unchanged, refused, unavailable, error).',
      labelNames: ['action', 'result'],
    });
    const duration = metrics.histogram({
      name: 'command_duration_seconds',
      help: 'Time a policy command took, validation and the publish to vigil.policies included, by action.',
      labelNames: ['action'],
    });
    observeCalls(log, 'execute', (call) => {
      const action = short((call.args[0] as PolicyCommand).action as PolicyAction, 'POLICY_ACTION_');
      commands.inc({ action, result: commandResult(call.outcome) });
      duration.observe({ action }, call.seconds);
    });

    metrics.gaugeFrom(
      {
        name: 'replay_ready',
        help: '1 once vigil.policies has been replayed (commands are accepted), else 0.',
      },
      () => (stats().ready ? 1 : 0),
    );
    metrics.counterFrom(
      {
        name: 'replay_records_total',
        help: 'Records of vigil.policies applied to the state, by outcome (applied, deleted, stale, invalid); own changes read back are not counted here.',
        labelNames: ['outcome'],
      },
      () => byLabel('outcome', stats().replay),
    );
    metrics.counterFrom(
      { name: 'replay_markers_total', help: 'Replay markers read on vigil.policies (this start’s and earlier ones).' },
      () => stats().markers,
    );
    metrics.counterFrom(
      {
        name: 'changes_published_total',
        help: 'Changes the engine published to vigil.policies.',
      },
      () => stats().published,
    );
    metrics.counterFrom(
      {
        name: 'changes_read_back_total',
        help: 'The engine’s own published changes read back from vigil.policies (already applied).',
      },
      () => stats().echoes,
    );
    metrics.counterFrom(
      { name: 'status_messages_total', help: 'Messages read from vigil.policy-status.' },
      () => statusStats().received,
    );
    metrics.counterFrom(
      {
        name: 'status_messages_ignored_total',
        help: 'Messages of vigil.policy-status not used, by reason: invalid (key or value wrong), stale (older than what the node reported).',
        labelNames: ['reason'],
      },
      () => byLabel('reason', { invalid: statusStats().invalid, stale: statusStats().stale }),
    );
    metrics.counterFrom(
      {
        name: 'status_removals_total',
        help: 'Tombstones of vigil.policy-status that removed a node’s status (the node no longer has the policy).',
      },
      () => statusStats().removed,
    );
  }
}
