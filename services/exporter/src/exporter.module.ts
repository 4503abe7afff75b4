import { Module } from '@nestjs/common';
import { baseSchema } from '@vigil/config';
import { ServiceKitModule } from '@vigil/service-kit';

/** The exporter service: stores enriched events in ClickHouse and serves fleet queries. */
@Module({
  imports: [ServiceKitModule.forRoot({ name: 'exporter', schema: baseSchema })],
})
export class ExporterModule {}
