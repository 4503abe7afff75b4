import { Controller, Get } from '@nestjs/common';
import { CollectorBus } from './collector-bus';
import { NodePolicySync } from './node-policy-sync';
import { NodeWorkloads } from './node-workloads';
import { ProcessPipelineProvider } from './process-pipeline.provider';

/** Counters of every stage, drops included: nothing is lost without showing up here. */
@Controller()
export class StatusController {
  constructor(
    private readonly provider: ProcessPipelineProvider,
    private readonly transport: CollectorBus,
    private readonly sync: NodePolicySync,
    private readonly workloads: NodeWorkloads,
  ) {}

  @Get('status')
  status() {
    // Kernel counters are 64-bit: sent as decimal strings, as protojson does.
    const policies = (this.provider.policies?.list() ?? []).map((p) => ({
      ...p,
      counters: Object.fromEntries(Object.entries(p.counters).map(([k, v]) => [k, v.toString()])),
    }));
    return {
      ...this.provider.pipeline.stats(),
      bus: this.transport.status(),
      policies,
      policySync: this.sync.status(),
      workloads: { ...this.workloads.status(), refreshFailures: this.provider.workloadRefreshFailures },
    };
  }
}
