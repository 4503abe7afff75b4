import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsController, ServiceKitModule } from '@vigil/service-kit';
import { EventsController } from './events.controller';
import { exporterSchema } from './exporter.config';
import { EXPORTER_OPTIONS, type ExporterModuleOptions } from './exporter.options';
import { ExporterRuntime } from './exporter.runtime';
import { FleetSensors } from './grpc/fleet-sensors';
import { ExporterMetrics } from './metrics';
import { QueriesController } from './queries.controller';
import { StatusController } from './status.controller';

/**
 * The exporter service: consumes vigil.events, stores every event in ClickHouse (the fleet) or
 * DuckDB (`vigil run`), and serves the query presets and the JSON export.
 */
@Module({})
export class ExporterModule {
  static register(options: ExporterModuleOptions = {}): DynamicModule {
    return {
      module: ExporterModule,
      imports: [
        ServiceKitModule.forRoot({
          name: 'exporter',
          schema: exporterSchema,
          ...(options.load ? { load: options.load } : {}),
          ...(options.bus ? { bus: options.bus } : {}),
        }),
      ],
      controllers: [StatusController, EventsController, QueriesController, MetricsController],
      providers: [{ provide: EXPORTER_OPTIONS, useValue: options }, ExporterRuntime, FleetSensors, ExporterMetrics],
      exports: [ExporterRuntime, FleetSensors],
    };
  }
}
