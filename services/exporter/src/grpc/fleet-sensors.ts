import os from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Topic } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import { contractsRoot } from '@vigil/contracts';
import type { GetEventsResponse } from '@vigil/events';
import {
  addressProblem,
  EventFanout,
  fineGuidanceSensors,
  serve,
  rpcClient,
  type RpcServer,
  type FineGuidanceSensors,
  type RpcClient,
} from '@vigil/rpc';
import { Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import type { exporterSchema } from '../exporter.config';
import { ExporterRuntime } from '../exporter.runtime';
import { FleetPolicies, forwardingCall } from './fleet-policies';

type ExporterConfig = ConfigOf<typeof exporterSchema>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

/**
 * Tetragon's gRPC API for the whole fleet (exporter.grpcAddress): GetEvents streams vigil.events
 * — every node's events, enriched — through a consumer of its own that starts at the end of the
 * topic, and only while someone streams; policy calls go to the policy engine with the caller's
 * token; health is the exporter's readiness.
 */
@Injectable()
export class FleetSensors implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly sensors: FineGuidanceSensors;
  /** Where it serves once started; "" before or when disabled. */
  boundAddress = '';
  private readonly events = new EventFanout();
  private readonly address: string;
  private readonly token: string;
  private readonly engine?: RpcClient;
  private server?: RpcServer;
  private stopStream?: () => void;
  private follows = 0;
  private readonly logger = new Logger('exporter');

  constructor(
    @Inject(VIGIL_CONFIG) config: ExporterConfig,
    private readonly runtime: ExporterRuntime,
    readiness: Readiness,
  ) {
    const e = config.exporter;
    this.address = e.grpcAddress;
    this.token = e.grpcToken;
    const problem = this.address ? addressProblem(this.address, this.token) : undefined;
    if (problem) throw new Error(`exporter.grpcAddress: ${problem} (exporter.grpcToken / VIGIL_EXPORTER_GRPC_TOKEN)`);
    if (e.policyEngineAddress) this.engine = rpcClient(contractsRoot, 'vigil.v1.PolicyService', e.policyEngineAddress);
    this.sensors = fineGuidanceSensors({
      events: {
        subscribe: (listener) => {
          const unsubscribe = this.events.subscribe(listener);
          this.followEvents();
          return () => {
            unsubscribe();
            if (this.events.stats().subscribers === 0) this.unfollowEvents();
          };
        },
      },
      ...(this.engine ? { policies: new FleetPolicies(forwardingCall(this.engine)) } : {}),
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
      `fleet gRPC API (FineGuidanceSensors) on ${this.boundAddress}${this.token ? ' (token required)' : ''}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.unfollowEvents();
    await this.server?.close();
    this.engine?.close();
  }

  /**
   * One consumer for every open stream. Its name is new each time streaming starts (this instance,
   * a counter), so it sees every event from now on: a reused name would resume at its old offset
   * and replay what happened while nobody streamed. Kafka forgets such groups after
   * offsets.retention.minutes.
   */
  private followEvents(): void {
    if (this.stopStream) return;
    this.stopStream = this.runtime.bus.subscribe<GetEventsResponse | null>(
      Topic.events,
      `${this.runtime.consumer}.stream.${os.hostname()}.${process.pid}.${++this.follows}`,
      (batch) => this.events.publish(batch.flatMap((m) => (m.value ? [m.value] : []))),
      { startAt: 'latest' },
    );
  }

  private unfollowEvents(): void {
    this.stopStream?.();
    this.stopStream = undefined;
  }
}
