import { afterEach, describe, expect, it } from 'vitest';
import { Topic } from '../../src';
import { adminClient, brokerProxy, orderViolations, testEnv, until, type TestEnv } from './helpers';
import type { TcpProxy } from './tcp-proxy';

/**
 * Handlers that take longer than the group session (the exporter awaiting a ClickHouse that is
 * away). The broker's group.min.session.timeout.ms is 6 s: the shortest session a test can ask for.
 */
const SESSION_MS = 6_000;
const HEARTBEAT_MS = 1_000;
/** 1.5 × the session. */
const SLOW_MS = 9_000;
const KEYS = ['k0', 'k1', 'k2', 'k3'];
const PER_KEY = 10;

let env: TestEnv;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await env.cleanup();
});

type Seq = { key: string; seq: number };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function messages(): Array<{ key: string; value: Seq }> {
  const out: Array<{ key: string; value: Seq }> = [];
  for (let seq = 0; seq < PER_KEY; seq++) for (const key of KEYS) out.push({ key, value: { key, seq } });
  return out;
}

async function group(groupId: string): Promise<{ state: string; members: string[] }> {
  const admin = adminClient().admin();
  await admin.connect();
  try {
    const [g] = (await admin.describeGroups([groupId])).groups;
    return { state: g!.state, members: g!.members.map((m) => m.memberId) };
  } finally {
    await admin.disconnect();
  }
}

async function committedOffset(groupId: string, topic: string): Promise<number> {
  const admin = adminClient().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return entry!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function untilCommitted(groupId: string, topic: string, n: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  let got = await committedOffset(groupId, topic);
  while (got !== n && Date.now() < deadline) {
    await sleep(200);
    got = await committedOffset(groupId, topic);
  }
  return got;
}

const total = KEYS.length * PER_KEY;
const expectedPerKey = new Map(KEYS.map((k) => [k, PER_KEY]));

describe('KafkaBus consumers with handlers slower than the group session', () => {
  it('keeps the member through a handler and a retry backoff of 1.5 × the session: everything delivered once', async () => {
    env = testEnv();
    const bus = env.bus({
      consumerSessionTimeoutMs: SESSION_MS,
      consumerHeartbeatMs: HEARTBEAT_MS,
      handlerRetries: 1,
      handlerBackoffMs: SLOW_MS,
    });
    await bus.start();
    await bus.publish(Topic.events, messages());
    await bus.flush();

    const seen: Seq[] = [];
    const calls: Array<{ at: number; took?: number; threw?: number }> = [];
    let slowStarted = false;
    bus.subscribe<Seq>(Topic.events, 'slow', async (batch) => {
      const call: { at: number; took?: number; threw?: number } = { at: Date.now() };
      calls.push(call);
      if (calls.length === 1) {
        // The handler itself outlives the session.
        slowStarted = true;
        await sleep(SLOW_MS);
      } else if (calls.length === 2) {
        // Fails once: the retry waits handlerBackoffMs = 1.5 × the session before trying again.
        call.threw = batch.length;
        throw new Error('store away');
      }
      call.took = Date.now() - call.at;
      seen.push(...batch.map((m) => m.value));
    });
    const groupId = `${env.prefix}slow`;
    await until('the slow handler', () => slowStarted);
    await sleep(1_000);
    const before = await group(groupId);
    expect(before.members).toHaveLength(1);

    await until('every message', () => seen.length >= total, 60_000);
    expect(calls[0]!.took).toBeGreaterThanOrEqual(SLOW_MS);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(SLOW_MS - 50);
    // Nothing delivered twice (no eviction, no redelivery), nothing skipped, per-key order kept.
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((s) => `${s.key}/${s.seq}`)).size).toBe(total);
    expect(orderViolations(seen, expectedPerKey)).toEqual([]);
    expect(await untilCommitted(groupId, bus.kafkaTopic(Topic.events), total)).toBe(total);
    // The same member, never evicted, never restarted.
    expect(await group(groupId)).toEqual({ state: 'Stable', members: before.members });
    const stats = bus.stats();
    expect(stats.restarts).toEqual({});
    expect(stats.consumerErrors).toEqual({});
    expect(stats.delivered).toEqual({ 'vigil.events/slow': total });
    // handlerErrors counts the messages of failed calls.
    expect(stats.handlerErrors).toEqual({ 'vigil.events/slow': calls[1]!.threw });
    expect(env.log.lines.filter((l) => /heartbeat failed|crashed|cannot start/.test(l))).toEqual([]);
  });

  it('restarts a consumer evicted from its group: the uncommitted batch comes again, nothing is skipped', async () => {
    env = testEnv();
    const through = await brokerProxy();
    proxy = through.proxy;
    const producer = env.bus({ spoolDir: `${env.spoolDir}/producer` });
    await producer.start();
    const consumer = env.bus({
      ...through.via,
      spoolDir: `${env.spoolDir}/consumer`,
      consumerSessionTimeoutMs: SESSION_MS,
      consumerHeartbeatMs: HEARTBEAT_MS,
    });
    await consumer.start();
    await producer.publish(Topic.events, messages());
    await producer.flush();

    const seen: Seq[] = [];
    let calls = 0;
    let firstBatch: Seq[] = [];
    consumer.subscribe<Seq>(Topic.events, 'evicted', async (batch) => {
      calls++;
      if (calls === 1) {
        // No heartbeat reaches the coordinator for 1.5 × the session: it evicts the member.
        firstBatch = batch.map((m) => m.value);
        await proxy!.stop();
        await sleep(SLOW_MS);
        await proxy!.start();
      }
      seen.push(...batch.map((m) => m.value));
    });
    const groupId = `${env.prefix}evicted`;

    // Every message, plus the evicted member's batch once more.
    await until('every message after the restart', () => calls > 1 && seen.length >= total + firstBatch.length, 90_000);
    const stats = consumer.stats();
    expect(stats.restarts['vigil.events/evicted']).toBeGreaterThanOrEqual(1);
    expect(stats.consumerErrors['vigil.events/evicted']).toEqual(expect.any(String));
    expect(
      env.log.lines.some((l) => l.startsWith('error consumer vigil.events/evicted: crashed: ')),
      env.log.lines.join('\n'),
    ).toBe(true);
    // At-least-once: the batch handled by the evicted member was not committed and came again.
    expect(firstBatch.length).toBeGreaterThan(0);
    // Only that batch: the rest of the fetch was not handed to the handler by the evicted member.
    for (const s of firstBatch) expect(seen.filter((x) => x.key === s.key && x.seq === s.seq)).toHaveLength(2);
    expect(seen).toHaveLength(total + firstBatch.length);
    expect(orderViolations(seen, expectedPerKey)).toEqual([]);
    expect(await untilCommitted(groupId, consumer.kafkaTopic(Topic.events), total)).toBe(total);
    const g = await group(groupId);
    expect(g.state).toBe('Stable');
    expect(g.members).toHaveLength(1);
    console.log(
      `evicted after ${SLOW_MS} ms without heartbeats (session ${SESSION_MS} ms): ${stats.restarts['vigil.events/evicted']} restart(s), last error: ${stats.consumerErrors['vigil.events/evicted']}; ${seen.length} deliveries of ${total} messages (the evicted member's batch: ${firstBatch.length})`,
    );
  });
});
