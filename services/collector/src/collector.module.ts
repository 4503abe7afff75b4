import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsController, ServiceKitModule } from '@vigil/service-kit';
import { CollectorBus } from './collector-bus';
import { collectorSchema } from './collector.config';
import { COLLECTOR_OPTIONS, type CollectorModuleOptions } from './collector.options';
import { SensorsEndpoint } from './grpc/sensors-endpoint';
import { CollectorMetrics } from './metrics';
import { NodePolicySync } from './node-policy-sync';
import { NodeWorkloads } from './node-workloads';
import { ProcessPipelineProvider } from './process-pipeline.provider';
import { StatusController } from './status.controller';

/**
 * The collector service: the per-node agent. Owns the eBPF probes (through libs/bpf-native),
 * the process cache, and publishes Tetragon-shaped events to vigil.events.raw and the JSON export;
 * applies the policies of vigil.policies (PolicySync) and reports their status, scoping
 * namespaced ones with the workload map of vigil.workloads (NodeWorkloads). The bus is the
 * composition root's (`vigil run`) or, when none is given, a KafkaBus from configuration.
 */
@Module({})
export class CollectorModule {
  static register(options: CollectorModuleOptions = {}): DynamicModule {
    return {
      module: CollectorModule,
      imports: [
        ServiceKitModule.forRoot({
          name: 'collector',
          schema: collectorSchema,
          ...(options.load ? { load: options.load } : {}),
          ...(options.bus ? { bus: options.bus } : {}),
        }),
      ],
      controllers: [StatusController, MetricsController],
      providers: [
        { provide: COLLECTOR_OPTIONS, useValue: options },
        CollectorBus,
        NodePolicySync,
        NodeWorkloads,
        ProcessPipelineProvider,
        SensorsEndpoint,
        CollectorMetrics,
      ],
      exports: [ProcessPipelineProvider, SensorsEndpoint],
    };
  }
}
