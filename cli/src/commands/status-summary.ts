/**
 * `vigil status`: what a Vigil HTTP endpoint says about itself — the all-in-one's combined
 * /healthz, /readyz and /status (every service under its name, and the bus), or one service's
 * own — read into one summary. Every field is optional: a service that is not there, or an older
 * version without a counter, leaves its part out instead of failing the command.
 */

type Json = Record<string, unknown>;

export interface ServiceSummary {
  name: string;
  ready: boolean;
  /** Its readiness checks (name → passing). */
  checks: Record<string, boolean>;
}

export interface DropSummary {
  /** Ring-buffer records the kernel could not deliver, by kind (exec, fork, exit). */
  kernelLost?: { total: number; byKind: Record<string, number> };
  /** Records dropped between the native reader thread and JS. */
  userSpace?: number;
  /** Events the collector could not process: undecodable records, failed batches, hooks no longer loaded. */
  pipeline?: number;
  /** Events the JSON export file lost (queue full, write errors, after close). */
  exportFile?: number;
  /** Bus and spool drops per topic or topic/consumer (queue full, spool full, refused by the broker). */
  bus?: Record<string, number>;
  /** Events the enricher could not publish. */
  enricherPublishFailed?: number;
  /** Events dropped by slow gRPC GetEvents streams; undefined when the status does not report them. */
  grpcStreams?: number;
}

export interface PolicyEngineSummary {
  ready?: boolean;
  policies?: number;
  /** From the policy API with a token: the nodes reporting on any policy, and their outcome. */
  nodesReporting?: string[];
  loaded?: number;
  failed?: Array<{ policy: string; node: string; error: string }>;
  /** Why the per-node part is missing (no token, refused, ...). */
  note?: string;
}

export interface StatusSummary {
  url: string;
  /** The combined document of `vigil run` ("vigil"), or the one service's name. */
  service: string;
  ready: boolean;
  services: ServiceSummary[];
  /** The node(s) this endpoint speaks for: the collector's, and those reporting to the policy engine. */
  nodes: string[];
  events: {
    kernel?: number;
    seeded?: number;
    published?: number;
    enricherReceived?: number;
    exporterConsumed?: number;
    stored?: number;
  };
  drops: DropSummary;
  /** Events accepted and not yet handed on: the lag of each stage that holds some. */
  lag: {
    transportBuffered?: number;
    spoolRecords?: number;
    enricherHeld?: number;
    exporterBacklog?: number;
    exporterInFlight?: number;
  };
  policies: { node?: { loaded: number; byState: Record<string, number> }; engine?: PolicyEngineSummary };
  exporter?: {
    state?: string;
    inserted?: number;
    deadLettered?: number;
    deadLetters?: Json;
    lastError?: string | null;
  };
  /** The raw answers, by service name. */
  status: Json;
}

const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const sum = (r: Json | undefined): number => Object.values(r ?? {}).reduce<number>((t, v) => t + (num(v) ?? 0), 0);
const numbers = (r: Json | undefined): Record<string, number> =>
  Object.fromEntries(Object.entries(r ?? {}).flatMap(([k, v]) => (num(v) !== undefined ? [[k, v as number]] : [])));
/** The sum of the numeric fields that exist; undefined when none does. */
const total = (...values: Array<number | undefined>): number | undefined =>
  values.some((v) => v !== undefined) ? values.reduce<number>((t, v) => t + (v ?? 0), 0) : undefined;
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export interface RawAnswers {
  url: string;
  healthz: Json;
  readyz?: Json;
  /** undefined: the endpoint has no /status (a standalone policy engine). */
  status?: Json;
}

/** Services and their readiness from /healthz and /readyz (combined checks are "<service>: <check>"). */
function serviceSummaries(healthz: Json, readyz: Json | undefined): { service: string; services: ServiceSummary[] } {
  const service = typeof healthz['service'] === 'string' ? healthz['service'] : 'unknown';
  const checks = (obj(readyz?.['checks']) ?? {}) as Record<string, unknown>;
  const names = Array.isArray(healthz['services']) ? (healthz['services'] as unknown[]).map(String) : [service];
  const combined = service === 'vigil';
  const services = names.map((name) => {
    const own: Record<string, boolean> = {};
    for (const [check, ok] of Object.entries(checks)) {
      if (!combined) own[check] = ok === true;
      else if (check.startsWith(`${name}: `)) own[check.slice(name.length + 2)] = ok === true;
    }
    return { name, ready: Object.values(own).every(Boolean), checks: own };
  });
  return { service, services };
}

