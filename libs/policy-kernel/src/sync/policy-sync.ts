import { randomUUID } from 'node:crypto';
import type { PolicyRecord, PolicyStatus as StatusMessage } from '@vigil/contracts';
import { formatDiagnostic, parsePolicy, type TracingPolicy } from '@vigil/policy';
import { PolicyLoadError } from '../runtime';
import { nodeSelects } from './node-selector';
import type { PolicyTarget } from './policy-target';
import { failedStatus, loadedStatus, runtimeMode } from './status-message';

/** A keyed message as the bus hands it over (structurally @vigil/bus's BusMessage). */
export interface SyncMessage<T> {
  key: string;
  value: T;
}

/**
 * The part of @vigil/bus's EventBus PolicySync uses (an EventBus fits it), declared here so this
 * library does not depend on the transport.
 */
export interface PolicySyncBus {
  subscribe<T>(
    topic: 'vigil.policies',
    consumer: string,
    handler: (batch: SyncMessage<T>[]) => void | Promise<void>,
  ): () => void;
  publish<T>(topic: 'vigil.policy-status', messages: SyncMessage<T>[]): Promise<void>;
}

export interface PolicySyncOptions {
  bus: PolicySyncBus;
  runtime: PolicyTarget;
  /** This node's name: the status key is "<node>/<policy id>". */
  node: string;
  /** This node's labels, matched against each record's nodeSelector. */
  labels: Record<string, string>;
  /**
   * Consumer name. Default: unique per start, so each start reads vigil.policies from the
   * beginning (the runtime starts empty; a resumed offset would skip the policies it needs).
   */
  consumer?: string;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface PolicySyncStats {
  /** Records and tombstones received. */
  received: number;
  /** Versions applied (loaded, reloaded, enabled, disabled, mode set) or refused with a status. */
  applied: number;
  /** Same version as already applied: nothing done (replays, re-deliveries). */
  unchanged: number;
  /** Records whose nodeSelector does not select this node. */
  notSelected: number;
  /** Policies unloaded here (deleted, or no longer selecting this node). */
  removed: number;
  /** Records whose value does not match their key, or without a version. */
  invalid: number;
  /** Tombstones of ids this node never had (other nodes' policies, replay markers). */
  ignoredTombstones: number;
  /** Versions that did not load (ERROR or UNSUPPORTED). */
  failed: number;
  statusPublished: number;
  statusPublishFailures: number;
}

interface Applied {
  version: number;
  yamlSha: string;
  /** metadata.name of the version in the runtime (the runtime keys policies by name). */
  name?: string;
  /** The policy in the runtime, its YAML hash, enabled state and mode; undefined when none is. */
  loaded?: { policy: TracingPolicy; yamlSha: string; enabled: boolean; mode: PolicyRecord['mode'] };
  status: StatusMessage;
  statusPublished: boolean;
}

/**
 * Applies the policy records of vigil.policies to this node's PolicyRuntime and reports a
 * PolicyStatus on vigil.policy-status for each version it applied.
 *
 * - A record whose nodeSelector does not select the node is not loaded (and is unloaded if it was).
 * - Idempotent: a version already applied is skipped, so replays and re-deliveries reload nothing.
 * - A new version with the same YAML only enables, disables or sets the mode (no reload); new YAML
 *   reloads (delete + add). If the new YAML does not load, the previous version is put back and
 *   the status says so: a node keeps enforcing what it had.
 * - A disabled policy is not loaded at all, so it never attaches, not even between add and disable.
 * - A tombstone unloads the policy and publishes a tombstone status.
 * Statuses of one batch are published after it; if that fails the batch fails (the bus retries
 * it) and the unpublished statuses go out with the retry.
 */
export class PolicySync {
  private readonly applied = new Map<string, Applied>();
  /** Latest record per id, also of policies not selecting this node (relabel re-evaluates them). */
  private readonly latest = new Map<string, PolicyRecord>();
  private readonly counters: PolicySyncStats = {
    received: 0,
    applied: 0,
    unchanged: 0,
    notSelected: 0,
    removed: 0,
    invalid: 0,
    ignoredTombstones: 0,
    failed: 0,
    statusPublished: 0,
    statusPublishFailures: 0,
  };
  private labels: Record<string, string>;
  private unsubscribe: (() => void) | undefined;
  private readonly log: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: PolicySyncOptions) {
    this.labels = { ...options.labels };
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.unsubscribe) return;
    const consumer = this.options.consumer ?? `policy-sync.${this.options.node}.${randomUUID()}`;
    this.unsubscribe = this.options.bus.subscribe<PolicyRecord | null>('vigil.policies', consumer, (batch) =>
      this.handle(batch),
    );
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  stats(): PolicySyncStats {
    return { ...this.counters };
  }

