import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { inject } from 'vitest';
import { KafkaBus, type KafkaBusOptions } from '../../src';
import type { BusLogger } from '../../src/logger';
import { TcpProxy } from './tcp-proxy';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

export const brokers = (): string[] => inject('kafkaBrokers');

export function adminClient(): Kafka {
  return new Kafka({ clientId: 'vigil-bus-it', brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** Every test gets its own topic names (prefix) and spool directory on the one shared broker. */
export interface TestEnv {
  prefix: string;
  spoolDir: string;
  log: BusLogger & { lines: string[] };
  buses: KafkaBus[];
  bus(options?: Partial<KafkaBusOptions>): KafkaBus;
  cleanup(): Promise<void>;
}

export function testEnv(): TestEnv {
  const prefix = `it-${randomUUID().slice(0, 8)}.`;
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bus-it-'));
  const lines: string[] = [];
  const log = {
    lines,
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
  const buses: KafkaBus[] = [];
  return {
    prefix,
    spoolDir,
    log,
    buses,
    bus(options = {}) {
      const bus = new KafkaBus({
        brokers: brokers(),
        topicPrefix: prefix,
        partitions: 4,
        spoolDir,
        log,
        lingerMs: 5,
        reconnectInitialMs: 100,
        reconnectMaxMs: 500,
        handlerBackoffMs: 20,
        ...options,
      });
      buses.push(bus);
      return bus;
    },
    async cleanup() {
      for (const bus of buses) await bus.close();
      const admin = adminClient().admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => {});
      await admin.disconnect();
      fs.rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** A proxy in front of the (single) real broker, and the kafkajs setting that routes through it. */
export async function brokerProxy(started = true): Promise<{ proxy: TcpProxy; via: Partial<KafkaBusOptions> }> {
  const [host, port] = brokers()[0]!.split(':');
  const proxy = new TcpProxy(host!, Number(port));
  await proxy.start();
  if (!started) await proxy.stop();
  return {
    proxy,
    via: {
      brokers: [`127.0.0.1:${proxy.port}`],
      // The broker advertises its own address; every connection still has to go through the proxy.
      kafkaConfig: {
        socketFactory: ({ onConnect }) => net.connect({ host: '127.0.0.1', port: proxy.port }, onConnect),
      },
    },
  };
}

export interface ReadMessage {
  key: string;
  /** The value as text ('' for a null value too: see rawValue). */
  value: string;
  /** The value as kafkajs hands it over: null for a tombstone, a buffer (maybe empty) otherwise. */
  rawValue: Buffer | null;
  partition: number;
  offset: string;
  headers: IHeaders;
}

/** Reads a topic from the beginning with a plain kafkajs consumer until `count` messages arrived. */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const consumer = adminClient().consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const out: ReadMessage[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${out.length}/${count} messages of ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            out.push({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              rawValue: message.value,
              partition,
              offset: message.offset,
              headers: message.headers ?? {},
            });
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Messages per partition (high watermarks), by partition number. */
export async function partitionSizes(topic: string): Promise<number[]> {
  const admin = adminClient().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  } finally {
    await admin.disconnect();
  }
}

/** How many messages a topic holds. */
export async function topicSize(topic: string): Promise<number> {
  return (await partitionSizes(topic)).reduce((sum, n) => sum + n, 0);
}

export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Per-key order check on what a consumer saw: duplicates (at-least-once) are allowed, but the
 * first time each sequence number of a key shows up must be in increasing order with no gap.
 */
export function orderViolations(
  values: Array<{ key: string; seq: number }>,
  expectedPerKey: Map<string, number>,
): string[] {
  const next = new Map<string, number>();
  const violations: string[] = [];
  for (const { key, seq } of values) {
    const want = next.get(key) ?? 0;
    if (seq === want) next.set(key, want + 1);
    else if (seq > want) violations.push(`key ${key}: seq ${seq} before ${want}`);
  }
  for (const [key, n] of expectedPerKey)
    if ((next.get(key) ?? 0) !== n) violations.push(`key ${key}: ${next.get(key) ?? 0} of ${n} in order`);
  return violations;
}
