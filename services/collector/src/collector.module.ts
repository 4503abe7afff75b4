import { Module } from '@nestjs/common';
import { baseSchema } from '@vigil/config';
import { ServiceKitModule } from '@vigil/service-kit';

/** The collector service: the per-node agent: owns the eBPF probes and enforcement, publishes raw events. */
@Module({
  imports: [ServiceKitModule.forRoot({ name: 'collector', schema: baseSchema })],
})
export class CollectorModule {}
