/**
 * GetEvents request filters (tetragon.Filter, CapFilter, FieldFilter, RedactionFilter) in the
 * protojson form the rest of the event model uses: snake_case keys, BoolValue wrappers as plain
 * booleans, enums as names. An absent field, `null` and an empty list all mean "not set", as they
 * do once protobuf has decoded the request.
 */

/** tetragon.EventType names (UNDEF excluded: no event has it). */
export const EVENT_TYPE_NAMES = [
  'PROCESS_EXEC',
  'PROCESS_EXIT',
  'PROCESS_KPROBE',
  'PROCESS_TRACEPOINT',
  'PROCESS_LOADER',
  'PROCESS_UPROBE',
  'PROCESS_THROTTLE',
  'PROCESS_LSM',
  'PROCESS_USDT',
  'TEST',
  'RATE_LIMIT_INFO',
] as const;
export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];

/** tetragon.CapFilterSet: exactly one of the four lists may be set (Tetragon rejects more or none). */
export interface CapFilterSet {
  /** At least one of these capabilities is in the set. */
  any?: string[];
  /** Every one of these capabilities is in the set. */
  all?: string[];
  /** The set is exactly these capabilities. */
  exactly?: string[];
  /** None of these capabilities is in the set. */
  none?: string[];
}

/** tetragon.CapFilter: each set present must match process.cap's set of the same name. */
export interface CapFilter {
  permitted?: CapFilterSet;
  effective?: CapFilterSet;
  inheritable?: CapFilterSet;
}

/** tetragon.Filter: every field set must match (AND); within a field any value may match (OR). */
export interface EventFilter {
  binary_regex?: string[];
  namespace?: string[];
  health_check?: boolean;
  pid?: number[];
  pid_set?: number[];
  event_set?: EventTypeName[];
  pod_regex?: string[];
  arguments_regex?: string[];
  labels?: string[];
  policy_names?: string[];
  capabilities?: CapFilter;
  parent_binary_regex?: string[];
  cel_expression?: string[];
  parent_arguments_regex?: string[];
  container_id?: string[];
  in_init_tree?: boolean;
  ancestor_binary_regex?: string[];
  container_name_regex?: string[];
  namespace_regex?: string[];
}

/** tetragon.FieldFilterAction */
export type FieldFilterAction = 'INCLUDE' | 'EXCLUDE';

/** tetragon.FieldFilter */
export interface FieldFilter {
  /** Event types the filter applies to; empty = every event. */
  event_set?: EventTypeName[];
  /**
   * google.protobuf.FieldMask: paths relative to the event's oneof body ("process.binary", not
   * "process_exec.process.binary"). Also accepted in FieldMask's protojson form, one string of
   * comma-separated paths.
   */
  fields?: { paths: string[] } | string;
  /** Default INCLUDE (the enum's zero value). */
  action?: FieldFilterAction;
  /** Apply the filter to the events NOT in event_set (ignored when event_set is empty, as in Tetragon). */
  invert_event_set?: boolean;
}

/** tetragon.RedactionFilter (its deprecated `match` field is not supported). */
export interface RedactionFilter {
  /** RE2 patterns; every capture group of every match is replaced by "*****". */
  redact?: string[];
  /** Only processes whose binary matches one of these; empty = every process. */
  binary_regex?: string[];
}

export interface EventFilterOptions {
  /**
   * Event types whose events carry `ancestors` (Tetragon's --enable-process-ancestors and
   * --enable-<kind>-ancestors). When given, an ancestor_binary_regex filter is rejected unless
   * every type it can match is listed, as Tetragon's CheckAncestorsEnabled does: the types of its
   * event_set, or without one every type that can carry ancestors. Omitted: no check.
   */
  ancestorEventTypes?: readonly EventTypeName[];
}
