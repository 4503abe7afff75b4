import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaBus, Topic, type Codec, type KafkaBusOptions } from '@vigil/bus';
import type { GetEventsResponse } from '@vigil/events';
import { ClickHouseEventStore } from '@vigil/store';
import { inject } from 'vitest';
import { ExporterModule, type ExporterModuleOptions } from '../../src';
import { keyOf } from '../fixtures/events';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

export const brokers = (): string => inject('kafkaBrokers');
export const clickhouseUrl = (): string => inject('clickhouseUrl');

/**
 * One test's own corner of the shared servers: a topic prefix (so its topics and consumer
 * groups are its own), a ClickHouse database, spool directories; cleanup drops the database.
 */
export class TestEnv {
  readonly id = randomUUID().replace(/-/g, '').slice(0, 12);
  readonly prefix = `it-exporter-${this.id}.`;
  readonly database = `vigil_exporter_it_${this.id}`;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-exporter-it-'));
  /** Reads ClickHouse directly (not through any proxy a test stops). */
  readonly store = new ClickHouseEventStore({ url: clickhouseUrl(), database: this.database });
  private readonly buses: KafkaBus[] = [];
  private readonly apps: INestApplication[] = [];

  /** VIGIL_* of an exporter of this test. */
  exporterEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      VIGIL_NODE_NAME: 'it-node',
      VIGIL_KAFKA_BROKERS: brokers(),
      VIGIL_KAFKA_TOPIC_PREFIX: this.prefix,
      VIGIL_CLICKHOUSE_URL: clickhouseUrl(),
      VIGIL_CLICKHOUSE_DATABASE: this.database,
      VIGIL_EXPORTER_SPOOL_DIR: path.join(this.dir, 'exporter-spool'),
      VIGIL_EXPORTER_BATCH_SIZE: '2000',
      VIGIL_HTTP_PORT: '0',
      ...overrides,
    };
  }

  /** The exporter module in this process (its own KafkaBus unless options.bus). */
  async startExporter(env: Record<string, string>, options: ExporterModuleOptions = {}): Promise<Exporter> {
    // Test files run side by side: a free port for the fleet gRPC API unless a test sets one.
    const app = await NestFactory.create(
      ExporterModule.register({ ...options, load: { env: { VIGIL_EXPORTER_GRPC_ADDRESS: '127.0.0.1:0', ...env } } }),
      {
        logger: ['error', 'warn'],
      },
    );
    await app.listen(0, '127.0.0.1');
    this.apps.push(app);
    return new Exporter(app, await app.getUrl());
  }

  /** A producer (or reader) on this test's topics, with its own spool directory. */
  async bus(options: Partial<KafkaBusOptions> = {}): Promise<KafkaBus> {
    const bus = new KafkaBus({
      brokers: brokers().split(','),
      topicPrefix: this.prefix,
      spoolDir: fs.mkdtempSync(path.join(this.dir, 'bus-')),
      lingerMs: 5,
      log: { info: () => {}, warn: () => {}, error: (m) => console.error(m) },
      ...options,
    });
    await bus.start();
    this.buses.push(bus);
    return bus;
  }

  async cleanup(): Promise<void> {
    for (const app of this.apps) await app.close().catch(() => {});
    for (const bus of this.buses) await bus.close().catch(() => {});
    await this.store.connection.command(`DROP DATABASE IF EXISTS ${this.database}`).catch(() => {});
    await this.store.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An exporter the test talks to over HTTP. */
export class Exporter {
  constructor(
    readonly app: INestApplication | undefined,
    readonly url: string,
  ) {}

  async get<T = Record<string, unknown>>(p: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${p}`);
    const text = await res.text();
    return {
      status: res.status,
      body: (res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text) as T,
    };
  }

  async status(): Promise<ExporterStatus> {
    return (await this.get<ExporterStatus>('/status')).body;
  }
}

export interface ExporterStatus {
  state: string;
  consumed: number;
  inserted: number;
  deadLettered: number;
  deadLetters: { unmappable: number; byBus: number };
  backlog: number;
  inFlight: number;
  clickhouseConnected: boolean | null;
  insertErrors: number;
  lastError: string | null;
}

export async function publishEvents(bus: KafkaBus, events: GetEventsResponse[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5_000)
    await bus.publish(
      Topic.events,
      events.slice(i, i + 5_000).map((value) => ({ key: keyOf(value), value })),
    );
  await bus.delivered(30_000);
}

/** Publishes bytes as they are (a producer that does not speak JSON). */
export const rawCodec: Codec = {
  encode: (value) => Buffer.from(String(value)),
  decode: (bytes) => bytes.toString('utf8'),
};

/** Rows in the table, copies included (FINAL-free): how many inserts landed. */
export async function rawRowCount(env: TestEnv): Promise<number> {
  const [row] = await env.store.connection.rows(`SELECT count() AS n FROM ${env.database}.vigil_events`);
  return Number(row?.['n'] ?? 0);
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
