import { Topic, type EventBus } from '@vigil/bus';
import type { ProcessPipelineStats } from '@vigil/collector';
import { formatCompact, type GetEventsResponse } from '@vigil/events';

export type TerminalOutput = 'compact' | 'json' | 'none';

/**
 * One line per event on stdout, from vigil.events.raw as the collector publishes it (no wait for
 * enrichment, which has nothing to add without Kubernetes). Everything about Vigil itself goes
 * to stderr (`note`), so stdout can be piped.
 */
export function printEvents(bus: EventBus, output: TerminalOutput, color: boolean): void {
  if (output === 'none') return;
  bus.subscribe<GetEventsResponse>(Topic.eventsRaw, 'terminal', (batch) => {
    const lines = batch
      .map((m) => (output === 'json' ? JSON.stringify(m.value) : formatCompact(m.value, { color })))
      .filter(Boolean);
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  });
}

export const note = (line: string): void => {
  process.stderr.write(`vigil: ${line}\n`);
};

export function summary(
  s: ProcessPipelineStats,
  stored: { inserted: number; deadLettered: number } | undefined,
): string {
  return (
    `stopped: ${s.kernel.received} kernel events, ${s.published} published (${s.hookEvents} from policies, ` +
    `${s.hookEventsUnknown} of hooks no longer loaded), ${s.seeded} seeded from /proc; ` +
    `lost in kernel ${s.kernel.lostKernel}, dropped in user space ${s.kernel.droppedUserspace}, ` +
    `export dropped ${(s.export?.droppedOverflow ?? 0) + (s.export?.lostOnError ?? 0)}, failed ${s.failedEvents}` +
    (stored ? `; stored ${stored.inserted} events, ${stored.deadLettered} dead-lettered` : '')
  );
}
