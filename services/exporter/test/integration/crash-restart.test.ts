import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventStream } from '../fixtures/events';
import { Exporter, publishEvents, rawRowCount, TestEnv, waitFor } from './helpers';

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'main.js');

/** The exporter as deployed: `node dist/main.js`, configured through VIGIL_* only. */
async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; exporter: Exporter }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'], NO_COLOR: '1', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`exporter exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  return { child, exporter: new Exporter(undefined, url) };
}

describe('exporter process killed mid-batch and restarted (real Kafka + ClickHouse)', () => {
  const env = new TestEnv();
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await env.cleanup();
  });

  it('ends with exactly N distinct events stored: no loss, no double', async () => {
    const N = 40_000;
    const producer = await env.bus();
    await publishEvents(producer, eventStream(0, N, 'crash'));
    const config = env.exporterEnv({ VIGIL_EXPORTER_BATCH_SIZE: '1000' });

    const first = await startChild(config);
    children.push(first.child);
    // SIGKILL while the stream is flowing: rows landed, others in flight, offsets partly committed.
    // Polled tightly and killed at once, so the kill usually lands between an insert and its commit.
    await waitFor(
      'the first exporter to store some of the stream',
      async () => (await rawRowCount(env).catch(() => 0)) >= 5_000,
      60_000,
      5,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const atKill = await rawRowCount(env);
    expect(atKill).toBeLessThan(N);

    // Same consumer group: it resumes from the last committed offsets; what the killed process
    // stored but never committed is delivered again and collapses by event id.
    const second = await startChild(config);
    children.push(second.child);
    await waitFor(
      `${N} distinct events`,
      () =>
        env.store.countEvents().then(
          (n) => n === N,
          () => false,
        ),
      120_000,
    );
    await waitFor('the restarted exporter to be idle', async () => {
      const s = await second.exporter.status();
      return s.inFlight === 0 && s.backlog === 0;
    });
    const raw = await rawRowCount(env);
    console.log(
      `killed at ${atKill} rows; after restart ${raw} rows stored for ${N} events (${raw - N} re-delivered copies, collapsed by the presets)`,
    );
    expect(await env.store.countEvents()).toBe(N);
    const [distinct] = await env.store.connection.rows(
      `SELECT uniqExact(event_id) AS ids, uniqExact(time_ns) AS times FROM ${env.database}.vigil_events`,
    );
    expect({ ids: Number(distinct!['ids']), times: Number(distinct!['times']) }).toEqual({ ids: N, times: N });
    const s = await second.exporter.status();
    expect(s).toMatchObject({ state: 'running', deadLettered: 0 });
    // The second process stored the rest and at most what the first had not committed again.
    expect(s.inserted).toBeGreaterThanOrEqual(N - atKill);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});
