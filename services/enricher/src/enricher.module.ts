import { type DynamicModule, Module } from '@nestjs/common';
import type { EventBus } from '@vigil/bus';
import type { LoadOptions } from '@vigil/config';
import { MetricsController, ServiceKitModule } from '@vigil/service-kit';
import { enricherSchema } from './enricher.config';
import { EnrichmentProvider } from './enrichment.provider';
import { EnricherMetrics } from './metrics';
import { StatusController } from './status.controller';
import { OWNS_BUS } from './tokens';

export interface EnricherModuleOptions {
  bus?: EventBus;
  load?: LoadOptions;
  /** Close the bus after the enricher's own shutdown (it publishes its held events then). */
  ownsBus?: boolean;
}

/**
 * The enricher service: vigil.events.raw → container and Kubernetes context → vigil.events, and
 * the per-node workload map on vigil.workloads. The bus comes from the composition root.
 */
@Module({})
export class EnricherModule {
  static register(options: EnricherModuleOptions = {}): DynamicModule {
    return {
      module: EnricherModule,
      imports: [
        ServiceKitModule.forRoot({ name: 'enricher', schema: enricherSchema, bus: options.bus, load: options.load }),
      ],
      controllers: [StatusController, MetricsController],
      providers: [EnrichmentProvider, { provide: OWNS_BUS, useValue: options.ownsBus ?? false }, EnricherMetrics],
      exports: [EnrichmentProvider],
    };
  }
}
