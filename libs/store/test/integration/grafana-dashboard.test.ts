/**
 * deploy/grafana/vigil-fleet.json against the real ClickHouse server: every panel's and
 * variable's SQL rendered the way Grafana and grafana-clickhouse-datasource render it
 * (test/support/grafana.ts), run on the seeded fleet (test/fixtures/fleet.ts), with the answers
 * the fixture implies (test/fixtures/fleet-expected.ts, the presets' hand-computed answers).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ClickHouseEventStore, ClickHouseEventWriter } from '../../src';
import { fleetEvents } from '../fixtures/fleet';
import {
  ALL,
  CONNECTIONS,
  ENFORCEMENT,
  EVENT_COUNT,
  FIRST_CURL,
  POLICY_HITS_HOURLY,
  TOP_BINARIES_LIMIT_2,
  TOP_BINARIES_SHOP,
} from '../fixtures/fleet-expected';
import {
  applyConditionalAll,
  expandMacros,
  interpolateVariables,
  loadDashboard,
  renderQuery,
  type GrafanaDashboard,
  type QueryContext,
  type VariableValue,
} from '../support/grafana';

const DASHBOARD = path.resolve(__dirname, '..', '..', '..', '..', 'deploy', 'grafana', 'vigil-fleet.json');
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The dashboard shows processes outside any pod (pod_namespace '') as "(host)". */
const shown = (namespace: string) => (namespace === '' ? '(host)' : namespace);
/** A DateTime column as ClickHouse's JSON prints it ("2026-11-28 10:00:20", UTC here) → RFC 3339. */
const iso = (dateTime: unknown) => `${String(dateTime).replace(' ', 'T')}Z`;
/** RFC 3339 with a fraction → whole seconds, as a DateTime column holds it. */
const toSecond = (timestamp: string) => timestamp.replace(/\.\d+Z$/, 'Z');

