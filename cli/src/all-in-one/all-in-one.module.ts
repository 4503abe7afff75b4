import { type DynamicModule, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { ALL_IN_ONE, type AllInOneOptions } from './all-in-one.options';
import { CombinedController } from './combined.controller';
import { PipelineDrainModule } from './pipeline-drain';

/**
 * Every service of `vigil run` in ONE Nest application, on one HTTP port and one InProcessBus.
 *
 * Why one application rather than one per service on consecutive ports: one URL to print and
 * remember, one lifecycle (a signal closes everything in Nest's order), and the services' modules
 * are built to be composed (each imports its own ServiceKitModule, whose providers each resolves
 * through its explicit import first, so four configurations and four Readiness registries live
 * side by side).
 *
 * Routes: the services that have a GET /status (collector, enricher, exporter) would collide at
 * the root, so each service's routes are mounted under its prefix (RouterModule): /collector/status,
 * /enricher/status, /exporter/status, /exporter/queries/:preset, /exporter/events/export. The policy
 * engine stays at the root (/policies, /docs, /openapi.json) because its Swagger UI and OpenAPI
 * document are registered by the engine itself with root paths. /healthz, /readyz and /status are
 * the combined ones of this module. Each ServiceKitModule also registers /healthz and /readyz; a
 * route prefix cannot tell the four copies apart (RouterModule keys paths by module class, and
 * they share one), so they stay registered behind this module's, which Nest registers first (the
 * root module is scanned first) — never reached. ServiceKitModule would need an option to leave
 * its HealthController out for that to go away.
 */
@Module({})
export class AllInOneModule {
  static register(options: AllInOneOptions): DynamicModule {
    const prefixed = options.services.filter((s) => s.prefix !== '');
    const modules: DynamicModule[] = options.services.map((s) => s.module);
    // Right before the collector (the producer), so at shutdown it runs after the collector stopped.
    const collector = options.services.findIndex((s) => s.name === 'collector');
    modules.splice(collector < 0 ? modules.length : collector, 0, PipelineDrainModule.register(options.bus));
    return {
      module: AllInOneModule,
      imports: [RouterModule.register(prefixed.map((s) => ({ path: s.prefix, module: s.module.module }))), ...modules],
      controllers: [CombinedController],
      providers: [{ provide: ALL_IN_ONE, useValue: options }],
    };
  }
}
