import { Module } from '@nestjs/common';
import { baseSchema } from '@vigil/config';
import { ServiceKitModule } from '@vigil/service-kit';

/** The enricher service: adds container and Kubernetes context to raw events. */
@Module({
  imports: [ServiceKitModule.forRoot({ name: 'enricher', schema: baseSchema })],
})
export class EnricherModule {}
