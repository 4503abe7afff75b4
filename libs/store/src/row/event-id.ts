/**
 * The stable event id: what makes storage idempotent.
 *
 * Delivery is at-least-once (the exporter commits Kafka offsets only after an insert succeeded,
 * a retried insert may have landed the first time), so one event can arrive several times. Each
 * copy is the same message, so any deterministic function of the event's identifying fields
 * gives every copy the same id, and the stores keep one row per id.
 *
 * Identity = what no two distinct events share:
 * - node_name + exec_id: exec_id is base64("node:ktime:pid"), unique per exec image on a node;
 * - the event kind: an exec and an exit of one process are different events;
 * - time: derived from the kernel's CLOCK_BOOTTIME stamp of the record, ns resolution, and it
 *   travels in the message, so a re-delivery carries the same value (it is not re-read);
 * - tid: two threads of one process may hit one hook in the same ns on two CPUs;
 * - the hook: policy, function (or tracepoint / uprobe symbol), action, arguments and return
 *   value, so two different hooks firing on one call stay two events;
 * - binary: a function of exec_id already; hashed because the ClickHouse sort key holds it,
 *   which makes "same id ⇒ same sort key ⇒ the copies collapse" hold by construction.
 * Deliberately NOT identity: pod/container context (added later by the enricher, could differ
 * between two deliveries of one kernel event) and the ancestors list (an option of the collector).
 *
 * The id is the first 128 bits of SHA-256 over a canonical JSON array, as 32 hex digits: 64 bits
 * would make a collision likely somewhere in a fleet's 10^10 events, 128 bits do not.
 */
import { createHash } from 'node:crypto';
import type { EventKind, GetEventsResponse, Process } from '@vigil/events';
import { canonicalJson } from './canonical-json';
import { hookFunctionName, payloadOf } from './payload';

/** Bump only with a data migration: every stored id depends on it. */
const EVENT_ID_VERSION = 'v1';

export function eventId(event: GetEventsResponse, kind: EventKind, timeNs: bigint): string {
  const payload = payloadOf(event, kind);
  const process: Process = payload.process ?? {};
  const hook = 'policy_name' in payload ? payload : undefined;
  const identity = [
    EVENT_ID_VERSION,
    event.node_name ?? '',
    kind,
    process.exec_id ?? '',
    timeNs.toString(),
    process.tid ?? 0,
    process.binary ?? '',
    hook?.policy_name ?? '',
    hookFunctionName(event, kind),
    hook?.action ?? '',
    hook?.args ?? [],
    hook && 'return' in hook ? (hook.return ?? null) : null,
  ];
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 32);
}
