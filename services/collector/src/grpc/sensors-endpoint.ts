import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigOf } from '@vigil/config';
import {
  addressProblem,
  EventFanout,
  fineGuidanceSensors,
  serve,
  type RpcServer,
  type FineGuidanceSensors,
} from '@vigil/rpc';
import { Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import type { collectorSchema } from '../collector.config';
import { NodePolicySync } from '../node-policy-sync';
import { ProcessPipelineProvider } from '../process-pipeline.provider';
import { NodePolicies } from './node-policies';

type CollectorConfig = ConfigOf<typeof collectorSchema>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

/**
 * Tetragon's gRPC API for this node (collector.grpcAddress): the pipeline's events as they are
 * emitted, the node's PolicyRuntime for policy calls, the service's readiness checks as health.
 */
@Injectable()
export class SensorsEndpoint implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly events = new EventFanout();
  readonly sensors: FineGuidanceSensors;
  private server?: RpcServer;
  /** Where it serves once started ("host:port" with the port bound, or the unix: address); "" before or when disabled. */
  boundAddress = '';
  private readonly logger = new Logger('grpc');
  private readonly address: string;
  private readonly token: string;

  constructor(
    @Inject(VIGIL_CONFIG) config: CollectorConfig,
    pipeline: ProcessPipelineProvider,
    sync: NodePolicySync,
    readiness: Readiness,
  ) {
    this.address = config.collector.grpcAddress;
    this.token = config.collector.grpcToken;
    const problem = this.address ? addressProblem(this.address, this.token) : undefined;
    if (problem) throw new Error(`collector.grpcAddress: ${problem} (collector.grpcToken / VIGIL_GRPC_TOKEN)`);
    pipeline.pipeline.addListener((events) => this.events.publish(events));
    this.sensors = fineGuidanceSensors({
      events: this.events,
      policies: new NodePolicies(
        () => pipeline.policies,
        (name) => sync.owns(name),
      ),
      version: VERSION,
      health: () => readiness.report(),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.address) return;
    ({ server: this.server, boundAddress: this.boundAddress } = await serve(this.address, [this.sensors], {
      token: this.token,
    }));
    this.logger.log(
      `Tetragon gRPC API (FineGuidanceSensors) on ${this.boundAddress}${this.token ? ' (token required)' : ''}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
