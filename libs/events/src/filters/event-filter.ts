/**
 * GetEventsRequest allow_list / deny_list as one predicate, with Tetragon's semantics
 * (pkg/filters): an event passes when the allow list is empty or one of its filters matches,
 * and no filter of the deny list matches. A filter matches when every field it sets matches; a
 * field matches when one of its values does. A filter that sets nothing matches every event.
 */
import { CapabilitiesType } from '../capabilities';
import type { GetEventsResponse, Process } from '../tetragon';
import { FilterError } from './errors';
import { ancestorsOf, parentOf, policyNameOf, processOf, viewEvent, type EventView } from './event-type';
import { parseLabelSelector } from './label-selector';
import { compileRe2 } from './re2';
import type { EventFilter, EventFilterOptions, EventTypeName } from './types';
import {
  describe,
  eventTypeList,
  expectKnownKeys,
  expectObject,
  isUnset,
  optionalBool,
  stringList,
  uint32List,
} from './validate';

export type EventPredicate = (event: GetEventsResponse) => boolean;
type Match = (view: EventView) => boolean;

const FILTER_FIELDS: ReadonlyArray<keyof EventFilter> = [
  'binary_regex',
  'namespace',
  'health_check',
  'pid',
  'pid_set',
  'event_set',
  'pod_regex',
  'arguments_regex',
  'labels',
  'policy_names',
  'capabilities',
  'parent_binary_regex',
  'cel_expression',
  'parent_arguments_regex',
  'container_id',
  'in_init_tree',
  'ancestor_binary_regex',
  'container_name_regex',
  'namespace_regex',
];

/** Event types that can carry ancestors (Tetragon's CheckAncestorsEnabled default set). */
const ANCESTOR_EVENT_TYPES: readonly EventTypeName[] = [
  'PROCESS_EXEC',
  'PROCESS_EXIT',
  'PROCESS_KPROBE',
  'PROCESS_TRACEPOINT',
  'PROCESS_UPROBE',
  'PROCESS_LSM',
];

/**
 * Compiles allow and deny lists into one predicate; throws FilterError for the first invalid
 * filter, naming it (`deny_list[0].labels[1]: ...`). The predicate is pure: it keeps no state
 * between events, so one compiled filter may serve any number of streams.
 */
export function compileEventFilter(
  allow: readonly EventFilter[] | null | undefined,
  deny: readonly EventFilter[] | null | undefined,
  options: EventFilterOptions = {},
): EventPredicate {
  const allowed = compileList(allow, 'allow_list', options);
  const denied = compileList(deny, 'deny_list', options);
  return (event) => {
    const view = viewEvent(event);
    return (allowed.length === 0 || allowed.some((m) => m(view))) && !denied.some((m) => m(view));
  };
}

function compileList(filters: unknown, name: string, options: EventFilterOptions): Match[] {
  if (isUnset(filters)) return [];
  if (!Array.isArray(filters)) throw new FilterError(name, `expected a list of filters, got ${describe(filters)}`);
  return filters.map((f, i) => compileFilter(f, `${name}[${i}]`, options));
}

function compileFilter(input: unknown, at: string, options: EventFilterOptions): Match {
  const filter = expectObject(input, at);
  expectKnownKeys(filter, FILTER_FIELDS, at);
  const checks: Match[] = [];
  const add = (check: Match | undefined): void => {
    if (check) checks.push(check);
  };
  const regexes = (field: keyof EventFilter): RegExp[] | undefined => {
    const patterns = stringList(filter[field], `${at}.${field}`);
    return patterns.length ? patterns.map((p, i) => compileRegex(p, `${at}.${field}[${i}]`)) : undefined;
  };
  const anyMatch = (res: RegExp[], s: string | undefined): boolean => res.some((re) => re.test(s ?? ''));
  const processRegex = (field: keyof EventFilter, get: (p: Process) => string | undefined): void => {
    const res = regexes(field);
    if (res) add((v) => ifDefined(processOf(v), (p) => anyMatch(res, get(p))));
  };

  processRegex('binary_regex', (p) => p.binary);

  const namespaces = stringList(filter['namespace'], `${at}.namespace`);
  if (namespaces.length) {
    // A process without a pod (a host process) is in namespace "".
    add((v) => ifDefined(processOf(v), (p) => namespaces.includes(p.pod?.namespace ?? '')));
  }

  const healthCheck = optionalBool(filter['health_check'], `${at}.health_check`);
  if (healthCheck !== undefined) {
    add((v) => {
      const probe = maybeExecProbe(processOf(v)) || maybeExecProbe(parentOf(v));
      return healthCheck ? probe : !probe;
    });
  }

  const pids = uint32List(filter['pid'], `${at}.pid`);
  if (pids.length) add((v) => ifDefined(processOf(v), (p) => pids.includes(p.pid ?? 0)));

  const pidSet = uint32List(filter['pid_set'], `${at}.pid_set`);
  if (pidSet.length) {
    // Tetragon remembers the children of matching processes as their events go by; without that
    // state, the event's own lineage (process, parent, ancestors) stands in for it.
    add((v) =>
      ifDefined(processOf(v), (p) =>
        [p, parentOf(v), ...ancestorsOf(v)].some((q) => q !== undefined && pidSet.includes(q.pid ?? 0)),
      ),
    );
  }

  const eventSet = eventTypeList(filter['event_set'], `${at}.event_set`);
  if (eventSet.length) add((v) => v.type !== undefined && eventSet.includes(v.type));

  const podRegexes = regexes('pod_regex');
  if (podRegexes) add((v) => ifDefined(processOf(v)?.pod, (pod) => anyMatch(podRegexes, pod.name)));

  processRegex('arguments_regex', (p) => p.arguments);

  const selectors = stringList(filter['labels'], `${at}.labels`).map((s, i) => {
    try {
      return parseLabelSelector(s);
    } catch (e) {
      throw new FilterError(
        `${at}.labels[${i}]`,
        `invalid label selector ${JSON.stringify(s)}: ${(e as Error).message}`,
      );
    }
  });
  if (selectors.length) {
    // Never matches an event without a pod (a host process), even with an empty selector.
    add((v) => ifDefined(processOf(v)?.pod, (pod) => selectors.some((s) => s.matches(pod.pod_labels))));
  }

  const policyNames = stringList(filter['policy_names'], `${at}.policy_names`);
  if (policyNames.length) {
    add((v) => {
      const name = policyNameOf(v);
      return name !== '' && policyNames.includes(name);
    });
  }

  add(compileCapabilities(filter['capabilities'], `${at}.capabilities`));

  const parentRegexes = regexes('parent_binary_regex');
  if (parentRegexes) add((v) => ifDefined(parentOf(v), (p) => anyMatch(parentRegexes, p.binary)));

  const cel = stringList(filter['cel_expression'], `${at}.cel_expression`);
  if (cel.length) {
    throw new FilterError(`${at}.cel_expression`, 'CEL expression filters are not supported by Vigil');
  }

  const parentArgRegexes = regexes('parent_arguments_regex');
  if (parentArgRegexes) add((v) => ifDefined(parentOf(v), (p) => anyMatch(parentArgRegexes, p.arguments)));

  processRegex('container_id', (p) => p.docker);

  const inInitTree = optionalBool(filter['in_init_tree'], `${at}.in_init_tree`);
  if (inInitTree !== undefined) add((v) => ifDefined(processOf(v), (p) => (p.in_init_tree ?? false) === inInitTree));

  const ancestorRegexes = regexes('ancestor_binary_regex');
  if (ancestorRegexes) {
    checkAncestorsEnabled(eventSet, options, `${at}.ancestor_binary_regex`);
    add((v) => ancestorsOf(v).some((p) => anyMatch(ancestorRegexes, p.binary)));
  }

  const containerNames = regexes('container_name_regex');
  if (containerNames) add((v) => ifDefined(processOf(v)?.pod?.container, (c) => anyMatch(containerNames, c.name)));

  const namespaceRegexes = regexes('namespace_regex');
  if (namespaceRegexes) add((v) => ifDefined(processOf(v)?.pod, (pod) => anyMatch(namespaceRegexes, pod.namespace)));

  return (view) => checks.every((check) => check(view));
}