  /** The statuses this node last reported, by policy id. */
  /** True when `name` is a policy this sync loaded from vigil.policies (the policy engine owns it). */
  owns(name: string): boolean {
    for (const a of this.applied.values()) if (a.loaded && a.name === name) return true;
    return false;
  }

  statuses(): StatusMessage[] {
    return [...this.applied.values()].map((a) => a.status);
  }

  /** Applies one batch of vigil.policies (what the subscription calls). */
  async handle(batch: SyncMessage<PolicyRecord | null>[]): Promise<void> {
    const out = new Map<string, StatusMessage | null>();
    for (const { key, value } of batch) {
      this.counters.received++;
      if (value === null) this.tombstone(key, out);
      else if (value.id !== key || value.version < 1) {
        this.counters.invalid++;
        this.log(
          `vigil.policies: record under key ${JSON.stringify(key)} holds id ${JSON.stringify(value.id)} version ${value.version}: ignored`,
        );
      } else {
        this.latest.set(key, value);
        this.apply(value, out);
      }
    }
    await this.publish(out);
  }

  /** New node labels: every known record is evaluated again (loads and unloads as selectors say). */
  async relabel(labels: Record<string, string>): Promise<void> {
    this.labels = { ...labels };
    const out = new Map<string, StatusMessage | null>();
    for (const record of this.latest.values()) {
      const a = this.applied.get(record.id);
      if (a) a.version = 0; // force a new evaluation of the same version
      this.apply(record, out);
    }
    await this.publish(out);
  }

  /** Publishes every policy's current status again (fresh kernel counters); call it on a timer. */
  async refresh(): Promise<void> {
    const out = new Map<string, StatusMessage | null>();
    for (const [id, a] of this.applied) {
      const live = a.loaded && a.name ? this.options.runtime.status(a.name) : undefined;
      if (live && a.status.state !== 'POLICY_STATE_ERROR' && a.status.state !== 'POLICY_STATE_UNSUPPORTED')
        a.status = loadedStatus({ ...this.base(id, a.version) }, live);
      a.statusPublished = false;
      out.set(id, a.status);
    }
    await this.publish(out);
  }

  private tombstone(id: string, out: Map<string, StatusMessage | null>): void {
    this.latest.delete(id);
    if (!this.applied.has(id)) {
      this.counters.ignoredTombstones++;
      return;
    }
    this.remove(id, out);
  }

  private remove(id: string, out: Map<string, StatusMessage | null>): void {
    const a = this.applied.get(id);
    if (!a) return;
    if (a.loaded && a.name) this.options.runtime.delete(a.name);
    this.applied.delete(id);
    this.counters.removed++;
    out.set(id, null);
  }

  private base(id: string, version: number) {
    return { node: this.options.node, policy_id: id, version, time: this.now().toISOString() };
  }

  private apply(record: PolicyRecord, out: Map<string, StatusMessage | null>): void {
    const id = record.id;
    const current = this.applied.get(id);
    const selection = nodeSelects(record.node_selector, this.labels);
    if (!selection.selected && !selection.error) {
      this.counters.notSelected++;
      this.remove(id, out);
      return;
    }
    if (current && current.version === record.version && current.yamlSha === record.yaml_sha256) {
      this.counters.unchanged++;
      if (!current.statusPublished) out.set(id, current.status);
      return;
    }
    this.counters.applied++;
    const status = selection.error ? this.fail(record, selection.error) : this.load(record, current);
    if (status.state === 'POLICY_STATE_ERROR' || status.state === 'POLICY_STATE_UNSUPPORTED') this.counters.failed++;
    out.set(id, status);
  }

  private fail(record: PolicyRecord, error: string): StatusMessage {
    const a = this.entry(record);
    a.status = failedStatus(this.base(record.id, record.version), record.mode, error);
    return a.status;
  }

