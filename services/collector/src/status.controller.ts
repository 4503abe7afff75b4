import { Controller, Get } from '@nestjs/common';
import { ProcessPipelineProvider } from './process-pipeline.provider';

/** Counters of every stage, drops included: nothing is lost without showing up here. */
@Controller()
export class StatusController {
  constructor(private readonly provider: ProcessPipelineProvider) {}

  @Get('status')
  status() {
    // Kernel counters are 64-bit: sent as decimal strings, as protojson does.
    const policies = (this.provider.policies?.list() ?? []).map((p) => ({
      ...p,
      counters: Object.fromEntries(Object.entries(p.counters).map(([k, v]) => [k, v.toString()])),
    }));
    return { ...this.provider.pipeline.stats(), policies };
  }
}
