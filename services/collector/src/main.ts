import { bootstrapService } from '@vigil/service-kit';
import { CollectorModule } from './collector.module';

void bootstrapService('collector', CollectorModule.register());
