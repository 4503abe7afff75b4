import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message, ProducerBatch } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerLink } from '../src/kafka/broker-link';
import { emptyCounters } from '../src/kafka/counters';
import { PublishPipeline, type PublishPipelineOptions } from '../src/kafka/publish-pipeline';
import { DiskSpool } from '../src/spool/disk-spool';
import type { SpoolRecord } from '../src/spool/record-format';

/**
 * The pipeline with a stand-in producer (no broker): what sendBatch is given, and Kafka's refusal
 * of a record (an error of kafkajs's shape, `type` MESSAGE_TOO_LARGE) when `refuse` says so.
 */
async function setup(refuse: (m: Message) => boolean, options: Partial<PublishPipelineOptions> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pipeline-'));
  dirs.push(dir);
  const lines: string[] = [];
  const log = {
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
  const spool = await DiskSpool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, log });
  const calls: Message[][] = [];
  let gate: Promise<void> = Promise.resolve();
  const producer = {
    async sendBatch(batch: ProducerBatch) {
      await gate;
      const messages = (batch.topicMessages ?? []).flatMap((t) => t.messages);
      calls.push(messages);
      if (messages.some(refuse))
        throw Object.assign(new Error('The request included a message larger than the max message size'), {
          name: 'KafkaJSProtocolError',
          type: 'MESSAGE_TOO_LARGE',
        });
      return [];
    },
  };
  const link = {
    producer,
    connected: true,
    markFailed: (e: unknown) => {
      throw new Error(`unexpected: the broker was marked unavailable (${String(e)})`);
    },
  } as unknown as BrokerLink;
  const counters = emptyCounters();
  const pipeline = new PublishPipeline(
    { lingerMs: 1, batchBytes: 1 << 20, batchMessages: 100, bufferBytes: 1 << 20, ...options },
    { link, spool, counters, log, statsName: (t) => t },
  );
  pipeline.start();
  cleanups.push(async () => {
    await pipeline.close();
    await spool.close();
  });
  return {
    pipeline,
    counters,
    lines,
    calls,
    spool,
    /** Holds every send until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
  };
}

const dirs: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const rec = (key: string, value: Buffer | null, topic = 'vigil.policies'): SpoolRecord => ({
  topic,
  key,
  value,
  timestamp: 1_700_000_000_000,
});

describe('PublishPipeline with null values (stand-in producer)', () => {
  it('hands kafkajs a null value for a tombstone and an empty buffer for an empty value', async () => {
    const t = await setup(() => false);
    await t.pipeline.accept([rec('p1', null), rec('p2', Buffer.alloc(0)), rec('p3', Buffer.from('{}'))]);
    await t.pipeline.flush();
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]!.map((m) => [m.key, m.value])).toEqual([
      ['p1', null],
      ['p2', Buffer.alloc(0)],
      ['p3', Buffer.from('{}')],
    ]);
    expect(t.counters.published).toEqual({ 'vigil.policies': 3 });
  });

  it('halves a refused batch down to the refused record and sends the tombstones around it', async () => {
    const big = Buffer.alloc(300, 'x');
    const t = await setup((m) => m.value !== null && (m.value as Buffer).length > 100);
    const batch = [rec('a', null), rec('b', Buffer.alloc(0)), rec('big', big), rec('c', null), rec('d', null)];
    await t.pipeline.accept(batch);
    await t.pipeline.flush();
    const accepted = t.calls.filter((c) => !c.some((m) => m.key === 'big'));
    expect(accepted.flat().map((m) => [m.key, m.value])).toEqual([
      ['a', null],
      ['b', Buffer.alloc(0)],
      ['c', null],
      ['d', null],
    ]);
    // [a b big c d] → [a b big] → [a b] ok, [big] dropped; [c d] ok.
    expect(t.calls.map((c) => c.map((m) => m.key).join(''))).toEqual(['abbigcd', 'abbig', 'ab', 'big', 'cd']);
    expect(t.counters).toMatchObject({ published: { 'vigil.policies': 4 }, dropped: { 'vigil.policies': 1 } });
    expect(t.lines).toEqual([
      'error Kafka refused a message on vigil.policies (key "big", 300 bytes): KafkaJSProtocolError: The request included a message larger than the max message size — dropped',
    ]);
    expect(t.spool.pendingRecords).toBe(0);
  });

  it('finds a refused tombstone by halving too, and says it was a tombstone', async () => {
    const t = await setup((m) => m.value === null && m.key === 'bad');
    await t.pipeline.accept([rec('a', Buffer.from('1')), rec('bad', null), rec('b', null), rec('c', Buffer.from('2'))]);
    await t.pipeline.flush();
    expect(t.counters).toMatchObject({ published: { 'vigil.policies': 3 }, dropped: { 'vigil.policies': 1 } });
    expect(t.calls.at(-1)!.map((m) => [m.key, m.value])).toEqual([
      ['b', null],
      ['c', Buffer.from('2')],
    ]);
    expect(t.lines).toHaveLength(1);
    expect(t.lines[0]).toMatch(
      /^error Kafka refused a message on vigil\.policies \(key "bad", a tombstone \(null value\)\): .* — dropped$/,
    );
  });

  it('counts a tombstone by its key in the memory bound: publish() waits while the buffer is over it', async () => {
    const t = await setup(() => false, { bufferBytes: 4, batchMessages: 2 });
    const release = t.hold();
    await t.pipeline.accept([rec('k0', null)]);
    // The first batch is out (held in sendBatch); these three stay in memory: 6 bytes of keys.
    await new Promise((r) => setTimeout(r, 20));
    await t.pipeline.accept([rec('k1', null), rec('k2', null), rec('k3', null)]);
    let accepted = false;
    const waiting = t.pipeline.accept([rec('k4', null)]).then(() => (accepted = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(accepted).toBe(false);
    expect(t.pipeline.bufferedMessages).toBe(3);
    release();
    await waiting;
    await t.pipeline.flush();
    // batchMessages bounds batches of zero-byte values: [k0] [k1 k2] then k3 and k4.
    expect(t.calls.slice(0, 2).map((c) => c.map((m) => m.key))).toEqual([['k0'], ['k1', 'k2']]);
    expect(t.calls.every((c) => c.length <= 2)).toBe(true);
    expect(t.calls.flat().map((m) => m.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(t.calls.flat().every((m) => m.value === null)).toBe(true);
    expect(t.counters.published).toEqual({ 'vigil.policies': 5 });
  });
});