/** The summary of what one endpoint answered. */
export function summarize(raw: RawAnswers, engine?: PolicyEngineSummary): StatusSummary {
  const { service, services } = serviceSummaries(raw.healthz, raw.readyz);
  // One service's own /status is filed under its name, like the combined document does.
  const status: Json = service === 'vigil' ? (raw.status ?? {}) : raw.status ? { [service]: raw.status } : {};
  const collector = obj(status['collector']);
  const enricher = obj(status['enricher']);
  const exporter = obj(status['exporter']);
  const engineStatus = obj(status['policy-engine']);
  const sharedBus = obj(status['bus']);

  const kernel = obj(collector?.['kernel']);
  const exportFile = obj(collector?.['export']);
  const collectorBus = obj(collector?.['bus']);
  const enricherEvents = obj(enricher?.['events']);
  const sync = obj(collector?.['policySync']);

  const nodes = new Set<string>();
  if (typeof sync?.['node'] === 'string' && sync['node']) nodes.add(sync['node']);
  for (const n of engine?.nodesReporting ?? []) nodes.add(n);

  // `vigil run`'s services share one in-process bus: its own counters, not each service's view of it.
  let bus: Record<string, number> | undefined;
  if (sharedBus) bus = numbers(obj(sharedBus['dropped']));
  else if (collectorBus || exporter) {
    bus = numbers(obj(collectorBus?.['dropped']));
    const exporterDropped = num(exporter?.['busDropped']);
    if (exporterDropped) bus['vigil.events (exporter)'] = exporterDropped;
  }
  const grpcStreams = total(num(obj(collector?.['grpc'])?.['dropped']), num(obj(exporter?.['grpc'])?.['dropped']));
  const lostByKind = numbers(obj(kernel?.['lostKernelByKind']));

  const nodePolicies = Array.isArray(collector?.['policies']) ? (collector['policies'] as Json[]) : undefined;
  const byState: Record<string, number> = {};
  for (const p of nodePolicies ?? []) {
    const state = typeof p['state'] === 'string' ? p['state'] : 'unknown';
    byState[state] = (byState[state] ?? 0) + 1;
  }
  const engineSummary: PolicyEngineSummary | undefined =
    engineStatus || engine
      ? defined({
          ready: typeof engineStatus?.['ready'] === 'boolean' ? engineStatus['ready'] : undefined,
          policies: num(engineStatus?.['policies']),
          ...engine,
        })
      : undefined;

  const spool = obj(collectorBus?.['spool']);
  const ready = services.every((s) => s.ready) && (raw.readyz === undefined || raw.readyz['status'] === 'ready');
  return {
    url: raw.url,
    service,
    ready,
    services,
    nodes: [...nodes],
    events: defined({
      kernel: num(kernel?.['received']),
      seeded: num(collector?.['seeded']),
      published: num(collector?.['published']),
      enricherReceived: num(enricherEvents?.['received']),
      exporterConsumed: num(exporter?.['consumed']),
      stored: num(exporter?.['inserted']),
    }),
    drops: defined({
      kernelLost: kernel ? { total: num(kernel['lostKernel']) ?? sum(lostByKind), byKind: lostByKind } : undefined,
      userSpace: num(kernel?.['droppedUserspace']),
      pipeline: collector
        ? total(num(kernel?.['malformed']), num(collector['failedEvents']), num(collector['hookEventsUnknown']))
        : undefined,
      exportFile: exportFile
        ? total(num(exportFile['droppedOverflow']), num(exportFile['lostOnError']), num(exportFile['droppedClosed']))
        : undefined,
      bus,
      enricherPublishFailed: num(enricherEvents?.['publishFailed']),
      grpcStreams,
    }),
    lag: defined({
      transportBuffered: num(collectorBus?.['buffered']),
      spoolRecords: num(spool?.['records']),
      enricherHeld: num(obj(enricherEvents?.['buffer'])?.['size']),
      exporterBacklog: num(exporter?.['backlog']),
      exporterInFlight: num(exporter?.['inFlight']),
    }),
    policies: defined({
      node: nodePolicies ? { loaded: nodePolicies.length, byState } : undefined,
      engine: engineSummary,
    }),
    ...(exporter
      ? {
          exporter: defined({
            state: typeof exporter['state'] === 'string' ? exporter['state'] : undefined,
            inserted: num(exporter['inserted']),
            deadLettered: num(exporter['deadLettered']),
            deadLetters: obj(exporter['deadLetters']),
            lastError: typeof exporter['lastError'] === 'string' ? exporter['lastError'] : null,
          }),
        }
      : {}),
    status,
  };
}

const n = (v: number | undefined): string => (v === undefined ? '-' : v.toLocaleString('en-US'));

