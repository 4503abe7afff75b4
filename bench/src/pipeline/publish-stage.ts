import { InProcessBus, KafkaBus, Topic, type BusMessage, type EventBus } from '@vigil/bus';
import { contractsCodec } from '@vigil/contracts';
import type { BenchEnv } from './env';
import { rotatingRounds, seconds } from './rounds';

export const PUBLISH_MODES = ['kafka', 'in-process', 'spool', 'encode'] as const;
export type PublishMode = (typeof PUBLISH_MODES)[number];

/** Events per publish() call: the collector publishes one kernel batch per call. */
const KERNEL_BATCH = 256;

/**
 * collector → transport: the collector's publish loop (one awaited publish() per kernel batch,
 * chained as ProcessPipeline chains them) over N events, until they are durable — KafkaBus:
 * flush() (acknowledged by the broker: gzip, acks=all, idempotent producer); in-process: every
 * message handed to one consumer (the enricher's place in `vigil run`); broker down: flush()
 * once all are in the on-disk spool (fdatasync per batch, the collector's default); encode: only
 * the codec's encoding of each event, the floor of any transport that puts events on a wire.
 */
export async function publishStage(
  env: BenchEnv,
  messages: BusMessage<unknown>[],
  rounds: number,
): Promise<Record<PublishMode, number[]>> {
  return rotatingRounds(rounds, PUBLISH_MODES, async (mode, round) => {
    const rate = await publishRun(env, mode, `${mode}-${round}`, messages);
    console.error(`  collector→bus, round ${round + 1}: ${mode}: ${Math.round(rate).toLocaleString('en-US')} events/s`);
    return rate;
  });
}

async function publishRun(
  env: BenchEnv,
  mode: PublishMode,
  run: string,
  messages: BusMessage<unknown>[],
): Promise<number> {
  if (mode === 'encode') {
    const start = performance.now();
    let bytes = 0;
    for (const m of messages) bytes += contractsCodec.encode(m.value, Topic.eventsRaw).length;
    if (bytes === 0) throw new Error('encode: nothing encoded');
    return messages.length / seconds(start);
  }
  let delivered = 0;
  let bus: EventBus & { flush(): Promise<void> };
  if (mode === 'in-process') {
    const local = new InProcessBus();
    local.subscribe(Topic.eventsRaw, 'enricher', (batch) => void (delivered += batch.length));
    bus = local;
  } else {
    const kafka = new KafkaBus({
      // Port 1 refuses at once: the broker is "down" from the first message on.
      brokers: mode === 'spool' ? ['127.0.0.1:1'] : env.brokers,
      topicPrefix: env.stagePrefix('publish'),
      spoolDir: env.scratch(`spool-${run}`),
      // As the collector's bus (collector-bus.ts): protobuf on policy topics, JSON for events.
      codec: contractsCodec,
      spoolSegmentBytes: 16 * 1024 ** 2,
      log: env.log,
    });
    await kafka.start();
    bus = kafka;
  }
  const start = performance.now();
  // Awaited one after another, as ProcessPipeline chains its publishes to keep kernel order.
  for (let i = 0; i < messages.length; i += KERNEL_BATCH)
    await bus.publish(Topic.eventsRaw, messages.slice(i, i + KERNEL_BATCH));
  await bus.flush();
  const elapsed = seconds(start);
  const s = bus.stats() as { published: Record<string, number>; spooled?: Record<string, number> };
  const done =
    mode === 'in-process'
      ? delivered
      : mode === 'spool'
        ? (s.spooled?.[Topic.eventsRaw] ?? 0)
        : (s.published[Topic.eventsRaw] ?? 0);
  await bus.close();
  if (done !== messages.length) throw new Error(`${mode}: ${done} of ${messages.length} events reached the transport`);
  return messages.length / elapsed;
}
