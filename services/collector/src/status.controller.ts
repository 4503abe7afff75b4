import { Controller, Get } from '@nestjs/common';
import { ProcessPipelineProvider } from './process-pipeline.provider';

/** Counters of every stage, drops included: nothing is lost without showing up here. */
@Controller()
export class StatusController {
  constructor(private readonly provider: ProcessPipelineProvider) {}

  @Get('status')
  status() {
    return this.provider.pipeline.stats();
  }
}
