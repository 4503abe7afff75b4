import { type DynamicModule, Global, Module } from '@nestjs/common';
import { InProcessBus, type EventBus } from '@vigil/bus';
import { loadConfig, type LoadOptions, type Schema } from '@vigil/config';
import { HealthController } from './health.controller';
import { Metrics } from './metrics';
import { Readiness } from './readiness';
import { EVENT_BUS, SERVICE_NAME, VIGIL_CONFIG } from './tokens';

export interface ServiceKitOptions {
  /** Service name, shown on health endpoints and in logs. */
  name: string;
  /** The service's configuration schema (baseSchema plus its own sections). */
  schema: Schema;
  /** Where to load configuration from; defaults to the environment and $VIGIL_CONFIG. */
  load?: LoadOptions;
  /** The transport to the other services; a private in-process bus when not given. */
  bus?: EventBus;
}

/**
 * What every Vigil service gets: its validated configuration (loaded once, at module creation,
 * so a bad value stops the start with a precise ConfigError), its event bus,
 * health/readiness endpoints, and its own Prometheus registry (`Metrics`). GET /metrics is
 * MetricsController, which each service module lists among its own controllers so a composition
 * root's route prefix applies to it.
 */
@Global()
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    return {
      module: ServiceKitModule,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.name },
        { provide: VIGIL_CONFIG, useFactory: () => loadConfig(options.schema, options.load) },
        { provide: EVENT_BUS, useValue: options.bus ?? new InProcessBus() },
        Readiness,
        Metrics,
      ],
      exports: [SERVICE_NAME, VIGIL_CONFIG, EVENT_BUS, Readiness, Metrics],
    };
  }
}
