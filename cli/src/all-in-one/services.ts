import { CollectorModule } from '@vigil/collector';
import { EnricherModule } from '@vigil/enricher';
import { ExporterModule } from '@vigil/exporter';
import { PolicyEngineModule } from '@vigil/policy-engine';
import type { InProcessBus } from '@vigil/bus';
import type { MountedService } from './all-in-one.options';

export interface ServicesOptions {
  bus: InProcessBus;
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
  const services: MountedService[] = [
    {
      name: 'exporter',
      prefix: 'exporter',
      module: ExporterModule.register({ bus, store: { kind: 'duckdb', path: o.duckdbPath } }),
    },
    {
      name: 'policy-engine',
      prefix: '',
      module: PolicyEngineModule.register({ bus, load: { env: o.policyEngineEnv } }),
    },
    // The bus is the composition root's: it closes it, after every service stopped.
    { name: 'enricher', prefix: 'enricher', module: EnricherModule.register({ bus, ownsBus: false }) },
  ];
  if (o.collector !== false)
    services.push({ name: 'collector', prefix: 'collector', module: CollectorModule.register({ bus }) });
  return services;
}
