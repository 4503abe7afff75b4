import 'reflect-metadata';
import path from 'node:path';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus } from '@vigil/bus';
import { collectorSchema, ProcessPipelineProvider, SensorsEndpoint } from '@vigil/collector';
import { loadConfig } from '@vigil/config';
import { ExporterRuntime, FleetSensors } from '@vigil/exporter';
import { PolicyGrpcProvider, policyEngineSchema } from '@vigil/policy-engine';
import { CliError, EXIT } from '../exit-codes';
import { ensureAdminToken, tokenFileExposure, type AdminToken } from './admin-token';
import { AllInOneModule } from './all-in-one.module';
import { DEFAULT_DATA_DIR, ensureDataDir, resolveDataDir } from './data-dir';
import { processAlive, readEndpoint, removeEndpoint, writeEndpoint } from './endpoint-file';
import { allInOneServices } from './services';
import { note, printEvents, summary, type TerminalOutput } from './terminal';

export interface AllInOneRunOptions {
  dataDir?: string;
  output: TerminalOutput;
  color: boolean;
}

/** The DuckDB file of the all-in-one, under its data directory. */
export const EVENTS_DB_FILE = 'events.duckdb';

/**
 * `vigil run`: collector, enricher, policy engine and exporter (DuckDB) in one Nest application
 * over one InProcessBus, until SIGINT/SIGTERM. Configuration errors surface as ConfigError
 * (exit 3) before anything starts.
 */
export async function runAllInOne(opts: AllInOneRunOptions): Promise<void> {
  const dataDir = resolveDataDir(opts.dataDir);
  ensureDataDir(dataDir);
  const other = readEndpoint(dataDir);
  if (other && other.pid !== process.pid && processAlive(other.pid))
    throw new CliError(
      `another vigil run (pid ${other.pid}, ${other.url}) uses ${dataDir}; stop it or choose another --data-dir`,
      EXIT.failure,
    );

  // Read here only for what the composition root decides (address, token); each service loads its own.
  const config = loadConfig(collectorSchema);
  const tokens = loadConfig(policyEngineSchema).policyEngine;
  const admin: AdminToken | undefined = tokens.tokensFile || tokens.tokens ? undefined : ensureAdminToken(dataDir);
  const duckdbPath = path.join(dataDir, EVENTS_DB_FILE);

  const bus = new InProcessBus();
  printEvents(bus, opts.output, opts.color && process.stdout.isTTY === true);
  const services = allInOneServices({
    bus,
    dataDir,
    duckdbPath,
    policyEngineEnv: admin ? { ...process.env, VIGIL_POLICY_ENGINE_TOKENS: admin.tokensJson } : process.env,
  });
  const logLevels: LogLevel[] = ['error', 'warn'];
  const app = await NestFactory.create(AllInOneModule.register({ bus, services }), {
    logger: logLevels,
    abortOnError: false,
  });
  await app.listen(config.http.port, config.http.host);
  const url = await app.getUrl();
  const grpc = {
    node: app.get(SensorsEndpoint).boundAddress,
    fleet: app.get(FleetSensors).boundAddress,
    policies: app.get(PolicyGrpcProvider).boundAddress,
  };
  writeEndpoint(dataDir, { url, pid: process.pid, startedAt: new Date().toISOString(), grpc });

  const provider = app.get(ProcessPipelineProvider);
  const exporter = app.get(ExporterRuntime);
  note(
    `observing this node (process hooks: ${provider.attachMode}): ${provider.pipeline.stats().seeded} processes running, status and health on ${url} (/status, /healthz, /readyz)`,
  );
  note(config.collector.exportFile ? `JSON export: ${config.collector.exportFile}` : 'JSON export disabled');
  const dirFlag = dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${dataDir}`;
  note(
    `events stored in ${duckdbPath}; query: vigil query topBinaries --since 1h${dirFlag} (HTTP: ${url}/exporter/queries/<preset>)`,
  );
  note(`policy API: ${url}/policies, docs: ${url}/docs; gRPC (vigil.v1.PolicyService): ${grpc.policies || 'disabled'}`);
  note(
    `Tetragon gRPC API: this node ${grpc.node || 'disabled'}, enriched ${grpc.fleet || 'disabled'}; events: vigil getevents -o compact${dirFlag}`,
  );
  if (admin) {
    note(
      `admin token ${admin.created ? 'generated in' : 'in'} ${admin.file}: curl -H "Authorization: Bearer $(cat ${admin.file})" ${url}/policies`,
    );
    const exposure = tokenFileExposure(admin.file);
    if (exposure) note(`warning: ${exposure}`);
  } else note('policy API tokens from configuration (policyEngine.tokensFile, VIGIL_POLICY_ENGINE_TOKENS)');
  for (const p of provider.policies?.list() ?? [])
    note(`policy ${p.name} (${p.mode}): ${p.hooks.map((h) => h.how).join('; ')}`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const pipeline = provider.pipeline;
  await app.close();
  await bus.close();
  removeEndpoint(dataDir);
  const h = exporter.handler.stats();
  note(summary(pipeline.stats(), { inserted: h.inserted, deadLettered: h.deadLettered }));
}
