import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigOf } from '@vigil/config';
import { contractsRoot } from '@vigil/contracts';
import { serve, serviceDefinition, type RpcServer } from '@vigil/rpc';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import { TokenAuth } from '../domain/auth';
import { PolicyApi } from '../domain/policy-api';
import type { policyEngineSchema } from '../policy-engine.config';
import { PolicyLogProvider } from '../policy-log.provider';
import { policyServiceHandlers } from './policy-service';

/** Serves vigil.v1.PolicyService on policyEngine.grpcAddress for the application's lifetime. */
@Injectable()
export class PolicyGrpcProvider implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: RpcServer;
  /** Where it serves once started ("host:port" with the port bound, or the unix: address); "" before or when disabled. */
  boundAddress = '';
  private readonly address: string;
  private readonly maxYamlBytes: number;
  private readonly logger = new Logger('policy-engine');

  constructor(
    @Inject(VIGIL_CONFIG) config: ConfigOf<typeof policyEngineSchema>,
    private readonly logProvider: PolicyLogProvider,
    private readonly auth: TokenAuth,
  ) {
    this.address = config.policyEngine.grpcAddress;
    this.maxYamlBytes = config.policyEngine.maxBodyBytes;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.address) return;
    const service = {
      definition: serviceDefinition(contractsRoot, 'vigil.v1.PolicyService'),
      handlers: policyServiceHandlers(new PolicyApi(() => this.logProvider.log), this.auth, this.maxYamlBytes),
    };
    ({ server: this.server, boundAddress: this.boundAddress } = await serve(this.address, [service], {
      maxReceiveBytes: this.maxYamlBytes + 64 * 1024,
    }));
    this.logger.log(`gRPC API (vigil.v1.PolicyService) on ${this.boundAddress}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
