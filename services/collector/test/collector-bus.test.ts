import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InProcessBus, KafkaBus, Topic } from '@vigil/bus';
import { loadConfig } from '@vigil/config';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorBus } from '../src/collector-bus';
import { collectorSchema } from '../src/collector.config';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

/** A port nothing listens on: the broker looks stopped. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('CollectorBus (no broker needed)', () => {
  it('without a bus from the root: a KafkaBus from configuration, spooling while the broker is away, in /status', async () => {
    const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-spool-'));
    dirs.push(spoolDir);
    const config = loadConfig(collectorSchema, {
      env: {
        VIGIL_KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
        VIGIL_COLLECTOR_SPOOL_DIR: spoolDir,
        VIGIL_COLLECTOR_SPOOL_MAX_SIZE: '2MiB',
        VIGIL_KAFKA_TOPIC_PREFIX: 'unit.',
      },
    });
    const transport = new CollectorBus(config, {});
    expect(transport.owned).toBe(true);
    expect(transport.bus).toBeInstanceOf(KafkaBus);
    await transport.onModuleInit();
    await transport.bus.publish(Topic.eventsRaw, [
      { key: 'e1', value: { process_exec: { process: { exec_id: 'e1' } } } },
      { key: 'e1', value: { process_exit: { process: { exec_id: 'e1' } } } },
    ]);
    await (transport.bus as KafkaBus).flush();
    const status = transport.status();
    expect(status).toMatchObject({
      transport: 'kafka',
      published: {},
      dropped: {},
      buffered: 0,
      spooled: { 'vigil.events.raw': 2 },
      spool: { records: 2, maxBytes: 2 * 1024 * 1024 },
      broker: { connected: false, lastError: expect.stringMatching(/ECONNREFUSED/) },
    });
    expect(status.spool!.bytes).toBeGreaterThan(0);
    // The prefix names the Kafka topics; the spool holds them under that name.
    expect((transport.bus as KafkaBus).kafkaTopic(Topic.eventsRaw)).toBe('unit.vigil.events.raw');
    await transport.close();
    // Closed by its owner: further publishes are refused, not lost silently.
    await expect(transport.bus.publish(Topic.eventsRaw, [{ key: 'x', value: {} }])).rejects.toThrow(/closed/);
  });

  it('a bus from the composition root is used as is and left open for its owner', async () => {
    const bus = new InProcessBus();
    const config = loadConfig(collectorSchema, { env: {} });
    const transport = new CollectorBus(config, { bus });
    await transport.onModuleInit();
    expect(transport.owned).toBe(false);
    expect(transport.bus).toBe(bus);
    await bus.publish(Topic.eventsRaw, [{ key: 'k', value: {} }]);
    await transport.close();
    await bus.publish(Topic.eventsRaw, [{ key: 'k', value: {} }]);
    expect(transport.status()).toEqual({ transport: 'in-process', published: { 'vigil.events.raw': 2 }, dropped: {} });
  });
});
