import { type DynamicModule, Module } from '@nestjs/common';
import type { EventBus } from '@vigil/bus';
import type { LoadOptions } from '@vigil/config';
import { ServiceKitModule } from '@vigil/service-kit';
import { collectorSchema } from './collector.config';
import { ProcessPipelineProvider } from './process-pipeline.provider';
import { StatusController } from './status.controller';

export interface CollectorModuleOptions {
  bus?: EventBus;
  load?: LoadOptions;
}

/**
 * The collector service: the per-node agent. Owns the eBPF probes (through libs/bpf-native),
 * the process cache, and publishes Tetragon-shaped events to vigil.events.raw and the JSON export.
 */
@Module({})
export class CollectorModule {
  static register(options: CollectorModuleOptions = {}): DynamicModule {
    return {
      module: CollectorModule,
      imports: [ServiceKitModule.forRoot({ name: 'collector', schema: collectorSchema, ...options })],
      controllers: [StatusController],
      providers: [ProcessPipelineProvider],
      exports: [ProcessPipelineProvider],
    };
  }
}
