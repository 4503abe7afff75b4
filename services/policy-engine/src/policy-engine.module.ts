import { type DynamicModule, Module } from '@nestjs/common';
import type { EventBus } from '@vigil/bus';
import type { LoadOptions } from '@vigil/config';
import { MetricsController, ServiceKitModule } from '@vigil/service-kit';
import { PolicyGrpcProvider } from './grpc/policy-grpc.provider';
import { ApiDocs } from './http/api-docs';
import { PoliciesController } from './http/policies.controller';
import { policyEngineSchema } from './policy-engine.config';
import { PolicyEngineMetrics } from './metrics';
import { PolicyLogProvider } from './policy-log.provider';
import { TokenAuthProvider } from './token-auth.provider';

export interface PolicyEngineModuleOptions {
  /** The transport (KafkaBus in the fleet, the shared InProcessBus in `vigil run`). */
  bus?: EventBus;
  load?: LoadOptions;
}

/**
 * The policy-engine service: the TracingPolicy management API (REST + OpenAPI at /docs and
 * /openapi.json, and gRPC: vigil.v1.PolicyService) over the event-sourced policy log on vigil.policies, with per-node status from
 * vigil.policy-status.
 */
@Module({})
export class PolicyEngineModule {
  static register(options: PolicyEngineModuleOptions = {}): DynamicModule {
    return {
      module: PolicyEngineModule,
      imports: [ServiceKitModule.forRoot({ name: 'policy-engine', schema: policyEngineSchema, ...options })],
      controllers: [PoliciesController, MetricsController],
      providers: [PolicyLogProvider, TokenAuthProvider, ApiDocs, PolicyGrpcProvider, PolicyEngineMetrics],
      exports: [PolicyLogProvider, PolicyGrpcProvider],
    };
  }
}
