/** GetEventsResponse builders: one place that knows the key order and omission rules of the envelope. */
import { exitFields } from './exit-status';
import type { GetEventsResponse, Process, ProcessExec, ProcessExit, Timestamp } from './tetragon';

export interface ExecEventInput {
  process: Process;
  parent?: Process;
  /** Grandparent first; omitted when empty. */
  ancestors?: Process[];
  nodeName: string;
  time: Timestamp;
}

export function execResponse(input: ExecEventInput): GetEventsResponse {
  const exec: ProcessExec = { process: input.process };
  if (input.parent) exec.parent = input.parent;
  if (input.ancestors?.length) exec.ancestors = input.ancestors;
  return envelope({ process_exec: exec }, input.nodeName, input.time);
}

export interface ExitEventInput extends ExecEventInput {
  /** wait(2)-style status: exit code in bits 8..15, terminating signal in bits 0..6. */
  waitStatus: number;
}

export function exitResponse(input: ExitEventInput): GetEventsResponse {
  const exit: ProcessExit = { process: input.process };
  if (input.parent) exit.parent = input.parent;
  const { signal, status } = exitFields(input.waitStatus);
  if (signal) exit.signal = signal;
  if (status) exit.status = status;
  exit.time = input.time;
  if (input.ancestors?.length) exit.ancestors = input.ancestors;
  return envelope({ process_exit: exit }, input.nodeName, input.time);
}

function envelope(
  event: { process_exec: ProcessExec } | { process_exit: ProcessExit },
  nodeName: string,
  time: Timestamp,
): GetEventsResponse {
  // Spread keeps the oneof first, then node_name and time: Tetragon's field order.
  const out: GetEventsResponse = { ...event };
  if (nodeName) out.node_name = nodeName;
  out.time = time;
  return out;
}
