import type { EventKind, EventPayloads, GetEventsResponse, Process } from '../tetragon';

/** Every event kind of GetEventsResponse's `event` oneof, in descriptor order. */
export const EVENT_KINDS: readonly EventKind[] = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_lsm',
  'process_uprobe',
];

/** The one event message a response holds, with its kind; undefined when it holds none. */
export function eventPayload(
  event: GetEventsResponse,
): { kind: EventKind; payload: EventPayloads[EventKind] } | undefined {
  for (const kind of EVENT_KINDS) {
    const payload = event[kind];
    if (payload) return { kind, payload };
  }
  return undefined;
}

/**
 * The processes an event describes — process, parent, then ancestors (grandparent first) — as
 * the live objects inside the event, so whoever adds context (the enricher's pod and container)
 * fills each one in place. Every event kind carries the same three fields.
 */
export function eventProcesses(event: GetEventsResponse): Process[] {
  const found = eventPayload(event);
  if (!found) return [];
  const { process, parent, ancestors } = found.payload;
  const out: Process[] = [];
  if (process) out.push(process);
  if (parent) out.push(parent);
  for (const a of ancestors ?? []) out.push(a);
  return out;
}