  /** The entry of a record's id, moved to the record's version. */
  private entry(record: PolicyRecord): Applied {
    const a = this.applied.get(record.id) ?? {
      version: 0,
      yamlSha: '',
      status: failedStatus(this.base(record.id, 0), record.mode, ''),
      statusPublished: false,
    };
    a.version = record.version;
    a.yamlSha = record.yaml_sha256;
    a.statusPublished = false;
    this.applied.set(record.id, a);
    return a;
  }

  private load(record: PolicyRecord, previous: Applied | undefined): StatusMessage {
    const runtime = this.options.runtime;
    const a = this.entry(record);
    const base = this.base(record.id, record.version);
    const loaded = previous?.loaded;
    try {
      // Same YAML already in the runtime: enable, disable or set the mode; no reload.
      if (loaded && loaded.yamlSha === record.yaml_sha256 && record.enabled && loaded.enabled !== false) {
        const mode = runtimeMode(record.mode);
        if (mode && record.mode !== loaded.mode) runtime.setMode(a.name!, mode);
        loaded.mode = record.mode;
        return (a.status = loadedStatus(base, runtime.status(a.name!)!));
      }
      if (loaded && loaded.yamlSha === record.yaml_sha256 && !record.enabled) {
        const s = runtime.disable(a.name!);
        loaded.enabled = false;
        return (a.status = loadedStatus(base, s));
      }
      if (loaded && loaded.yamlSha === record.yaml_sha256 && record.enabled && !loaded.enabled) {
        const mode = runtimeMode(record.mode);
        if (mode && record.mode !== loaded.mode) runtime.setMode(a.name!, mode);
        const s = runtime.enable(a.name!);
        loaded.enabled = true;
        loaded.mode = record.mode;
        return (a.status = loadedStatus(base, s));
      }
    } catch (e) {
      return (a.status = failedStatus(base, record.mode, errorText(e), unsupportedOf(e)));
    }
    const parsed = parsePolicy(record.yaml, `vigil.policies/${record.id}`);
    if (!parsed.ok) return (a.status = failedStatus(base, record.mode, parsed.errors.map(formatDiagnostic).join('\n')));
    const policy = parsed.policy;
    const name = policy.metadata.name;
    const holder = [...this.applied.entries()].find(
      ([id, other]) => id !== record.id && other.loaded && other.name === name,
    );
    if (holder)
      return (a.status = failedStatus(
        base,
        record.mode,
        `policy name "${name}" is already loaded on this node by policy ${holder[0]} (the runtime keys policies by metadata.name)`,
      ));
    if (!record.enabled) {
      // Not loaded while disabled: it must never attach, not even between add() and disable().
      if (loaded && a.name) runtime.delete(a.name);
      a.loaded = undefined;
      a.name = name;
      return (a.status = { ...failedStatus(base, record.mode, ''), state: 'POLICY_STATE_DISABLED' });
    }
    if (loaded && a.name) runtime.delete(a.name);
    a.loaded = undefined;
    try {
      const s = runtime.add(policy, runtimeMode(record.mode));
      a.name = name;
      a.loaded = { policy, yamlSha: record.yaml_sha256, enabled: true, mode: record.mode };
      return (a.status = loadedStatus(base, s));
    } catch (e) {
      let error = `version ${record.version} not loaded: ${errorText(e)}`;
      if (loaded && loaded.enabled) {
        // Put the previous version back: the node keeps what it enforced.
        try {
          runtime.add(loaded.policy, runtimeMode(loaded.mode));
          a.loaded = loaded;
          error += `; the previous version stays loaded`;
        } catch (again) {
          error += `; the previous version could not be loaded again either: ${errorText(again)}`;
        }
      }
      return (a.status = failedStatus(base, record.mode, error, unsupportedOf(e)));
    }
  }

  private async publish(out: Map<string, StatusMessage | null>): Promise<void> {
    if (out.size === 0) return;
    const messages = [...out].map(([id, status]) => ({ key: `${this.options.node}/${id}`, value: status }));
    try {
      await this.options.bus.publish('vigil.policy-status', messages);
    } catch (e) {
      this.counters.statusPublishFailures += messages.length;
      throw e;
    }
    this.counters.statusPublished += messages.length;
    for (const id of out.keys()) {
      const a = this.applied.get(id);
      if (a) a.statusPublished = true;
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof PolicyLoadError) return e.reasons.join('; ');
  return e instanceof Error ? e.message : String(e);
}

function unsupportedOf(e: unknown) {
  return e instanceof PolicyLoadError ? e.unsupported : [];
}
