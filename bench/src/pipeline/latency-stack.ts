import fs from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, jsonCodec, KafkaBus } from '@vigil/bus';
import { CollectorModule } from '@vigil/collector';
import { EnricherModule } from '@vigil/enricher';
import { ExporterModule, ExporterRuntime } from '@vigil/exporter';
import { ClickHouseConnection, DuckDbEventStore, EVENTS_TABLE, stringLiteral } from '@vigil/store';
import type { BenchEnv } from './env';

export const LATENCY_MODES = ['fleet', 'all-in-one'] as const;
export type LatencyMode = (typeof LATENCY_MODES)[number];

/** One stored exec row: its exec_id and its kernel time (ns since the epoch). */
export interface ExecRow {
  execId: string;
  timeNs: bigint;
}

/** Collector (real BPF on this kernel) + enricher + exporter, running, with the query the benchmark polls. */
export interface Stack {
  /** Stored process_exec rows of this binary on this run's node. */
  execRows(binary: string): Promise<ExecRow[]>;
  close(): Promise<void>;
}

/**
 * The services as fleet-e2e.test.ts composes them, each a Nest application in this process:
 * fleet — enricher and collector on their own KafkaBus, the exporter's made from configuration,
 * ClickHouse as the store; all-in-one — the three on one InProcessBus, the exporter on an
 * in-memory DuckDB (`vigil run`'s composition, with its file kept in memory). Kubernetes is
 * disabled in the enricher: the execs are host processes, there is no pod to look up.
 */
export async function startStack(env: BenchEnv, mode: LatencyMode, run: string): Promise<Stack> {
  const apps: INestApplication[] = [];
  const start = async (module: unknown) => {
    const app = await NestFactory.create(module as never, { logger: ['error', 'warn'], abortOnError: false });
    apps.push(app);
    await app.init();
    return app;
  };
  const spool = env.scratch(`e2e-${run}`);
  fs.mkdirSync(spool, { recursive: true });
  // The same consumer groups every round: each round's services go on from the last one's offsets.
  const base = {
    VIGIL_NODE_NAME: `bench-${env.id}`,
    VIGIL_KAFKA_BROKERS: env.brokers.join(','),
    VIGIL_KAFKA_TOPIC_PREFIX: env.stagePrefix('e2e'),
    // The gRPC APIs are not what this measures.
    VIGIL_GRPC_ADDRESS: '',
    VIGIL_EXPORTER_GRPC_ADDRESS: '',
    VIGIL_POLICY_ENGINE_GRPC_ADDRESS: '',
  };
  const closeAll = async () => {
    // Collector first (its last events), then the consumers: reverse start order.
    for (const app of apps.reverse()) await app.close().catch((e: unknown) => console.error(e));
  };
  try {
    if (mode === 'fleet') {
      const database = env.db('e2e');
      const enricherBus = new KafkaBus({
        brokers: env.brokers,
        topicPrefix: base.VIGIL_KAFKA_TOPIC_PREFIX,
        spoolDir: `${spool}/enricher`,
        codec: jsonCodec,
        log: env.log,
      });
      await enricherBus.start();
      await start(EnricherModule.register({ bus: enricherBus, ownsBus: true, load: { env: { ...base } } }));
      await start(
        ExporterModule.register({
          load: {
            env: {
              ...base,
              VIGIL_CLICKHOUSE_URL: env.clickhouseUrl,
              VIGIL_CLICKHOUSE_DATABASE: database,
              VIGIL_EXPORTER_SPOOL_DIR: `${spool}/exporter`,
            },
          },
        }),
      );
      await start(CollectorModule.register({ load: { env: collectorEnv(base, spool) } }));
      const ch = new ClickHouseConnection({ url: env.clickhouseUrl });
      return {
        execRows: async (binary) =>
          toRows(
            await ch.rows(
              `SELECT exec_id, time_ns FROM ${database}.${EVENTS_TABLE} WHERE node_name = ${stringLiteral(base.VIGIL_NODE_NAME)} ` +
                `AND process_binary = ${stringLiteral(binary)} AND event_type = 'process_exec'`,
            ),
          ),
        close: async () => {
          await closeAll();
          await ch.close();
        },
      };
    }
    const bus = new InProcessBus();
    await start(EnricherModule.register({ bus, load: { env: { ...base } } }));
    const exporter = await start(
      ExporterModule.register({ bus, store: { kind: 'duckdb', path: ':memory:' }, load: { env: { ...base } } }),
    );
    await start(CollectorModule.register({ bus, load: { env: collectorEnv(base, spool) } }));
    const store = exporter.get(ExporterRuntime).sink.queries as DuckDbEventStore;
    return {
      execRows: async (binary) =>
        toRows(
          await store.sql(
            `SELECT exec_id, time_ns FROM ${EVENTS_TABLE} WHERE node_name = $1 AND process_binary = $2 AND event_type = 'process_exec'`,
            [base.VIGIL_NODE_NAME, binary],
          ),
        ),
      close: async () => {
        await closeAll();
        await bus.close();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The collector as on a node, its JSON export on (the default) in the scratch directory. */
function collectorEnv(base: Record<string, string>, spool: string): Record<string, string> {
  return { ...base, VIGIL_COLLECTOR_SPOOL_DIR: `${spool}/collector`, VIGIL_EXPORT_FILE: `${spool}/events.log` };
}

/** ClickHouse sends UInt64 as a string, DuckDB as a bigint. */
function toRows(rows: Array<Record<string, unknown>>): ExecRow[] {
  return rows.map((r) => ({ execId: String(r['exec_id']), timeNs: BigInt(String(r['time_ns'])) }));
}
