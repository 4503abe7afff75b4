import path from 'node:path';
import { CollectorModule } from '@vigil/collector';
import { EnricherModule } from '@vigil/enricher';
import { ExporterModule } from '@vigil/exporter';
import { PolicyEngineModule } from '@vigil/policy-engine';
import type { InProcessBus } from '@vigil/bus';
import type { MountedService } from './all-in-one.options';

export interface ServicesOptions {
  bus: InProcessBus;
  /** The gRPC APIs listen on Unix sockets here unless their VIGIL_* address says otherwise (grpcSockets). */
  dataDir: string;
  /** The exporter's embedded store. */
  duckdbPath: string;
  /** The environment the policy engine's configuration is read from (with the generated token's digest). */
  policyEngineEnv: NodeJS.ProcessEnv;
  /** False leaves the collector out: the composition without BPF, for tests that run without root. */
  collector?: boolean;
}

/**
 * The four services of `vigil run`, in start order: consumers before producers, so nothing the
 * collector publishes at start reaches a topic nobody subscribed to yet (the in-process bus keeps
 * no history). Nest stops same-depth modules in reverse: collector first, exporter last.
 * Kubernetes context stays as configured (kubernetes.mode, default disabled: container ids only).
 */
export function allInOneServices(o: ServicesOptions): MountedService[] {
  const { bus } = o;
  const sockets = grpcSockets(o.dataDir);
  // Defaults first: an address set in the environment wins.
  const env = (defaults: Record<string, string>, given: NodeJS.ProcessEnv = process.env) => ({
    env: { ...defaults, ...given },
  });
  const services: MountedService[] = [
    {
      name: 'exporter',
      prefix: 'exporter',
      module: ExporterModule.register({
        bus,
        store: { kind: 'duckdb', path: o.duckdbPath },
        load: env({
          VIGIL_EXPORTER_GRPC_ADDRESS: sockets.fleet,
          VIGIL_EXPORTER_POLICY_ENGINE_ADDRESS: sockets.policies,
        }),
      }),
    },
    {
      name: 'policy-engine',
      prefix: '',
      module: PolicyEngineModule.register({
        bus,
        load: env({ VIGIL_POLICY_ENGINE_GRPC_ADDRESS: sockets.policies }, o.policyEngineEnv),
      }),
    },
    // The bus is the composition root's: it closes it, after every service stopped.
    { name: 'enricher', prefix: 'enricher', module: EnricherModule.register({ bus, ownsBus: false }) },
  ];
  if (o.collector !== false)
    services.push({
      name: 'collector',
      prefix: 'collector',
      module: CollectorModule.register({ bus, load: env({ VIGIL_GRPC_ADDRESS: sockets.node }) }),
    });
  return services;
}

/**
 * The all-in-one's gRPC endpoints: Unix sockets in the data directory (root only, one set per
 * `vigil run`): this node's Tetragon API (collector), the fleet's (exporter: here the same node,
 * enriched), and the policy engine's PolicyService.
 */
export function grpcSockets(dataDir: string): { node: string; fleet: string; policies: string } {
  return {
    node: `unix://${path.join(dataDir, 'vigil.sock')}`,
    fleet: `unix://${path.join(dataDir, 'fleet.sock')}`,
    policies: `unix://${path.join(dataDir, 'policy.sock')}`,
  };
}
