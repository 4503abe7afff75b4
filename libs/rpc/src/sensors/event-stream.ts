/**
 * One GetEvents stream: events that pass the call's filters are encoded (once per event for every
 * stream without field filters) and written; when the client reads slower than events come, they
 * wait in a bounded queue, and what does not fit is dropped and counted — never buffered without
 * bound, never lost silently.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { GetEventsResponse } from '@vigil/events';

export interface EventStreamCounters {
  /** Streams open now, and opened since start. */
  open: number;
  opened: number;
  /** Events written to streams, and dropped because a stream's queue was full. */
  sent: number;
  dropped: number;
  /** Events that failed to encode (counted, skipped). */
  encodeErrors: number;
}

export class EventStreamWriter {
  private readonly queue: Buffer[] = [];
  private waitingForDrain = false;
  private ended = false;

  constructor(
    private readonly call: ServerWritableStream<unknown, Buffer>,
    private readonly maxQueued: number,
    private readonly counters: EventStreamCounters,
  ) {
    call.on('drain', () => this.drain());
  }

  write(bytes: Buffer): void {
    if (this.ended) return;
    if (this.waitingForDrain) {
      if (this.queue.length >= this.maxQueued) this.counters.dropped++;
      else this.queue.push(bytes);
      return;
    }
    this.send(bytes);
  }

  end(): void {
    this.ended = true;
    this.counters.dropped += this.queue.length;
    this.queue.length = 0;
  }

  private send(bytes: Buffer): void {
    this.counters.sent++;
    if (!this.call.write(bytes)) this.waitingForDrain = true;
  }

  private drain(): void {
    this.waitingForDrain = false;
    while (!this.waitingForDrain && this.queue.length > 0) this.send(this.queue.shift()!);
  }
}

/** Encodes an event once, whatever number of streams write it. */
export class EventEncoder {
  private readonly cache = new WeakMap<GetEventsResponse, Buffer>();

  constructor(private readonly encode: (event: GetEventsResponse) => Buffer) {}

  bytes(event: GetEventsResponse, shared: boolean): Buffer {
    if (!shared) return this.encode(event);
    let bytes = this.cache.get(event);
    if (!bytes) {
      bytes = this.encode(event);
      this.cache.set(event, bytes);
    }
    return bytes;
  }
}
