/**
 * GetEventsRequest field_filters with Tetragon's semantics (pkg/fieldfilters, which applies a
 * fieldmask-utils mask to the event's oneof body):
 * - paths are relative to the oneof body: "process.binary", "parent", "args", not
 *   "process_exec.process.binary"; fields outside the oneof (node_name, time, ...) are never
 *   touched;
 * - INCLUDE keeps only the listed fields, EXCLUDE removes them; a path to a message keeps or
 *   removes all of it, a path through a repeated message applies to every element, and a path
 *   into a string map (process.pod.pod_labels.app) names one key;
 * - a filter applies to the events of its event_set (all events when empty), or when
 *   invert_event_set to the others; filters apply one after the other, in request order;
 * - no paths: INCLUDE keeps everything, EXCLUDE removes nothing;
 * - a path and a longer path through it ("process", "process.pid") leave the longer one in
 *   effect, as the mask tree Tetragon builds does.
 * Path segments may be snake_case or lowerCamelCase ("exec_id" or "execId"): Tetragon turns both
 * into the Go field name.
 */
import type { GetEventsResponse } from '../tetragon';
import { FilterError } from './errors';
import { EVENT_ONEOF_KEYS, eventTypeOf, isObject } from './event-type';
import { EVENT_BODY_MESSAGES, MESSAGE_FIELDS, SCALAR } from './field-schema';
import { EVENT_TYPE_NAMES, type EventTypeName, type FieldFilter } from './types';
import { describe, eventTypeList, expectKnownKeys, expectObject, isUnset, optionalBool, stringList } from './validate';

export type EventTransform = (event: GetEventsResponse) => GetEventsResponse;

/**
 * Compiles field filters into one transform; throws FilterError for the first invalid filter
 * (`field_filters[0].fields.paths[1]: ...`). The transform never changes its input: it returns
 * the same event when no filter applies, otherwise a new event that shares the unchanged parts
 * of the input (treat events as read-only).
 */
export function compileFieldFilters(filters: readonly FieldFilter[] | null | undefined): EventTransform {
  if (isUnset(filters)) return (event) => event;
  if (!Array.isArray(filters)) {
    throw new FilterError('field_filters', `expected a list of field filters, got ${describe(filters)}`);
  }
  const compiled = filters.map((f, i) => compileFieldFilter(f, `field_filters[${i}]`));
  return (event) => compiled.reduce((current, apply) => apply(current), event);
}

/** A mask tree: the field names at one level, each with the mask of its own fields (empty = all). */
class Mask {
  readonly children = new Map<string, Mask>();

  child(name: string): Mask {
    let node = this.children.get(name);
    if (!node) this.children.set(name, (node = new Mask()));
    return node;
  }
}

function compileFieldFilter(input: unknown, at: string): EventTransform {
  const filter = expectObject(input, at);
  expectKnownKeys(filter, ['event_set', 'fields', 'action', 'invert_event_set'], at);
  const eventSet = eventTypeList(filter['event_set'], `${at}.event_set`);
  const invert = optionalBool(filter['invert_event_set'], `${at}.invert_event_set`) ?? false;
  const action = filter['action'] ?? 'INCLUDE';
  if (action !== 'INCLUDE' && action !== 'EXCLUDE') {
    throw new FilterError(`${at}.action`, `unknown action ${describe(action)} (INCLUDE or EXCLUDE)`);
  }
  const paths = fieldPaths(filter['fields'], `${at}.fields`);

  // The event types the filter can change, to check its paths against.
  let applicable: EventTypeName[] = [...EVENT_TYPE_NAMES];
  if (eventSet.length) applicable = applicable.filter((t) => eventSet.includes(t) !== invert);
  if (applicable.length === 0) applicable = [...EVENT_TYPE_NAMES];

  const mask = new Mask();
  paths.forEach((path, i) => {
    let node = mask;
    for (const name of resolvePath(path, applicable, `${at}.fields.paths[${i}]`)) node = node.child(name);
  });

  return (event) => {
    const type = eventTypeOf(event);
    if (type === undefined || mask.children.size === 0) return event;
    if (eventSet.length && eventSet.includes(type) === invert) return event;
    const key = EVENT_ONEOF_KEYS[type];
    const body = (event as unknown as Record<string, unknown>)[key];
    const filtered = action === 'INCLUDE' ? include(body, mask) : exclude(body, mask);
    return { ...event, [key]: filtered } as GetEventsResponse;
  };
}

