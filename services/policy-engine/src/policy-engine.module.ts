import { Module } from '@nestjs/common';
import { baseSchema } from '@vigil/config';
import { ServiceKitModule } from '@vigil/service-kit';

/** The policy-engine service: the central TracingPolicy management API and event-sourced policy log. */
@Module({
  imports: [ServiceKitModule.forRoot({ name: 'policy-engine', schema: baseSchema })],
})
export class PolicyEngineModule {}
