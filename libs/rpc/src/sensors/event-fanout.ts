import type { GetEventsResponse } from '@vigil/events';
import type { EventSource } from './backend';

/**
 * An EventSource fed by its owner: every batch published goes to every subscriber, synchronously,
 * in order. A subscriber that throws is isolated (counted), the others still get the batch.
 */
export class EventFanout implements EventSource {
  private readonly listeners = new Set<(events: readonly GetEventsResponse[]) => void>();
  private listenerErrors = 0;

  subscribe(listener: (events: readonly GetEventsResponse[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: readonly GetEventsResponse[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        this.listenerErrors++;
      }
    }
  }

  stats(): { subscribers: number; listenerErrors: number } {
    return { subscribers: this.listeners.size, listenerErrors: this.listenerErrors };
  }
}
