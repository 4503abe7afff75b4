/**
 * Which member of GetEventsResponse's `event` oneof an event holds, and the processes and policy
 * name inside it: Tetragon's codegen helpers (ResponseGetProcess, ResponseGetParent,
 * ResponseGetAncestors) and filters.GetPolicyName, for the JSON form.
 */
import type { GetEventsResponse, Process } from '../tetragon';
import type { EventTypeName } from './types';

/** The oneof member of each event type, in descriptor order. */
export const EVENT_ONEOF_KEYS: Readonly<Record<EventTypeName, string>> = {
  PROCESS_EXEC: 'process_exec',
  PROCESS_EXIT: 'process_exit',
  PROCESS_KPROBE: 'process_kprobe',
  PROCESS_TRACEPOINT: 'process_tracepoint',
  PROCESS_LOADER: 'process_loader',
  PROCESS_UPROBE: 'process_uprobe',
  PROCESS_THROTTLE: 'process_throttle',
  PROCESS_LSM: 'process_lsm',
  PROCESS_USDT: 'process_usdt',
  TEST: 'test',
  RATE_LIMIT_INFO: 'rate_limit_info',
};

const ONEOF_ENTRIES = Object.entries(EVENT_ONEOF_KEYS) as Array<[EventTypeName, string]>;

/** Event types whose message has process/parent/ancestors (Tetragon's "process events"). */
const PROCESS_EVENT_TYPES: ReadonlySet<EventTypeName> = new Set([
  'PROCESS_EXEC',
  'PROCESS_EXIT',
  'PROCESS_KPROBE',
  'PROCESS_TRACEPOINT',
  'PROCESS_LOADER',
  'PROCESS_UPROBE',
  'PROCESS_LSM',
  'PROCESS_USDT',
]);

/** Event types that carry policy_name. */
const POLICY_EVENT_TYPES: ReadonlySet<EventTypeName> = new Set([
  'PROCESS_KPROBE',
  'PROCESS_TRACEPOINT',
  'PROCESS_UPROBE',
  'PROCESS_LSM',
  'PROCESS_USDT',
]);

/**
 * The event type of the oneof member `event` holds; undefined when it holds none (Tetragon's
 * UNDEF). Works for every member of the descriptor's oneof, not only those Vigil produces.
 */
export function eventTypeOf(event: GetEventsResponse): EventTypeName | undefined {
  const record = event as unknown as Record<string, unknown>;
  for (const [type, key] of ONEOF_ENTRIES) {
    const body = record[key];
    if (body !== undefined && body !== null) return type;
  }
  return undefined;
}

/** An event's type and oneof body, read once per event by the compiled filters. */
export interface EventView {
  type: EventTypeName | undefined;
  body: Record<string, unknown> | undefined;
}

export function viewEvent(event: GetEventsResponse): EventView {
  const type = eventTypeOf(event);
  if (type === undefined) return { type, body: undefined };
  const body = (event as unknown as Record<string, unknown>)[EVENT_ONEOF_KEYS[type]];
  return { type, body: isObject(body) ? body : undefined };
}

export function processOf(view: EventView): Process | undefined {
  return view.type && PROCESS_EVENT_TYPES.has(view.type) ? asProcess(view.body?.['process']) : undefined;
}

export function parentOf(view: EventView): Process | undefined {
  return view.type && PROCESS_EVENT_TYPES.has(view.type) ? asProcess(view.body?.['parent']) : undefined;
}

/** The ancestors above the parent, as the event carries them (empty when it carries none). */
export function ancestorsOf(view: EventView): Process[] {
  if (!view.type || !PROCESS_EVENT_TYPES.has(view.type)) return [];
  const ancestors = view.body?.['ancestors'];
  return Array.isArray(ancestors) ? (ancestors.filter(isObject) as Process[]) : [];
}

/** policy_name of a policy event; "" for other events, as Tetragon's GetPolicyName. */
export function policyNameOf(view: EventView): string {
  if (!view.type || !POLICY_EVENT_TYPES.has(view.type)) return '';
  const name = view.body?.['policy_name'];
  return typeof name === 'string' ? name : '';
}

function asProcess(value: unknown): Process | undefined {
  return isObject(value) ? (value as Process) : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
