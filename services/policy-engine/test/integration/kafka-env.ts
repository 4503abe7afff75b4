import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaBus } from '@vigil/bus';
import { contractsCodec } from '@vigil/contracts';
import { inject } from 'vitest';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

/** One test's topics (a unique prefix) on the shared broker; every bus it made is closed at the end. */
export class KafkaEnv {
  readonly prefix = `pe-it-${randomUUID().slice(0, 8)}.`;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pe-it-'));
  private readonly buses: KafkaBus[] = [];
  readonly log: string[] = [];

  /** A started KafkaBus with the protobuf contracts on the policy topics, as main.ts builds it. */
  async bus(name: string): Promise<KafkaBus> {
    const bus = new KafkaBus({
      brokers: inject('kafkaBrokers'),
      topicPrefix: this.prefix,
      partitions: 3,
      spoolDir: path.join(this.dir, `${name}-${this.buses.length}`),
      codec: contractsCodec,
      lingerMs: 5,
      handlerBackoffMs: 20,
      log: {
        info: (m) => this.log.push(`${name} info ${m}`),
        warn: (m) => this.log.push(`${name} warn ${m}`),
        error: (m) => this.log.push(`${name} error ${m}`),
      },
    });
    await bus.start();
    this.buses.push(bus);
    return bus;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.buses.splice(0).map((b) => b.close().catch(() => {})));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