/** The summary for a terminal: one block per topic, aligned labels, problems called out. */
export function formatSummary(s: StatusSummary): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(18)}${value}`);
  row('vigil', `${s.ready ? 'ready' : 'NOT READY'} — ${s.url}${s.service === 'vigil' ? '' : ` (${s.service})`}`);
  for (const svc of s.services) {
    const failing = Object.entries(svc.checks)
      .filter(([, ok]) => !ok)
      .map(([c]) => c);
    row(`  ${svc.name}`, svc.ready ? 'ready' : `NOT READY (${failing.join(', ')})`);
  }
  if (s.nodes.length > 0) row('nodes', s.nodes.join(', '));

  const e = s.events;
  const flow: string[] = [];
  if (e.kernel !== undefined)
    flow.push(`kernel ${n(e.kernel)}${e.seeded !== undefined ? ` (+${n(e.seeded)} seeded from /proc)` : ''}`);
  if (e.published !== undefined) flow.push(`published ${n(e.published)}`);
  if (e.enricherReceived !== undefined) flow.push(`enricher ${n(e.enricherReceived)}`);
  if (e.exporterConsumed !== undefined) flow.push(`exporter consumed ${n(e.exporterConsumed)}`);
  if (e.stored !== undefined) flow.push(`stored ${n(e.stored)}`);
  if (flow.length > 0) row('events', flow.join(' → '));

  const d = s.drops;
  const drops: string[] = [];
  if (d.kernelLost) {
    const kinds = Object.entries(d.kernelLost.byKind)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${n(v)}`);
    drops.push(`kernel lost ${n(d.kernelLost.total)}${kinds.length ? ` (${kinds.join(', ')})` : ''}`);
  }
  if (d.userSpace !== undefined) drops.push(`user space ${n(d.userSpace)}`);
  if (d.pipeline !== undefined) drops.push(`pipeline ${n(d.pipeline)}`);
  if (d.exportFile !== undefined) drops.push(`JSON export ${n(d.exportFile)}`);
  if (d.bus) {
    const nonzero = Object.entries(d.bus).filter(([, v]) => v > 0);
    drops.push(
      `bus/spool ${n(sum(d.bus))}${nonzero.length ? ` (${nonzero.map(([k, v]) => `${k} ${n(v)}`).join(', ')})` : ''}`,
    );
  }
  if (d.enricherPublishFailed !== undefined) drops.push(`enricher publish ${n(d.enricherPublishFailed)}`);
  if (d.grpcStreams !== undefined) drops.push(`gRPC streams ${n(d.grpcStreams)}`);
  else if (s.services.some((x) => x.name === 'collector' || x.name === 'exporter'))
    drops.push('gRPC streams not reported');
  if (drops.length > 0) row('drops', drops.join(', '));

  const l = s.lag;
  const lag: string[] = [];
  if (l.transportBuffered !== undefined) lag.push(`transport buffered ${n(l.transportBuffered)}`);
  if (l.spoolRecords !== undefined) lag.push(`spooled ${n(l.spoolRecords)}`);
  if (l.enricherHeld !== undefined) lag.push(`enricher holding ${n(l.enricherHeld)}`);
  if (l.exporterBacklog !== undefined) lag.push(`exporter backlog ${n(l.exporterBacklog)}`);
  if (l.exporterInFlight !== undefined) lag.push(`in flight ${n(l.exporterInFlight)}`);
  if (lag.length > 0) row('lag', lag.join(', '));

  const p = s.policies;
  if (p.node) {
    const states = Object.entries(p.node.byState).map(([k, v]) => `${v} ${k}`);
    row('policies (node)', `${p.node.loaded} loaded${states.length ? ` (${states.join(', ')})` : ''}`);
  }
  if (s.exporter) {
    const x = s.exporter;
    const letters = x.deadLetters
      ? ` (${Object.entries(x.deadLetters)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(', ')})`
      : '';
    row(
      'exporter',
      `${x.state ?? 'unknown'}, ${n(x.inserted)} inserted, ${n(x.deadLettered)} dead letters${letters}` +
        (x.lastError ? `; last error: ${x.lastError}` : ''),
    );
  }
  if (p.engine) {
    const g = p.engine;
    const parts = [
      g.ready === undefined ? undefined : g.ready ? 'ready' : 'replaying',
      g.policies === undefined ? undefined : `${n(g.policies)} ${g.policies === 1 ? 'policy' : 'policies'}`,
    ];
    if (g.nodesReporting) {
      parts.push(`${g.nodesReporting.length} node${g.nodesReporting.length === 1 ? '' : 's'} reporting`);
      if (g.loaded !== undefined) parts.push(`${n(g.loaded)} loaded`);
      if (g.failed?.length)
        parts.push(
          `${g.failed.length} failed: ${g.failed.map((f) => `${f.policy} on ${f.node}: ${f.error}`).join('; ')}`,
        );
    }
    if (g.note) parts.push(g.note);
    row('policy engine', parts.filter((x): x is string => x !== undefined).join(', '));
  }
  return `${lines.join('\n')}\n`;
}
