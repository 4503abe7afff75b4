import { Controller, Get, HttpCode, Inject, Optional, Res } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PolicyLogProvider } from '@vigil/policy-engine';
import { Metrics, MetricsRegistry, registerBusMetrics, ServiceKitModule } from '@vigil/service-kit';
import type { Response } from 'express';
import { ALL_IN_ONE, type AllInOneOptions } from './all-in-one.options';
import { serviceViews, statusHandler } from './service-views';

/**
 * Every service's Metrics (each ServiceKitModule has its own registry), from Nest's module
 * container as serviceViews() finds their Readiness.
 */
function serviceMetrics(modules: ModulesContainer): Metrics[] {
  const out: Metrics[] = [];
  for (const moduleRef of modules.values()) {
    if (moduleRef.metatype !== ServiceKitModule) continue;
    const metrics = moduleRef.providers.get(Metrics)?.instance;
    if (metrics instanceof Metrics) out.push(metrics);
  }
  return out;
}

/**
 * The all-in-one's own endpoints, once for the whole process: liveness, readiness over every
 * service's checks, every service's counters in one document, and every service's metrics in
 * one Prometheus answer. They live in the root module,
 * whose routes Nest registers first — so they answer /healthz and /readyz rather than the copies
 * each service's ServiceKitModule also registers there (see AllInOneModule).
 */
@Controller()
export class CombinedController {
  /** vigil_bus_* of the one bus every service shares, shown once. */
  private readonly busMetrics = new MetricsRegistry();

  constructor(
    @Inject(ALL_IN_ONE) private readonly options: AllInOneOptions,
    private readonly modules: ModulesContainer,
    @Optional() private readonly policyLog?: PolicyLogProvider,
  ) {
    registerBusMetrics(this.busMetrics, () => this.options.bus);
  }

  /** Where everything is, for whoever opens the base URL. */
  @Get()
  index() {
    const at = (name: string) => this.options.services.find((s) => s.name === name)?.prefix;
    const exporter = at('exporter');
    return {
      service: 'vigil',
      health: '/healthz',
      ready: '/readyz',
      status: '/status',
      metrics: '/metrics',
      ...(at('policy-engine') !== undefined ? { policies: '/policies', docs: '/docs', openapi: '/openapi.json' } : {}),
      ...(exporter !== undefined
        ? { queries: `/${exporter}/queries/{preset}`, export: `/${exporter}/events/export?since=1h` }
        : {}),
      services: Object.fromEntries(this.options.services.map((s) => [s.name, `/${s.prefix}`])),
    };
  }

  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok', service: 'vigil', services: serviceViews(this.modules).map((s) => s.name) };
  }

  /** 503 until every service's every check passes; checks are named "<service>: <check>". */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response) {
    const checks: Record<string, boolean> = {};
    for (const view of serviceViews(this.modules)) {
      const result = await view.readiness.evaluate();
      for (const [name, ok] of Object.entries(result.checks)) checks[`${view.name}: ${name}`] = ok;
    }
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', service: 'vigil', checks };
  }

  /** Each service's own /status answer under its name, the policy log's counters, and the bus's. */
  @Get('status')
  status() {
    const out: Record<string, unknown> = {};
    for (const service of this.options.services) {
      const handler = statusHandler(this.modules, service.module.module);
      if (handler) out[service.name] = handler();
    }
    if (this.policyLog) {
      const log = this.policyLog.log;
      out['policy-engine'] = { policies: log.state.list().length, ...log.stats() };
    }
    out['bus'] = this.options.bus.stats();
    return out;
  }

  /**
   * Every service's metrics (vigil_<service>_*, names distinct by construction) and the shared
   * bus's vigil_bus_* once, in Prometheus's text format. Each service's own, with the bus, is at
   * /<prefix>/metrics (the policy engine's routes are at the root: its metrics are here only).
   */
  @Get('metrics')
  async metrics(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.setHeader('Content-Type', MetricsRegistry.PROMETHEUS_CONTENT_TYPE);
    const registries = serviceMetrics(this.modules).map((m) => m.registry);
    return MetricsRegistry.merge([...registries, this.busMetrics]).metrics();
  }
}
