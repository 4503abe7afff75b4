/**
 * What Grafana and the grafana-clickhouse-datasource plugin (v4) do to a panel's SQL before
 * ClickHouse sees it, so the dashboard's queries can be run as Grafana would run them.
 *
 * Three stages, in the plugin's order:
 *
 * 1. `$__conditionalAll(condition, $var)` — plugin frontend (CHDatasource.applyConditionalAll):
 *    replaced by `condition`, or by `1=1` when the variable's current value is "All" (`$__all`)
 *    or empty. Arguments are split at the top-level comma with the plugin's naive bracket count
 *    (parentheses inside string literals count too, as there).
 * 2. Template variables — Grafana's templateSrv.replace with the plugin's default formatter:
 *    `$var`, `${var}`, `[[var]]`, `${var:format}`. Default format: a multi-value becomes
 *    `'a','b'` (joined, NOT escaped — the plugin's `format`), a single value is inserted raw.
 *    `singlequote`: each value quoted with `'` escaped as `\'`, joined with commas (Grafana's
 *    formatter). "All" of a multi-value variable without customAllValue expands to every option.
 *    Names starting with `__` are left for stage 3, like Grafana leaves unknown names; any
 *    other name that is not a dashboard variable throws (Grafana would leave it and ClickHouse
 *    would fail later, less clearly).
 * 3. Macros — plugin backend (pkg/macros/macros.go, run by grafana/sqlds): `$__timeFilter(c)`,
 *    `$__timeFilter_ms(c)`, `$__fromTime`, `$__toTime`, `$__fromTime_ms`, `$__toTime_ms`,
 *    `$__dateFilter(c)`, `$__dateTimeFilter(d, t)` / `$__dt(d, t)`, `$__timeInterval(c)`,
 *    `$__timeInterval_ms(c)`, `$__interval_s`, with the same text the Go code produces
 *    (`toDateTime(<unix s>)`, `fromUnixTimestamp64Milli(<ms>)`, `toStartOfInterval(...)`,
 *    interval at least 1 s). A macro name is matched up to a word boundary (`$__timeFilter`
 *    never matches `$__timeFilter_ms`); arguments are the balanced parentheses after it. Any
 *    other `$__name` throws.
 *
 * Note: `$__timeInterval` and `$__timeInterval_ms` expand to toStartOfInterval, which ClickHouse
 * 18.16 (the server of this repository's integration lane) does not have; the dashboard buckets
 * with `intDiv(toUInt32(time), $__interval_s) * $__interval_s` instead, which both 18.16 and 24.x
 * accept (libs/store/README.md, "ClickHouse versions").
 */
import fs from 'node:fs';

export interface GrafanaTarget {
  refId: string;
  rawSql: string;
  /** sqlutil format: 0 time series, 1 table. */
  format: number;
  queryType?: string;
  editorType?: string;
  datasource?: { type?: string; uid?: string };
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  query?: unknown;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

export function loadDashboard(file: string): GrafanaDashboard {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as GrafanaDashboard;
}

/** "All" of a multi-value variable: expands to `options` (what the variable's query returned). */
export interface AllValue {
  all: true;
  options: string[];
}

export type VariableValue = string | string[] | AllValue;

export interface QueryContext {
  from: Date;
  to: Date;
  /** The panel interval Grafana computed (range / max data points, or the panel's min). */
  intervalMs: number;
  variables: Record<string, VariableValue>;
}

const isAll = (v: VariableValue | undefined): v is AllValue => typeof v === 'object' && !Array.isArray(v);

/** Stage 1: the plugin's `$__conditionalAll(condition, $var)`. */
export function applyConditionalAll(sql: string, variables: Record<string, VariableValue>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let at = out.lastIndexOf(macro);
  while (at !== -1) {
    const args = macroArgs(out, at + macro.length - 1)?.args;
    if (!args || args.length !== 2) throw new Error(`$__conditionalAll at ${at}: expected two arguments`);
    const [condition, variable] = args as [string, string];
    const name = /(?<=\$\{)\w+(?=\})|(?<=\$)\w+/.exec(variable.trim())?.[0];
    let phrase = condition;
    if (name !== undefined) {
      const value = variables[name];
      if (value === undefined) throw new Error(`$__conditionalAll: no variable "${name}"`);
      const current = isAll(value) ? '$__all' : String(value);
      if (current === '' || current === '$__all') phrase = '1=1';
    }
    out = out.replace(`${macro}${condition},${variable})`, phrase);
    at = out.lastIndexOf(macro);
  }
  return out;
}

/**
 * The arguments inside the parentheses that open at `open`, split at top-level commas, and the
 * index after the closing parenthesis. Like CHDatasource.getMacroArgs, parentheses inside string
 * literals are counted too, and arguments keep their surrounding spaces.
 */
function macroArgs(sql: string, open: number): { args: string[]; end: number } | undefined {
  if (sql[open] !== '(') return undefined;
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(sql.slice(start, i));
      return { args, end: i + 1 };
    }
  }
  return undefined;
}

function values(value: VariableValue): string[] {
  if (isAll(value)) return value.options;
  return Array.isArray(value) ? value : [value];
}