function ifDefined<T>(value: T | undefined, test: (value: T) => boolean): boolean {
  return value !== undefined && test(value);
}

function compileRegex(pattern: string, at: string): RegExp {
  try {
    return compileRe2(pattern);
  } catch (e) {
    throw new FilterError(at, `invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

function maybeExecProbe(process: Process | undefined): boolean {
  return process?.pod?.container?.maybe_exec_probe === true;
}

function checkAncestorsEnabled(eventSet: readonly EventTypeName[], options: EventFilterOptions, at: string): void {
  const enabled = options.ancestorEventTypes;
  if (!enabled) return;
  for (const type of eventSet.length ? eventSet : ANCESTOR_EVENT_TYPES) {
    if (!enabled.includes(type)) {
      throw new FilterError(at, `ancestors are not enabled for ${type} events, cannot filter on ancestors`);
    }
  }
}

const CAP_SETS = ['permitted', 'effective', 'inheritable'] as const;
const CAP_MATCHES = ['any', 'all', 'exactly', 'none'] as const;
const CAP_NAMES = new Set(Object.keys(CapabilitiesType));

function compileCapabilities(input: unknown, at: string): Match | undefined {
  if (input === undefined || input === null) return undefined;
  const filter = expectObject(input, at);
  expectKnownKeys(filter, CAP_SETS, at);
  const sets = CAP_SETS.flatMap((set) => {
    const match = compileCapSet(filter[set], `${at}.${set}`);
    return match ? [{ set, match }] : [];
  });
  // Tetragon: the process must carry capabilities at all, then each set given must match.
  return (v) => ifDefined(processOf(v)?.cap, (cap) => sets.every(({ set, match }) => match(new Set(cap[set] ?? []))));
}

function compileCapSet(input: unknown, at: string): ((caps: ReadonlySet<string | number>) => boolean) | undefined {
  if (input === undefined || input === null) return undefined;
  const set = expectObject(input, at);
  expectKnownKeys(set, CAP_MATCHES, at);
  const defined = CAP_MATCHES.filter((m) => !isUnset(set[m]));
  if (defined.length === 0)
    throw new FilterError(at, 'a capability filter must define exactly one of any, all, exactly, none');
  if (defined.length > 1) {
    throw new FilterError(
      at,
      `a capability filter may define only one of any, all, exactly, none, got: ${defined.join(', ')}`,
    );
  }
  const kind = defined[0]!;
  const wanted = new Set(
    stringList(set[kind], `${at}.${kind}`).map((name, i) => {
      if (!CAP_NAMES.has(name)) {
        const hint = name === 'CAP_DAC_OVERRIDE' ? ' (Tetragon\'s enum spells it "DAC_OVERRIDE")' : '';
        throw new FilterError(`${at}.${kind}[${i}]`, `unknown capability "${name}"${hint}`);
      }
      return name;
    }),
  );
  switch (kind) {
    case 'any':
      return (caps) => [...wanted].some((c) => caps.has(c));
    case 'all':
      return (caps) => [...wanted].every((c) => caps.has(c));
    case 'exactly':
      return (caps) => caps.size === wanted.size && [...caps].every((c) => wanted.has(c as string));
    case 'none':
      return (caps) => ![...wanted].some((c) => caps.has(c));
  }
}