/** FieldMask.paths, or FieldMask's protojson form: one comma-separated string. */
function fieldPaths(fields: unknown, at: string): string[] {
  if (fields === undefined || fields === null) return [];
  if (typeof fields === 'string') return fields === '' ? [] : fields.split(',');
  const mask = expectObject(fields, at);
  expectKnownKeys(mask, ['paths'], at);
  return stringList(mask['paths'], `${at}.paths`);
}

/** Go's fixupSnakeCaseString(s, true): the Go field name Tetragon looks a segment up by. */
function goName(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '_') continue;
    out += i === 0 || segment[i - 1] === '_' ? c.toUpperCase() : c;
  }
  return out;
}

const goNameIndex = new Map<string, Map<string, string>>();

function fieldByGoName(message: string, segment: string): string | undefined {
  let index = goNameIndex.get(message);
  if (!index) {
    index = new Map(Object.keys(MESSAGE_FIELDS[message] ?? {}).map((f) => [goName(f), f]));
    goNameIndex.set(message, index);
  }
  return index.get(goName(segment));
}

type Resolution = { names: string[] } | { depth: number; reason: string };

/** The path's field names in the body of `type`, or why it names no field there. */
function resolveIn(type: EventTypeName, segments: readonly string[]): Resolution {
  let kind = EVENT_BODY_MESSAGES[type];
  let where = kind;
  const names: string[] = [];
  for (const [depth, segment] of segments.entries()) {
    if (kind === 'map') {
      names.push(segment);
      kind = SCALAR;
      where = `${where}.${segment}`;
      continue;
    }
    if (kind === SCALAR) return { depth, reason: `${where} is a scalar, it has no field "${segment}"` };
    const message = kind.replace(/\[\]$/, '');
    const field = fieldByGoName(message, segment);
    if (field === undefined) return { depth, reason: `${message} has no field "${segment}"` };
    names.push(field);
    kind = MESSAGE_FIELDS[message]![field]!;
    where = field;
  }
  return { names };
}

function resolvePath(path: string, types: readonly EventTypeName[], at: string): string[] {
  const segments = path.split('.');
  if (segments.some((s) => s === '')) throw new FilterError(at, `invalid path "${path}": empty field name`);
  let deepest: { depth: number; reason: string } | undefined;
  for (const type of types) {
    const r = resolveIn(type, segments);
    if ('names' in r) return r.names;
    if (!deepest || r.depth > deepest.depth) deepest = r;
  }
  const reason =
    deepest!.depth > 0
      ? deepest!.reason
      : `"${segments[0]}" is not a field of ${
          types.length === EVENT_TYPE_NAMES.length ? 'any event' : types.map((t) => EVENT_BODY_MESSAGES[t]).join(', ')
        }`;
  throw new FilterError(at, `path "${path}" names no field: ${reason}`);
}

/** Keeps the masked fields (fieldmask-utils Mask); a value under a non-empty mask that is not a message is kept whole. */
function include(value: unknown, mask: Mask): unknown {
  if (mask.children.size === 0) return value;
  if (Array.isArray(value)) return value.map((v) => include(v, mask));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = mask.children.get(key);
    if (sub) out[key] = include(v, sub);
  }
  return out;
}

/** Drops the masked fields (fieldmask-utils MaskInverse). */
function exclude(value: unknown, mask: Mask): unknown {
  if (Array.isArray(value)) return value.map((v) => exclude(v, mask));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = mask.children.get(key);
    if (!sub) out[key] = v;
    else if (sub.children.size > 0) out[key] = exclude(v, sub);
  }
  return out;
}
