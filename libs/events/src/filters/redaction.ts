/**
 * Redaction filters (Tetragon's --redaction-filters, pkg/fieldfilters/redaction.go): for a
 * process whose binary matches one of binary_regex (or any process when there is none), every
 * capture group of every match of a `redact` pattern in its arguments is replaced by "*****";
 * in each environment variable ("KEY=VALUE") the first pattern that changes it is applied.
 * Filters apply in order. Tetragon redacts when it records a process, so every copy of it is
 * redacted; here each event's process, parent and ancestors are redacted, each by its own binary.
 */
import type { EnvVar, GetEventsResponse, Process } from '../tetragon';
import { FilterError } from './errors';
import { EVENT_ONEOF_KEYS, isObject, viewEvent } from './event-type';
import type { EventTransform } from './field-filter';
import { compileRe2 } from './re2';
import type { RedactionFilter } from './types';
import { describe, expectKnownKeys, expectObject, isUnset, stringList } from './validate';

export const REDACTED = '*****';

interface CompiledRedaction {
  binaries: RegExp[];
  redact: RegExp[];
}

/**
 * Compiles redaction filters; throws FilterError for the first invalid one
 * (`redaction_filters[0].redact[1]: ...`). The transform returns the same event when nothing is
 * redacted, otherwise a new event; it never changes its input.
 */
export function compileRedactionFilters(filters: readonly RedactionFilter[] | null | undefined): EventTransform {
  if (isUnset(filters)) return (event) => event;
  if (!Array.isArray(filters)) {
    throw new FilterError('redaction_filters', `expected a list of redaction filters, got ${describe(filters)}`);
  }
  const compiled = filters.map((f, i) => compileRedaction(f, `redaction_filters[${i}]`));
  return (event) => redactEvent(event, compiled);
}

function compileRedaction(input: unknown, at: string): CompiledRedaction {
  const filter = expectObject(input, at);
  if (filter['match'] !== undefined && filter['match'] !== null) {
    throw new FilterError(`${at}.match`, 'the deprecated "match" field is not supported; use binary_regex');
  }
  expectKnownKeys(filter, ['redact', 'binary_regex'], at);
  const regexes = (field: string, flags: string): RegExp[] =>
    stringList(filter[field], `${at}.${field}`).map((pattern, i) => {
      try {
        return compileRe2(pattern, flags);
      } catch (e) {
        throw new FilterError(
          `${at}.${field}[${i}]`,
          `invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`,
        );
      }
    });
  return { binaries: regexes('binary_regex', ''), redact: regexes('redact', 'gd') };
}

function redactEvent(event: GetEventsResponse, filters: readonly CompiledRedaction[]): GetEventsResponse {
  const view = viewEvent(event);
  const body = view.body;
  if (!body || !view.type) return event;
  let changed = false;
  const redacted: Record<string, unknown> = { ...body };
  for (const key of ['process', 'parent'] as const) {
    const process = body[key];
    if (!isObject(process)) continue;
    const r = redactProcess(process as Process, filters);
    if (r !== process) {
      redacted[key] = r;
      changed = true;
    }
  }
  const ancestors = body['ancestors'];
  if (Array.isArray(ancestors)) {
    const r = ancestors.map((a: unknown) => (isObject(a) ? redactProcess(a as Process, filters) : a));
    if (r.some((a, i) => a !== ancestors[i])) {
      redacted['ancestors'] = r;
      changed = true;
    }
  }
  if (!changed) return event;
  return { ...event, [EVENT_ONEOF_KEYS[view.type]]: redacted } as GetEventsResponse;
}

function redactProcess(process: Process, filters: readonly CompiledRedaction[]): Process {
  let args = process.arguments;
  let envs = process.environment_variables;
  const binary = process.binary ?? '';
  for (const filter of filters) {
    if (filter.binaries.length && !filter.binaries.some((re) => re.test(binary))) continue;
    if (args) for (const re of filter.redact) args = redactString(re, args).text;
    if (envs) {
      const current = envs;
      const next = current.map((env) => redactEnv(env, filter.redact));
      if (next.some((env, i) => env !== current[i])) envs = next;
    }
  }
  if (args === process.arguments && envs === process.environment_variables) return process;
  const out: Process = { ...process };
  if (args !== process.arguments) out.arguments = args;
  if (envs !== process.environment_variables) out.environment_variables = envs;
  return out;
}

function redactEnv(env: EnvVar, patterns: readonly RegExp[]): EnvVar {
  const text = `${env.Key ?? ''}=${env.Value ?? ''}`;
  for (const re of patterns) {
    const r = redactString(re, text);
    if (!r.modified) continue;
    const eq = r.text.indexOf('=');
    if (eq < 0) return { Key: r.text };
    const out: EnvVar = { Key: r.text.slice(0, eq) };
    if (eq + 1 < r.text.length) out.Value = r.text.slice(eq + 1);
    return out;
  }
  return env;
}

/**
 * Every capture group of every match replaced by REDACTED (Tetragon's redactString): groups are
 * taken in order of their opening parenthesis, a group inside one already redacted is skipped,
 * and, as in Go, an empty match right after the previous match is not a match.
 */
export function redactString(re: RegExp, s: string): { text: string; modified: boolean } {
  let out = '';
  let last = 0;
  let previousEnd = -1;
  let modified = false;
  for (const m of s.matchAll(re)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start === end && start === previousEnd) continue;
    previousEnd = end;
    out += s.slice(last, start);
    let offset = start;
    for (let g = 1; g < m.length; g++) {
      const span = m.indices?.[g];
      if (!span || span[0] < offset) continue;
      modified = true;
      out += s.slice(offset, span[0]) + REDACTED;
      offset = span[1];
    }
    out += s.slice(offset, end);
    last = end;
  }
  return modified ? { text: out + s.slice(last), modified } : { text: s, modified };
}
