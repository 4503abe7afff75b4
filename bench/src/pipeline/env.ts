import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { BusLogger } from '@vigil/bus';
import { ClickHouseConnection } from '@vigil/store';

/**
 * Where the pipeline benchmark runs: the broker and server of `scripts/services up` (or the
 * VIGIL_KAFKA_BROKERS / VIGIL_CLICKHOUSE_URL of the caller), and names only this run uses — a
 * topic prefix, consumer groups under it, a ClickHouse database, a scratch directory — all
 * removed by cleanup(), so a run leaves nothing behind in the shared broker and server.
 */
export class BenchEnv {
  readonly id = randomBytes(4).toString('hex');
  readonly prefix = `bench-${this.id}.`;
  readonly database = `vigil_bench_${this.id}`;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-pipeline-'));
  readonly brokers: string[];
  readonly clickhouseUrl: string;
  /** The bus logs only errors: its info lines would interleave with the progress lines. */
  readonly log: BusLogger = { info: () => {}, warn: () => {}, error: (m) => console.error(`  bus: ${m}`) };
  private readonly databases = new Set<string>();

  constructor() {
    const endpoints = readEndpoints();
    const brokers = process.env['VIGIL_KAFKA_BROKERS'] ?? endpoints['VIGIL_KAFKA_BROKERS'];
    const url = process.env['VIGIL_CLICKHOUSE_URL'] ?? endpoints['VIGIL_CLICKHOUSE_URL'];
    if (!brokers || !url)
      throw new Error(
        'no Kafka / ClickHouse endpoints: run scripts/services up, or set VIGIL_KAFKA_BROKERS and VIGIL_CLICKHOUSE_URL',
      );
    this.brokers = brokers.split(',');
    this.clickhouseUrl = url;
  }

  /** A topic prefix of its own for one stage, under this run's prefix (cleanup removes it too). */
  stagePrefix(stage: string): string {
    return `${this.prefix}${stage}.`;
  }

  /** A ClickHouse database name for this run; dropped at cleanup. */
  db(name: string): string {
    const db = `${this.database}_${name}`;
    this.databases.add(db);
    return db;
  }

  scratch(name: string): string {
    return path.join(this.dir, name);
  }

  /** Topics and consumer groups under this run's prefix, its databases, its directory. */
  async cleanup(): Promise<void> {
    const admin = new Kafka({
      clientId: 'vigil-bench-cleanup',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(this.prefix));
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(this.prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } catch (err) {
      console.error(`  cleanup: Kafka topics ${this.prefix}*: ${String(err)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // Dropping takes long on a loaded 18.16 server: more than the 10 s a query gets by default.
    const ch = new ClickHouseConnection({ url: this.clickhouseUrl, requestTimeoutMs: 120_000 });
    for (const db of this.databases)
      await ch
        .command(`DROP DATABASE IF EXISTS ${db}`)
        .catch((err: unknown) => console.error(`  cleanup: ${db}: ${String(err)}`));
    await ch.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The endpoints file `scripts/services up` writes (KEY=value lines). */
function readEndpoints(): Record<string, string> {
  const file = path.resolve(__dirname, '..', '..', '..', '.cache', 'services', 'endpoints.env');
  if (!fs.existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  return out;
}
