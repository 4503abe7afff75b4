import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaBus, Topic, type BusMessage } from '@vigil/bus';
import { contractsCodec, type PolicyStatus } from '@vigil/contracts';
import type { GetEventsResponse } from '@vigil/events';
import { inject } from 'vitest';
import { TcpProxy } from '../../../../libs/bus/test/integration/tcp-proxy';
import { CollectorModule } from '../../src';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

/** Lines the buses log, kept for a failing test's message instead of flooding the output. */
const quiet = (log: string[], name: string) => ({
  info: (m: string) => log.push(`${name} info ${m}`),
  warn: (m: string) => log.push(`${name} warn ${m}`),
  error: (m: string) => log.push(`${name} error ${m}`),
});

/**
 * The collector as the fleet runs it — CollectorModule.register() building its KafkaBus from
 * configuration — on this test's topics (a unique prefix) of the real broker, reached through a
 * TCP proxy the test owns, so the broker can be made unreachable without touching it. An
 * observer bus, straight to the broker, reads what the collector publishes and plays the policy
 * engine's part on vigil.policies.
 */
export class CollectorFleetEnv {
  readonly prefix = `col-it-${randomBytes(4).toString('hex')}.`;
  readonly node = `it-node-${randomBytes(3).toString('hex')}`;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-it-'));
  readonly log: string[] = [];
  /** vigil.events.raw in arrival order (every delivery, so duplicates would show). */
  readonly raw: BusMessage<GetEventsResponse>[] = [];
  readonly statuses: BusMessage<PolicyStatus | null>[] = [];
  proxy!: TcpProxy;
  observer!: KafkaBus;
  app!: INestApplication;
  url = '';

  async start(env: Record<string, string>): Promise<void> {
    const [host, port] = inject('kafkaBrokers')[0]!.split(':');
    this.proxy = new TcpProxy(host!, Number(port));
    await this.proxy.start();
    this.observer = new KafkaBus({
      brokers: inject('kafkaBrokers'),
      topicPrefix: this.prefix,
      spoolDir: path.join(this.dir, 'observer-spool'),
      codec: contractsCodec,
      lingerMs: 5,
      log: quiet(this.log, 'observer'),
    });
    await this.observer.start();
    this.observer.subscribe<GetEventsResponse>(Topic.eventsRaw, 'observer-raw', (b) => void this.raw.push(...b));
    this.observer.subscribe<PolicyStatus | null>(
      Topic.policyStatus,
      'observer-status',
      (b) => void this.statuses.push(...b),
    );
    const proxyPort = this.proxy.port;
    this.app = await NestFactory.create(
      CollectorModule.register({
        load: {
          env: {
            VIGIL_NODE_NAME: this.node,
            VIGIL_KAFKA_BROKERS: `127.0.0.1:${proxyPort}`,
            VIGIL_KAFKA_TOPIC_PREFIX: this.prefix,
            VIGIL_COLLECTOR_SPOOL_DIR: path.join(this.dir, 'collector-spool'),
            VIGIL_EXPORT_FILE: path.join(this.dir, 'events.log'),
            // Test files run side by side: no fixed gRPC address unless a test asks for one.
            VIGIL_GRPC_ADDRESS: '',
            ...env,
          },
        },
        // The broker advertises its own address: every connection still has to go through the proxy.
        kafkaConfig: {
          socketFactory: ({ onConnect }) => net.connect({ host: '127.0.0.1', port: proxyPort }, onConnect),
        },
      }),
      { logger: ['error', 'warn'], abortOnError: false },
    );
    await this.app.listen(0, '127.0.0.1');
    this.url = await this.app.getUrl();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON the endpoint sends, checked field by field
  async status(): Promise<any> {
    return (await fetch(`${this.url}/status`)).json();
  }

  /** What a timed-out wait shows: the collector's bus and sync state and the buses' last log lines. */
  async detail(): Promise<string> {
    const s = await this.status().catch((e: unknown) => ({ error: String(e) }));
    const o = this.observer.stats();
    return JSON.stringify({
      bus: s.bus,
      observer: {
        delivered: o.delivered,
        deadLettered: o.deadLettered,
        handlerErrors: o.handlerErrors,
        restarts: o.restarts,
        consumerErrors: o.consumerErrors,
      },
      policySync: s.policySync.stats,
      workloads: s.workloads,
      policies: s.policies?.map((p: { name: string; scope?: unknown }) => ({ name: p.name, scope: p.scope })),
      log: this.log.slice(-15),
    });
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.observer?.close();
    await this.proxy?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  detail?: () => Promise<string> | string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${await detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
