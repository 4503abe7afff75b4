import { Controller, Get } from '@nestjs/common';
import { EnrichmentProvider } from './enrichment.provider';

/** Every counter of the enricher, drops included: nothing is lost without showing up here. */
@Controller()
export class StatusController {
  constructor(private readonly provider: EnrichmentProvider) {}

  @Get('status')
  status() {
    const p = this.provider;
    return {
      events: p.enricher.stats(),
      kubernetes: p.pods
        ? { apiServer: p.apiServer ?? '', cache: p.pods.stats(), watch: p.watcher?.status() ?? null }
        : { disabled: true },
      workloads: p.workloads?.stats() ?? null,
    };
  }
}