function formatValue(name: string, value: VariableValue, format: string | undefined): string {
  const multi = isAll(value) || Array.isArray(value);
  switch (format) {
    case undefined:
      // The plugin's own formatter (CHDatasource.format): arrays quoted and joined, no escaping.
      return multi ? `'${values(value).join("','")}'` : String(value);
    case 'singlequote':
      return values(value)
        .map((v) => `'${v.replace(/'/g, "\\'")}'`)
        .join(',');
    case 'raw':
      return values(value).join(',');
    case 'csv':
      return values(value).join(',');
    default:
      throw new Error(`variable ${name}: format "${format}" is not implemented here`);
  }
}

/** Stage 2: Grafana's template variables (the regex of Grafana's TemplateSrv). */
export function interpolateVariables(sql: string, variables: Record<string, VariableValue>): string {
  const re = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;
  return sql.replace(
    re,
    (
      match,
      plain?: string,
      bracket?: string,
      bracketFmt?: string,
      braced?: string,
      fieldPath?: string,
      bracedFmt?: string,
    ) => {
      const name = plain ?? bracket ?? braced!;
      if (name.startsWith('__')) return match; // Grafana built-ins and the plugin's macros: stage 3
      if (fieldPath !== undefined) throw new Error(`variable ${name}: field paths are not implemented here`);
      const value = variables[name];
      if (value === undefined) throw new Error(`the query uses $${name}, which is not a dashboard variable`);
      return formatValue(name, value, bracketFmt ?? bracedFmt);
    },
  );
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const day = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

/** Stage 3: the plugin's backend macros (pkg/macros/macros.go). */
export function expandMacros(sql: string, ctx: Pick<QueryContext, 'from' | 'to' | 'intervalMs'>): string {
  const from = `toDateTime(${unix(ctx.from)})`;
  const to = `toDateTime(${unix(ctx.to)})`;
  const fromMs = `fromUnixTimestamp64Milli(${ctx.from.getTime()})`;
  const toMs = `fromUnixTimestamp64Milli(${ctx.to.getTime()})`;
  const seconds = Math.trunc(Math.max(ctx.intervalMs / 1000, 1));
  const ms = Math.trunc(Math.max(ctx.intervalMs, 1));
  const one = (name: string, args: string[] | undefined, n: number): string[] => {
    if (!args || args.length !== n)
      throw new Error(`$__${name}: expected ${n} argument${n === 1 ? '' : 's'}, received ${args?.length ?? 0}`);
    return args;
  };
  const macros: Record<string, (args: string[] | undefined) => string> = {
    fromTime: () => from,
    toTime: () => to,
    fromTime_ms: () => fromMs,
    toTime_ms: () => toMs,
    timeFilter: (a) => {
      const [c] = one('timeFilter', a, 1);
      return `${c} >= ${from} AND ${c} <= ${to}`;
    },
    timeFilter_ms: (a) => {
      const [c] = one('timeFilter_ms', a, 1);
      return `${c} >= ${fromMs} AND ${c} <= ${toMs}`;
    },
    dateFilter: (a) => {
      const [c] = one('dateFilter', a, 1);
      return `${c} >= ${day(ctx.from)} AND ${c} <= ${day(ctx.to)}`;
    },
    dateTimeFilter: (a) => {
      const [d, t] = one('dateTimeFilter', a, 2);
      return `(${d} >= ${day(ctx.from)} AND ${d} <= ${day(ctx.to)}) AND (${t} >= ${from} AND ${t} <= ${to})`;
    },
    timeInterval: (a) => `toStartOfInterval(toDateTime(${one('timeInterval', a, 1)[0]}), INTERVAL ${seconds} second)`,
    timeInterval_ms: (a) =>
      `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a, 1)[0]}, 3), INTERVAL ${ms} millisecond)`,
    interval_s: () => String(seconds),
  };
  macros['dt'] = macros['dateTimeFilter']!;
  let out = '';
  let i = 0;
  for (const m of sql.matchAll(/\$__(\w+)\b/g)) {
    const name = m[1]!;
    const start = m.index;
    if (start < i) continue; // inside the arguments of a macro already expanded
    const expand = macros[name];
    if (!expand) throw new Error(`$__${name} is not a macro of grafana-clickhouse-datasource`);
    const afterName = start + m[0].length;
    let args: string[] | undefined;
    let end = afterName;
    if (sql[afterName] === '(') {
      const parsed = macroArgs(sql, afterName);
      if (!parsed) throw new Error(`$__${name}: unbalanced parentheses`);
      args = parsed.args.map((a) => a.trim());
      if (args.length === 1 && args[0] === '') args = []; // "()": no arguments
      end = parsed.end;
    }
    out += sql.slice(i, start) + expand(args);
    i = end;
  }
  return out + sql.slice(i);
}

/** All three stages: the SQL ClickHouse receives for a panel's (or a variable's) query. */
export function renderQuery(sql: string, ctx: QueryContext): string {
  return expandMacros(interpolateVariables(applyConditionalAll(sql, ctx.variables), ctx.variables), ctx);
}
