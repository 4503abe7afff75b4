/** Reading the `event` oneof of a GetEventsResponse without trusting its shape. */
import type { EventKind, EventPayloads, GetEventsResponse } from '@vigil/events';

export const EVENT_KINDS: readonly EventKind[] = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_uprobe',
  'process_lsm',
  'process_loader',
];

export type AnyPayload = EventPayloads[EventKind];

/** The one event kind set on the envelope, or a reason why there is not exactly one. */
export function kindOf(event: GetEventsResponse): EventKind | { problem: string } {
  const set = EVENT_KINDS.filter((k) => (event as Partial<Record<EventKind, unknown>>)[k] !== undefined);
  if (set.length === 1) return set[0]!;
  if (set.length === 0) return { problem: `no event payload (expected one of ${EVENT_KINDS.join(', ')})` };
  return { problem: `several event payloads (${set.join(', ')}): the oneof allows one` };
}

export function payloadOf(event: GetEventsResponse, kind: EventKind): AnyPayload {
  return (event as Partial<Record<EventKind, AnyPayload>>)[kind] ?? {};
}

/** What a hook event hooked: the kprobe/lsm function, "subsys/event" or the uprobe symbol. */
export function hookFunctionName(event: GetEventsResponse, kind: EventKind): string {
  switch (kind) {
    case 'process_kprobe':
      return event.process_kprobe?.function_name ?? '';
    case 'process_lsm':
      return event.process_lsm?.function_name ?? '';
    case 'process_tracepoint': {
      const tp = event.process_tracepoint;
      return tp?.subsys || tp?.event ? `${tp.subsys ?? ''}/${tp.event ?? ''}` : '';
    }
    case 'process_uprobe':
      return event.process_uprobe?.symbol ?? '';
    case 'process_loader':
      return event.process_loader?.path ?? '';
    default:
      return '';
  }
}