describe('Grafana dashboard deploy/grafana/vigil-fleet.json', () => {
  const dashboard: GrafanaDashboard = loadDashboard(DASHBOARD);
  const panel = (title: string) => {
    const p = dashboard.panels.find((x) => x.title === title);
    if (!p?.targets?.[0]) throw new Error(`no panel "${title}" with a query`);
    return p.targets[0];
  };

  describe('static shape', () => {
    it('has the fleet panels, each one SQL query on the ClickHouse datasource variable', () => {
      expect(dashboard.panels.map((p) => p.title)).toEqual([
        'Events per second by type',
        'Process exec rate by node',
        'Policy hits over time',
        'Enforcement actions by workload',
        'Top binaries per namespace',
        'First time a binary ran anywhere',
        'Network connections by pod',
      ]);
      for (const p of dashboard.panels) {
        expect(p.datasource, p.title).toEqual({ type: 'grafana-clickhouse-datasource', uid: '${DS_CLICKHOUSE}' });
        expect(p.targets, p.title).toHaveLength(1);
        const t = p.targets![0]!;
        expect(t.datasource, p.title).toEqual(p.datasource);
        expect(t.editorType, p.title).toBe('sql');
        // sqlutil formats: 0 = time series (long → wide per series), 1 = table.
        expect(t.format, p.title).toBe(p.type === 'timeseries' ? 0 : 1);
        expect(t.queryType, p.title).toBe(p.type === 'timeseries' ? 'timeSeries' : 'table');
      }
    });

    it('reads the events table with FINAL in every panel (exact counts), and filters by node and namespace', () => {
      for (const p of dashboard.panels) {
        const sql = p.targets![0]!.rawSql;
        expect(sql, p.title).toMatch(/FROM \$\{database\}\.vigil_events FINAL\b/);
        expect(sql, p.title).not.toMatch(/vigil_events(?! FINAL)/);
        if (p.title === 'First time a binary ran anywhere') {
          // "Anywhere": the whole fleet's history, whatever node or namespace is selected.
          expect(sql).not.toMatch(/\$node|\$namespace/);
          expect(sql).toMatch(/HAVING first_seen >= \$__fromTime AND first_seen <= \$__toTime/);
        } else {
          expect(sql, p.title).toContain('$__timeFilter(time)');
          expect(sql, p.title).toContain('$__conditionalAll(node_name IN (${node:singlequote}), $node)');
          expect(sql, p.title).toContain(
            "$__conditionalAll(if(pod_namespace = '', '(host)', pod_namespace) IN (${namespace:singlequote}), $namespace)",
          );
        }
      }
    });

    it('declares the datasource, database, node, namespace and top variables', () => {
      const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
      expect(Object.keys(vars)).toEqual(['DS_CLICKHOUSE', 'database', 'node', 'namespace', 'top']);
      expect(vars['DS_CLICKHOUSE']).toMatchObject({ type: 'datasource', query: 'grafana-clickhouse-datasource' });
      expect(vars['database']).toMatchObject({ type: 'constant', query: 'vigil' });
      for (const name of ['node', 'namespace'])
        expect(vars[name], name).toMatchObject({
          type: 'query',
          multi: true,
          includeAll: true,
          datasource: { type: 'grafana-clickhouse-datasource', uid: '${DS_CLICKHOUSE}' },
        });
      expect(vars['top']).toMatchObject({ type: 'custom', query: '5,10,20,50' });
    });
  });

  describe('macro expander (test/support/grafana.ts)', () => {
    const ctx = { from: new Date('2026-11-28T10:00:00.250Z'), to: new Date('2026-11-28T11:00:00Z'), intervalMs: 1500 };

    it("expands the backend macros to the plugin's exact text", () => {
      expect(expandMacros('WHERE $__timeFilter(time) AND x', ctx)).toBe(
        'WHERE time >= toDateTime(1795860000) AND time <= toDateTime(1795863600) AND x',
      );
      expect(expandMacros('$__timeFilter_ms(t) $__fromTime $__toTime_ms', ctx)).toBe(
        't >= fromUnixTimestamp64Milli(1795860000250) AND t <= fromUnixTimestamp64Milli(1795863600000) toDateTime(1795860000) fromUnixTimestamp64Milli(1795863600000)',
      );
      expect(expandMacros('$__timeInterval(time), $__interval_s', ctx)).toBe(
        'toStartOfInterval(toDateTime(time), INTERVAL 1 second), 1',
      );
      expect(expandMacros('$__interval_s', { ...ctx, intervalMs: 200 })).toBe('1'); // at least 1 s
      expect(expandMacros('$__dt(d, t)', ctx)).toBe(
        "(d >= toDate('2026-11-28') AND d <= toDate('2026-11-28')) AND (t >= toDateTime(1795860000) AND t <= toDateTime(1795863600))",
      );
      expect(() => expandMacros('$__timeGroup(time)', ctx)).toThrow(/not a macro/);
      expect(() => expandMacros('$__timeFilter()', ctx)).toThrow(/expected 1 argument, received 0/);
      expect(() => expandMacros('$__timeFilter(a, b)', ctx)).toThrow(/expected 1 argument, received 2/);
    });

    it('resolves $__conditionalAll and the variables as the plugin frontend does', () => {
      const sql = "$__conditionalAll(if(a = '', '(h)', a) IN (${ns:singlequote}), $ns) AND n = $top";
      expect(applyConditionalAll(sql, { ns: { all: true, options: ['x'] }, top: '5' })).toBe('1=1 AND n = $top');
      expect(renderQuery(sql, { ...ctx, variables: { ns: ["it's", 'b'], top: '5' } })).toBe(
        "if(a = '', '(h)', a) IN ('it\\'s','b') AND n = 5",
      );
      // The plugin's default format for a multi-value: quoted, joined, not escaped.
      expect(interpolateVariables('($ns)', { ns: ['a', 'b'] })).toBe("('a','b')");
      expect(interpolateVariables('${ns:singlequote}', { ns: { all: true, options: ['a', 'b'] } })).toBe("'a','b'");
      expect(() => interpolateVariables('$nope', {})).toThrow(/not a dashboard variable/);
    });
  });

  describe('on the seeded fleet (real ClickHouse)', () => {
    const database = `vigil_grafana_it_${randomUUID().replace(/-/g, '')}`;
    let store: ClickHouseEventStore;
    let nodes: string[] = [];
    let namespaces: string[] = [];

    const variables = (over: Record<string, VariableValue> = {}): Record<string, VariableValue> => ({
      database,
      node: { all: true, options: nodes },
      namespace: { all: true, options: namespaces },
      top: '10',
      ...over,
    });
    const run = (sql: string, ctx: Partial<QueryContext> & { variables?: Record<string, VariableValue> } = {}) =>
      store.connection.rows(
        renderQuery(sql, {
          from: ctx.from ?? ALL.since,
          to: ctx.to ?? ALL.until,
          intervalMs: ctx.intervalMs ?? HOUR,
          variables: ctx.variables ?? variables(),
        }),
      );
    const runPanel = (title: string, ctx: Parameters<typeof run>[1] = {}) => run(panel(title).rawSql, ctx);
    const variableQuery = (name: string) => {
      const v = dashboard.templating.list.find((x) => x.name === name);
      if (typeof v?.query !== 'string') throw new Error(`variable ${name} has no SQL query`);
      return v.query;
    };

    beforeAll(async () => {
      store = new ClickHouseEventStore({ url: inject('clickhouseUrl'), database });
      await store.migrate();
      // Delivered twice, as after an exporter restart: two inserts, so until a background merge
      // the table holds a copy of every event — the panels' FINAL must still count each once.
      for (let delivery = 0; delivery < 2; delivery++) {
        const writer = new ClickHouseEventWriter({ connection: store.connection, database, flushIntervalMs: 50 });
        expect((await writer.write(fleetEvents())).rejected).toEqual([]);
        await writer.close();
      }
      expect(await store.countEvents()).toBe(EVENT_COUNT);
    });

    afterAll(async () => {
      await store?.connection.command(`DROP DATABASE IF EXISTS ${database}`);
      await store?.close();
    });

    it('counts every event once although the table holds a copy of each (FINAL)', async () => {
      const [raw] = await store.connection.rows(`SELECT count() AS n FROM ${database}.vigil_events`);
      const executions = (rows: Array<Record<string, unknown>>) =>
        rows.reduce((n, r) => n + Number(r['executions']), 0);
      const sql = panel('Top binaries per namespace').rawSql;
      const withFinal = executions(await run(sql));
      expect(withFinal).toBe(10); // the fleet's ten process_exec events
      // Unless a background merge already collapsed the two inserts, the same query without
      // FINAL counts the copies: what the FINAL in every panel is for.
      if (Number(raw!['n']) === 2 * EVENT_COUNT) expect(executions(await run(sql.replace(' FINAL', '')))).toBe(20);
    });

    it("answers the node and namespace variable queries with the fleet's nodes and namespaces", async () => {
      const noVars = { variables: { database } };
      nodes = (await run(variableQuery('node'), noVars)).map((r) => String(Object.values(r)[0]));
      namespaces = (await run(variableQuery('namespace'), noVars)).map((r) => String(Object.values(r)[0]));
      expect(nodes).toEqual(['node-a', 'node-b']);
      expect(namespaces).toEqual(['(host)', 'batch', 'shop']);
      // Day 2 saw only node-b's batch pod.
      const day2 = { from: new Date(ALL.since.getTime() + DAY), variables: { database } };
      expect(await run(variableQuery('namespace'), day2)).toEqual([{ namespace: 'batch' }]);
    });

    it('runs every panel with every variable combination the dashboard offers', async () => {
      const combos: Array<Record<string, VariableValue>> = [
        {},
        { node: ['node-a'] },
        { node: ['node-a', 'node-b'], namespace: ['shop', '(host)'] },
        { namespace: ["it's-not-there"], top: '5' },
        { top: '50' },
      ];
      for (const p of dashboard.panels)
        for (const combo of combos)
          for (const intervalMs of [1, 60_000, DAY]) {
            const rows = await runPanel(p.title, { intervalMs, variables: variables(combo) }).catch((e: unknown) => {
              throw new Error(`${p.title} with ${JSON.stringify(combo)}, interval ${intervalMs} ms: ${String(e)}`);
            });
            expect(Array.isArray(rows), p.title).toBe(true);
          }
    });

    it("top binaries per namespace: the topBinaries preset's answers, per namespace and limit", async () => {
      const asPanel = (r: (typeof TOP_BINARIES_SHOP)[number]) => ({
        namespace: shown(r.namespace),
        binary: r.binary,
        executions: String(r.executions),
        nodes: String(r.nodes),
        first_seen: toSecond(r.first_seen),
        last_seen: toSecond(r.last_seen),
      });
      const fromPanel = (r: Record<string, unknown>) => ({
        ...r,
        first_seen: iso(r['first_seen']),
        last_seen: iso(r['last_seen']),
      });
      const title = 'Top binaries per namespace';
      const top2 = await runPanel(title, { variables: variables({ top: '2' }) });
      expect(top2.map(fromPanel)).toEqual(TOP_BINARIES_LIMIT_2.map(asPanel));
      const shop = await runPanel(title, { variables: variables({ namespace: ['shop'] }) });
      expect(shop.map(fromPanel)).toEqual(TOP_BINARIES_SHOP.map(asPanel));
      const host = await runPanel(title, { variables: variables({ namespace: ['(host)'] }) });
      expect(host.map((r) => r['binary'])).toEqual(['/sbin/init', '/usr/bin/containerd-shim']);
      // node-b ran the batch pod only; /usr/bin/curl ran on both nodes, but node-b saw it once.
      const nodeB = await runPanel(title, { variables: variables({ node: ['node-b'] }) });
      expect(nodeB.map((r) => [r['namespace'], r['binary'], r['executions']])).toEqual([
        ['batch', '/bin/bash', '1'],
        ['batch', '/usr/bin/curl', '1'],
        ['batch', '/usr/bin/python3', '1'],
      ]);
    });

    it("enforcement actions by workload: the enforcementByWorkload preset's answers", async () => {
      const title = 'Enforcement actions by workload';
      const rows = await runPanel(title);
      expect(rows).toEqual(
        ENFORCEMENT.map((r) => ({
          namespace: shown(r.namespace),
          workload: r.workload,
          workload_kind: r.workload_kind,
          policy_name: r.policy_name,
          action: r.action,
          enforcements: String(r.count),
          last_seen: toSecond(r.last_seen).replace('T', ' ').replace('Z', ''),
        })),
      );
      const nodeA = await runPanel(title, { variables: variables({ node: ['node-a'] }) });
      expect(nodeA.map((r) => [r['workload'], r['action']])).toEqual([['web', 'KPROBE_ACTION_SIGKILL']]);
      const batch = await runPanel(title, { variables: variables({ namespace: ['batch'] }) });
      expect(batch.map((r) => [r['workload'], r['workload_kind'], r['action']])).toEqual([
        ['nightly', 'CronJob', 'KPROBE_ACTION_OVERRIDE'],
      ]);
      // Day 1 only: the Override on day 2 is outside the range.
      const day1 = await runPanel(title, { to: new Date(ALL.since.getTime() + DAY) });
      expect(day1.map((r) => r['policy_name'])).toEqual(['block-passwd']);
      expect(await runPanel(title, { variables: variables({ namespace: ['(host)'] }) })).toEqual([]);
    });

    it("network connections by pod: the connectionsByPod preset's answers", async () => {
      const rows = await runPanel('Network connections by pod');
      expect(rows.map((r) => ({ ...r, first_seen: iso(r['first_seen']), last_seen: iso(r['last_seen']) }))).toEqual(
        CONNECTIONS.map((c) => ({
          namespace: shown(c.namespace),
          pod_name: c.pod_name,
          protocol: c.protocol,
          daddr: c.daddr,
          dport: c.dport,
          connections: String(c.connections),
          processes: String(c.processes),
          first_seen: toSecond(c.first_seen),
          last_seen: toSecond(c.last_seen),
        })),
      );
    });

    it("policy hits over time: the policyHits preset's hourly buckets", async () => {
      const rows = await runPanel('Policy hits over time', { intervalMs: HOUR });
      expect(
        rows.map((r) => ({ bucket_start: iso(r['t']), policy_name: r['policy_name'], hits: Number(r['hits']) })),
      ).toEqual(POLICY_HITS_HOURLY.map(({ bucket_start, policy_name, hits }) => ({ bucket_start, policy_name, hits })));
    });

    it("events per second by type and exec rate by node: the fixture's counts per day", async () => {
      // fleet.ts, day 1 (2026-11-28): execs P1-P7, Q1, Q2; exits of P4, P5, P7; four tcp_connect
      // kprobes (P4, P7, Q2 twice); one LSM Sigkill. Day 2: exec Q3, a raw_syscalls tracepoint,
      // the Override kprobe.
      const perDay = [
        ['2026-11-28T00:00:00Z', 'process_exec', 9],
        ['2026-11-28T00:00:00Z', 'process_exit', 3],
        ['2026-11-28T00:00:00Z', 'process_kprobe', 4],
        ['2026-11-28T00:00:00Z', 'process_lsm', 1],
        ['2026-11-29T00:00:00Z', 'process_exec', 1],
        ['2026-11-29T00:00:00Z', 'process_kprobe', 1],
        ['2026-11-29T00:00:00Z', 'process_tracepoint', 1],
      ] as const;
      expect(perDay.reduce((n, [, , c]) => n + c, 0)).toBe(EVENT_COUNT);
      const events = await runPanel('Events per second by type', { intervalMs: DAY });
      expect(
        events.map((r) => [iso(r['t']), r['event_type'], Math.round(Number(r['events_per_second']) * 86_400)]),
      ).toEqual(perDay);

      const execs = await runPanel('Process exec rate by node', { intervalMs: DAY });
      expect(
        execs.map((r) => [iso(r['t']), r['node_name'], Math.round(Number(r['execs_per_second']) * 86_400)]),
      ).toEqual([
        ['2026-11-28T00:00:00Z', 'node-a', 7],
        ['2026-11-28T00:00:00Z', 'node-b', 2],
        ['2026-11-29T00:00:00Z', 'node-b', 1],
      ]);
      const shopExecs = await runPanel('Process exec rate by node', {
        intervalMs: DAY,
        variables: variables({ namespace: ['shop'] }),
      });
      expect(shopExecs.map((r) => [r['node_name'], Math.round(Number(r['execs_per_second']) * 86_400)])).toEqual([
        ['node-a', 5],
      ]);
    });

    it('first time a binary ran anywhere: the firstSeen preset, for the binaries new in the range', async () => {
      const title = 'First time a binary ran anywhere';
      const all = await runPanel(title);
      expect(all.map((r) => r['binary'])).toEqual([
        '/usr/bin/python3',
        '/bin/sh',
        '/bin/cat',
        '/usr/bin/curl',
        '/bin/bash',
        '/usr/bin/containerd-shim',
        '/sbin/init',
      ]);
      expect(all.find((r) => r['binary'] === '/usr/bin/curl')).toEqual({
        binary: FIRST_CURL.binary,
        first_seen: toSecond(FIRST_CURL.first_seen).replace('T', ' ').replace('Z', ''),
        first_node: FIRST_CURL.node_name,
        first_namespace: FIRST_CURL.namespace,
        first_pod: FIRST_CURL.pod_name,
        executions: String(FIRST_CURL.executions),
        nodes: String(FIRST_CURL.nodes),
      });
      // Day 2: bash and curl ran again (node-b's batch pod), but they first ran on day 1.
      const day2 = await runPanel(title, { from: new Date(ALL.since.getTime() + DAY) });
      expect(day2.map((r) => [r['binary'], r['first_node'], r['first_namespace']])).toEqual([
        ['/usr/bin/python3', 'node-b', 'batch'],
      ]);
      // Node and namespace selections do not narrow "anywhere".
      expect(await runPanel(title, { variables: variables({ node: ['node-b'], namespace: ['batch'] }) })).toEqual(all);
    });
  });
});
